"""`when` guards of transitions: a setting of the row's region decides whether a step applies.

Example: a province sets its 审核方式 (逐级审核 / 跳过区县 / 省级直审) per batch; the county's
审核通过 applies only where the setting says 逐级审核. The setting that holds for a row is the one
of the row's own organisation or, failing that, of its nearest ancestor (the longest org_path
that is a prefix of the row's), equal on the `match` fields; none at all means `default`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import and_, or_, select

from app.context import generated
from app.labels import current_locale, render
from generator.spec import Entity, Transition, When


def _key(entity: Entity, names: tuple[str, ...], row: Any) -> tuple[Any, ...]:
    return tuple(getattr(row, entity.field(n).column) for n in names)


def setting_values(when: When, entity: Entity, rows: Iterable[Any], session: Any
                   ) -> dict[int, Any]:
    """{row id: the setting's value for the row} in one query for all the rows."""
    admin = generated()
    setting_entity = admin.spec.entity(when.entity)
    model = admin.models[when.entity]
    rows = list(rows)
    keys = {_key(entity, when.match, row) for row in rows}
    columns = [getattr(model, setting_entity.field(n).column) for n in when.match]
    query = select(model.org_path, getattr(model, setting_entity.field(when.field).column),
                   *columns)
    if columns:
        query = query.where(or_(*[_equal(columns, key) for key in keys]))
    found = session.execute(query).all()
    out: dict[int, Any] = {}
    for row in rows:
        key, path = _key(entity, when.match, row), row.org_path or ""
        best: tuple[int, Any] | None = None
        for org_path, value, *match in found:
            nearer = best is None or len(org_path or "") > best[0]
            if tuple(match) == key and org_path and path.startswith(org_path) and nearer:
                best = (len(org_path), value)
        out[row.id] = best[1] if best is not None else when.default
    return out


def _equal(columns: list[Any], key: tuple[Any, ...]) -> Any:
    return and_(*[c.is_(None) if v is None else c == v for c, v in zip(columns, key,
                                                                       strict=True)])


def refusal(transition: Transition, value: Any) -> str:
    """Why the step does not apply to a row under its region's setting."""
    when = transition.when
    assert when is not None
    admin = generated()
    field = admin.spec.entity(when.entity).field(when.field)
    locale = current_locale()
    shown = field.kind.display(field, value, render()) if value is not None else ""
    return _("%(action)s does not apply here: %(setting)s is %(value)s.",
             action=transition.label.get(locale), setting=field.label.get(locale),
             value=shown or "—")


def applies(transition: Transition, entity: Entity, row: Any, session: Any) -> bool:
    """For one row (the detail page's buttons)."""
    when = transition.when
    if when is None:
        return True
    return setting_values(when, entity, [row], session)[row.id] in when.values
