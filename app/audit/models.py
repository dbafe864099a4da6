"""Append-only audit entries. Nothing in the application updates or deletes them."""

from __future__ import annotations

import datetime as dt

from flask_appbuilder import Model
from sqlalchemy import Column, DateTime, Index, Integer, String, Text


class AuditEntry(Model):
    __tablename__ = "audit_entry"
    id = Column(Integer, primary_key=True)
    at = Column(DateTime, nullable=False, default=dt.datetime.now, index=True)
    user_id = Column(Integer, nullable=True)
    username = Column(String(256), nullable=True)
    org_id = Column(Integer, nullable=True)
    org_name = Column(String(200), nullable=True)
    address = Column(String(64), nullable=True)
    # create, edit, delete, transition, import, login, login_failed, permissions
    action = Column(String(32), nullable=False, index=True)
    entity = Column(String(120), nullable=True)  # qualified entity name
    record_id = Column(Integer, nullable=True)
    transition = Column(String(64), nullable=True)
    reason = Column(Text, nullable=True)
    changes = Column(Text, nullable=True)  # JSON {field: [old, new]}
    __table_args__ = (Index("ix_audit_entry_record", "entity", "record_id"),)
