"""Running one job: claim it, beat while it works, commit its work and its end together.

Progress and the heartbeat are written beside the job's transaction, never in it: on
PostgreSQL through a connection of their own (every host's pages read them from the job
row); on SQLite, whose one writer is the job's own transaction (an import holds it to the
end), into a small file of the jobs folder that the pages of the one host read.

A worker killed mid-job takes its open transaction with it, so nothing of the job is
written; its heartbeat stops, and `sweep_stale` (run by every scheduler tick and by the pages
that show the job) marks the job failed with the reason.

A transient error (the database connection lost, Redis out of reach) rolls the job's work
back, queues the job again and raises `Retry`: Dramatiq's Retries middleware delivers the
message again after a backoff, at most ADMIN_JOB_RETRIES times (each start counts in
`attempts`). Anything else — a refusal, a validation error, a bug — fails the job at once.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import os
import socket
import threading
from typing import Any

from flask import Flask, g
from flask_babel import gettext as _
from flask_login import login_user
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy import func, select, update
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as SATimeoutError

from app.context import db_session, end_session, security
from app.jobs.kinds import KINDS, Context, Outcome, Refused, params_of
from app.jobs.models import DONE, FAILED, QUEUED, RUNNING, Job

log = logging.getLogger(__name__)
# errors that a second attempt may not meet: a connection lost or refused, a pool timeout
TRANSIENT: tuple[type[BaseException], ...] = (OperationalError, DisconnectionError,
                                              InterfaceError, SATimeoutError, ConnectionError,
                                              RedisConnectionError, RedisTimeoutError)


class Retry(Exception):
    """The job met a transient error and is queued again: the queue delivers it later."""


def transient(exc: BaseException) -> bool:
    return isinstance(exc, TRANSIENT) or bool(getattr(exc, "connection_invalidated", False))
INTERRUPTED = ("The job was interrupted: the process running it stopped, and nothing of it "
               "was written. Submit it again.")
CRASHED = "The job failed because of an error of the system; nothing of it was written."


def folder(app: Flask) -> str:
    path = app.config.get("ADMIN_JOB_FOLDER") or os.path.join(app.instance_path, "jobs")
    os.makedirs(path, exist_ok=True)
    return path


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:120]


def _beat_path(app: Flask, job_id: int) -> str:
    return os.path.join(folder(app), f"{job_id}.beat")


class Beat:
    """A thread that writes the job's progress and heartbeat every `interval` seconds."""

    def __init__(self, app: Flask, job_id: int, engine: Any):
        self.app, self.job_id, self.engine = app, job_id, engine
        self.done = 0
        self.interval = float(app.config["ADMIN_JOB_HEARTBEAT_SECONDS"])
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True,
                                        name=f"job-beat-{job_id}")

    def progress(self, done: int) -> None:
        self.done = done

    def start(self) -> Beat:
        self.write()
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        self.write()

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.write()
            except Exception:  # noqa: BLE001 - a missed beat is not the job's failure
                log.exception("heartbeat of job %s", self.job_id)

    def write(self) -> None:
        if self.engine.dialect.name == "sqlite":
            path = _beat_path(self.app, self.job_id)
            with open(path + ".tmp", "w", encoding="ascii") as fh:
                fh.write(str(self.done))
            os.replace(path + ".tmp", path)
            return
        with self.engine.begin() as conn:
            conn.execute(update(Job).where(Job.id == self.job_id)
                         .values(progress=self.done, heartbeat_at=dt.datetime.now()))


def progress_of(app: Flask, job: Job) -> int:
    """Rows done so far: the job row's count, or the beat file's where that is newer."""
    try:
        with open(_beat_path(app, job.id), encoding="ascii") as fh:
            return max(job.progress or 0, int(fh.read() or 0))
    except (FileNotFoundError, ValueError):
        return job.progress or 0


def last_beat(app: Flask, job: Job) -> dt.datetime | None:
    stamps = [s for s in (job.heartbeat_at, job.started_at) if s is not None]
    with contextlib.suppress(FileNotFoundError):
        stamps.append(dt.datetime.fromtimestamp(os.path.getmtime(_beat_path(app, job.id))))
    return max(stamps) if stamps else None


def execute(app: Flask, job_id: int) -> None:
    """Run the job once (a second delivery of its message finds it claimed and returns)."""
    with app.app_context(), app.test_request_context():
        session = db_session(app)
        try:
            _execute(app, session, job_id)
        finally:
            end_session(app)


def _execute(app: Flask, session: Any, job_id: int) -> None:
    now = dt.datetime.now()
    claimed = session.execute(
        update(Job).where(Job.id == job_id, Job.state == QUEUED)
        .values(state=RUNNING, started_at=now, heartbeat_at=now, worker=worker_name(),
                attempts=func.coalesce(Job.attempts, 0) + 1))
    session.commit()
    if claimed.rowcount != 1:
        return
    job = session.get(Job, job_id)
    g.request_id = job.request_id  # the worker's log lines name the request that asked
    kind = KINDS[job.kind]
    user = security(app).get_user_by_id(job.user_id) if job.user_id else None
    if user is not None:  # the job sees and may do what its user may, no more
        login_user(user)
        g.user = user
    beat = Beat(app, job_id, session.get_bind()).start()
    try:
        outcome = kind.run(Context(job, params_of(job), user, session, beat.progress))
    except Refused as refused:
        beat.stop()
        session.rollback()
        fail(app, session, job_id, _(refused.reason))
        return
    except Exception as exc:
        beat.stop()
        session.rollback()
        attempts = job.attempts or 1
        if transient(exc) and attempts <= int(app.config["ADMIN_JOB_RETRIES"]):
            log.warning("job %s (%s) met a transient error on attempt %s; queued again: %s",
                        job_id, job.kind, attempts, exc)
            if requeue(session, job_id):
                raise Retry(f"job {job_id}, attempt {attempts}") from exc
            return  # the database is still out of reach: the stale sweep fails it
        log.exception("job %s (%s) failed on attempt %s", job_id, job.kind, attempts)
        fail(app, session, job_id, _(CRASHED) if attempts == 1 else _(
            "%(reason)s It was tried %(count)s times.", reason=_(CRASHED), count=attempts))
        return
    beat.stop()
    outcome = outcome or Outcome()
    session.execute(update(Job).where(Job.id == job_id).values(
        state=DONE, finished_at=dt.datetime.now(), progress=beat.done,
        result_file=outcome.result_file, result_name=outcome.result_name, note=outcome.note))
    session.commit()  # the job's work and its end, together
    if kind.after_commit is not None:
        kind.after_commit(job)


def requeue(session: Any, job_id: int) -> bool:
    """Put a running job back in the queue (a transient error); False if that fails too."""
    try:
        queued = session.execute(update(Job).where(Job.id == job_id, Job.state == RUNNING)
                                 .values(state=QUEUED, worker=None))
        session.commit()
    except Exception:  # noqa: BLE001 - still out of reach: the job's heartbeat tells
        log.exception("job %s could not be queued again", job_id)
        with contextlib.suppress(Exception):
            session.rollback()
        return False
    return bool(queued.rowcount == 1)


def fail(app: Flask, session: Any, job_id: int, reason: str) -> bool:
    """Mark a running job failed (once) and what waits for it; commits."""
    failed = session.execute(update(Job).where(Job.id == job_id, Job.state == RUNNING).values(
        state=FAILED, reason=reason, finished_at=dt.datetime.now()))
    if failed.rowcount == 1:
        job = session.get(Job, job_id)
        kind = KINDS.get(job.kind)
        if kind is not None and kind.on_fail is not None:
            kind.on_fail(session, job)
    session.commit()
    return bool(failed.rowcount == 1)


def is_stale(app: Flask, job: Job, now: dt.datetime | None = None) -> bool:
    """A running job whose heartbeat stopped: its worker died."""
    limit = dt.timedelta(seconds=float(app.config["ADMIN_JOB_STALE_SECONDS"]))
    beat = last_beat(app, job)
    return (job.state == RUNNING and beat is not None
            and (now or dt.datetime.now()) - beat > limit)


def sweep_stale(app: Flask, session: Any, now: dt.datetime | None = None) -> list[int]:
    """Fail the running jobs whose worker died; their ids."""
    swept = []
    for job in session.execute(select(Job).where(Job.state == RUNNING)).scalars().all():
        if is_stale(app, job, now) and fail(app, session, job.id, _(INTERRUPTED)):
            swept.append(job.id)
    session.commit()
    return swept


def refresh(app: Flask, session: Any, job: Job) -> Job:
    """The job as it stands, failed first if its worker died (the pages that show it)."""
    if is_stale(app, job):
        fail(app, session, job.id, _(INTERRUPTED))
    session.refresh(job)
    return job


def params_json(params: dict[str, Any]) -> str:
    return json.dumps(params, ensure_ascii=False, sort_keys=True)
