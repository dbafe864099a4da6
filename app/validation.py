"""Field rules from the Spec, applied the same way at every door (forms, list editing, the
REST API, imports, summaries' filters).

Reading a raw value and checking a typed one are the field type's (generator/types); this
module turns its messages into the reader's language and adds the rules that involve other
fields or other rows: required, required_if, unique. Errors are collected per field, never
raised one at a time, so a person sees everything that is wrong at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import and_, func, inspect, select
from sqlalchemy.orm import Session

from app.labels import current_locale, say
from generator import types
from generator.spec import Entity, Field
from generator.types import is_blank

Errors = dict[str, list[str]]

__all__ = ["NEW", "Errors", "Invalid", "field_errors", "is_blank", "parse", "required_if_errors",
           "unique_errors"]


class Invalid(ValueError):
    """A raw value the field cannot take; str() is the message in the reader's language."""


def parse(field: Field, raw: Any) -> Any:
    """Any door's raw value -> the typed value (None when blank), or raise Invalid."""
    try:
        return field.kind.parse(field, raw)
    except types.Invalid as exc:
        raise Invalid(say(exc.message)) from None


NEW = object()  # field_errors: no stored value (a new row, or a value set from outside)


def field_errors(field: Field, value: Any, stored: Any = NEW) -> list[str]:
    """Rules that look at one typed value. `stored`: what the row holds now; a value it
    already holds is not new input (a disabled 数据字典 value may stay)."""
    if is_blank(value):
        return [_("This field is required.")] if field.required else []
    kind = field.kind
    messages = kind.validate(field, value)
    if not messages and (stored is NEW or stored != value):
        messages = kind.new_value_errors(field, value)
        if kind.person and not messages:  # whom the signed-in person may choose
            from app.people import refusal

            refused = refusal(field, value)
            return [refused] if refused else []
    return [say(m) for m in messages] if messages else []


def required_if_errors(entity: Entity, values: Mapping[str, Any],
                       before: Mapping[str, Any] | None = None) -> Errors:
    """required_if, readonly_if (with `before`, the stored row) and cascading references:
    app/row_rules.py."""
    from app.row_rules import row_rule_errors

    return row_rule_errors(entity, values, before)


ORG_COLUMN = "org_id"  # an index of an org-scoped entity may include the row's organisation


def held_by(entity: Entity, index: Any, values: Mapping[str, Any], row: Any) -> bool:
    """Whether a row with these values (and the stored row's state) falls under the index."""
    for condition in index.where:
        flow = entity.workflow
        if flow is not None and condition.field == flow.field:
            value = getattr(row, flow.field, None) if row is not None else flow.initial
        else:
            value = values.get(condition.field)
        if value not in condition.values:
            return False
    return True


def partial_conditions(model: Any, index: Any) -> list[Any]:
    return [getattr(model, c.field).in_([v for v in c.values if v is not None])
            for c in index.where]


def unique_errors(entity: Entity, model: Any, session: Session, values: Mapping[str, Any],
                  exclude_id: Any = None, org: Any = None, row: Any = None) -> Errors:
    """Check every unique index (single field and together) against the database.

    An index may include the row's organisation: `values["org"]` when one was chosen, else
    `org` (the stored row's, or for a new row the user's: see security/assign.py). A partial
    index (`where`) holds among the rows matching it, for a row that matches it (its state:
    the stored `row`'s, or a new row's initial one)."""
    errors: Errors = {}
    by_column = {f.column: f for f in entity.fields}
    chosen = values.get("org")
    org_id = getattr(chosen if chosen is not None else org, "id",
                     chosen if chosen is not None else org)
    for index in entity.indexes:
        if not index.unique or not held_by(entity, index, values, row):
            continue
        current = []
        for column in index.fields:
            if column == ORG_COLUMN:
                current.append(org_id)
                continue
            f = by_column[column]
            value = values.get(f.name)
            current.append(getattr(value, "id", value) if f.kind.refers else value)
        if any(is_blank(v) for v in current):
            continue  # NULLs never collide
        pairs = zip(index.fields, current, strict=True)
        condition = and_(*(getattr(model, c) == v for c, v in pairs),
                         *partial_conditions(model, index))
        query = select(func.count()).select_from(model).where(condition)
        if exclude_id is not None:
            query = query.where(model.id != exclude_id)
        if session.execute(query).scalar():
            locale = current_locale()
            names = [by_column[c].name if c != ORG_COLUMN else "org" for c in index.fields]
            if len(names) == 1:
                message = _("This value is already used by another record.")
            else:
                message = _("The combination of %(fields)s is already used by another record.",
                            fields="、".join(by_column[c].label.get(locale) if c != ORG_COLUMN
                                            else _("Organisation") for c in index.fields))
            for name in names:
                errors.setdefault(name, []).append(message)
    return errors


def row_errors(entity: Entity, model: Any, session: Session, row: Any,
               names: list[str]) -> Errors:
    """The rules of every door on a row whose `names` were just set on it (a change
    request being accepted): each value by its field type, required_if and uniqueness on
    the row as it now is."""
    from app.row_rules import clear_hidden

    clear_hidden(entity, row)
    values = {f.name: getattr(row, f.name) for f in entity.column_fields}
    errors: Errors = {}
    for name in names:
        f = entity.field(name)
        value = values.get(name)
        messages = field_errors(f, getattr(value, "id", value) if f.kind.refers else value,
                                stored=value)  # accepted as asked for when it was allowed
        if messages:
            errors[name] = messages
    for name, messages in required_if_errors(entity, values, stored_values(entity, row)
                                             ).items():
        errors.setdefault(name, []).extend(messages)
    if not errors:
        errors.update(unique_errors(entity, model, session, values, row.id,
                                    org=getattr(row, "org_id", None), row=row))
    return errors


def stored_values(entity: Entity, row: Any) -> dict[str, Any]:
    """The row's fields as loaded from the database, before the changes set on it since."""
    state = inspect(row)
    out = {}
    for f in entity.column_fields:
        history = state.attrs[f.column].history
        before = history.deleted or history.unchanged
        out[f.name] = before[0] if before else getattr(row, f.column)
    return out
