"""What the page hands to ECharts and shows as tables: an indicator's result as axis, series
and cells, with the address of each region's drill-down. Pure: no query, no Flask."""

from __future__ import annotations

import decimal
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _

from app.dashboards.query import Result, Row
from generator.spec_dashboards import REGION, Chart


def number(value: Any, ratio: bool) -> str:
    """A value as the tables and number cards show it."""
    if value is None:
        return "—"
    if ratio:
        return f"{value * 100:.1f}%"
    if isinstance(value, decimal.Decimal):
        return f"{value:,.2f}" if value != value.to_integral_value() else f"{int(value):,}"
    return f"{value:,}"


def plotted(value: Any, ratio: bool) -> float | int | None:
    """A value as the chart plots it (ratios in percent)."""
    if value is None:
        return None
    if ratio:
        return round(value * 100, 1)
    return float(value) if isinstance(value, decimal.Decimal) else int(value)


@dataclass
class Table:
    headers: list[str]
    rows: list[list[str]]
    total: list[str]


def table(result: Result, label: str, part_labels: tuple[str, str] | None) -> Table:
    """The table beside a chart: the dimensions, the value (a ratio with its two parts)."""
    ratio = result.ratio
    headers = [*result.headers, label]
    if ratio and part_labels is not None:
        headers += list(part_labels)

    def cells(row_value: Any, parts: tuple[Any, Any] | None) -> list[str]:
        out = [number(row_value, ratio)]
        if ratio and parts is not None:
            out += [number(p, False) for p in parts]
        return out

    rows = [[*row.labels, *cells(row.value, row.parts)] for row in result.rows]
    if not result.headers:  # without dimensions the one row is the total
        return Table(headers, rows, [])
    blanks = [""] * (len(result.headers) - 1)
    return Table(headers, rows, [_("Total"), *blanks, *cells(result.total, result.total_parts)])


def lines(result: Result, part_labels: tuple[str, str] | None, label: str
          ) -> tuple[list[str], list[list[Any]], list[int]]:
    """Headers, lines and percent columns of the xlsx export: numbers stay numbers."""
    headers = [*result.headers, label]
    if result.ratio and part_labels is not None:
        headers += list(part_labels)
    out: list[list[Any]] = []
    for row in result.rows:
        out.append([*row.labels, row.value, *(row.parts or ())])
    if result.headers:  # without dimensions the one row is the total
        blanks = [""] * (len(result.headers) - 1)
        out.append([_("Total"), *blanks, result.total, *(result.total_parts or ())])
    return headers, out, [len(result.headers)] if result.ratio else []


def option(chart: Chart, result: Result, title: str,
           drill_url: Callable[[Any], str]) -> dict[str, Any]:
    """The chart's data for dashboard.js: categories (x), series, the drill-down address of
    each category (regions above the units), or the number of a number card."""
    ratio = result.ratio
    data: dict[str, Any] = {"kind": chart.kind, "title": title, "percent": ratio}
    if chart.kind == "number" or not result.indicator.by:
        data["value"] = number(result.total, ratio)
        return data
    dims = list(result.indicator.by)
    x_at = 0
    if len(dims) == 2 and REGION in dims:  # bars by region, lines along the period
        region_at = dims.index(REGION)
        x_at = 1 - region_at if chart.kind == "line" else region_at
    categories: list[str] = []
    drills: list[str | None] = []
    series: dict[str, dict[str, Any]] = {}
    for row in result.rows:
        x = row.labels[x_at]
        if x not in categories:
            categories.append(x)
            target = _drill(row, dims, x_at)
            drills.append(drill_url(target) if target is not None else None)
        name = row.labels[1 - x_at] if len(dims) == 2 else title
        series.setdefault(name, {})[x] = plotted(row.value, ratio)
    data["categories"] = categories
    data["drill"] = drills
    data["series"] = [{"name": name, "data": [values.get(c) for c in categories]}
                      for name, values in series.items()]
    return data


def _drill(row: Row, dims: list[str], x_at: int) -> Any:
    if dims[x_at] != REGION:
        return None
    return row.drill
