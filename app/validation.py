"""Field rules from the Spec, applied the same way to forms, the REST API and (later) imports.

Every message is Chinese through the catalog; errors are collected per field, never raised one
at a time, so a person sees everything that is wrong at once.
"""

from __future__ import annotations

import datetime as dt
import decimal
import re
from collections.abc import Mapping
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext
from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from app.labels import current_locale
from generator.identifiers import NORMALIZERS, VALIDATORS
from generator.spec import Entity, Field

Errors = dict[str, list[str]]

# The identifier messages are defined in the generator (no Flask there); list them here so
# that extraction puts them into the catalog.
IDENTIFIER_MESSAGES = [
    lazy_gettext("Not a valid unified social credit code (18 characters, GB 32100 check "
                 "character)."),
    lazy_gettext("Not a valid resident ID card number (18 characters, GB 11643 check "
                 "character, real birth date)."),
    lazy_gettext("Not a valid drug approval number (国药准字 + letter code + 8 digits)."),
    lazy_gettext("Not a valid mainland China mobile number (11 digits starting with 13 to 19)."),
]


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "") or value == []


def normalize(field: Field, value: Any) -> Any:
    """Canonical form stored for a value: identifiers normalised, text stripped."""
    if isinstance(value, str):
        value = value.strip()
        for name in field.validators:
            value = NORMALIZERS[name](value)
    return value


def field_errors(field: Field, value: Any) -> list[str]:
    """Rules that look at one already-typed value."""
    if is_blank(value):
        return [_("This field is required.")] if field.required else []
    errors: list[str] = []
    if field.type in ("string", "text"):
        length = len(value)
        if field.min is not None and length < field.min:
            errors.append(_("At least %(min)s characters.", min=field.min))
        if field.max_length is not None and length > field.max_length:
            errors.append(_("At most %(max)s characters.", max=field.max_length))
        if field.regex and not re.fullmatch(field.regex, value):
            errors.append(field.regex_message.get(current_locale()) if field.regex_message
                          else _("Does not match the required format."))
        for name in field.validators:
            predicate, message = VALIDATORS[name]
            if not predicate(value):
                errors.append(_(message))
    elif field.type in ("integer", "decimal", "date", "datetime"):
        if field.min is not None and value < field.min:
            errors.append(_("Must be at least %(min)s.", min=field.min))
        if field.max is not None and value > field.max:
            errors.append(_("Must be at most %(max)s.", max=field.max))
        if field.type == "decimal" and isinstance(value, decimal.Decimal):
            errors.extend(_decimal_shape(field, value))
    elif field.type == "enum" and value not in [v.value for v in field.values]:
        errors.append(_("Not one of the allowed values: %(values)s.",
                        values="、".join(v.label.get(current_locale()) for v in field.values)))
    return errors


def _decimal_shape(field: Field, value: decimal.Decimal) -> list[str]:
    sign, digits, exponent = value.as_tuple()
    places = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    whole = len(digits) - places
    if places > field.scale:
        return [_("At most %(places)s decimal places.", places=field.scale)]
    if whole > field.precision - field.scale:
        return [_("Too many digits: at most %(digits)s before the decimal point.",
                  digits=field.precision - field.scale)]
    return []


def required_if_errors(entity: Entity, values: Mapping[str, Any]) -> Errors:
    errors: Errors = {}
    for field in entity.fields:
        rule = field.required_if
        if rule is None or not is_blank(values.get(field.name)):
            continue
        other = values.get(rule.field)
        triggered = (not is_blank(other)) if not rule.values else other in rule.values
        if triggered:
            other_label = entity.field(rule.field).label.get(current_locale())
            errors.setdefault(field.name, []).append(
                _("Required when %(other)s is filled in as shown.", other=other_label))
    return errors


ORG_COLUMN = "org_id"  # an index of an org-scoped entity may include the row's organisation


def unique_errors(entity: Entity, model: type, session: Session, values: Mapping[str, Any],
                  exclude_id: Any = None, org: Any = None) -> Errors:
    """Check every unique index (single field and together) against the database.

    An index may include the row's organisation: `values["org"]` when one was chosen, else
    `org` (the stored row's, or for a new row the user's: see security/assign.py)."""
    errors: Errors = {}
    by_column = {f.column: f for f in entity.fields}
    chosen = values.get("org")
    org_id = getattr(chosen if chosen is not None else org, "id",
                     chosen if chosen is not None else org)
    for index in entity.indexes:
        if not index.unique:
            continue
        current = []
        for column in index.fields:
            if column == ORG_COLUMN:
                current.append(org_id)
                continue
            f = by_column[column]
            value = values.get(f.name)
            current.append(getattr(value, "id", value) if f.type == "reference" else value)
        if any(is_blank(v) for v in current):
            continue  # NULLs never collide
        pairs = zip(index.fields, current, strict=True)
        condition = and_(*(getattr(model, c) == v for c, v in pairs))
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


# -- turning JSON values into typed values (REST API) ---------------------------------------
class Invalid(ValueError):
    pass


def coerce(field: Field, raw: Any) -> Any:
    """JSON value -> typed value for the field, or raise Invalid with a Chinese message."""
    if raw is None or (isinstance(raw, str) and raw.strip() == "" and field.type != "string"):
        return None
    kind = field.type
    if kind in ("string", "text", "enum", "file"):
        if not isinstance(raw, str):
            raise Invalid(_("Must be text."))
        return raw
    if kind == "integer":
        if isinstance(raw, bool) or not isinstance(raw, (int, str)) or (
                isinstance(raw, str) and not re.fullmatch(r"-?\d+", raw.strip())):
            raise Invalid(_("Must be a whole number."))
        return int(raw)
    if kind == "decimal":
        if isinstance(raw, bool) or not isinstance(raw, (int, float, str)):
            raise Invalid(_("Must be a number."))
        try:
            return decimal.Decimal(str(raw).strip())
        except decimal.InvalidOperation:
            raise Invalid(_("Must be a number.")) from None
    if kind == "boolean":
        if isinstance(raw, bool):
            return raw
        raise Invalid(_("Must be true or false."))
    if kind == "date":
        try:
            return dt.date.fromisoformat(str(raw))
        except ValueError:
            raise Invalid(_("Must be a date like 2026-01-31.")) from None
    if kind == "datetime":
        try:
            return dt.datetime.fromisoformat(str(raw))
        except ValueError:
            raise Invalid(_("Must be a date and time like 2026-01-31 08:30:00.")) from None
    if kind == "reference":
        if isinstance(raw, bool) or not isinstance(raw, (int, str)) or not str(raw).isdigit():
            raise Invalid(_("Must be the id of a record."))
        return int(raw)
    return raw
