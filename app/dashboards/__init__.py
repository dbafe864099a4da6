"""数据分析: the dashboards of the YAML (`dashboards:`), one screen each under 数据分析.

/analytics/<key>/?region=<organisation id> shows every chart the viewer may see at that region
(by default their own): a click on a region's bar opens the same screen one level down, a
breadcrumb leads back up. Each chart has its table beside it, an xlsx export of its indicator
(/analytics/<key>/export/<indicator>, the export's download path) and a PNG download
(ECharts on the page). The right is `can_show` on `dashboard:<key>` (generator/permissions.py);
an indicator over an entity the viewer has no grant on, or over a field hidden from them, is
left out of the screen and its export answers 404.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import abort, g, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import lazy_gettext

from app.dashboards import charts
from app.dashboards.query import Hidden, Result, compute, crumbs, region_of
from app.io.downloads import xlsx_download
from app.labels import current_locale, lazy
from generator.permissions import (
    DASHBOARD_ACTION,
    DASHBOARD_CATEGORY,
    dashboard_menu,
    dashboard_view,
)
from generator.spec import Spec
from generator.spec_dashboards import Chart, Dashboard, Indicator

CATEGORY_LABEL = lazy_gettext("Data analysis")
CATEGORY_ICON = "fa-area-chart"


def endpoint_for(dashboard: Dashboard) -> str:
    return f"Dashboard_{dashboard.key}"


class DashboardView(BaseView):
    dashboard: Dashboard
    default_view = "show"
    template = "admin/dashboard.html"

    def _region(self) -> Any:
        region = region_of(request.args.get("region"), g.user)
        if region is None:
            abort(404)  # outside the viewer's range answers like a region that is not there
        return region

    def _part_labels(self, indicator: Indicator) -> tuple[str, str] | None:
        if indicator.of is None:
            return None
        locale = current_locale()
        top, bottom = (self.dashboard.indicator(k) for k in indicator.of)
        return top.label.get(locale), bottom.label.get(locale)

    def _results(self, region: Any) -> dict[str, Result]:
        """Each indicator a chart shows, once, that the viewer may see."""
        out: dict[str, Result] = {}
        for chart in self.dashboard.charts:
            if chart.indicator in out:
                continue
            try:
                out[chart.indicator] = compute(self.dashboard, self.dashboard.indicator(
                    chart.indicator), g.user, region)
            except Hidden:
                continue
        return out

    def _title(self, chart: Chart) -> str:
        label = chart.title or self.dashboard.indicator(chart.indicator).label
        return label.get(current_locale())

    @expose("/")
    @has_access
    def show(self) -> Any:
        region = self._region()
        results = self._results(region)
        locale = current_locale()
        panels = []
        for number, chart in enumerate(self.dashboard.charts):
            result = results.get(chart.indicator)
            if result is None:
                continue
            indicator = result.indicator
            title = self._title(chart)
            panels.append({
                "id": f"chart-{number}", "kind": chart.kind, "title": title,
                "data": charts.option(chart, result, title, lambda org: url_for(
                    ".show", region=org.id)),
                "table": charts.table(result, indicator.label.get(locale),
                                      self._part_labels(indicator)),
                "xlsx": url_for(".export", indicator=indicator.key, region=region.id),
            })
        return self.render_template(
            self.template, title=self.dashboard.label.get(locale), dashboard=self.dashboard,
            help=self.dashboard.help.get(locale) if self.dashboard.help else "",
            region=region, crumbs=crumbs(region, g.user), panels=panels,
            cards=[p for p in panels if p["kind"] == "number"],
            pictures=[p for p in panels if p["kind"] != "number"])

    @expose("/export/<indicator>")
    @has_access
    def export(self, indicator: str) -> Any:
        region = self._region()
        if indicator not in {i.key for i in self.dashboard.indicators}:
            abort(404)
        found = self.dashboard.indicator(indicator)
        try:
            result = compute(self.dashboard, found, g.user, region)
        except Hidden:
            abort(404)
        label = found.label.get(current_locale())
        headers, lines, percent = charts.lines(result, self._part_labels(found), label)
        name = f"{label}_{region.name}_{dt.date.today():%Y%m%d}.xlsx"
        return xlsx_download(headers, lines, label, name, percent)


def build_view(dashboard: Dashboard) -> type:
    return type(endpoint_for(dashboard), (DashboardView,), {
        "dashboard": dashboard,
        "route_base": f"/analytics/{dashboard.key}",
        "class_permission_name": dashboard_view(dashboard.key),
        "method_permission_name": {"show": DASHBOARD_ACTION, "export": DASHBOARD_ACTION},
    })


def register(appbuilder: Any, spec: Spec) -> None:
    """Each dashboard a menu item of 数据分析."""
    for dashboard in spec.dashboards:
        appbuilder.add_view(build_view(dashboard), dashboard_menu(dashboard.key),
                            icon=dashboard.icon, label=lazy(dashboard.label),
                            category=DASHBOARD_CATEGORY, category_label=CATEGORY_LABEL,
                            category_icon=CATEGORY_ICON)
