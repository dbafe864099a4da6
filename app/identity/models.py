"""An enterprise's application for an account (注册账号): what it typed, until an administrator
of its province approves it (then the unit and the account exist) or refuses it."""

from __future__ import annotations

import datetime as dt

from flask_appbuilder import Model
from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.security.models import AppUser, Organisation, PathString

PENDING, APPROVED, REFUSED = "pending", "approved", "refused"
STATES = (PENDING, APPROVED, REFUSED)


class Registration(Model):
    __tablename__ = "auth_registration"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # 申请编号 the applicant keeps to look the outcome up (with the mobile number)
    number: Mapped[str] = mapped_column(String(20), nullable=False, unique=True)
    state: Mapped[str] = mapped_column(String(16), nullable=False, default=PENDING)
    uscc: Mapped[str] = mapped_column(String(18), nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    # the division the unit will hang under, and its path: the province's administrators
    # see the applications of their subtree (app/security/scope.py `within`)
    region_id: Mapped[int] = mapped_column(Integer, ForeignKey("org_organisation.id"),
                                           nullable=False)
    region_path: Mapped[str] = mapped_column(PathString, nullable=False)
    legal_person: Mapped[str] = mapped_column(String(50), nullable=False)
    contact: Mapped[str] = mapped_column(String(50), nullable=False)
    mobile: Mapped[str] = mapped_column(String(11), nullable=False)
    email: Mapped[str | None] = mapped_column(String(120), nullable=True)
    id_no: Mapped[str] = mapped_column(String(18), nullable=False)
    username: Mapped[str] = mapped_column(String(64), nullable=False)
    # the password's hash only, set by the policy's checks when the form was sent
    password_hash: Mapped[str] = mapped_column(String(256), nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False,
                                                    default=dt.datetime.now)
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    decided_by_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("ab_user.id", ondelete="SET NULL"), nullable=True)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)  # 不予通过的理由
    org_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("org_organisation.id", ondelete="SET NULL"), nullable=True)
    user_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("ab_user.id", ondelete="SET NULL"), nullable=True)
    region = relationship(Organisation, foreign_keys=[region_id], lazy="joined")
    decided_by = relationship(AppUser, foreign_keys=[decided_by_id])
    # pending ones per credit code and user name (one open application each), the review list
    __table_args__ = (Index("ix_auth_registration_uscc", "uscc", "state"),
                      Index("ix_auth_registration_username", "username", "state"),
                      Index("ix_auth_registration_path", "region_path", "state"))
