"""The queue: Dramatiq, with Redis in production and an in-process worker when embedded.

`ADMIN_JOB_BROKER_URL` (env JOB_BROKER_URL) names a Redis broker (`redis://…`); every
`flask worker` process consumes it. Without one (`make run`), a stub broker and a worker
thread pool inside the web process run the jobs, so the one command still works. Tests and
`ADMIN_JOBS_SYNC` run each job at once, in the submitting request, through the same
`runner.execute`.

The message only carries the job's id: the job's state, parameters and outcome are rows
(app/jobs/models.py), so any host can show them and a redelivered message runs nothing twice.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

import dramatiq
from dramatiq.brokers.stub import StubBroker
from flask import Flask
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.jobs import runner
from app.jobs.models import QUEUED, Job
from app.observability import request_id

log = logging.getLogger(__name__)
ACTOR = "run_job"
QUEUE = "jobs"
DAY_MS = 24 * 3600 * 1000  # a 1M-row export takes minutes; dramatiq's default limit is 10


def make_broker(url: str, namespace: str) -> dramatiq.Broker:
    if url.startswith(("redis://", "rediss://", "unix://")):
        from dramatiq.brokers.redis import RedisBroker

        return RedisBroker(url=url, namespace=namespace)
    if url:
        raise RuntimeError(f"ADMIN_JOB_BROKER_URL: unsupported broker {url!r}; "
                           "expected redis://host:port/db, or empty for the in-process worker")
    return StubBroker()


class Jobs:
    """app.extensions["jobs"]: the broker, the actor and the in-process worker if embedded."""

    def __init__(self, app: Flask):
        self.app = app
        self.url = app.config.get("ADMIN_JOB_BROKER_URL") or ""
        self.sync = bool(app.config.get("ADMIN_JOBS_SYNC", app.config.get("TESTING")))
        self.broker = make_broker(self.url, app.config["ADMIN_JOB_NAMESPACE"])
        # Retries middleware: only runner.Retry (a transient error) is delivered again
        self.retries = int(app.config["ADMIN_JOB_RETRIES"])
        backoff = int(app.config["ADMIN_JOB_RETRY_BACKOFF_MS"])
        self.actor = dramatiq.actor(
            broker=self.broker, actor_name=ACTOR, queue_name=QUEUE, time_limit=DAY_MS,
            max_retries=self.retries, min_backoff=backoff, max_backoff=backoff * 40,
            retry_when=_retry_when(self.retries))(self._run)
        self.embedded = not self.url
        self._worker: dramatiq.Worker | None = None
        self._lock = threading.Lock()

    def _run(self, job_id: int) -> None:
        runner.execute(self.app, job_id)

    # submitting -----------------------------------------------------------------------
    def submit(self, session: Any, kind: str, params: dict[str, Any], user_id: int | None,
               key: str | None = None, added: Callable[[Job], None] | None = None
               ) -> tuple[Job, bool]:
        """Add the job (with whatever the session holds; `added` sees the job with its id)
        and commit, then queue it. With a key already taken, nothing is added: (the existing
        job, False)."""
        job = Job(kind=kind, params=runner.params_json(params), user_id=user_id, key=key,
                  state=QUEUED, attempts=0, request_id=request_id())
        session.add(job)
        try:
            session.flush()
            if added is not None:
                added(job)
            session.commit()
        except IntegrityError:
            session.rollback()
            found = session.execute(select(Job).where(Job.key == key)).scalar_one_or_none()
            if found is None:
                raise
            return found, False
        self.enqueue(job.id)
        return job, True

    def enqueue(self, job_id: int) -> None:
        if self.sync:  # tests: a transient error runs it again at once, as often as allowed
            for _attempt in range(self.retries + 1):
                try:
                    runner.execute(self.app, job_id)
                    return
                except runner.Retry:
                    continue
            return
        if self.embedded:
            self.start_embedded()
        self.actor.send(job_id)

    # the in-process worker ------------------------------------------------------------
    def start_embedded(self) -> None:
        """Start the worker threads (and the scheduler) of the web process, once; jobs that
        were queued when the last process stopped are queued again."""
        if self._worker is not None:
            return
        with self._lock:
            if self._worker is not None:
                return
            threads = int(self.app.config["ADMIN_WORKER_THREADS"])
            self._worker = dramatiq.Worker(self.broker, worker_threads=threads)
            self._worker.start()
        from app.jobs import scheduler

        scheduler.start_thread(self.app)
        with self.app.app_context():
            from app.context import db_session

            session = db_session(self.app)
            left = session.execute(select(Job.id).where(Job.state == QUEUED)).scalars().all()
            session.rollback()
        for job_id in left:
            self.actor.send(job_id)

    def start_worker(self, threads: int) -> dramatiq.Worker:
        """The worker of `flask worker`: consumes the broker until stopped."""
        worker = dramatiq.Worker(self.broker, worker_threads=threads)
        worker.start()
        return worker

    def stop(self) -> None:
        if self._worker is not None:
            self._worker.stop()
            self._worker = None


def _retry_when(most: int) -> Callable[[int, BaseException], bool]:
    def retry_when(retries: int, exc: BaseException) -> bool:
        return isinstance(exc, runner.Retry) and retries < most
    return retry_when


def jobs(app: Flask) -> Jobs:
    return app.extensions["jobs"]  # type: ignore[no-any-return]
