"""Summaries (汇总): an entity's numbers summed per group, within the viewer's data range.

One aggregate query per request: SELECT dims [, org], SUM(x)..., COUNT(*) WHERE scope AND
`where` AND drill filters GROUP BY dims [, org]. Organisation levels (`org.province` ...) are
grouped by the prefix of the rows' org paths that reaches that level, the row's own
organisation (`org`) by org_id and org_path; then one query (per IN_CHUNK ids or codes) loads
the organisations involved. Filters come from query arguments, are parsed per field type and
reach SQL only as bound parameters; the screen, its xlsx/csv export and the REST door share
the same table (`build_table`), so an export holds exactly what the screen shows.

A request stands at a depth: depth 0 groups by `group_by`; a row links to depth 1, filtered to
its group values and grouped by `drill[0]`; a row there links to depth 2 (`drill[1]`), etc.
"""

from __future__ import annotations

import datetime as dt
import decimal
import io
from typing import Any

from flask import Response, abort, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.api import expose as api_expose
from flask_appbuilder.api import protect, safe
from flask_babel import gettext as _

from app import gate
from app.io.export import csv_lines, sheet_name
from app.labels import current_locale, lazy
from app.security.headers import content_disposition
from app.security.models import Organisation
from app.security.scope import current
from app.summary_table import (
    COUNT,
    XLSX,
    BadFilter,
    HiddenField,
    Table,
    build_table,
    encode,
    steps,
)
from generator.models import class_name
from generator.permissions import summary_menu
from generator.spec import Entity, Summary


# -- files -----------------------------------------------------------------------------------
def _file_name(table: Table, suffix: str) -> str:
    return f"{table.title}_{dt.date.today():%Y%m%d}{suffix}"


def _disposition(name: str) -> str:
    return content_disposition(name, "summary")


def csv_bytes(table: Table) -> bytes:
    lines = iter(table.lines())
    return b"".join(csv_lines(next(lines), lines))


def xlsx_bytes(table: Table) -> bytes:
    import xlsxwriter

    stream = io.BytesIO()
    book = xlsxwriter.Workbook(stream, {"in_memory": True, "strings_to_numbers": False,
                                        "strings_to_formulas": False, "strings_to_urls": False})
    sheet = book.add_worksheet(sheet_name(table.title))
    head = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    bold = book.add_format({"bold": True})
    text = book.add_format({"num_format": "@"})
    lines = list(table.lines())
    last = len(lines) - 1
    for r, line in enumerate(lines):
        for c, value in enumerate(line):
            style = head if r == 0 else bold if r == last else None
            if isinstance(value, (int, decimal.Decimal)) and not isinstance(value, bool) and r:
                sheet.write_number(r, c, float(value), style)
            else:
                sheet.write_string(r, c, str(value), style or text)
    for c, header in enumerate(lines[0]):
        sheet.set_column(c, c, max(10, min(40, len(str(header)) * 2 + 4)))
    sheet.freeze_panes(1, 0)
    book.close()
    return stream.getvalue()


def file_response(table: Table, fmt: str) -> Response:
    if fmt == "csv":
        response = Response(csv_bytes(table), mimetype="text/csv; charset=utf-8")
        response.headers["Content-Disposition"] = _disposition(_file_name(table, ".csv"))
    else:
        response = Response(xlsx_bytes(table), mimetype=XLSX)
        response.headers["Content-Disposition"] = _disposition(_file_name(table, ".xlsx"))
    return response


def as_json(table: Table) -> dict[str, Any]:
    """The table for programs: raw group values (organisations by id) and their labels."""

    def plain(value: Any) -> Any:
        if isinstance(value, decimal.Decimal):
            return str(value)
        if isinstance(value, (dt.date, dt.datetime, Organisation)):
            return encode(value)
        return value

    dims = [d for d, _h in table.group]
    return {
        "key": table.summary.key,
        "label": table.title,
        "depth": table.level.depth,
        "filters": {d: plain(v) for d, v in table.level.filters},
        "period": ({"field": table.period.field, "value": table.period.arg,
                    "label": table.period.text} if table.period is not None else None),
        "group_by": dims,
        "sums": [f.name for f in table.sums],
        "labels": {**dict(table.group), **{f.name: f.label.get(current_locale())
                                           for f in table.sums}, COUNT: _("Records")},
        "drill": list(steps(table.summary)[table.level.depth + 1])
        if table.level.drills else None,
        "rows": [{"values": {d: plain(k) for d, k in zip(dims, row.keys, strict=True)},
                  "labels": dict(zip(dims, row.cells, strict=True)),
                  "sums": {f.name: plain(v) for f, v in zip(table.sums, row.sums, strict=True)},
                  COUNT: row.count} for row in table.rows],
        "total": {"sums": {f.name: plain(v) for f, v in zip(table.sums, table.total,
                                                             strict=True)},
                  COUNT: table.count},
    }


# -- the screen ------------------------------------------------------------------------------
class SummaryView(BaseView):
    """One screen per summary: /<module>/<resource>/summary/<key>/ and its exports.

    Permission `can_<key>` on the entity's permission name (security/matrix.py grants it)."""

    entity: Entity
    summary: Summary
    default_view = "table"
    template = "admin/summary.html"

    def create_blueprint(self, appbuilder: Any, *args: Any, **kwargs: Any) -> Any:
        blueprint = super().create_blueprint(appbuilder, *args, **kwargs)
        blueprint.before_request(self._gate)  # the module's gate, as on the entity's screens
        return blueprint

    def _gate(self) -> Any:
        refused = gate.refusal(self.entity)
        if refused is None:
            return None
        flash(refused.message, "warning")
        return redirect(refused.url or self.appbuilder.get_url_for_index)

    def _table(self) -> Table:
        try:
            return build_table(self.entity, self.summary, request.args, g.user)
        except BadFilter as exc:
            flash(str(exc), "danger")  # the error page shows it under its general message
            abort(400)
        except HiddenField:
            abort(403)

    @expose("/")
    @has_access
    def table(self) -> Any:
        table = self._table()
        here: dict[str, Any] = request.args.to_dict()
        back = table.crumbs[-2].args if len(table.crumbs) > 1 else None
        return self.render_template(
            self.template, title=table.title, table=table, back=back,
            xlsx=url_for(".export", fmt="xlsx", **here),
            csv=url_for(".export", fmt="csv", **here))

    @expose("/export/<fmt>")
    @has_access
    def export(self, fmt: str) -> Any:
        if fmt not in ("csv", "xlsx"):
            abort(404)
        return file_response(self._table(), fmt)


def endpoint_for(entity: Entity, summary: Summary) -> str:
    """Flask endpoint (blueprint) name of a summary screen."""
    return f"{class_name(entity)}Summary_{summary.key}"


def build_view(entity: Entity, summary: Summary) -> type:
    return type(endpoint_for(entity, summary), (SummaryView,), {
        "entity": entity,
        "summary": summary,
        "route_base": f"/{entity.module}/{entity.resource}/summary/{summary.key}",
        "class_permission_name": entity.permission_name,
        "method_permission_name": {"table": summary.key, "export": summary.key},
    })


def register(appbuilder: Any, module: Any, entity: Entity) -> None:
    """The entity's summaries, each a menu item of the module's category."""
    for summary in entity.summaries:
        appbuilder.add_view(build_view(entity, summary), summary_menu(entity, summary),
                            icon="fa-bar-chart", label=lazy(summary.label),
                            category=module.key, category_label=lazy(module.label),
                            category_icon=module.icon)


# -- the REST door ---------------------------------------------------------------------------
API_DOC = """The summary {key} ({label}) as JSON rows, within the caller's data range.
        ---
        get:
          description: >-
            Query arguments filter as on the screen (a row's group values, then each drill
            dimension in turn); rows group by the next dimension.
          responses:
            200: {{description: rows, total and the dimension a row drills into}}
            400: {{$ref: '#/components/responses/400'}}
            403: {{$ref: '#/components/responses/403'}}
        """


def api_methods(entity: Entity) -> tuple[dict[str, Any], dict[str, str]]:
    """GET /api/v1/<resource>/summary/<key>, one method per summary (so FAB's `protect`
    checks `can_<key>`), and their method -> permission names."""
    methods: dict[str, Any] = {}
    names: dict[str, str] = {}
    for summary in entity.summaries:

        def get(self: Any, _summary: Summary = summary) -> Any:
            try:
                table = build_table(self.entity, _summary, request.args, current())
            except BadFilter as exc:
                return self.response_400(message=str(exc))
            except HiddenField:
                return self.response_403()
            return self.response(200, **as_json(table))

        name = f"summary_{summary.key}"
        get.__name__ = name
        get.__doc__ = API_DOC.format(key=summary.key, label=summary.label.zh)
        methods[name] = api_expose(f"/summary/{summary.key}", methods=["GET"])(
            protect()(safe(get)))
        names[name] = summary.key
    return methods, names
