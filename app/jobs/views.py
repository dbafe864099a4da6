"""导入/导出任务 (the signed-in user's own jobs, from the user menu) and the download of a
finished export, which only the job's own user may open."""

from __future__ import annotations

from typing import Any

from flask import abort, g, jsonify, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_babel import lazy_gettext
from sqlalchemy import select

from app.context import db_session, generated
from app.jobs import runner
from app.jobs.kinds import KINDS
from app.jobs.models import DONE, FAILED, QUEUED, RUNNING, Job
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


# the kinds the user's list shows (schedules are the administrators' run log)
SHOWN = ("import", "export")


def _mimetype(job: Job) -> str:
    from app.io.export import XLSX

    return "text/csv" if (job.result_name or "").endswith(".csv") else XLSX


def init_app(appbuilder: Any) -> None:
    appbuilder.add_view_no_menu(JobsView)
