"""Summaries (汇总): parsing where a request stands and building the aggregate table.

See app/summary.py for the screens, files and REST door that show it."""


from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import zip_longest
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext
from sqlalchemy import false, func, literal_column, or_, select

from app import summary_period
from app.context import generated
from app.labels import current_locale, render
from app.security.fields import field_rights
from app.security.models import Organisation
from app.security.scope import scope_condition, user_scope, within
from app.summary_period import Period
from app.validation import Invalid, parse
from generator import types
from generator.spec import SUMMARY_ORG_LEVELS, Entity, Field, Summary
from generator.types.reference import row_id

ORG = "org"
# Dimension -> organisation level it rolls up to ("org": the row's own organisation).
ORG_LEVEL = {"org.province": "province", "org.city": "city", "org.county": "county", ORG: None}
ORG_LABELS = {
    "org.province": lazy_gettext("Province"),
    "org.city": lazy_gettext("City"),
    "org.county": lazy_gettext("County"),
    ORG: lazy_gettext("Organisation"),
}
COUNT = "count"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
IN_CHUNK = 500  # ids or codes per IN list
# Org paths are /CN/ then 6-digit division codes (app/security/orgs.py: PARENT_LEVELS): a
# province is always the 2nd segment, a city the 3rd, a county the 3rd or 4th. So the first
# characters below reach the level; a unit's longer code past them is cut off and ignored.
PATH_PREFIX = {"province": len("/CN/350000/"), "city": len("/CN/350000/350100/"),
               "county": len("/CN/350000/350100/350102/")}


class BadFilter(Exception):
    """A query argument that is not a filter of this screen, or not a value of its field."""


class HiddenField(Exception):
    """The summary groups by a field hidden from the viewer (it would reveal the values)."""


# -- where a request stands ------------------------------------------------------------------
def steps(summary: Summary) -> list[tuple[str, ...]]:
    """The grouping of each depth: `group_by` first, then one drill dimension each."""
    return [summary.group_by, *((d,) for d in summary.drill)]


@dataclass(frozen=True)
class Level:
    depth: int
    filters: tuple[tuple[str, Any], ...]  # (dimension, parsed value) of the steps above
    group: tuple[str, ...]  # dimensions grouped at this depth
    deepest: int  # the depth of the last drill dimension

    @property
    def drills(self) -> bool:
        """Whether a row links further down."""
        return self.depth < self.deepest


def parse_level(entity: Entity, summary: Summary, args: Any, user: Any) -> Level:
    """The depth and filters the query arguments ask for. Arguments starting with `_` (the
    language switch ...) are not filters; anything else must be a dimension of a step above
    this depth, given once."""
    given: dict[str, str] = {}
    for name, values in args.lists():
        if name.startswith("_"):
            continue
        if name not in summary.group_by and name not in summary.drill:
            raise BadFilter(_("Unknown filter: %(name)s.", name=name))
        if len(values) != 1:
            raise BadFilter(_("Filter %(name)s given more than once.", name=name))
        given[name] = values[0]
    all_steps = steps(summary)
    depth = 0
    while depth < len(all_steps) - 1 and all(d in given for d in all_steps[depth]):
        depth += 1
    above = [d for step in all_steps[:depth] for d in step]
    extra = sorted(set(given) - set(above))
    if extra:
        raise BadFilter(_("Unknown filter: %(name)s.", name=extra[0]))
    filters = tuple((d, parse_value(entity, d, given[d], user))
                    for d in dict.fromkeys(above))
    return Level(depth, filters, all_steps[depth], len(all_steps) - 1)


def _is_state(entity: Entity, dim: str) -> bool:
    return entity.workflow is not None and dim == entity.workflow.field


def parse_value(entity: Entity, dim: str, raw: str, user: Any) -> Any:
    """A query argument as the value it stands for; "" is the empty value (NULL)."""
    if dim in SUMMARY_ORG_LEVELS:
        return _parse_org(entity, dim, raw, user)
    if raw == "":
        return None
    if _is_state(entity, dim):
        if entity.workflow.state(raw) is None:  # type: ignore[union-attr]
            raise BadFilter(_("Not a valid value for %(name)s.", name=dim))
        return raw
    f = entity.field(dim)
    if "\x00" in raw:  # no database takes it in a text parameter
        raise BadFilter(_("Not a valid value for %(name)s.", name=dim))
    try:
        value = parse(f, raw)
    except Invalid as exc:
        raise BadFilter(_("Not a valid value for %(name)s.", name=dim)) from exc
    if f.kind.refers and value is not None:
        return _reference(f, value, user)
    return value


def _reference(f: Field, pk: int, user: Any) -> int:
    """The id of a row the viewer may reach (its display shows in the breadcrumb); any other
    answers like one that does not exist."""
    admin = generated()
    model: Any = admin.models[f.to]  # type: ignore[index]
    query = admin.related_query(model, user).where(model.id == pk)
    if admin.session.execute(query.with_only_columns(model.id)).first() is None:
        raise BadFilter(_("Not a valid value for %(name)s.", name=f.name))
    return pk


def _parse_org(entity: Entity, dim: str, raw: str, user: Any) -> Organisation:
    """An organisation of the dimension's level within the viewer's data range or above
    their own; any other answers like one that does not exist."""
    try:
        pk = row_id(raw)
    except types.Invalid:
        pk = None
    org = generated().session.get(Organisation, pk) \
        if pk is not None else None
    level = ORG_LEVEL[dim]
    if org is None or (level is not None and org.level != level) or not _on_branch(
            entity, org, user):
        raise BadFilter(_("Not a valid value for %(name)s.", name=dim))
    return org


def _on_branch(entity: Entity, org: Organisation, user: Any) -> bool:
    if user is None:
        return False
    if user_scope(entity, user) == "all":
        return True
    mine = getattr(user, "org", None)
    if mine is None:
        return False
    path, own = str(org.path), str(mine.path)
    return path.startswith(own) or own.startswith(path)


# -- the table -------------------------------------------------------------------------------
@dataclass
class Row:
    keys: tuple[Any, ...]  # raw group values (organisation dimensions: the Organisation)
    cells: list[str]  # group values as shown
    sums: list[Any]
    count: int
    args: dict[str, str] | None = None  # query arguments of its drill-down


@dataclass
class Crumb:
    text: str
    args: dict[str, str]


@dataclass
class Table:
    summary: Summary
    title: str
    level: Level
    group: list[tuple[str, str]]  # (dimension, header)
    sums: list[Field]
    rows: list[Row]
    total: list[Any]
    count: int
    crumbs: list[Crumb] = field(default_factory=list)
    next_label: str = ""  # header of the dimension a row drills into
    period: Period | None = None  # the batch or period shown (summary `period`)

    @property
    def headers(self) -> list[str]:
        return ([h for _d, h in self.group] + [f.label.get(current_locale()) for f in self.sums]
                + [_("Records")])

    def lines(self) -> Iterable[list[Any]]:
        """Header, rows and the total row, as exported."""
        yield self.headers
        for row in self.rows:
            yield [*row.cells, *row.sums, row.count]
        blanks = [""] * (len(self.group) - 1)
        yield [_("Total"), *blanks, *self.total, self.count]


def dim_label(entity: Entity, dim: str) -> str:
    if dim in SUMMARY_ORG_LEVELS:
        return str(ORG_LABELS[dim])
    if _is_state(entity, dim) and entity.workflow is not None:
        return entity.workflow.state_field.label.get(current_locale())
    return entity.field(dim).label.get(current_locale())


def encode(value: Any) -> str:
    """A group value as a query argument (parse_value reads it back)."""
    if value is None:
        return ""
    if isinstance(value, Organisation):
        return str(value.id)
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return str(value)


def _column(entity: Entity, model: type, name: str) -> Any:
    """The column of a field name, or of the workflow state (which `where` may name)."""
    column = entity.field(name).column if entity.has_field(name) else name
    return getattr(model, column)


def _condition(entity: Entity, model: type, dim: str, value: Any) -> Any:
    if dim in SUMMARY_ORG_LEVELS:
        if ORG_LEVEL[dim] is None:
            return model.org_id == value.id  # type: ignore[attr-defined]
        return within(model.org_path, value.path)  # type: ignore[attr-defined]
    column = _column(entity, model, dim)
    if value is None:
        blank = column.is_(None)
        text = _is_state(entity, dim) or entity.field(dim).kind.blank_text
        return or_(blank, column == "") if text else blank
    return column == value


def _where(entity: Entity, model: type, summary: Summary) -> list[Any]:
    result = []
    for cond in summary.where:
        column = _column(entity, model, cond.field)
        values = [v for v in cond.values if v is not None]
        clause = column.in_(values) if values else false()
        result.append(or_(clause, column.is_(None)) if None in cond.values else clause)
    return result


def build_table(entity: Entity, summary: Summary, args: Any, user: Any) -> Table:
    """Everything the screen, the export and the API show; BadFilter for a wrong argument."""
    admin = generated()
    model = admin.models[entity.qualified]
    session = admin.session
    level = parse_level(entity, summary, args, user)
    hidden = field_rights(entity, user).hidden
    if any(d in hidden for d in (*level.group, *(d for d, _v in level.filters))):
        raise HiddenField()
    sums = [entity.field(s) for s in summary.sums if s not in hidden]
    fields = [d for d in level.group if d not in SUMMARY_ORG_LEVELS]
    orgs = [d for d in level.group if d in SUMMARY_ORG_LEVELS]
    keys = [_column(entity, model, d) for d in fields]
    by_id = ORG in orgs  # the row's own organisation: by id (and its path, for the levels)
    if by_id:
        keys += [model.org_id, model.org_path]  # type: ignore[attr-defined]
    elif orgs:  # levels only: the path prefix reaching the deepest (a literal: the same
        # expression in SELECT and GROUP BY, also where parameters are bound server-side)
        reach = max(PATH_PREFIX[ORG_LEVEL[d]] for d in orgs)  # type: ignore[index]
        keys.append(func.substr(model.org_path, literal_column("1"),  # type: ignore[attr-defined]
                                literal_column(str(reach))))
    base = [c for c in (scope_condition(entity, model, user), *_where(entity, model, summary))
            if c is not None]
    period = summary_period.resolve(entity, summary, model, base, args, user)
    conditions = [*base, summary_period.condition(entity, model, period),
                  *(_condition(entity, model, d, v) for d, v in level.filters)]
    query = (select(*keys, *(func.sum(getattr(model, f.column)) for f in sums), func.count())
             .where(*(c for c in conditions if c is not None)))
    if keys:
        query = query.group_by(*keys)
    results = session.execute(query).all()
    width = len(keys)

    def org_of(result: Any) -> tuple[Any, str | None]:
        return (result[width - 2], result[width - 1]) if by_id else (None, result[width - 1])

    tree: dict[Any, Organisation] = {}
    if orgs:
        places = [org_of(r) for r in results]
        levels = any(ORG_LEVEL[d] is not None for d in orgs)
        tree = _organisations(session, {i for i, _p in places if i is not None},
                              {c for _i, p in places for c in _codes(p)} if levels else set())
    merged: dict[tuple[Any, ...], list[Any]] = {}
    for result in results:
        # "" and NULL are one group: the drill-down filter matches both
        values = {d: None if v == "" else v
                  for d, v in zip(fields, result[:len(fields)], strict=False)}
        for dim in orgs:
            values[dim] = _org_at(tree, *org_of(result), ORG_LEVEL[dim])
        key = tuple(values[d] for d in level.group)
        if not keys and result[-1] == 0:
            continue  # an aggregate without GROUP BY answers one row even over no rows
        slot = merged.setdefault(key, [0] * (len(sums) + 1))
        for i, value in enumerate(result[width:]):
            if value is not None:  # SUM over only empty values is NULL
                slot[i] += decimal.Decimal(str(value)) if isinstance(value, float) else value

    labels = _Labels(entity, session, user)
    labels.prepare(level.group, [k for k in merged])
    labels.prepare([d for d, _v in level.filters], [tuple(v for _d, v in level.filters)])
    base_args = {**(period.args if period is not None else {}),
                 **{d: encode(v) for d, v in level.filters}}
    rows = []
    for key in sorted(merged, key=lambda k: _sort_key(entity, level.group, k)):
        slot = merged[key]
        row = Row(key, [labels.show(d, v) for d, v in zip(level.group, key, strict=True)],
                  [_number(f, v) for f, v in zip(sums, slot, strict=False)], int(slot[-1]))
        # no link where the next level would refuse the filter: no organisation of the
        # level, or a referenced row the viewer may not reach
        drillable = level.drills and not any(
            (v is None and d in SUMMARY_ORG_LEVELS) or not labels.reachable(d, v)
            for d, v in zip(level.group, key, strict=True))
        if drillable:
            row.args = {**base_args, **{d: encode(v) for d, v in
                                        zip(level.group, key, strict=True)}}
        rows.append(row)
    total = [_number(f, sum((merged[k][i] for k in merged), 0)) for i, f in enumerate(sums)]
    table = Table(summary=summary, title=summary.label.get(current_locale()), level=level,
                  group=[(d, dim_label(entity, d)) for d in level.group], sums=sums, rows=rows,
                  total=total, count=sum(int(s[-1]) for s in merged.values()))
    table.period = period
    table.crumbs = _crumbs(entity, summary, level, labels, period.args if period else {})
    if level.drills:
        table.next_label = " / ".join(dim_label(entity, d) for d in steps(summary)[
            level.depth + 1])
    return table


def _crumbs(entity: Entity, summary: Summary, level: Level, labels: _Labels,
            args: dict[str, str]) -> list[Crumb]:
    """The screen's top, then one crumb per step filtered so far (each links to its depth);
    all of them in the period shown."""
    crumbs = [Crumb(summary.label.get(current_locale()), dict(args))]
    values = dict(level.filters)
    for step in steps(summary)[:level.depth]:
        args = {**args, **{d: encode(values[d]) for d in step}}
        text = "，".join(f"{dim_label(entity, d)}：{labels.show(d, values[d])}" for d in step)
        crumbs.append(Crumb(text, args))
    return crumbs


def _chunks(values: Iterable[Any]) -> list[list[Any]]:
    ordered = sorted(values)
    return [ordered[i:i + IN_CHUNK] for i in range(0, len(ordered), IN_CHUNK)]


def _codes(path: str | None) -> list[str]:
    """The whole codes of a path or path prefix ('/CN/350000/9135' -> CN, 350000)."""
    return (path or "").split("/")[1:-1]


def _organisations(session: Any, ids: set[Any], codes: set[str]) -> dict[Any, Organisation]:
    """The organisations of these ids and codes, by id and by code: one query, one more per
    IN_CHUNK ids or codes when the rows span very many organisations."""
    found: dict[Any, Organisation] = {}
    none: list[Any] = []
    for id_chunk, code_chunk in zip_longest(_chunks(ids), _chunks(codes), fillvalue=none):
        condition = or_(Organisation.id.in_(id_chunk), Organisation.code.in_(code_chunk))
        for org in session.execute(select(Organisation).where(condition)).scalars():
            found[org.id] = found[("code", org.code)] = org
    return found


def _org_at(tree: dict[Any, Organisation], org_id: Any, path: str | None,
            level: str | None) -> Organisation | None:
    """The row's organisation (level None) or the one of `level` on its path (itself too)."""
    if level is None:
        return tree.get(org_id)
    for code in _codes(path):
        org = tree.get(("code", code))
        if org is not None and org.level == level:
            return org
    return None


def _sort_key(entity: Entity, group: tuple[str, ...], key: tuple[Any, ...]) -> tuple[Any, ...]:
    """Group values in their natural order (enums as declared, organisations by the tree),
    empty values last."""
    result: list[Any] = []
    for dim, value in zip(group, key, strict=True):
        if value is None:
            result.append((1, 0))
        elif isinstance(value, Organisation):
            result.append((0, value.path))
        elif _is_state(entity, dim):
            order = [s.key for s in entity.workflow.states]  # type: ignore[union-attr]
            result.append((0, order.index(value) if value in order else len(order)))
        elif (choices := _choice_order(entity.field(dim))) is not None:
            text = entity.field(dim).kind.text(entity.field(dim), value)
            result.append((0, choices.index(text) if text in choices else len(choices)))
        else:
            result.append((0, value))
    return tuple(result)


def _choice_order(f: Field) -> list[str] | None:
    """Values picked from a list sort in the list's order (enums as declared, 数据字典 as
    ordered on its page, disabled values in their place)."""
    choices = f.kind.choices(f, render(), every=True)
    return [value for value, _label in choices] if choices else None


def _number(f: Field, value: Any) -> Any:
    if value is None:
        value = 0
    return f.kind.total(f, value)


class _Labels:
    """Group values as shown: enum labels, the display of referenced rows (fetched once per
    target, only rows the viewer may reach), organisation names."""

    def __init__(self, entity: Entity, session: Any, user: Any) -> None:
        self.entity, self.session, self.user = entity, session, user
        self.targets: dict[str, dict[int, str]] = {}  # dim -> reachable id -> display
        self.asked: dict[str, set[int]] = {}

    def _reference(self, dim: str) -> bool:
        return not (dim in SUMMARY_ORG_LEVELS or _is_state(self.entity, dim)) \
            and self.entity.field(dim).kind.refers

    def prepare(self, dims: Iterable[str], keys: list[tuple[Any, ...]]) -> None:
        admin = generated()
        for i, dim in enumerate(dims):
            if not self._reference(dim):
                continue
            model: Any = admin.models[self.entity.field(dim).to]  # type: ignore[index]
            asked = self.asked.setdefault(dim, set())
            ids = {k[i] for k in keys if k[i] is not None} - asked
            asked |= ids
            known = self.targets.setdefault(dim, {})
            for chunk in _chunks(ids):
                query = admin.related_query(model, self.user).where(model.id.in_(chunk))
                known.update({r.id: str(r) for r in self.session.execute(query).scalars()})

    def reachable(self, dim: str, value: Any) -> bool:
        """Whether a group value may be a filter (a referenced row the viewer may reach)."""
        return value is None or not self._reference(dim) or value in self.targets.get(dim, {})

    def show(self, dim: str, value: Any) -> str:
        if value is None:
            return _("(none)")
        if isinstance(value, Organisation):
            return str(value.name)
        if _is_state(self.entity, dim):
            return self.entity.workflow.state_label(value, current_locale())  # type: ignore
        f = self.entity.field(dim)
        if f.kind.refers:
            return self.targets.get(dim, {}).get(value, str(value))
        return f.kind.display(f, value, render())


