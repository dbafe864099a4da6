"""`where` conditions and reference `choices`: which rows a reference field may point to.

A reference field's targets are always limited to the chooser's data range
(`Admin.related_query`); `choices` narrows them further, in the same query, at every door
that resolves a reference (the search endpoint, forms and child lines, the REST API,
imports): see `Admin.choice_query`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import false, or_, select

from app.labels import current_locale
from app.security.scope import is_admin
from app.validation import is_blank
from generator.spec import Condition, Entity, Field, Spec


def column_of(entity: Entity, model: type, name: str) -> Any:
    """The mapped column a condition names: a stored field, or the workflow's state."""
    if entity.workflow is not None and name == entity.workflow.field:
        return getattr(model, name)
    return getattr(model, entity.field(name).column)


def attribute_of(entity: Entity, name: str) -> str:
    """The attribute holding a condition's value on a loaded row (references: their id)."""
    if entity.workflow is not None and name == entity.workflow.field:
        return name
    return entity.field(name).column


def sql_conditions(entity: Entity, model: type, conditions: Iterable[Condition]) -> list[Any]:
    """`where: {field: value or [values]}` as SQL; None among the values means blank."""
    out = []
    for condition in conditions:
        column = column_of(entity, model, condition.field)
        values = [v for v in condition.values if v is not None]
        clause = column.in_(values) if values else false()
        if len(values) < len(condition.values):
            clause = or_(clause, column.is_(None))
        out.append(clause)
    return out


def matches(values: Mapping[str, Any], conditions: Iterable[Condition]) -> bool:
    """The same test in Python, on {attribute: value} of a row already loaded."""
    for condition in conditions:
        value = values.get(condition.field)
        if is_blank(value) and None in condition.values:
            continue
        if value not in condition.values:
            return False
    return True


def choice_conditions(spec: Spec, models: Mapping[str, Any], field: Field, user: Any,
                      via_rule: bool = True) -> list[Any]:
    """SQL conditions on the target model of `field` for its `choices` (none without);
    without `via`, only the target's own `where` (what the search form's picker offers: a
    binding is searched by an imported product that is bound already)."""
    rule = field.choices
    if rule is None or field.to is None:
        return []
    target, model = spec.entity(field.to), models[field.to]
    out = sql_conditions(target, model, rule.where)
    if not via_rule or rule.via is None or rule.via_field is None:
        return out
    via, via_model = spec.entity(rule.via), models[rule.via]
    link = getattr(via_model, via.field(rule.via_field).column)
    rows = select(via_model.id).where(link == model.id,
                                      *sql_conditions(via, via_model, rule.via_where))
    if rule.own and via.org_scoped and not (user is not None and is_admin(user)):
        org_id = getattr(user, "org_id", None)
        rows = rows.where(via_model.org_id == org_id if org_id is not None else false())
    exists = rows.exists()
    out.append(exists if rule.exists else ~exists)
    return out


def refusal(field: Field) -> str:
    """What a person is told when a value outside the field's choices is sent."""
    rule = field.choices
    if rule is not None and rule.message is not None:
        return rule.message.get(current_locale())
    return _("The selected record does not exist.")
