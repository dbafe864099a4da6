"""Append-only audit entries. Nothing in the application updates or deletes them."""

from __future__ import annotations

import datetime as dt

from flask_appbuilder import Model
from sqlalchemy import DateTime, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column


class AuditEntry(Model):
    __tablename__ = "audit_entry"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False, default=dt.datetime.now,
                                            index=True)
    user_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    username: Mapped[str | None] = mapped_column(String(256), nullable=True)
    org_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    org_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    address: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # the browser, on sign-ins, failed sign-ins and sign-outs (the 登录日志)
    user_agent: Mapped[str | None] = mapped_column(String(255), nullable=True)
    # create, edit, delete, transition, import, login, login_failed, logout, force_logout,
    # permissions, change_request, user_* …
    action: Mapped[str] = mapped_column(String(32), nullable=False, index=True)
    entity: Mapped[str | None] = mapped_column(String(120), nullable=True)  # qualified entity name
    record_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    transition: Mapped[str | None] = mapped_column(String(64), nullable=True)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    changes: Mapped[str | None] = mapped_column(Text, nullable=True)  # JSON {field: [old, new]}
    __table_args__ = (Index("ix_audit_entry_record", "entity", "record_id"),)
