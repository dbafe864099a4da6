"""The organisation tree and the user who belongs to one organisation."""

from __future__ import annotations

import datetime as dt

from flask_appbuilder import Model
from flask_appbuilder.security.sqla.models import User
from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from generator.models import initials_of, keep_initials

# Binary ordering on every database, so that "path starts with P" is the index range
# [P, P-with-last-'/'-raised) (see scope.py). PostgreSQL's default collations ignore '/'.
PathString = String(255).with_variant(String(255, collation="C"), "postgresql")

NATIONAL_CODE = "CN"


class Organisation(Model):
    """A node of national -> province -> city -> county -> unit.

    Region nodes are keyed by GB/T 2260 codes and stand for the regulator of that region;
    units (enterprises, medical institutions) by their 统一社会信用代码.
    """

    __tablename__ = "org_organisation"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), nullable=False, unique=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    name_initials = initials_of("name", 200)  # 「cq」 finds 重庆市 in pickers (generator/pinyin.py)
    # national | province | city | county | unit
    level: Mapped[str] = mapped_column(String(16), nullable=False)
    # units: enterprise | institution
    kind: Mapped[str | None] = mapped_column(String(16), nullable=True)
    parent_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("org_organisation.id"),
                                                  nullable=True, index=True)
    # /CN/350000/350100/350102/
    path: Mapped[str] = mapped_column(PathString, nullable=False, index=True)
    valid_from: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    # divisions change yearly; old rows keep their org
    valid_to: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    parent = relationship("Organisation", remote_side=[id])

    def __str__(self) -> str:
        return str(self.name)

    def __repr__(self) -> str:
        return f"<Organisation {self.code} {self.name}>"

    @property
    def current(self) -> bool:
        return self.valid_to is None or self.valid_to > dt.date.today()


keep_initials(Organisation, "name")


def child_path(parent_path: str | None, code: str) -> str:
    return f"{parent_path or '/'}{code}/"


class AppUser(User):
    """FAB's user plus the organisation it belongs to and its user class."""

    __tablename__ = "ab_user"
    org_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("org_organisation.id"),
                                               nullable=True, index=True)
    user_class: Mapped[str | None] = mapped_column(String(16), nullable=True)
    # 功能选择 / 子用户授权: module keys, comma-separated. Empty: every module the roles reach;
    # for agents (经办人): none until the legal person delegates.
    modules: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    org = relationship(Organisation, lazy="joined")
    # Password policy (app/hooks/password_policy.py). FAB's fail_login_count counts the
    # failed sign-ins since the last success or lock.
    password_changed_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    must_change_password: Mapped[bool | None] = mapped_column(Boolean, nullable=True, default=False)
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    # When an administrator last re-enabled the account (启用): `accounts sweep` counts the
    # days without a sign-in from then, so a re-enabled account is not disabled again at once.
    activated_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    # 身份证号 of the person behind the account (自然人, 经办人, 法人): the service portal asks for
    # it before business is done (seed 003 ch. 10.2); 人员管理 and 药监网校 match people by it.
    id_no: Mapped[str | None] = mapped_column(String(18), nullable=True, index=True)
    password_history = relationship("PasswordHistory", cascade="all, delete-orphan",
                                    order_by="PasswordHistory.id.desc()",
                                    back_populates="user")

    def module_allowed(self, module: str) -> bool:
        chosen = {m for m in (self.modules or "").split(",") if m}
        if self.user_class == "agent":
            return module in chosen
        return not chosen or module in chosen


class PasswordHistory(Model):
    """Hashes of the passwords a user has had, newest first (the current one included)."""

    __tablename__ = "auth_password_history"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("ab_user.id", ondelete="CASCADE"), nullable=False, index=True)
    hash: Mapped[str] = mapped_column(String(256), nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False,
                                                    default=dt.datetime.now)
    user = relationship(AppUser, back_populates="password_history")
