"""One row per import: who imported what, when, how far it got and what it found (the audit
entry of the import; row-level history is kept with every row's own history)."""

from __future__ import annotations

import datetime as dt

from flask_appbuilder import Model
from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column


class ImportRun(Model):
    __tablename__ = "io_import_run"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entity: Mapped[str] = mapped_column(String(120), nullable=False)  # qualified entity name
    user_id: Mapped[int] = mapped_column(Integer, ForeignKey("ab_user.id"), nullable=False,
                                         index=True)
    org_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("org_organisation.id"),
                                               nullable=True)
    file_name: Mapped[str] = mapped_column(String(255), nullable=False)  # as uploaded
    # generated name under the imports folder
    stored: Mapped[str] = mapped_column(String(255), nullable=False)
    # validating -> invalid | valid -> importing -> done | failed
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="validating")
    rows: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    processed: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    created: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    updated: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    error_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    unchanged: Mapped[int | None] = mapped_column(Integer, nullable=True, default=0)
    # 空白单元格清空原值
    clear_blanks: Mapped[bool | None] = mapped_column(Boolean, nullable=True, default=False)
    # the job of its latest pass (app/io/runs.py): progress, state, the reason of a failure
    job_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("job.id"), nullable=True)
    started_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False,
                                                    default=dt.datetime.now)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
