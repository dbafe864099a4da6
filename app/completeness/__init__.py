"""填报进度 (filing completeness, `completeness:` of an entity): one screen per entity
(/<module>/<resource>/completeness/) with its xlsx export, 催报 and a REST door
(GET /api/v1/<resource>/completeness), for the roles the YAML names (`can_completeness`).

Expected, filed, on time and the rates by province → city → county → unit within the viewer's
organisation, computed in SQL (app/completeness/progress.py); the units that have not filed with
their contacts; 催报 sends them a reminder (app/completeness/remind.py)."""

from __future__ import annotations

import io
from typing import Any

from flask import Response, abort, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.api import expose as api_expose
from flask_appbuilder.api import protect, safe
from flask_babel import gettext as _

from app import gate
from app.completeness import progress, remind
from app.completeness.report import PAGE, BadRequest, Report, build
from app.context import db_session
from app.forms import endpoint_for as list_endpoint
from app.io.export import sheet_name
from app.labels import current_locale, lazy
from app.search import argument
from app.security.headers import content_disposition
from app.security.scope import current
from generator.models import class_name
from generator.permissions import COMPLETENESS, completeness_menu
from generator.spec import Entity

EXPORT_LIMIT = 200_000  # units in one export (a country's institutions)


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def period_filter(entity: Entity, period: str) -> dict[str, Any]:
    """The list's search arguments that keep one period: a batch by its row id, a year as a
    from-to range of itself (app/search_filters.py)."""
    done = entity.completeness
    assert done is not None
    field = entity.field(done.period)
    if field.kind.search_control == "range":
        return {argument(field.name, 0): period, argument(field.name, 1): period}
    return {argument(field.name): period}


def unit_state(entity: Entity, unit: progress.Unit) -> str:
    if unit.filed:
        return _("Filed")
    if unit.returned_rows:
        assert entity.workflow is not None
        state = next(s for s in entity.workflow.states if s.correction).label.get(
            current_locale())
        if unit.rows == 1:
            return state
        return _("%(state)s (%(count)s of %(all)s)", state=state, count=unit.returned_rows,
                 all=unit.rows)
    if unit.filed_rows:
        return _("Partly filed (%(done)s of %(all)s)", done=unit.filed_rows, all=unit.rows)
    return _("Not filed")


class CompletenessView(BaseView):
    """Permission `can_completeness` on the entity's permission name."""

    entity: Entity
    default_view = "table"

    def create_blueprint(self, appbuilder: Any, *args: Any, **kwargs: Any) -> Any:
        blueprint = super().create_blueprint(appbuilder, *args, **kwargs)
        blueprint.before_request(self._gate)
        return blueprint

    def _gate(self) -> Any:
        refused = gate.refusal(self.entity)
        if refused is None:
            return None
        flash(refused.message, "warning")
        return redirect(refused.url or self.appbuilder.get_url_for_index)

    def _report(self, units_page: bool = True) -> Report:
        try:
            return build(self.entity, request.values, g.user, units_page)
        except BadRequest as exc:
            flash(str(exc), "danger")
            abort(400)

    @expose("/")
    @has_access
    def table(self) -> Any:
        report = self._report()
        return self.render_template(
            "admin/completeness.html", title=report.title, report=report, percent=percent,
            unit_state=lambda unit: unit_state(self.entity, unit), page_size=PAGE,
            xlsx=url_for(".export", **report.args()))

    @expose("/export")
    @has_access
    def export(self) -> Any:
        report = self._report(units_page=False)
        session = db_session()
        units = (progress.units(session, report.status, report.unfiled_only, 0, EXPORT_LIMIT)
                 if report.status is not None else [])
        name = f"{report.title}_{report.period_text}_{report.region.name}.xlsx"
        return Response(xlsx_bytes(report, units), headers={
            "Content-Disposition": content_disposition(name)},
            mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")

    @expose("/remind", methods=["POST"])
    @has_access
    def remind(self) -> Any:
        report = self._report(units_page=False)
        back = redirect(url_for(".table", **report.args()))
        if report.status is None:
            return back
        if not report.may_remind:
            flash(_("Filing closed at %(when)s: nobody can file now, so nobody is reminded.",
                    when=report.closes_at.strftime("%Y-%m-%d %H:%M")  # type: ignore[union-attr]
                    ), "warning")
            return back
        session = db_session()
        chosen = None if request.form.get("all") == "1" else [
            int(v) for v in request.form.getlist("unit") if v.isdigit()]
        if chosen == []:
            flash(_("Choose the units to remind first."), "warning")
            return back
        targets = progress.unfiled_ids(session, report.status, chosen)
        sent, skipped = remind.remind_units(
            session, self.entity, report.period_arg, report.period_text, targets, g.user,
            url_for(f"{list_endpoint(self.entity)}.list",
                    **period_filter(self.entity, report.period_arg)),
            overdue_since=report.closes_at if report.overdue else None)
        session.commit()
        if sent and report.overdue:
            flash(_("Overdue reminder sent to %(count)s units.", count=sent), "success")
        elif sent:
            flash(_("Reminder sent to %(count)s units.", count=sent), "success")
        if skipped:
            flash(_("%(count)s units were already reminded today: a unit is reminded at most "
                    "once a day.", count=skipped), "info")
        if not sent and not skipped:
            flash(_("Every unit chosen has filed: nobody to remind."), "info")
        return back


def xlsx_bytes(report: Report, units: list[progress.Unit]) -> bytes:
    import xlsxwriter

    stream = io.BytesIO()
    book = xlsxwriter.Workbook(stream, {"in_memory": True, "strings_to_numbers": False,
                                        "strings_to_formulas": False, "strings_to_urls": False})
    head = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    sheet = book.add_worksheet(sheet_name(report.title))
    headers = [report.level_label, _("Expected"), _("Filed"), _("Filed on time"),
               _("Filing rate"), _("On-time rate"), _("Returned for correction")]
    sheet.write_row(0, 0, headers, head)
    for r, group in enumerate([*report.groups, *([report.total] if report.total else [])], 1):
        name = group.name if group.key else _("Total")
        sheet.write_row(r, 0, [name, group.expected, group.filed, group.on_time,
                               percent(group.rate), percent(group.on_time_rate),
                               group.returned])
    sheet.set_column(0, 0, 30)
    sheet.set_column(1, 6, 12)
    listing = book.add_worksheet(sheet_name(_("Units")))
    listing.write_row(0, 0, [_("Unit"), _("Unified social credit code"), _("County"),
                             _("State"), _("Filed at"), _("On time"), _("Contacts")], head)
    for r, unit in enumerate(units, 1):
        listing.write_row(r, 0, [unit.name, unit.code, unit.county,
                                 unit_state(report.entity, unit),
                                 unit.filed_at.strftime("%Y-%m-%d %H:%M") if unit.filed_at
                                 else "", _("Yes") if unit.on_time else _("No"),
                                 "；".join(unit.contacts)])
    listing.set_column(0, 0, 30)
    listing.set_column(1, 5, 16)
    listing.set_column(6, 6, 50)
    book.close()
    return stream.getvalue()


def as_json(report: Report) -> dict[str, Any]:
    def group(g_: progress.Group) -> dict[str, Any]:
        return {"key": g_.key, "name": g_.name, "expected": g_.expected, "filed": g_.filed,
                "on_time": g_.on_time, "partial": g_.partial, "returned": g_.returned,
                "rate": g_.rate,
                "on_time_rate": g_.on_time_rate}

    return {
        "period": report.period_arg, "period_text": report.period_text,
        "region": {"code": report.region.code, "name": report.region.name},
        "level": report.level_label,
        "closes_at": report.closes_at.isoformat() if report.closes_at else None,
        "overdue": report.overdue,
        "groups": [group(g_) for g_ in report.groups],
        "total": group(report.total) if report.total else None,
        "units": [{"id": u.id, "name": u.name, "code": u.code, "county": u.county,
                   "rows": u.rows, "filed_rows": u.filed_rows,
                   "returned_rows": u.returned_rows, "filed": u.filed,
                   "on_time": u.on_time,
                   "filed_at": u.filed_at.isoformat() if u.filed_at else None,
                   "contacts": list(u.contacts)} for u in report.units],
        "more": report.more,
    }


def endpoint_for(entity: Entity) -> str:
    return f"{class_name(entity)}Completeness"


def build_view(entity: Entity) -> type:
    return type(endpoint_for(entity), (CompletenessView,), {
        "entity": entity,
        "route_base": f"/{entity.module}/{entity.resource}/completeness",
        "class_permission_name": entity.permission_name,
        "method_permission_name": {"table": COMPLETENESS, "export": COMPLETENESS,
                                   "remind": COMPLETENESS},
    })


def register(appbuilder: Any, module: Any, entity: Entity) -> None:
    done = entity.completeness
    if done is None:
        return
    appbuilder.add_view(build_view(entity), completeness_menu(entity), icon="fa-tasks",
                        label=lazy(done.label), category=module.key,
                        category_label=lazy(module.label), category_icon=module.icon)


API_DOC = """填报进度 ({label}) as JSON, within the caller's organisation.
        ---
        get:
          description: >-
            `_period` (the period, the newest by default), `region` (a region code within
            the caller's organisation), `unfiled=1` (only the units that have not filed),
            `page`.
          responses:
            200: {{description: counts by the level below the region, totals, units}}
            400: {{$ref: '#/components/responses/400'}}
            403: {{$ref: '#/components/responses/403'}}
        """


def api_methods(entity: Entity) -> tuple[dict[str, Any], dict[str, str]]:
    """GET /api/v1/<resource>/completeness (`can_completeness`)."""
    done = entity.completeness
    if done is None:
        return {}, {}

    def completeness(self: Any) -> Any:
        try:
            report = build(self.entity, request.args, current())
        except BadRequest as exc:
            return self.response_400(message=str(exc))
        return self.response(200, **as_json(report))

    completeness.__doc__ = API_DOC.format(label=done.label.zh)
    method = api_expose("/completeness", methods=["GET"])(protect()(safe(completeness)))
    return {"completeness": method}, {"completeness": COMPLETENESS}
