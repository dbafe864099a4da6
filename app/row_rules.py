"""Rules between the fields of one row, the same at every door that writes it (forms, child
lines, list editing, REST, imports, 变更): `required_if`, `visible_if`, `readonly_if` and
cascading references (`depends_on`).

`values` is the row as it will be saved (field name -> typed value; references as rows or
ids), `before` the row as stored (for a new row: the fields' defaults).

- An enum with `choices_by` takes only the values listed for the other field's value.

- A field whose `visible_if` is false is hidden: never required, and its value is reset to
  its default (blank without one) when the row is saved (`hidden`; the doors write it).
- A field whose `readonly_if` holds on the stored row or on the row as it will be cannot be
  changed: a different value is refused.
- A cascading reference must point at a row whose `match` is the row the parent field holds.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from flask_babel import gettext as _

from app.labels import current_locale
from generator.expr import Expr, ExprEvalError, compile_expr
from generator.spec import Entity, Field
from generator.types import is_blank

Errors = dict[str, list[str]]


@lru_cache(maxsize=512)
def _compiled(source: str, names: frozenset[str]) -> Expr:
    return compile_expr(source, names)  # checked by `schema check`: it compiles


def holds(entity: Entity, source: str, values: Mapping[str, Any]) -> bool:
    """Whether the expression is true on `values`; references read as their ids and an
    expression that cannot be evaluated (text compared with a number) as false."""
    names = frozenset(f.name for f in entity.column_fields if f.kind.in_expressions)
    expr = _compiled(source, names)
    plain = {n: _plain(values.get(n)) for n in expr.names}
    try:
        return bool(expr.evaluate(plain))
    except ExprEvalError:
        return False


def _plain(value: Any) -> Any:
    """A value as the form's script reads it: blank text is None, a row its id, a date its
    ISO text (so `d >= '2026-01-01'` means the same on both sides)."""
    if isinstance(value, str) and value == "":
        return None
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return getattr(value, "id", value)


def hidden(entity: Entity, values: Mapping[str, Any]) -> list[str]:
    """The fields whose `visible_if` is false on the row as it will be."""
    return [f.name for f in entity.fields
            if f.visible_if and not holds(entity, f.visible_if, values)]


def hidden_on_row(entity: Entity, row: Any) -> list[str]:
    """The fields a stored row's `visible_if` hides (its detail page leaves them out)."""
    return hidden(entity, {f.name: getattr(row, f.name, None) for f in entity.column_fields})


def clear_hidden(entity: Entity, row: Any) -> None:
    """Reset the hidden fields of a loaded row (the doors that set values on the row)."""
    values = {f.name: getattr(row, f.name) for f in entity.column_fields}
    for name in hidden(entity, values):
        f = entity.field(name)
        if f.is_column and not _same(values.get(name), default_of(f)):
            setattr(row, f.column if f.kind.refers else name, default_of(f))


def default_of(f: Field) -> Any:
    return f.default if f.default is not None and f.kind.accepts_default else None


def defaults(entity: Entity) -> dict[str, Any]:
    """What a new row holds before anything is written: its fields' defaults."""
    return {f.name: default_of(f) for f in entity.column_fields}


def _required(entity: Entity, f: Field, values: Mapping[str, Any]) -> bool:
    rule = f.required_if
    if rule is None:
        return False
    if rule.expr is not None:
        return holds(entity, rule.expr, values)
    other = values.get(rule.field)
    return (not is_blank(other)) if not rule.values else other in rule.values


def _required_message(entity: Entity, f: Field) -> str:
    rule = f.required_if
    if rule is not None and rule.field:
        other_label = entity.field(rule.field).label.get(current_locale())
        return _("Required when %(other)s is filled in as shown.", other=other_label)
    return _("Required given what is filled in on this form.")


def _same(a: Any, b: Any) -> bool:
    a, b = _plain(a), _plain(b)
    return (is_blank(a) and is_blank(b)) or a == b


def row_rule_errors(entity: Entity, values: Mapping[str, Any],
                    before: Mapping[str, Any] | None = None) -> Errors:
    """Every rule between the fields of the row, collected per field. `before` None: no
    readonly_if (the stored values are not known here)."""
    errors: Errors = {}
    gone = set(hidden(entity, values))
    for f in entity.fields:
        if f.name in gone:
            continue
        if is_blank(values.get(f.name)) and _required(entity, f, values):
            errors.setdefault(f.name, []).append(_required_message(entity, f))
        if (before is not None and f.readonly_if and f.is_column
                and not _same(values.get(f.name), before.get(f.name))
                and (holds(entity, f.readonly_if, before)
                     or holds(entity, f.readonly_if, values))):
            errors.setdefault(f.name, []).append(
                _("This field cannot be changed given what is filled in on this form."))
        if f.depends_on is not None and not is_blank(values.get(f.name)):
            message = _cascade_error(entity, f, values)
            if message:
                errors.setdefault(f.name, []).append(message)
        if f.choices_by is not None and not is_blank(values.get(f.name)):
            allowed = f.choices_by.allowed(_plain(values.get(f.choices_by.field)))
            if allowed is not None and values.get(f.name) not in allowed:
                parent_label = entity.field(f.choices_by.field).label.get(current_locale())
                errors.setdefault(f.name, []).append(
                    _("Not one of the choices of the chosen %(parent)s.", parent=parent_label))
    return errors


def _cascade_error(entity: Entity, f: Field, values: Mapping[str, Any]) -> str | None:
    from app.context import generated

    rule = f.depends_on
    assert rule is not None
    admin = generated()
    match = admin.spec.entity(f.target).field(rule.match).column
    locale = current_locale()
    parent = values.get(rule.field)
    parent_label = entity.field(rule.field).label.get(locale)
    if is_blank(parent):
        return _("Choose %(parent)s first.", parent=parent_label)
    chosen = values.get(f.name)
    if not hasattr(chosen, "id"):  # an id (a stored row's, an import's)
        chosen = admin.session.get(admin.models[f.target], chosen)
        if chosen is None:
            return None  # no such row: the reference's own refusal says so
    if getattr(chosen, match, None) != _plain(parent):
        return _("Not one of the choices of the chosen %(parent)s.", parent=parent_label)
    return None
