"""Export, template and import doors of the generated screens and REST APIs.

Both doors build their rows with the list's own query (FAB filters + base filters, where the
scope filter sits) and their columns with app.io.columns (field rights), so an export holds
exactly what the list shows; imports go through app.io.importer with the same scope.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Iterable
from typing import Any

import prison
from flask import (
    Response,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    request,
    url_for,
)
from flask_appbuilder import expose, has_access
from flask_appbuilder.api import expose as api_expose
from flask_appbuilder.api import protect, safe
from flask_appbuilder.urltools import get_filter_args, get_order_args
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response as BaseResponse

from app import list_count
from app.audit import trail
from app.context import db_session, flask_app
from app.io import export_jobs, export_rows, runs
from app.io.columns import columns
from app.io.downloads import csv_download, xlsx_download
from app.io.export import XLSX, batched, column_lines, disposition, percent_columns
from app.io.importer import Importer
from app.io.models import ImportRun
from app.io.template import build_error_report, build_template
from app.jobs import runner
from app.jobs.models import Job
from app.labels import current_locale, render
from app.system import settings

IMPORT_SUFFIXES = (".xlsx", ".csv")


def _file_name(entity: Any, suffix: str) -> str:
    return f"{entity.label.get(current_locale())}_{dt.date.today():%Y%m%d}{suffix}"


def _eager(query: Any, model: type, entity: Any) -> Any:
    """Load referenced rows by the batch, not one query per exported row."""
    names = [f.name for f in entity.fields if f.kind.refers]
    names += ["org"] if entity.org_scoped else []
    return query.options(*(selectinload(getattr(model, n)) for n in names))


def stream_export(entity: Any, model: type, query: Any, names: list[str] | None, fmt: str
                  ) -> BaseResponse:
    """The export of a door: streamed, or (above ADMIN_EXPORT_JOB_ROWS rows) submitted as a
    job; inside that job (g.export_job), written to its file."""
    target = g.get("export_job")
    limit = int(settings.value("export_row_limit") or 0)  # 参数设置 导出最大行数; 0: every row
    total = query.order_by(None).count() if target is None or limit else 0
    if target is None and (offloaded := export_jobs.offload(query, total)) is not None:
        return offloaded
    cols = columns(entity, names)
    headers = [c.header for c in cols]
    cut = export_cut(limit, total)
    if target is not None:
        target.note = cut
    rows = export_rows.plan(entity, model, cols, render())
    chunks: Any = None
    lines: Iterable[Any]
    if rows is None:  # a column only the ORM row can give
        limited = query.limit(limit) if limit else query
        lines = column_lines(cols, batched(_eager(limited, model, entity)))
    else:
        lines = rows.lines(query, limit or None)
        if fmt == "csv" and rows.copyable and _copies(query):
            def chunks(progress: Any = None) -> Any:
                return rows.csv_chunks(query, limit or None, progress)
    suffix = ".csv" if fmt == "csv" else ".xlsx"
    title = entity.label.get(current_locale())
    if target is not None:
        return export_jobs.write(target, headers, lines, title, _file_name(entity, suffix),
                                 percent_columns(cols), fmt, chunks)
    if fmt == "csv":
        response = csv_download(headers, lines, _file_name(entity, ".csv"),
                                chunks() if chunks is not None else None)
    else:
        response = xlsx_download(headers, lines, title, _file_name(entity, ".xlsx"),
                                 percent_columns(cols))
    if cut:  # a REST caller reads it here; the list said so before the download
        response.headers["X-Export-Rows"] = str(limit)
        response.headers["X-Total-Count"] = str(total)
    return response


def export_cut(limit: int, total: int) -> str | None:
    """「仅导出前 N 条，共 M 条」 when 导出最大行数 cuts the export; None if it holds all."""
    if not limit or total <= limit:
        return None
    shown: Any = total
    if getattr(total, "estimated", False):  # the list's 「约 10 万条」 (app/list_count.py)
        shown = _("about %(count)s", count=list_count.about(total, current_locale()))
    return _("Only the first %(limit)s of %(total)s rows are exported (the most an export "
             "holds, in the settings).", limit=limit, total=shown)


def _copies(query: Any) -> bool:
    """PostgreSQL through psycopg: the database writes the CSV lines (COPY)."""
    dialect = query.session.get_bind().dialect
    return bool(dialect.name == "postgresql" and dialect.driver == "psycopg")


def _template_response(entity: Any) -> Response:
    data = build_template(entity, columns(entity, for_import=True))
    response = Response(data, mimetype=XLSX)
    suffix = _("import template")
    response.headers["Content-Disposition"] = disposition(
        f"{entity.label.get(current_locale())}_{suffix}.xlsx")
    return response


class ViewIO:
    """Mixed into GeneratedModelView."""

    entity: Any
    datamodel: Any
    _filters: Any
    _base_filters: Any
    base_order: Any
    appbuilder: Any
    list_columns: Any
    class_permission_name: str
    render_template: Any

    def io_links(self, count: int | None = None) -> dict[str, Any]:
        """The list's 导出/导入 links, and (`cut`) what 导出最大行数 leaves out of the `count`
        rows listed, said before the download."""
        sm = self.appbuilder.sm
        name = self.class_permission_name
        args: dict[str, Any] = request.args.to_dict(flat=False)
        links: dict[str, Any] = {}
        if sm.has_access("can_export", name):
            links["xlsx"] = url_for(".export_file", fmt="xlsx", **args)
            links["csv"] = url_for(".export_file", fmt="csv", **args)
            if count is not None:
                links["cut"] = export_cut(int(settings.value("export_row_limit") or 0), count)
        if sm.has_access("can_import", name):
            links["template"] = url_for(".import_template")
            links["import"] = url_for(".import_page")
        return links

    def list_query(self) -> Any:
        """The list's query without paging: search, filters, order, scope."""
        get_filter_args(self._filters)
        joined = self._filters.get_joined_filters(self._base_filters)
        order = get_order_args().get(self.__class__.__name__) or self.base_order or ("", "")
        query = self.datamodel.session.query(self.datamodel.obj)
        return self.datamodel.apply_all(query, joined, order[0], order[1])

    @expose("/export/<fmt>")
    @has_access
    def export_file(self, fmt: str) -> Any:
        if fmt not in ("csv", "xlsx"):
            abort(404)
        self._refuse_hidden_arguments()  # type: ignore[attr-defined]
        return stream_export(self.entity, self.datamodel.obj, self.list_query(),
                             list(self.list_columns), fmt)

    @expose("/import/template")
    @has_access
    def import_template(self) -> Any:
        return _template_response(self.entity)

    @expose("/import/", methods=["GET", "POST"])
    @has_access
    def import_page(self) -> Any:
        if request.method == "POST":
            upload = request.files.get("file")
            if upload is None or not upload.filename:
                flash(_("Choose a file to import."), "danger")
            elif not upload.filename.lower().endswith(IMPORT_SUFFIXES):
                flash(_("Only .xlsx and .csv files can be imported."), "danger")
            else:
                run_id = self._new_run(upload)
                return redirect(url_for(".import_status_page", run_id=run_id))
        return self.render_template("admin/import.html", title=_("Import"), run=None,
                                    entity_label=self.entity.label.get(current_locale()),
                                    template_url=url_for(".import_template"),
                                    list_url=url_for(".list"), submit_key=uuid.uuid4().hex)

    def _new_run(self, upload: Any) -> int:
        """Store the file and submit its check; the same form sent twice (a double click
        carries the same submit_key) is one run."""
        app = flask_app()
        token = (request.form.get("submit_key") or "")[:64]
        key = f"import:upload:{g.user.id}:{token}" if token else None
        stored = runs.save_upload(app, upload.stream, upload.filename)
        run = ImportRun(entity=self.entity.qualified, user_id=g.user.id,
                        org_id=getattr(g.user, "org_id", None), file_name=upload.filename,
                        stored=stored, status="validating",
                        clear_blanks=request.form.get("clear_blanks") == "1")
        session = self.datamodel.session
        session.add(run)
        job, submitted = runs.start(app, session, run, commit=False, key=key)
        if submitted:
            return run.id
        os.remove(os.path.join(runs.folder(app), stored))
        earlier = runs.run_of(session, job)
        if earlier is None or earlier.user_id != g.user.id:
            abort(409)
        return earlier.id

    def _run(self, run_id: int) -> ImportRun:
        run = self.datamodel.session.get(ImportRun, run_id)
        if run is None or run.user_id != g.user.id or run.entity != self.entity.qualified:
            abort(404)
        self.datamodel.session.refresh(run)
        return run

    @expose("/import/<int:run_id>")
    @has_access
    def import_status_page(self, run_id: int) -> Any:
        run = self._run(run_id)
        errors = runs.load_errors(current_app, run)[:200] if run.status == "invalid" else []
        return self.render_template("admin/import.html", title=_("Import"), run=run,
                                    errors=errors, status=_status(run), reason=_reason(run),
                                    entity_label=self.entity.label.get(current_locale()),
                                    template_url=url_for(".import_template"),
                                    list_url=url_for(".list"))

    @expose("/import/<int:run_id>/status")
    @has_access
    def import_status(self, run_id: int) -> Any:
        run = self._run(run_id)
        return jsonify(_status(run))

    @expose("/import/<int:run_id>/commit", methods=["POST"])
    @has_access
    def import_commit(self, run_id: int) -> Any:
        run = self._run(run_id)
        if run.status in ("importing", "done"):  # a second click: the first one's run
            return redirect(url_for(".import_status_page", run_id=run.id))
        if run.status != "valid":
            abort(409)
        run.status = "importing"
        runs.start(flask_app(), self.datamodel.session, run, commit=True)
        return redirect(url_for(".import_status_page", run_id=run.id))

    @expose("/import/<int:run_id>/errors")
    @has_access
    def import_errors(self, run_id: int) -> Any:
        run = self._run(run_id)
        data = build_error_report(runs.load_errors(current_app, run))
        response = Response(data, mimetype=XLSX)
        suffix = _("errors")
        response.headers["Content-Disposition"] = disposition(
            f"{os.path.splitext(run.file_name)[0]}_{suffix}.xlsx")
        return response


def _job(run: ImportRun) -> Job | None:
    """The run's latest pass, failed first if its worker died."""
    if run.job_id is None:
        return None
    session = db_session()
    job = session.get(Job, run.job_id)
    if job is None:
        return None
    runner.refresh(current_app, session, job)
    session.refresh(run)
    return job


def _reason(run: ImportRun) -> str | None:
    job = _job(run) if run.status == "failed" else None
    return job.reason if job is not None else None


def _status(run: ImportRun) -> dict[str, Any]:
    job = _job(run)
    processed = run.processed or 0
    if job is not None and run.status in ("validating", "importing"):  # this pass's count
        processed = runner.progress_of(current_app, job)
    return {"status": run.status, "rows": run.rows, "processed": processed,
            "created": run.created, "updated": run.updated, "unchanged": run.unchanged or 0,
            "errors": run.error_count}


VIEW_IO_METHODS = {"export_file": "export", "import_template": "import",
                   "import_page": "import", "import_status_page": "import",
                   "import_status": "import", "import_commit": "import",
                   "import_errors": "import"}
API_IO_METHODS = {"export": "export", "import_rows": "import", "template": "import"}


class ApiIO:
    """Mixed into GeneratedRestApi: /export, /template and a synchronous /import."""

    entity: Any
    datamodel: Any
    list_columns: Any

    @api_expose("/export", methods=["GET"])
    @protect()
    @safe
    def export(self) -> Any:
        """Export the rows the caller may see, as csv or xlsx.
        ---
        get:
          parameters:
          - in: query
            name: format
            schema: {type: string, enum: [csv, xlsx]}
          - in: query
            name: q
            content:
              application/json:
                schema: {$ref: '#/components/schemas/get_list_schema'}
          responses:
            200: {description: the file}
            400: {$ref: '#/components/responses/400'}
        """
        fmt = request.args.get("format", "xlsx")
        if fmt not in ("csv", "xlsx"):
            return self.response_400(message=_("format must be csv or xlsx"))  # type: ignore
        try:
            args = prison.loads(request.args.get("q", "()"))
        except Exception:  # noqa: BLE001 - the caller's syntax
            return self.response_400(message=_("Not a valid rison argument"))  # type: ignore
        hidden = self.hidden_in(args)  # type: ignore[attr-defined]
        if hidden:
            return self.response_400(message=_("Unknown field; allowed: %(fields)s.",  # type: ignore
                                               fields=", ".join(sorted(hidden))))
        joined = self._handle_filters_args(args)  # type: ignore[attr-defined]
        order = (args.get("order_column", ""), args.get("order_direction", ""))
        query = self.datamodel.session.query(self.datamodel.obj)
        query = self.datamodel.apply_all(query, joined, *order)
        names = [c for c in self.list_columns if c != "id"]
        return stream_export(self.entity, self.datamodel.obj, query, names, fmt)

    @api_expose("/template", methods=["GET"])
    @protect()
    @safe
    def template(self) -> Any:
        """The import template of this resource (xlsx).
        ---
        get:
          responses:
            200: {description: the template}
        """
        return _template_response(self.entity)

    @api_expose("/import", methods=["POST"])
    @protect()
    @safe
    def import_rows(self) -> Any:
        """Import rows from an uploaded .xlsx or .csv (form field `file`); all or nothing.
        `dry_run=1` only checks.
        ---
        post:
          responses:
            200: {description: imported or checked}
            422: {$ref: '#/components/responses/422'}
        """
        upload = request.files.get("file")
        if upload is None or not (upload.filename or "").lower().endswith(IMPORT_SUFFIXES):
            return self.response_400(message=_("Only .xlsx and .csv files can be imported."))  # type: ignore
        app = flask_app()
        stored = runs.save_upload(app, upload.stream, upload.filename or "file")
        path = os.path.join(runs.folder(app), stored)
        dry_run = request.args.get("dry_run") in ("1", "true")
        clear_blanks = request.args.get("clear_blanks") in ("1", "true")
        admin = app.extensions["admin"]
        session = self.datamodel.session
        try:
            importer = Importer(admin, self.entity, g.user, session, clear_blanks=clear_blanks)
            result = importer.run(path, write=not dry_run)
            if result.ok and not dry_run:
                session.add(ImportRun(entity=self.entity.qualified, user_id=g.user.id,
                                      org_id=getattr(g.user, "org_id", None),
                                      file_name=upload.filename, stored=stored, status="done",
                                      rows=result.rows, processed=result.rows,
                                      created=result.created, updated=result.updated,
                                      finished_at=dt.datetime.now()))
                trail.record(session, "import", entity=self.entity.qualified, changes={
                    "file": upload.filename, "rows": result.rows, "created": result.created,
                    "updated": result.updated, "unchanged": result.unchanged,
                    "clear_blanks": clear_blanks})
                session.commit()
            else:
                session.rollback()
        finally:
            os.remove(path)
        body = {"rows": result.rows, "created": result.created, "updated": result.updated,
                "unchanged": result.unchanged,
                "dry_run": dry_run, "errors": [
                    {"row": 1, "column": "", "message": m} for m in result.header_errors] + [
                    {"row": e.row, "column": e.column, "message": e.message}
                    for e in result.errors], "error_count": result.error_count}
        return self.response(200 if result.ok else 422, **body)  # type: ignore[attr-defined]
