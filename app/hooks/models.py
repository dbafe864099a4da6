"""The tables hooks keep: space used per organisation (upload_limit) and the reporting windows
with their extensions (window_deadline). They live in Flask-AppBuilder's metadata, so
`schema apply` creates them with FAB's own tables.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_appbuilder import Model
from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    event,
    inspect,
)
from sqlalchemy.orm import Mapped, Mapper, Session, mapped_column, relationship

from app.security.models import Organisation

BEIJING = "Asia/Shanghai"
# session.info key: file size changes already flushed in this transaction, per (row, field),
# for upload_limit.reserve (a query between the upload and the reservation may autoflush).
SIZE_CHANGES = "upload_size_changes"


def beijing_now() -> dt.datetime:
    """The wall-clock time in Beijing, naive (how every window time is stored)."""
    from zoneinfo import ZoneInfo

    return dt.datetime.now(ZoneInfo(BEIJING)).replace(tzinfo=None, microsecond=0)


class OrgQuota(Model):
    """Bytes of uploaded files an organisation holds (fields with `upload_limit.quota_mb`).

    Changed only by one guarded UPDATE in the transaction of the write that adds or replaces
    a file (see upload_limit.reserve), so concurrent uploads cannot overshoot the limit.
    """

    __tablename__ = "hook_org_quota"
    org_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("org_organisation.id", ondelete="CASCADE"), primary_key=True,
        autoincrement=False)
    used_bytes: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"),
                                            nullable=False, default=0)


class Window(Model):
    """A reporting window: when rows of the entities naming `window` may be edited.

    `region` None: the whole country; otherwise the window holds for the organisations under
    that region (the most specific region wins). `batch` None: every batch; otherwise the id
    (as text) of the row the entity's `batch_field` refers to. Times are Beijing time, naive.
    """

    __tablename__ = "hook_window"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    window: Mapped[str] = mapped_column(String(41), nullable=False)  # the hook's `window` parameter
    batch: Mapped[str | None] = mapped_column(String(64), nullable=True)
    region_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("org_organisation.id", ondelete="CASCADE"), nullable=True)
    opens_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False)
    closes_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False)
    is_open: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)  # 上报开关
    note: Mapped[str | None] = mapped_column(String(500), nullable=True)
    region = relationship(Organisation, lazy="joined")
    __table_args__ = (Index("ix_hook_window_window", "window", "region_id"),)

    def __str__(self) -> str:
        from app.hooks.window_admin import window_text

        return window_text(self)

    def __repr__(self) -> str:
        return f"<Window {self.window} batch={self.batch} region={self.region_id}>"

    @property
    def batch_display(self) -> Any:
        from app.hooks.window_deadline import batch_label

        return batch_label(self.window, self.batch)


class WindowExtension(Model):
    """More time for one unit (延期), granted by a regulator of its jurisdiction."""

    __tablename__ = "hook_window_extension"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    window_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("hook_window.id", ondelete="CASCADE"), nullable=False, index=True)
    unit_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("org_organisation.id", ondelete="CASCADE"), nullable=False,
        index=True)
    closes_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False)
    granted_by_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("ab_user.id"),
                                                      nullable=True)
    granted_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False, default=beijing_now)
    reason: Mapped[str] = mapped_column(String(500), nullable=False)
    window = relationship(Window, lazy="joined")
    unit = relationship(Organisation, lazy="joined")
    granted_by = relationship("AppUser", lazy="joined")

    def __repr__(self) -> str:
        return f"<WindowExtension window={self.window_id} unit={self.unit_id}>"


@event.listens_for(Mapper, "after_delete")
def _row_deleted(_mapper: Any, connection: Any, target: Any) -> None:
    """A deleted row gives its organisation back the space of its files (upload_limit), in
    the transaction of the delete; the files themselves go when it commits."""
    entity = getattr(type(target), "__entity__", None)
    if entity is None or not any(f.hook is not None and f.hook.name == "upload_limit"
                                 for f in entity.fields):
        return
    from app.hooks import upload_limit

    upload_limit.release(entity, target, connection)


def quota_fields(obj: Any) -> list[str]:
    entity = getattr(type(obj), "__entity__", None)
    if entity is None:
        return []
    return [f.name for f in entity.fields if f.hook is not None and
            f.hook.name == "upload_limit" and f.hook.get("quota_mb") is not None]


@event.listens_for(Session, "before_flush")
def _remember_size_changes(session: Session, _context: Any, _instances: Any) -> None:
    for obj in list(session.new) + list(session.dirty):
        for name in quota_fields(obj):
            state = inspect(obj)
            history = state.attrs[f"{name}_size"].history
            if history.added or history.deleted:
                changes = session.info.setdefault(SIZE_CHANGES, {})
                added, deleted = changes.get((state, name), (0, 0))
                changes[(state, name)] = (added + sum(v or 0 for v in history.added),
                                          deleted + sum(v or 0 for v in history.deleted))


@event.listens_for(Session, "after_transaction_end")
def _forget_size_changes(session: Session, transaction: Any) -> None:
    if transaction.parent is None:
        session.info.pop(SIZE_CHANGES, None)
