"""An indicator's numbers: one grouped query, within the viewer's range, at one region.

SELECT dims, COUNT(*) | SUM(field) FROM rows WHERE scope AND region AND `where` GROUP BY dims.
The region dimension groups by the level below the region shown: the prefix of the rows' org
paths that reaches that level (province, city, county) or, below a county, the row's own
organisation; one more query loads the organisations named. A ratio is two such queries,
divided group by group. Nothing counts rows in Python.
"""

from __future__ import annotations

import decimal
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import false, func, literal_column, select

from app.audit.models import AuditEntry
from app.context import generated
from app.dashboards.conditions import condition
from app.labels import current_locale
from app.security.fields import field_rights
from app.security.models import Organisation
from app.security.scope import is_admin, scope_condition, user_scope, within
from app.summary_table import PATH_PREFIX, _codes, _Labels, _org_at, _organisations, _sort_key
from generator.spec import Entity
from generator.spec_dashboards import REGION, SOURCES, Dashboard, Indicator

BELOW = {"national": "province", "province": "city", "city": "county", "county": "unit"}
PERIOD_FORMATS = {"year": ("%Y", "YYYY"), "month": ("%Y-%m", "YYYY-MM")}


class Hidden(Exception):
    """The viewer may not see what the indicator counts (no grant, or a hidden field)."""


@dataclass
class Row:
    keys: tuple[Any, ...]  # raw group values (the region's: an Organisation or None)
    labels: list[str]
    value: Any  # int, Decimal, or a ratio's float (None: nothing to divide by)
    parts: tuple[Any, Any] | None = None  # a ratio's numerator and denominator

    @property
    def drill(self) -> Organisation | None:
        """The organisation a click on this row goes down to (a region above the units)."""
        for key in self.keys:
            if isinstance(key, Organisation) and key.level in BELOW:
                return key
        return None


@dataclass
class Result:
    indicator: Indicator
    headers: list[str]  # the dimensions' headers
    rows: list[Row] = field(default_factory=list)
    total: Any = 0
    total_parts: tuple[Any, Any] | None = None

    @property
    def ratio(self) -> bool:
        return self.indicator.of is not None


# -- where the viewer stands -----------------------------------------------------------------
def top_region(user: Any) -> Organisation:
    """The widest region the viewer reads: their organisation, the whole country for the
    administrator and for accounts without one."""
    session = generated().session
    org = getattr(user, "org", None)
    if org is None or is_admin(user):
        return session.execute(select(Organisation).where(Organisation.level == "national")
                               .order_by(Organisation.id)).scalars().first()  # type: ignore
    return org  # type: ignore[no-any-return]


def region_of(raw: str | None, user: Any) -> Organisation | None:
    """The region a request asks for, when it lies within the viewer's; None otherwise."""
    top = top_region(user)
    if raw in (None, ""):
        return top
    try:
        pk = int(str(raw))
    except ValueError:
        return None
    org = generated().session.get(Organisation, pk)
    if org is None or top is None or not str(org.path).startswith(str(top.path)):
        return None
    return org


def crumbs(region: Organisation, user: Any) -> list[Organisation]:
    """The regions from the viewer's widest down to the one shown."""
    top = top_region(user)
    codes = _codes(str(region.path))
    tree = _organisations(generated().session, set(), set(codes))
    chain = [tree[("code", c)] for c in codes if ("code", c) in tree]
    return [o for o in chain if str(o.path).startswith(str(top.path))]


# -- the query ---------------------------------------------------------------------------------
@dataclass
class _From:
    """What a query reads: the table, its org path and organisation id columns, the column of
    each name, the condition of the viewer's range and the joins it needs."""

    table: Any
    path: Any
    org_id: Any
    columns: dict[str, Any]
    scope: Any
    join: tuple[Any, Any] | None = None
    entity: Entity | None = None


def _source_range(path: Any, user: Any) -> Any:
    if user is None:
        return false()
    if is_admin(user):
        return None
    org = getattr(user, "org", None)
    return false() if org is None else within(path, str(org.path))


def _from(indicator: Indicator, user: Any) -> _From:
    admin = generated()
    if indicator.entity is not None:
        entity = admin.spec.entity(indicator.entity)
        if user_scope(entity, user) is None:
            raise Hidden()
        if indicator.reads & field_rights(entity, user).hidden:
            raise Hidden()
        model = admin.models[entity.qualified]
        columns = {f.name: getattr(model, f.column) for f in entity.fields if f.kind.stored}
        if entity.workflow is not None:
            columns[entity.workflow.field] = getattr(model, entity.workflow.field)
        return _From(model, getattr(model, "org_path", None), getattr(model, "org_id", None),
                     columns, scope_condition(entity, model, user), entity=entity)
    source = SOURCES[str(indicator.source)]
    if source.name == "organisations":
        columns = {f.name: getattr(Organisation, f.column) for f in source.fields}
        return _From(Organisation, Organisation.path, Organisation.id, columns,
                     _source_range(Organisation.path, user))
    columns = {f.name: getattr(AuditEntry, f.column) for f in source.fields}
    return _From(AuditEntry, Organisation.path, AuditEntry.org_id, columns,
                 _source_range(Organisation.path, user),
                 join=(Organisation, Organisation.id == AuditEntry.org_id))


def _period(column: Any, period: str) -> Any:
    """Year or month of a date as text ('2026', '2026-05'), on either database."""
    sqlite, postgres = PERIOD_FORMATS[period]
    if generated().session.get_bind().dialect.name == "sqlite":
        return func.strftime(sqlite, column)
    return func.to_char(column, postgres)


def _grouped(indicator: Indicator, user: Any, region: Organisation
             ) -> tuple[list[str], dict[tuple[Any, ...], Any], _From]:
    """(the dimensions, group key -> count or sum): one query."""
    src = _from(indicator, user)
    session = generated().session
    keys: list[Any] = []
    below = BELOW.get(str(region.level))
    for dim in indicator.by:
        if dim == REGION:
            if below == "unit" or below is None:
                keys.append(src.org_id)
            else:  # a literal length: the same expression in SELECT and GROUP BY
                keys.append(func.substr(src.path, literal_column("1"),
                                        literal_column(str(PATH_PREFIX[below]))))
        else:
            name, _dot, period = dim.partition(".")
            column = src.columns[name]
            keys.append(_period(column, period) if period else column)
    measure = func.count() if indicator.field is None else func.sum(src.columns[indicator.field])
    # entities without `scope` belong to no region: the same numbers at every level
    conditions = [src.scope, within(src.path, str(region.path)) if src.path is not None
                  else None]
    if indicator.where:
        conditions.append(condition(indicator.where, src.columns.__getitem__))
    query = select(*keys, measure).select_from(src.table)
    if src.join is not None:
        query = query.join(*src.join)
    query = query.where(*(c for c in conditions if c is not None))
    if keys:
        query = query.group_by(*keys)
    results = session.execute(query).all()
    width = len(keys)
    values: dict[tuple[Any, ...], Any] = {}
    region_at = indicator.by.index(REGION) if REGION in indicator.by else None
    tree: dict[Any, Organisation] = {}
    if region_at is not None:
        raw = {r[region_at] for r in results}
        if below in ("unit", None):
            tree = _organisations(session, {v for v in raw if v is not None}, set())
        else:
            tree = _organisations(session, set(), {c for p in raw for c in _codes(p)})
    for result in results:
        key = list(result[:width])
        if region_at is not None:
            raw_key = key[region_at]
            key[region_at] = (tree.get(raw_key) if below in ("unit", None)
                              else _org_at(tree, None, raw_key, below))
        number = result[width] or 0
        if isinstance(number, float):
            number = decimal.Decimal(str(number))
        slot = tuple(key)
        values[slot] = values.get(slot, 0) + number  # prefixes of one organisation merge
    return list(indicator.by), values, src


def compute(dashboard: Dashboard, indicator: Indicator, user: Any, region: Organisation
            ) -> Result:
    """The indicator's rows and total at `region`; Hidden when the viewer may not see it."""
    if indicator.of is not None:
        top, bottom = (dashboard.indicator(k) for k in indicator.of)
        dims, above, src = _grouped(top, user, region)
        _dims, under, under_src = _grouped(bottom, user, region)
        ordered = _ordered(dims, set(above) | set(under), src)
        labels = _Labels_for(top, src, user, dims, ordered)
        result = Result(indicator, [_header(top, src, d) for d in dims])
        for key in ordered:
            a, b = above.get(key, 0), under.get(key, 0)
            result.rows.append(Row(key, labels(key), _divide(a, b), (a, b)))
        total_a, total_b = sum(above.values()), sum(under.values())
        result.total, result.total_parts = _divide(total_a, total_b), (total_a, total_b)
        return result
    dims, values, src = _grouped(indicator, user, region)
    ordered = _ordered(dims, set(values), src)
    labels = _Labels_for(indicator, src, user, dims, ordered)
    result = Result(indicator, [_header(indicator, src, d) for d in dims])
    for key in ordered:
        result.rows.append(Row(key, labels(key), values[key]))
    result.total = sum(values.values()) if values else 0
    return result


def _divide(a: Any, b: Any) -> float | None:
    return None if not b else float(a) / float(b)


def _header(indicator: Indicator, src: _From, dim: str) -> str:
    locale = current_locale()
    if dim == REGION:
        return _("Region")
    name, _dot, period = dim.partition(".")
    suffix = {"year": _("Year"), "month": _("Month")}.get(period, "")
    if src.entity is not None:
        flow = src.entity.workflow
        if flow is not None and name == flow.field:
            text = flow.state_field.label.get(locale)
        else:
            text = src.entity.field(name).label.get(locale)
    else:
        text = SOURCES[str(indicator.source)].field(name).label.get(locale)
    return f"{text}（{suffix}）" if suffix else text


def _ordered(dims: list[str], keys: set[tuple[Any, ...]], src: _From) -> list[tuple[Any, ...]]:
    def sort_key(key: tuple[Any, ...]) -> tuple[Any, ...]:
        out: list[Any] = []
        for dim, value in zip(dims, key, strict=True):
            if value is None:
                out.append((1, ""))
            elif isinstance(value, Organisation):
                out.append((0, str(value.path)))
            elif src.entity is not None and "." not in dim:
                out.append((0, _sort_key(src.entity, (dim,), (value,))))
            else:
                out.append((0, str(value)))
        return tuple(out)

    return sorted(keys, key=sort_key)


def _Labels_for(indicator: Indicator, src: _From, user: Any, dims: list[str],  # noqa: N802
                keys: list[tuple[Any, ...]]) -> Any:
    """A function key -> the key's values as shown (referenced rows fetched once)."""
    locale = current_locale()
    names: _Labels | None = None
    plain = [d for d in dims if d != REGION and "." not in d]
    if src.entity is not None:
        names = _Labels(src.entity, generated().session, user)
        names.prepare(plain, [tuple(k[dims.index(d)] for d in plain) for k in keys])

    def show(key: tuple[Any, ...]) -> list[str]:
        out = []
        for dim, value in zip(dims, key, strict=True):
            name, _dot, period = dim.partition(".")
            if dim == REGION:
                out.append(str(value.name) if value is not None else _("(this level)"))
            elif value is None or value == "":
                out.append(_("(none)"))
            elif period and not locale.startswith("zh"):
                out.append(str(value))
            elif period == "year":
                out.append(f"{value}年")
            elif period == "month":
                out.append(f"{value[:4]}年{value[5:7]}月")
            elif names is not None:
                out.append(names.show(dim, value))
            else:
                labels = dict(SOURCES[str(indicator.source)].field(name).values)
                out.append(labels[value].get(locale) if value in labels else str(value))
        return out

    return show
