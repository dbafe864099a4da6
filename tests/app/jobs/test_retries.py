"""Retries of jobs: a transient error (the database connection lost) runs the job again, a
bounded number of times, through Dramatiq's Retries middleware with a backoff; a permanent
error fails it at once; the jobs list says how many times it was tried. A job started from a
request carries that request's id into the worker (its log lines name it)."""

from __future__ import annotations

import dataclasses
from typing import Any

import dramatiq
import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from tests.app.jobs.test_import_jobs import job_rows, sign_in
from tests.app.jobs.test_import_jobs import world as world  # noqa: F401 - the fixture

RETRIES = 2


@pytest.fixture()
def flaky(world: Any, monkeypatch: pytest.MonkeyPatch) -> Any:  # noqa: F811
    """The export kind, failing its first `fails` runs with `error`; what each run saw."""
    from app.jobs.kinds import KINDS
    from app.observability import request_id

    app = world["app"]
    monkeypatch.setitem(app.config, "ADMIN_JOB_RETRIES", RETRIES)
    jobs = app.extensions["jobs"]
    monkeypatch.setattr(jobs, "retries", RETRIES)
    real = KINDS["export"]
    state: dict[str, Any] = {"fails": 1, "error": None, "runs": [], "ids": []}

    def run(ctx: Any) -> Any:
        state["runs"].append(ctx.job.attempts)
        state["ids"].append(request_id())
        if len(state["runs"]) <= state["fails"]:
            raise state["error"] or OperationalError("SELECT 1", {}, ConnectionError(
                "server closed the connection unexpectedly"))
        return real.run(ctx)

    monkeypatch.setitem(KINDS, "export", dataclasses.replace(real, run=run))
    return state


def last_job(app: Any) -> Any:
    from app.jobs.models import Job

    with app.app_context():
        session = app.appbuilder.session
        job = session.execute(select(Job).order_by(Job.id.desc()).limit(1)).scalar_one()
        session.expunge(job)
        return job


def export(client: Any, tag: str, request_id: str | None = None) -> None:
    headers = {"X-Request-ID": request_id} if request_id else {}
    response = client.get(f"/procurement/demand/export/csv?retry={tag}", headers=headers)
    assert response.headers["Location"].endswith("/jobs/")


def test_a_transient_error_is_retried_and_the_list_says_how_often(world: Any,  # noqa: F811
                                                                  flaky: Any) -> None:
    client = sign_in(world["app"])
    export(client, "once", request_id="req-retry-0001")
    job = last_job(world["app"])
    assert (job.state, job.attempts, flaky["runs"]) == ("done", 2, [1, 2])
    # the worker ran under the id of the request that submitted the job, each attempt
    assert job.request_id == "req-retry-0001" and flaky["ids"] == ["req-retry-0001"] * 2
    line = job_rows(client.get("/jobs/").text)[0]
    assert line[2] == "已完成 （已尝试 2 次）" and line[5] == "下载"


def test_a_job_failing_every_time_stops_after_the_retries(world: Any,  # noqa: F811
                                                          flaky: Any) -> None:
    flaky["fails"] = 99
    client = sign_in(world["app"])
    export(client, "always")
    job = last_job(world["app"])
    assert (job.state, job.attempts, len(flaky["runs"])) == ("failed", RETRIES + 1, RETRIES + 1)
    line = job_rows(client.get("/jobs/").text)[0]
    assert line[2] == "失败 （已尝试 3 次）"
    assert line[5] == "任务因系统错误失败，本次未写入任何数据。已尝试 3 次。"


def test_a_permanent_error_is_not_retried(world: Any, flaky: Any) -> None:  # noqa: F811
    flaky["error"] = ValueError("a bug, not the network")
    client = sign_in(world["app"])
    export(client, "bug")
    job = last_job(world["app"])
    assert (job.state, job.attempts, len(flaky["runs"])) == ("failed", 1, 1)
    line = job_rows(client.get("/jobs/").text)[0]
    assert line[2] == "失败" and line[5] == "任务因系统错误失败，本次未写入任何数据。"


def test_the_queue_delivers_a_retried_job_again_after_a_backoff(
        world: Any, flaky: Any, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    """Through a real Dramatiq worker (stub broker): the Retries middleware, not the test's
    loop, delivers the message again."""
    from app.jobs.queue import QUEUE, Jobs

    app = world["app"]
    monkeypatch.setitem(app.config, "ADMIN_JOB_RETRY_BACKOFF_MS", 10)
    monkeypatch.setitem(app.config, "ADMIN_JOBS_SYNC", False)
    queued = Jobs(app)  # the stub broker, not run in the request
    assert not queued.sync and queued.embedded
    monkeypatch.setattr(queued, "embedded", False)  # no worker threads of the web process
    monkeypatch.setitem(app.extensions, "jobs", queued)
    client = sign_in(app)
    export(client, "queued")
    job = last_job(app)
    assert job.state == "queued"
    worker = dramatiq.Worker(queued.broker, worker_threads=1)
    worker.start()
    try:
        queued.broker.join(QUEUE, timeout=60_000)
        worker.join()
    finally:
        worker.stop()
    job = last_job(app)
    assert (job.state, job.attempts, flaky["runs"]) == ("done", 2, [1, 2])
