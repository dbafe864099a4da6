"""Imports as jobs: validate, then (when asked) commit, with progress in the job's row.

A web request only stores the file, adds the import's run (app/io/models.py ImportRun) and
submits a job (app/jobs); a worker validates or commits it. Each pass has its own job key, so
a double click submits one pass. The commit pass writes every row, the run's record and the
job's end in one transaction: a worker killed mid-import leaves no row behind, and the stale
sweep marks the job and the run failed (app/jobs/runner.py).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import os
import uuid
from typing import Any

from flask import Flask, current_app, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from sqlalchemy import select, update

from app.audit import trail
from app.context import db_session, generated
from app.forms import endpoint_for
from app.io.importer import Importer, Result, RowError
from app.io.models import ImportRun
from app.jobs import jobs
from app.jobs.kinds import Context, Kind, Shown, register
from app.jobs.models import DONE, Job
from app.labels import current_locale

log = logging.getLogger(__name__)
KIND = "import"


def folder(app: Flask) -> str:
    path = app.config.get("ADMIN_IMPORT_FOLDER") or os.path.join(app.instance_path, "imports")
    os.makedirs(path, exist_ok=True)
    return path


def errors_path(app: Flask, run: ImportRun) -> str:
    return os.path.join(folder(app), f"{run.stored}.errors.json")


def save_upload(app: Flask, stream: Any, file_name: str) -> str:
    ext = os.path.splitext(file_name)[1].lower()
    stored = uuid.uuid4().hex + (ext if ext in (".xlsx", ".csv") else "")
    with open(os.path.join(folder(app), stored), "wb") as out:
        while chunk := stream.read(1024 * 1024):
            out.write(chunk)
    return stored


def load_errors(app: Flask, run: ImportRun) -> list[RowError]:
    try:
        with open(errors_path(app, run), encoding="utf-8") as fh:
            return [RowError(*e) for e in json.load(fh)]
    except FileNotFoundError:
        return []


def job_key(run_id: int, commit: bool) -> str:
    return f"import:{run_id}:{'commit' if commit else 'check'}"


def start(app: Flask, session: Any, run: ImportRun, commit: bool,
          key: str | None = None) -> tuple[Job, bool]:
    """Submit a pass over the run's file (committing what the session holds with it);
    (the job, False) when the key was taken already: nothing new was added."""
    session.flush()

    def added(job: Job) -> None:
        run.job_id = job.id

    return jobs(app).submit(session, KIND, {"run": run.id, "commit": commit}, run.user_id,
                            key or job_key(run.id, commit), added)


def run_of(session: Any, job: Job) -> ImportRun | None:
    return session.get(ImportRun, json.loads(job.params).get("run"))


def _run(ctx: Context) -> None:
    session, commit = ctx.session, bool(ctx.params["commit"])
    run = session.get(ImportRun, ctx.params["run"])
    assert run is not None
    admin = generated()
    entity = admin.spec.entity(run.entity)
    path = os.path.join(folder(current_app), run.stored)
    importer = Importer(admin, entity, ctx.user, session, clear_blanks=bool(run.clear_blanks))
    result = importer.run(path, write=commit, progress=ctx.progress)
    if commit and not result.ok:
        session.rollback()
    _finish(current_app, session, run, result, commit, ctx.user)


def _failed(session: Any, job: Job) -> None:
    run_id = json.loads(job.params).get("run")
    session.execute(update(ImportRun).where(ImportRun.id == run_id).values(
        status="failed", finished_at=dt.datetime.now()))


def _finish(app: Flask, session: Any, run: ImportRun, result: Result, commit: bool,
            user: Any) -> None:
    run = session.get(ImportRun, run.id)
    run.rows, run.error_count = result.rows, result.error_count + len(result.header_errors)
    run.created, run.updated = result.created, result.updated
    run.unchanged = result.unchanged
    run.processed = result.rows
    if not result.ok:
        run.status = "invalid"
    else:
        run.status = "done" if commit else "valid"
    run.finished_at = dt.datetime.now()
    errors = [RowError(1, "", e) for e in result.header_errors] + result.errors
    with open(errors_path(app, run), "w", encoding="utf-8") as fh:
        json.dump([[e.row, e.column, e.message] for e in errors], fh, ensure_ascii=False)
    if commit and result.ok:
        trail.record(session, "import", entity=run.entity, user=user,
                     changes={"file": run.file_name, "rows": result.rows,
                              "created": result.created, "updated": result.updated,
                              "unchanged": result.unchanged,
                              "clear_blanks": bool(run.clear_blanks)})
    # the runner commits the rows of a commit pass, the run's record and the job's end


def remove_file(app: Flask, run: ImportRun) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.remove(os.path.join(folder(app), run.stored))


def current_folder() -> str:
    return folder(current_app)


def _imported(job: Job) -> None:
    params = json.loads(job.params)
    if params.get("commit"):
        session = db_session()
        run = session.get(ImportRun, params.get("run"))
        if run is not None and run.status == "done":
            remove_file(current_app, run)


def _describe(session: Any, shown: list[Job]) -> dict[int, Shown]:
    """导入：<entity>（<file>） and what the pass found: a check's verdict, an import's counts;
    the run's page tells more."""
    ids = {job.id: json.loads(job.params).get("run") for job in shown}
    found = {r.id: r for r in session.execute(select(ImportRun).where(
        ImportRun.id.in_([i for i in ids.values() if i is not None]))).scalars()}
    spec = generated().spec
    out: dict[int, Shown] = {}
    for job in shown:
        run = found.get(ids[job.id])
        if run is None:
            continue
        label = spec.entity(run.entity).label.get(current_locale())
        name = _("Import: %(entity)s (%(file)s)", entity=label, file=run.file_name)
        link = url_for(f"{endpoint_for(spec.entity(run.entity))}.import_status_page",
                       run_id=run.id)
        result = ""
        if job.state == DONE:
            if run.status == "invalid":
                result = _("%(errors)s problem(s) found: nothing was imported.",
                           errors=run.error_count)
            elif not json.loads(job.params).get("commit"):
                result = (_("Checked: all %(rows)s rows are correct; the import waits for "
                            "your confirmation.", rows=run.rows) if run.status == "valid"
                          else _("Checked: all %(rows)s rows are correct.", rows=run.rows))
            else:
                result = _("Imported: %(created)s new, %(updated)s updated, %(unchanged)s "
                           "unchanged.", created=run.created, updated=run.updated,
                           unchanged=run.unchanged or 0)
        out[job.id] = Shown(name, result, link)
    return out


register(Kind(KIND, lazy_gettext("Import"), _run, _failed, _imported, describe=_describe))
