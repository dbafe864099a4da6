"""导入/导出任务 (the signed-in user's own jobs, from the user menu) and the download of a
finished export, which only the job's own user may open."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from croniter import croniter
from flask import abort, g, jsonify, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from sqlalchemy import select

from app.context import db_session, generated
from app.jobs import runner
from app.jobs.kinds import KINDS, Shown
from app.jobs.models import DONE, FAILED, QUEUED, RUNNING, Job, ScheduleRun
from app.labels import current_locale
from app.security.duties import SCHEDULE_MENU, SCHEDULE_VIEW
from app.security.headers import send_attachment

PAGE = 50
STATE_LABELS = {QUEUED: lazy_gettext("Queued"), RUNNING: lazy_gettext("Running"),
                DONE: lazy_gettext("Done"), FAILED: lazy_gettext("Failed")}


def _signed_in() -> bool:
    return bool(getattr(g, "user", None) is not None and g.user.is_authenticated)


def own_job(job_id: int) -> Job:
    """The signed-in user's job; anybody else's is not found (not even that it exists)."""
    session = db_session()
    job = session.get(Job, job_id)
    if job is None or job.user_id != g.user.id:
        abort(404)
    return runner.refresh(generated_app(), session, job)


def generated_app() -> Any:
    from flask import current_app

    return current_app._get_current_object()  # type: ignore[attr-defined]


class JobsView(BaseView):
    """导入/导出任务: every signed-in user, their own jobs only."""

    route_base = "/jobs"
    default_view = "mine"

    @expose("/")
    def mine(self) -> Any:
        if not _signed_in():
            return redirect(self.appbuilder.get_url_for_login)
        session, app = db_session(), generated_app()
        page = max(1, request.args.get("page", 1, type=int))
        rows = session.execute(
            select(Job).where(Job.user_id == g.user.id, Job.kind.in_(list(SHOWN)))
            .order_by(Job.id.desc()).offset((page - 1) * PAGE).limit(PAGE + 1)).scalars().all()
        for job in rows:
            if job.state == RUNNING:
                runner.refresh(app, session, job)
        shown = [(job, runner.progress_of(app, job)) for job in rows[:PAGE]]
        return self.render_template(
            "admin/jobs.html", title=lazy_gettext("Import and export jobs"), rows=shown,
            page=page, more=len(rows) > PAGE, kinds={k: v.label for k, v in KINDS.items()},
            described=described(session, list(rows[:PAGE])),
            states=STATE_LABELS, busy=any(j.state in (QUEUED, RUNNING) for j, _ in shown))

    @expose("/<int:job_id>/status")
    def status(self, job_id: int) -> Any:
        if not _signed_in():
            abort(401)
        job = own_job(job_id)
        return jsonify({"job": job.id, "state": job.state, "label": str(STATE_LABELS[job.state]),
                        "progress": runner.progress_of(generated_app(), job),
                        "reason": job.reason, "download_url": url_for(
                            ".download", job_id=job.id) if job.result_file else None})

    @expose("/<int:job_id>/download")
    def download(self, job_id: int) -> Any:
        if not _signed_in():
            return redirect(self.appbuilder.get_url_for_login)
        job = own_job(job_id)
        if job.state != DONE or not job.result_file:
            abort(404)
        stream = generated().storage.open(job.result_file)
        return send_attachment(stream, job.result_name or "export", _mimetype(job))


def described(session: Any, rows: list[Job]) -> dict[int, Shown]:
    """Each kind's words for its jobs of the page (app/jobs/kinds.py Kind.describe)."""
    out: dict[int, Shown] = {}
    for name, kind in KINDS.items():
        mine = [job for job in rows if job.kind == name]
        if mine and kind.describe is not None:
            out.update(kind.describe(session, mine))
    return out


# the kinds the user's list shows (schedules are the administrators' run log)
SHOWN = ("import", "export")


def _mimetype(job: Job) -> str:
    from app.io.export import XLSX

    return "text/csv" if (job.result_name or "").endswith(".csv") else XLSX


class ScheduleRunsView(BaseView):
    """系统管理 → 定时任务: the schedules of the YAML and the log of their runs."""

    route_base = "/system/schedules"
    class_permission_name = SCHEDULE_VIEW
    method_permission_name = {"list": "list"}
    base_permissions = ["can_list"]
    default_view = "list"

    @expose("/")
    @has_access
    def list(self) -> Any:
        from app.jobs.actions import COUNT_LABELS
        from app.jobs.scheduler import schedules

        session, app = db_session(), generated_app()
        page = max(1, request.args.get("page", 1, type=int))
        rows = session.execute(select(ScheduleRun).order_by(ScheduleRun.id.desc())
                               .offset((page - 1) * PAGE).limit(PAGE + 1)).scalars().all()
        defined = schedules(app)
        labels = {s.qualified: s.label.get(current_locale()) for s in defined}
        now = dt.datetime.now()
        upcoming = [(s, croniter(s.cron, now).get_next(dt.datetime)) for s in defined]
        shown = [(run, _counts(run, COUNT_LABELS), _duration(run)) for run in rows[:PAGE]]
        return self.render_template(
            "admin/schedule_runs.html", title=lazy_gettext("Scheduled jobs"), rows=shown,
            upcoming=upcoming, labels=labels, states=STATE_LABELS, page=page,
            more=len(rows) > PAGE)


def _counts(run: ScheduleRun, labels: dict[str, Any]) -> str:
    counts = json.loads(run.counts or "{}")
    return "；".join(f"{labels.get(k, k)} {v}" for k, v in counts.items())


def _duration(run: ScheduleRun) -> str:
    if run.started_at is None or run.finished_at is None:
        return ""
    seconds = (run.finished_at - run.started_at).total_seconds()
    return _("%(seconds)s s", seconds=f"{seconds:.1f}")


def init_app(appbuilder: Any) -> None:
    appbuilder.add_view_no_menu(JobsView)
    appbuilder.add_view(ScheduleRunsView, SCHEDULE_MENU, label=lazy_gettext("Scheduled jobs"),
                        category="system_admin", icon="fa-clock-o")
