"""The schedules: every worker process (and the embedded web process) ticks; each tick fails
the jobs whose worker died and fires the schedules that are due.

A fire is claimed by inserting its row of `job_schedule_run`, unique on (schedule, planned
time), together with its job: of two schedulers ticking at once one insert wins, the other
meets the unique constraint and fires nothing. A planned time is fired only while it is
recent (ADMIN_SCHEDULE_CATCH_UP_SECONDS): a fire missed while no worker ran is skipped,
not made up later.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
import time
from typing import Any

from croniter import croniter
from flask import Flask
from flask_babel import lazy_gettext
from sqlalchemy import select, update

from app.context import db_session, end_session, generated
from app.jobs import runner
from app.jobs.actions import FUNCTIONS
from app.jobs.kinds import Context, Kind, register
from app.jobs.models import DONE, FAILED, RUNNING, Job, ScheduleRun
from app.jobs.queue import jobs
from generator.spec import Schedule

log = logging.getLogger(__name__)
KIND = "schedule"


def planned_time(schedule: Schedule, now: dt.datetime) -> dt.datetime:
    """The schedule's latest planned time at or before `now`."""
    at = now.replace(second=0, microsecond=0)
    if croniter.match(schedule.cron, at):
        return at
    return croniter(schedule.cron, at).get_prev(dt.datetime)  # type: ignore[no-any-return]


def schedules(app: Flask) -> list[Schedule]:
    return [s for m in generated(app).spec.modules for s in m.schedules]


def fire_due(app: Flask, session: Any, now: dt.datetime | None = None) -> list[int]:
    """Claim and submit every due schedule's fire; the ids of the runs this call claimed."""
    now = now or dt.datetime.now()
    window = dt.timedelta(seconds=float(app.config["ADMIN_SCHEDULE_CATCH_UP_SECONDS"]))
    claimed = []
    for schedule in schedules(app):
        planned = planned_time(schedule, now)
        if now - planned > window:
            continue
        run = ScheduleRun(schedule=schedule.qualified, action=schedule.action,
                          planned_at=planned, host=runner.worker_name())
        session.add(run)

        def added(job: Job, run: ScheduleRun = run) -> None:
            run.job_id = job.id

        key = f"schedule:{schedule.qualified}:{planned:%Y%m%d%H%M}"
        _job, new = jobs(app).submit(session, KIND, {"schedule": schedule.qualified}, None,
                                     key, added)
        if new:
            claimed.append(run.id)
    return claimed


def _run(ctx: Context) -> None:
    session = ctx.session
    run = session.execute(select(ScheduleRun).where(ScheduleRun.job_id == ctx.job.id)
                          ).scalar_one()
    schedule = next(s for s in schedules(_app()) if s.qualified == run.schedule)
    run.state, run.started_at = RUNNING, dt.datetime.now()
    counts = FUNCTIONS[schedule.action](session, dict(schedule.params))
    run = session.get(ScheduleRun, run.id)  # the action may have committed
    run.state, run.finished_at = DONE, dt.datetime.now()
    run.counts = json.dumps(counts, ensure_ascii=False)


def _failed(session: Any, job: Job) -> None:
    reason = session.execute(select(Job.reason).where(Job.id == job.id)).scalar_one()
    session.execute(update(ScheduleRun).where(ScheduleRun.job_id == job.id).values(
        state=FAILED, reason=reason, finished_at=dt.datetime.now()))


def _app() -> Flask:
    from flask import current_app

    return current_app._get_current_object()  # type: ignore[attr-defined, no-any-return]


register(Kind(KIND, lazy_gettext("Scheduled job"), _run, _failed))


def tick(app: Flask, now: dt.datetime | None = None) -> list[int]:
    with app.app_context():
        session = db_session(app)
        try:
            runner.sweep_stale(app, session)
            return fire_due(app, session, now)
        finally:
            end_session(app)


def loop(app: Flask, stop: threading.Event) -> None:
    interval = float(app.config["ADMIN_SCHEDULER_TICK_SECONDS"])
    while not stop.is_set():
        started = time.monotonic()
        try:
            tick(app)
        except Exception:  # noqa: BLE001 - the next tick tries again
            log.exception("scheduler tick")
        stop.wait(max(0.0, interval - (time.monotonic() - started)))


def start_thread(app: Flask) -> threading.Event:
    stop = threading.Event()
    threading.Thread(target=loop, args=(app, stop), daemon=True, name="scheduler").start()
    return stop
