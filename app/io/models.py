"""One row per import: who imported what, when, how far it got and what it found (the audit
entry of the import; row-level history is kept with every row's own history)."""

from __future__ import annotations

import datetime as dt

from flask_appbuilder import Model
from sqlalchemy import Boolean, Column, DateTime, ForeignKey, Integer, String


class ImportRun(Model):
    __tablename__ = "io_import_run"
    id = Column(Integer, primary_key=True)
    entity = Column(String(120), nullable=False)  # qualified entity name
    user_id = Column(Integer, ForeignKey("ab_user.id"), nullable=False, index=True)
    org_id = Column(Integer, ForeignKey("org_organisation.id"), nullable=True)
    file_name = Column(String(255), nullable=False)  # as uploaded
    stored = Column(String(255), nullable=False)  # generated name under the imports folder
    # validating -> invalid | valid -> importing -> done | failed
    status = Column(String(16), nullable=False, default="validating")
    rows = Column(Integer, nullable=False, default=0)
    processed = Column(Integer, nullable=False, default=0)
    created = Column(Integer, nullable=False, default=0)
    updated = Column(Integer, nullable=False, default=0)
    error_count = Column(Integer, nullable=False, default=0)
    unchanged = Column(Integer, nullable=True, default=0)
    clear_blanks = Column(Boolean, nullable=True, default=False)  # 空白单元格清空原值
    started_at = Column(DateTime, nullable=False, default=dt.datetime.now)
    finished_at = Column(DateTime, nullable=True)
