"""The job table and the schedules' claim rows: the state of background work lives in the
database, so every host's pages show it and a restarted worker cannot lose it."""

from __future__ import annotations

import datetime as dt

from flask_appbuilder import Model
from sqlalchemy import DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
STATES = (QUEUED, RUNNING, DONE, FAILED)


class Job(Model):
    """One piece of work off the request: an import pass, a large export, a scheduled run."""

    __tablename__ = "job"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(40), nullable=False)  # app/jobs/kinds.py
    params: Mapped[str] = mapped_column(Text, nullable=False, default="{}")  # JSON
    state: Mapped[str] = mapped_column(String(16), nullable=False, default=QUEUED, index=True)
    progress: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    total: Mapped[int | None] = mapped_column(Integer, nullable=True)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)  # why it failed, Chinese
    user_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("ab_user.id"),
                                                nullable=True, index=True)
    # The same key twice (a double click, a redelivered message) is one job.
    key: Mapped[str | None] = mapped_column(String(200), nullable=True, unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False,
                                                    default=dt.datetime.now)
    started_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    heartbeat_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    worker: Mapped[str | None] = mapped_column(String(120), nullable=True)  # host:pid
    # what the job made: a storage key and the name the download carries
    result_file: Mapped[str | None] = mapped_column(String(255), nullable=True)
    result_name: Mapped[str | None] = mapped_column(String(255), nullable=True)
    # how many times it has started: a transient error queues it again (app/jobs/runner.py)
    attempts: Mapped[int | None] = mapped_column(Integer, nullable=True, default=0)
    # the request that submitted it: the worker's log lines carry it (app/observability.py)
    request_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # what the user must know of a finished job's result, e.g. an export cut at 导出最大行数
    note: Mapped[str | None] = mapped_column(Text, nullable=True)


class ScheduleRun(Model):
    """One fire of a schedule: the claim (unique per schedule and planned time, so two
    schedulers ticking at once run it once) and the run log of 定时任务."""

    __tablename__ = "job_schedule_run"
    __table_args__ = (UniqueConstraint("schedule", "planned_at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    schedule: Mapped[str] = mapped_column(String(120), nullable=False)  # module.name
    action: Mapped[str] = mapped_column(String(60), nullable=False)
    planned_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False)
    state: Mapped[str] = mapped_column(String(16), nullable=False, default=QUEUED)
    counts: Mapped[str | None] = mapped_column(Text, nullable=True)  # JSON: label -> number
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    host: Mapped[str | None] = mapped_column(String(120), nullable=True)
    job_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("job.id"), nullable=True)
    started_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
