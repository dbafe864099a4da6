"""`dashboards:` (数据分析) of the root file and of module files, once every entity is known.

Indicators name an entity (found like a reference's `to`) or a built-in source, a measure,
filter expressions (section 5 of docs/schema.md, limited to what one SQL condition can say)
and the dimensions they group by; charts name an indicator and a picture that fits it.
"""

from __future__ import annotations

import ast
import re

from generator.checks.context import Context, listing
from generator.checks.drafts import EntityDraft
from generator.checks.references import Index
from generator.expr import ExprError, compile_expr
from generator.loader import Location, Node
from generator.spec import Label
from generator.spec_dashboards import (
    CHART_TYPES,
    MAX_DIMENSIONS,
    MEASURES,
    PERIODS,
    REGION,
    SOURCES,
    Chart,
    Dashboard,
    Indicator,
    Source,
)

NAME = re.compile(r"^[a-z][a-z0-9_]{0,40}$")
DASHBOARD_KEYS = ("label", "icon", "order", "help", "roles", "indicators", "charts")
INDICATOR_KEYS = ("label", "entity", "source", "measure", "field", "where", "by", "of")
RATIO_KEYS = ("label", "measure", "of")
CHART_KEYS = ("indicator", "type", "title")
# What one SQL condition says: the expression language without calls and `a if c else b`.
SQL_NODES = (ast.Expression, ast.BoolOp, ast.And, ast.Or, ast.UnaryOp, ast.Not, ast.USub,
             ast.UAdd, ast.Compare, ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE,
             ast.Is, ast.IsNot, ast.Name, ast.Load, ast.Constant, ast.BinOp, ast.Add, ast.Sub,
             ast.Mult, ast.Div)
SQL_ALLOWED = ("field names, numbers, 'text', True/False/None, + - * /, comparisons "
               "== != < <= > >= (is None / is not None), and/or/not")


class _Pool:
    """What an indicator's expressions and dimensions may name, for an entity or a source."""

    def __init__(self, entity: EntityDraft | None, source: Source | None) -> None:
        self.entity, self.source = entity, source

    def names(self) -> set[str]:
        if self.entity is not None:
            return self.entity.condition_pool()
        return {f.name for f in self.source.fields} if self.source else set()

    def regional(self) -> bool:
        return self.source is not None or (self.entity is not None and self.entity.scoped)

    def calendar(self, name: str) -> bool:
        if self.source is not None:
            return self.source.field(name).calendar
        f = self.entity.field(name) if self.entity else None
        return f is not None and f.kind.calendar

    def groupable(self, name: str) -> bool:
        if self.entity is None:
            return True
        f = self.entity.field(name)
        if f is None:  # the workflow's state
            return True
        return f.stored and f.kind.groupable and f.kind.searchable and not f.kind.multiline

    def summable(self, name: str) -> bool:
        f = self.entity.field(name) if self.entity else None
        return f is not None and f.kind.summable


def read_dashboards(ctx: Context, documents: list[tuple[Node, str]], index: Index
                    ) -> tuple[Dashboard, ...]:
    """Every `dashboards:` of every file (each document with its module's key, "" for the
    root file), checked; the ones with problems are left out."""
    seen: dict[str, Location] = {}
    out = []
    for data, module in documents:
        raw = ctx.mapping(data, "dashboards", "dashboards")
        if raw is None:
            continue
        for key, body in raw.items():
            path = f"dashboards.{key}"
            if not isinstance(key, str) or not NAME.match(key):
                ctx.err("SCHEMA-E005", raw.where(key), path, f"dashboard name '{key}' is not "
                        "allowed", "lower-case letters, digits and _ starting with a letter")
                continue
            if key in seen:
                ctx.err("SCHEMA-E006", raw.where(key), path,
                        f"dashboard '{key}' is already defined at {seen[key]}",
                        "a dashboard name used once")
                continue
            seen[key] = raw.where(key)
            if not ctx.expect(body, dict, raw.where(key), path):
                continue
            before = len(ctx.problems)
            dashboard = _dashboard(ctx, key, body, path, module, index)
            if dashboard is not None and len(ctx.problems) == before:
                out.append(dashboard)
    return tuple(sorted(out, key=lambda d: (d.order, d.key)))


def _dashboard(ctx: Context, key: str, body: Node, path: str, module: str, index: Index
               ) -> Dashboard | None:
    ctx.keys(body, DASHBOARD_KEYS, path, required=("label", "roles", "indicators", "charts"))
    label = ctx.label(body, "label", path, key)
    help_text = ctx.label(body, "help", path, "") if "help" in body else None
    icon = body.get("icon", "fa-line-chart")
    if not isinstance(icon, str):
        ctx.expect(icon, str, body.where("icon"), f"{path}.icon")
        icon = "fa-line-chart"
    order = ctx.integer(body, "order", path, 100, 0, 100000)
    roles = tuple(name for name, at in ctx.names(body, "roles", path)
                  if ctx.known_role(name, at, f"{path}.roles"))
    indicators: dict[str, Indicator | None] = {}
    ratios: list[tuple[str, Node, str]] = []
    raw = ctx.mapping(body, "indicators", f"{path}.indicators") or Node()
    for name, spec in raw.items():
        at = f"{path}.indicators.{name}"
        if not isinstance(name, str) or not NAME.match(name):
            ctx.err("SCHEMA-E005", raw.where(name), at, f"indicator name '{name}' is not "
                    "allowed", "lower-case letters, digits and _ starting with a letter")
            continue
        if not ctx.expect(spec, dict, raw.where(name), at):
            indicators[name] = None
        elif spec.get("measure") == "ratio":
            indicators[name] = None  # read once every counted indicator is known
            ratios.append((name, spec, at))
        else:
            indicators[name] = _indicator(ctx, name, spec, at, module, index)
    for name, spec, at in ratios:
        indicators[name] = _ratio(ctx, name, spec, at, indicators)
    charts = _charts(ctx, body, path, indicators)
    found = tuple(i for i in indicators.values() if i is not None)
    return Dashboard(key, label, roles, found, charts, icon, order, help_text)


def _indicator(ctx: Context, key: str, body: Node, path: str, module: str, index: Index
               ) -> Indicator | None:
    ctx.keys(body, INDICATOR_KEYS, path, required=("label",))
    label = ctx.label(body, "label", path, key)
    entity: EntityDraft | None = None
    source: Source | None = None
    if "entity" in body and "source" in body:
        ctx.err("SCHEMA-E048", body.where("source"), f"{path}.source",
                "an indicator counts either an entity or a source", "'entity' or 'source'")
        return None
    if "source" in body:
        raw = body["source"]
        source = SOURCES.get(raw) if isinstance(raw, str) else None
        if source is None:
            ctx.err("SCHEMA-E048", body.where("source"), f"{path}.source",
                    f"unknown source '{raw}'", f"one of {listing(sorted(SOURCES))}")
            return None
    else:
        entity = index.resolve(ctx, body, "entity", path, module, missing=True)
        if entity is None:
            return None
    pool = _Pool(entity, source)
    measure = body.get("measure", "count")
    if measure not in MEASURES:
        ctx.err("SCHEMA-E017", body.where("measure"), f"{path}.measure",
                f"'{measure}' is not allowed", f"one of {listing(MEASURES)}")
        return None
    if "of" in body:
        ctx.err("SCHEMA-E048", body.where("of"), f"{path}.of", "'of' applies to a ratio only",
                "measure: ratio")
    summed = _summed(ctx, body, path, measure, pool)
    where = _expression(ctx, body, "where", path, pool)
    by = _dimensions(ctx, body, path, pool)
    return Indicator(key, label, entity.qualified if entity else None,
                     source.name if source else None, measure, summed, where, by)


def _ratio(ctx: Context, key: str, body: Node, path: str,
           indicators: dict[str, Indicator | None]) -> Indicator | None:
    """`measure: ratio, of: [numerator, denominator]`: two counted indicators of the same
    dimensions."""
    ctx.keys(body, RATIO_KEYS, path, required=("label", "of"))
    label = ctx.label(body, "label", path, key)
    names = ctx.names(body, "of", path)
    if "of" not in body:
        return None
    if len(names) != 2:
        ctx.err("SCHEMA-E048", body.where("of"), f"{path}.of",
                f"names {len(names)} indicators", "[numerator, denominator]: two indicators")
        return None
    found = []
    counted = sorted(n for n, i in indicators.items() if i is not None)
    for name, at in names:
        indicator = indicators.get(name)
        if indicator is None:
            if name not in indicators or name == key:
                ctx.err("SCHEMA-E048", at, f"{path}.of", f"unknown indicator '{name}'",
                        f"one of {listing(counted)} (a count or a sum)")
            return None
        found.append(indicator)
    top, bottom = found
    if top.by != bottom.by:
        ctx.err("SCHEMA-E048", body.where("of"), f"{path}.of",
                f"'{top.key}' is grouped by [{', '.join(top.by)}] and '{bottom.key}' by "
                f"[{', '.join(bottom.by)}]", "two indicators grouped by the same dimensions")
        return None
    return Indicator(key, label, None, None, "ratio", by=top.by, of=(top.key, bottom.key))


def _summed(ctx: Context, body: Node, path: str, measure: str, pool: _Pool) -> str | None:
    name = body.get("field")
    if name is None:
        if measure == "sum":
            ctx.err("SCHEMA-E048", body.where(), path, "a sum needs a 'field'",
                    "field: an integer or decimal field")
        return None
    if measure == "count":
        ctx.err("SCHEMA-E048", body.where("field"), f"{path}.field",
                "a count sums no field", "measure: sum, or no 'field'")
        return None
    if not isinstance(name, str) or not pool.summable(name):
        allowed = sorted(n for n in pool.names() if pool.summable(n))
        ctx.err("SCHEMA-E019", body.where("field"), f"{path}.field",
                f"'{name}' is not a field that can be summed",
                f"one of {listing(allowed)}" if allowed else "an integer or decimal field")
        return None
    return name


def _expression(ctx: Context, body: Node, key: str, path: str, pool: _Pool) -> str | None:
    text = body.get(key)
    if text is None:
        return None
    at = body.where(key)
    if not ctx.expect(text, str, at, f"{path}.{key}"):
        return None
    try:
        compile_expr(text, pool.names())
    except ExprError as exc:
        ctx.err("SCHEMA-E015", at, f"{path}.{key}", exc.message, exc.allowed)
        return None
    for node in ast.walk(ast.parse(text.strip(), mode="eval")):
        if not isinstance(node, SQL_NODES):
            part = ast.get_source_segment(text.strip(), node) or type(node).__name__
            ctx.err("SCHEMA-E015", at, f"{path}.{key}",
                    f"'{part}' cannot be counted in SQL", SQL_ALLOWED)
            return None
    return text.strip()


def _dimensions(ctx: Context, body: Node, path: str, pool: _Pool) -> tuple[str, ...]:
    out: list[str] = []
    names = ctx.names(body, "by", path) if not isinstance(body.get("by"), str) else \
        [(body["by"], body.where("by"))]
    for dim, at in names:
        problem = _dimension_problem(dim, pool)
        if problem is not None:
            ctx.err("SCHEMA-E048", at, f"{path}.by", problem[0], problem[1])
        elif dim in out:
            ctx.err("SCHEMA-E006", at, f"{path}.by", f"'{dim}' is named twice",
                    "each dimension once")
        else:
            out.append(dim)
    if len(out) > MAX_DIMENSIONS:
        ctx.err("SCHEMA-E048", body.where("by"), f"{path}.by",
                f"{len(out)} dimensions", f"at most {MAX_DIMENSIONS}: the region and/or one "
                "period or category")
    return tuple(out[:MAX_DIMENSIONS])


def _dimension_problem(dim: str, pool: _Pool) -> tuple[str, str] | None:
    fields = sorted(n for n in pool.names() if pool.groupable(n))
    allowed = f"region, a field ({listing(fields)}), or <date field>.year / .month"
    if dim == REGION:
        return None if pool.regional() else (
            "the rows of this entity belong to no organisation", "a field, or an entity "
            "with 'scope'")
    name, _dot, period = dim.partition(".")
    if name not in pool.names() or not pool.groupable(name):
        return f"unknown dimension '{dim}'", allowed
    if period and (period not in PERIODS or not pool.calendar(name)):
        return f"'{dim}' is not a period of a date", allowed
    return None


def _charts(ctx: Context, body: Node, path: str, indicators: dict[str, Indicator | None]
            ) -> tuple[Chart, ...]:
    raw = body.get("charts")
    if raw is None or not ctx.expect(raw, list, body.where("charts"), f"{path}.charts"):
        return ()
    out = []
    for number, item in enumerate(raw):
        at, where = f"{path}.charts[{number}]", raw.where(number)
        if not ctx.expect(item, dict, where, at):
            continue
        ctx.keys(item, CHART_KEYS, at, required=("indicator", "type"))
        name, kind = item.get("indicator"), item.get("type")
        if name is None or kind is None:
            continue
        if not isinstance(name, str) or name not in indicators:
            ctx.err("SCHEMA-E049", item.where("indicator"), f"{at}.indicator",
                    f"unknown indicator '{name}'", f"one of {listing(sorted(indicators))}")
            continue
        if kind not in CHART_TYPES:
            ctx.err("SCHEMA-E017", item.where("type"), f"{at}.type",
                    f"'{kind}' is not allowed", f"one of {listing(CHART_TYPES)}")
            continue
        title: Label | None = ctx.label(item, "title", at, "") if "title" in item else None
        indicator = indicators[name]
        if indicator is not None:
            problem = _misfit(kind, indicator)
            if problem is not None:
                ctx.err("SCHEMA-E049", item.where("type"), f"{at}.type", problem[0],
                        problem[1])
                continue
        out.append(Chart(name, kind, title))
    return tuple(out)


def _misfit(kind: str, indicator: Indicator) -> tuple[str, str] | None:
    dims = len(indicator.by)
    if kind in ("bar", "line", "pie") and dims == 0:
        return (f"a {kind} chart needs an indicator grouped by something",
                "an indicator with 'by', or type: number")
    if kind == "pie" and (dims > 1 or indicator.of is not None):
        return ("a pie shows the parts of one whole",
                "an indicator that counts or sums, grouped by one dimension")
    return None


__all__ = ["read_dashboards"]
