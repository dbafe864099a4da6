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

import csv
import datetime as dt
import decimal
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import zip_longest
from typing import Any

from flask import Response, abort, current_app, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.api import expose as api_expose
from flask_appbuilder.api import protect, safe
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from sqlalchemy import false, func, literal_column, or_, select

from app import gate
from app.labels import current_locale, lazy
from app.security.fields import field_rights
from app.security.headers import content_disposition
from app.security.matrix import summary_menu
from app.security.models import Organisation
from app.security.scope import current, scope_condition, user_scope, within
from generator.models import class_name
from generator.spec import SUMMARY_ORG_LEVELS, Entity, Field, Summary

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
        if f.type == "integer":
            return _whole(raw)
        if f.type == "reference":
            return _reference(f, _whole(raw), user)
        if f.type == "decimal":
            value = decimal.Decimal(raw)
            if not value.is_finite():
                raise ValueError(raw)
            return value
        if f.type == "boolean":
            return {"1": True, "0": False, "true": True, "false": False}[raw]
        if f.type == "date":
            return dt.date.fromisoformat(raw)
        if f.type == "datetime":
            return dt.datetime.fromisoformat(raw)
        if f.type == "enum" and raw not in {v.value for v in f.values}:
            raise ValueError(raw)
    except (ValueError, KeyError, decimal.InvalidOperation) as exc:
        raise BadFilter(_("Not a valid value for %(name)s.", name=dim)) from exc
    return raw


def _whole(raw: str) -> int:
    """A whole number a 64-bit column can hold (ASCII digits only)."""
    digits = raw.removeprefix("-")
    if not (digits.isascii() and digits.isdigit()) or len(digits) > 18:
        raise ValueError(raw)
    return int(raw)


def _reference(f: Field, pk: int, user: Any) -> int:
    """The id of a row the viewer may reach (its display shows in the breadcrumb); any other
    answers like one that does not exist."""
    admin = current_app.extensions["admin"]
    model: Any = admin.models[f.to]  # type: ignore[index]
    query = admin.related_query(model, user).where(model.id == pk)
    if admin.session.execute(query.with_only_columns(model.id)).first() is None:
        raise BadFilter(_("Not a valid value for %(name)s.", name=f.name))
    return pk


def _parse_org(entity: Entity, dim: str, raw: str, user: Any) -> Organisation:
    """An organisation of the dimension's level within the viewer's data range or above
    their own; any other answers like one that does not exist."""
    try:
        pk = _whole(raw)
    except ValueError:
        pk = None
    org = current_app.extensions["admin"].session.get(Organisation, pk) \
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
        text = _is_state(entity, dim) or entity.field(dim).type == "string"
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
    admin = current_app.extensions["admin"]
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
    conditions = [scope_condition(entity, model, user), *_where(entity, model, summary),
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
    base_args = {d: encode(v) for d, v in level.filters}
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
    table.crumbs = _crumbs(entity, summary, level, labels)
    if level.drills:
        table.next_label = " / ".join(dim_label(entity, d) for d in steps(summary)[
            level.depth + 1])
    return table


def _crumbs(entity: Entity, summary: Summary, level: Level, labels: _Labels) -> list[Crumb]:
    """The screen's top, then one crumb per step filtered so far (each links to its depth)."""
    crumbs = [Crumb(summary.label.get(current_locale()), {})]
    values = dict(level.filters)
    args: dict[str, str] = {}
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
        elif entity.field(dim).type == "enum":
            order = [v.value for v in entity.field(dim).values]
            result.append((0, order.index(value) if value in order else len(order)))
        else:
            result.append((0, value))
    return tuple(result)


def _number(f: Field, value: Any) -> Any:
    if value is None:
        value = 0
    if f.type == "decimal":
        return decimal.Decimal(str(value)).quantize(decimal.Decimal(1).scaleb(-f.scale))
    return int(value)


class _Labels:
    """Group values as shown: enum labels, the display of referenced rows (fetched once per
    target, only rows the viewer may reach), organisation names."""

    def __init__(self, entity: Entity, session: Any, user: Any) -> None:
        self.entity, self.session, self.user = entity, session, user
        self.targets: dict[str, dict[int, str]] = {}  # dim -> reachable id -> display
        self.asked: dict[str, set[int]] = {}

    def _reference(self, dim: str) -> bool:
        return not (dim in SUMMARY_ORG_LEVELS or _is_state(self.entity, dim)) \
            and self.entity.field(dim).type == "reference"

    def prepare(self, dims: Iterable[str], keys: list[tuple[Any, ...]]) -> None:
        admin = current_app.extensions["admin"]
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
        if f.type == "enum":
            return f.enum_label(value, current_locale())
        if f.type == "reference":
            return self.targets.get(dim, {}).get(value, str(value))
        if f.type == "boolean":
            return _("Yes") if value else _("No")
        if isinstance(value, dt.datetime):
            return value.strftime("%Y-%m-%d %H:%M:%S")
        if isinstance(value, dt.date):
            return value.isoformat()
        return str(value)


# -- files -----------------------------------------------------------------------------------
def _file_name(table: Table, suffix: str) -> str:
    return f"{table.title}_{dt.date.today():%Y%m%d}{suffix}"


def _disposition(name: str) -> str:
    return content_disposition(name, "summary")


def csv_bytes(table: Table) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for line in table.lines():
        writer.writerow(["" if v is None else str(v) for v in line])
    return "\ufeff".encode() + buffer.getvalue().encode("utf-8")


def xlsx_bytes(table: Table) -> bytes:
    import xlsxwriter

    stream = io.BytesIO()
    book = xlsxwriter.Workbook(stream, {"in_memory": True, "strings_to_numbers": False,
                                        "strings_to_formulas": False, "strings_to_urls": False})
    sheet = book.add_worksheet(table.title[:31])
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
        return redirect(refused.url)

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


def build_view(entity: Entity, summary: Summary) -> type:
    return type(f"{class_name(entity)}Summary_{summary.key}", (SummaryView,), {
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
