"""Large exports as jobs: above ADMIN_EXPORT_JOB_ROWS rows, the export door submits a job
instead of streaming, and the job writes the file into storage for a download link that only
the requesting user can open (app/jobs/views.py).

The job replays the very request in the worker (its endpoint, path and arguments, with the
user signed in), so the door's own checks run again — the right to export, hidden arguments,
the scope of the list's query, field rights — and `stream_export` writes the rows to a file
instead of a response (`g.export_job`). The file holds exactly what the synchronous export
would have held at the time the job runs.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from flask import Response, current_app, flash, g, jsonify, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from flask_login import login_user
from werkzeug.wrappers import Response as BaseResponse

from app.context import generated
from app.jobs import jobs
from app.jobs.kinds import Context, Kind, Outcome, Refused, register
from app.system import settings

KIND = "export"
PROGRESS_EVERY = 1000
REFUSED = "The export could not be made: the right to export these rows is gone."


@dataclass
class Target:
    """Where the replayed export writes: set on `g.export_job` by the job."""

    progress: Any
    key: str | None = None
    name: str | None = None
    note: str | None = None  # 「仅导出前 N 条，共 M 条」 when 导出最大行数 cut it


def offload(query: Any, rows: int) -> BaseResponse | None:
    """Submit the export of `rows` rows as a job when it has too many; None to stream it."""
    limit = int(current_app.config["ADMIN_EXPORT_JOB_ROWS"])
    most = settings.value("export_row_limit")  # 参数设置 导出最大行数; 0: every row
    if (min(rows, int(most)) if most else rows) <= limit:
        return None
    args = request.query_string.decode("utf-8")
    digest = hashlib.sha1(f"{request.path}?{args}".encode()).hexdigest()[:16]
    minute = dt.datetime.now().strftime("%Y%m%d%H%M")  # a double click is one job
    params = {"endpoint": request.endpoint, "path": request.path, "args": args,
              "view_args": request.view_args or {}}
    session = generated().session
    job, _new = jobs(current_app).submit(session, KIND, params, g.user.id,
                                         f"export:{g.user.id}:{digest}:{minute}")
    if request.path.startswith("/api/"):
        answer = jsonify({"job": job.id, "state": job.state,
                          "jobs_url": url_for("JobsView.mine"),
                          "status_url": url_for("JobsView.status", job_id=job.id)})
        answer.status_code = 202
        return answer
    flash(_("More than %(limit)s rows: the export runs in the background. Download it here "
            "when it is done.", limit=limit), "info")
    return redirect(url_for("JobsView.mine"))


def counted(lines: Iterable[Any], progress: Any) -> Iterator[Any]:
    """The lines, telling the job's progress every PROGRESS_EVERY rows and at the end."""
    number = 0
    for number, line in enumerate(lines, start=1):
        if number % PROGRESS_EVERY == 0:
            progress(number)
        yield line
    progress(number)


def write(target: Target, headers: list[str], lines: Iterable[Any], title: str,
          file_name: str, percent: list[int], fmt: str,
          chunks: Callable[[Any], Iterable[bytes]] | None = None) -> Response:
    """The rows into storage (the job's file); the response only says so. `chunks`: the
    CSV's bytes made by the database, given the progress to tell (the download's stream)."""
    from app.io.export import csv_lines, write_lines_xlsx

    rows = counted(lines, target.progress)
    if fmt == "csv":
        handle, path = tempfile.mkstemp(suffix=".csv")
        body = chunks(target.progress) if chunks is not None else csv_lines(headers, rows)
        with os.fdopen(handle, "wb") as out:
            for chunk in body:
                out.write(chunk)
    else:
        path = write_lines_xlsx(headers, rows, title, percent)
    try:
        with open(path, "rb") as stream:
            target.key, _size = generated().storage.save(stream, file_name)
    finally:
        os.remove(path)
    target.name = file_name
    return Response(status=204)


def _run(ctx: Context) -> Outcome:
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    params = ctx.params
    target = Target(ctx.progress)
    with app.test_request_context(params["path"], query_string=params["args"]):
        login_user(ctx.user)
        g.user = ctx.user
        g.export_job = target
        app.view_functions[params["endpoint"]](**params["view_args"])
    if target.key is None:  # the door answered otherwise: the user lost the right meanwhile
        raise Refused(REFUSED)
    return Outcome(result_file=target.key, result_name=target.name, note=target.note)


register(Kind(KIND, lazy_gettext("Export"), _run))
