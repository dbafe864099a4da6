"""The period of a summary (`period: batch`): one batch, year or date at a time.

The screen, its export and the REST door read the query argument `_period` (arguments starting
with `_` are not drill filters); without it they show the default period: for a reference the
first row of the target the viewer may see in the target's `default_order` (batches: the
newest), for any other field the greatest value among the summary's rows. `_period=all` adds
the periods up, and is only accepted when the summary groups by the period as well (each period
is then a row of its own): two batches are never added together by default or by accident.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from app.context import generated
from app.labels import current_locale, render
from generator.spec import Entity, Summary

ARGUMENT = "_period"
ALL = "all"


@dataclass(frozen=True)
class Period:
    field: str
    label: str  # the field's label, e.g. 国采批次
    value: Any  # what the rows are filtered to; None with `all`
    arg: str  # the encoded value, as links carry it
    choices: tuple[tuple[str, str], ...]  # (encoded value, label), `all` first when allowed

    @property
    def args(self) -> dict[str, str]:
        return {ARGUMENT: self.arg}

    @property
    def text(self) -> str:
        return dict(self.choices).get(self.arg, "")


def _choices(entity: Entity, summary: Summary, model: Any, base: list[Any], user: Any
             ) -> list[tuple[Any, str]]:
    """(value, label) of the periods, the default first."""
    from app.summary_table import _column

    admin = generated()
    f = entity.field(str(summary.period))
    if f.kind.refers:
        target = admin.models[str(f.to)]
        spec_target = admin.spec.entity(str(f.to))
        order = spec_target.default_order
        query = admin.related_query(target, user)
        if order is not None and order[0] != "id":
            column = getattr(target, spec_target.field(order[0]).column)
            query = query.order_by(column.desc() if order[1] == "desc" else column.asc())
        rows = admin.session.execute(query.order_by(target.id.desc())).scalars().all()
        return [(row.id, str(row)) for row in rows]
    column = _column(entity, model, f.name)
    values = admin.session.execute(select(column).where(*base).distinct()
                                   .order_by(column.desc())).scalars().all()
    return [(v, f.kind.display(f, v, render())) for v in values if v is not None]


def resolve(entity: Entity, summary: Summary, model: Any, base: list[Any], args: Any,
            user: Any) -> Period | None:
    """The period the request asks for (or the default); BadFilter for a wrong one."""
    from app.summary_table import BadFilter, encode, parse_value

    name = summary.period
    if name is None:
        return None
    grouped = name in summary.group_by
    options = [(encode(v), label) for v, label in _choices(entity, summary, model, base, user)]
    choices = ([(ALL, _("All"))] if grouped else []) + options
    label = entity.field(name).label.get(current_locale())
    raw = args.get(ARGUMENT)
    if raw is None or raw == "":
        if not options:
            return Period(name, label, None, ALL if grouped else "", tuple(choices))
        return Period(name, label, parse_value(entity, name, options[0][0], user),
                      options[0][0], tuple(choices))
    if raw == ALL:
        if not grouped:
            raise BadFilter(_("Not a valid value for %(name)s.", name=label))
        return Period(name, label, None, ALL, tuple(choices))
    return Period(name, label, parse_value(entity, name, raw, user), raw, tuple(choices))


def condition(entity: Entity, model: Any, period: Period | None) -> Any:
    """The rows of the period (None: no condition)."""
    from app.summary_table import _condition

    if period is None or period.arg == ALL:
        return None
    if period.value is None:  # nothing to choose from: no rows
        from sqlalchemy import false

        return false()
    return _condition(entity, model, period.field, period.value)


__all__ = ["ALL", "ARGUMENT", "Period", "condition", "resolve"]
