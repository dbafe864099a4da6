"""Running imports off the request: validate, then (when asked) commit, with progress.

A web worker only stores the file and starts the run; the work happens in a thread of the
process with its own session, and the page polls the run's progress. Tests (and
ADMIN_IMPORT_SYNC) run it inline.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from flask import Flask, current_app

from app.audit import trail
from app.context import db_session, end_session, generated, security
from app.io.importer import Importer, Result, RowError
from app.io.models import ImportRun

log = logging.getLogger(__name__)
_executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="import")
# Rows processed per run, for this process's pages. SQLite allows one writer, so while an
# import holds its transaction the count cannot go through the database there.
PROGRESS: dict[int, int] = {}


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


def start(app: Flask, run_id: int, commit: bool) -> None:
    if app.config.get("TESTING") or app.config.get("ADMIN_IMPORT_SYNC"):
        _work(app, run_id, commit)
    else:
        _executor.submit(_work, app, run_id, commit)


def _work(app: Flask, run_id: int, commit: bool) -> None:
    with app.app_context(), app.test_request_context():
        session = db_session(app)
        run = session.get(ImportRun, run_id)
        assert run is not None
        user = security(app).get_user_by_id(run.user_id)
        admin = generated(app)
        entity = admin.spec.entity(run.entity)
        path = os.path.join(folder(app), run.stored)

        engine: Any = session.get_bind()

        def progress(done: int) -> None:
            PROGRESS[run_id] = done
            if engine.dialect.name != "sqlite":  # other workers' pages read it from here
                with engine.begin() as conn:
                    conn.execute(ImportRun.__table__.update().where(ImportRun.id == run_id)
                                 .values(processed=done))

        try:
            importer = Importer(admin, entity, user, session,
                                clear_blanks=bool(run.clear_blanks))
            result = importer.run(path, write=commit, progress=progress)
            if commit and not result.ok:
                session.rollback()
            _finish(app, session, run_id, result, commit, user)
        except Exception:
            log.exception("import %s failed", run_id)
            session.rollback()
            session.query(ImportRun).filter_by(id=run_id).update(
                {"status": "failed", "finished_at": dt.datetime.now()})
            session.commit()
        finally:
            end_session(app)


def _finish(app: Flask, session: Any, run_id: int, result: Result, commit: bool,
            user: Any) -> None:
    run = session.get(ImportRun, run_id)
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
    session.commit()  # the rows of a commit pass and the run's record, together
    if commit and result.ok:
        os.remove(os.path.join(folder(app), run.stored))


def current_folder() -> str:
    return folder(current_app)
