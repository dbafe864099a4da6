"""Which columns a spreadsheet has for an entity and a user, and how values look in it.

One definition serves export (values out), templates (headers, drop-downs, instructions) and
import (headers matched back, values parsed). Field rights apply: hidden fields are left out;
read-only fields are exported but cannot be imported.
"""

from __future__ import annotations

import datetime as dt
import decimal
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _

from app.labels import current_locale
from app.security.fields import field_rights
from generator.models import file_attr
from generator.spec import Entity, Field

ORG = "org"


@dataclass(frozen=True)
class Column:
    key: str  # field name, or "org"
    header: str  # Chinese label
    field: Field | None  # None for the organisation column
    importable: bool

    @property
    def kind(self) -> str:
        return self.field.type if self.field is not None else "org"

    @property
    def required(self) -> bool:
        return bool(self.field is not None and self.field.required)


def columns(entity: Entity, names: list[str] | None = None, *, for_import: bool = False,
            user: Any = None) -> list[Column]:
    """Spreadsheet columns: the given list columns (or every field), rights applied."""
    rights = field_rights(entity, user)
    locale = current_locale()
    if names is None:
        names = [f.name for f in entity.fields] + ([ORG] if entity.scope is not None else [])
    out = []
    for name in names:
        base = name.removesuffix("_file") if name.endswith("_file") else name
        if base == ORG:
            if entity.org_scoped and ORG not in rights.hidden:
                out.append(Column(ORG, _("Organisation"), None, entity.scope is not None))
            continue
        flow = entity.workflow
        if flow is not None and base == flow.field:  # the state: exported, never imported
            if not for_import:
                state = flow.state_field
                out.append(Column(base, state.label.get(locale), state, False))
            continue
        if not entity.has_field(base) or base in rights.hidden:
            continue
        f = entity.field(base)
        if f.type == "child" or (for_import and f.type in ("computed", "file")):
            continue
        logged = entity.workflow is not None and entity.workflow.log_field == base
        importable = (f.type not in ("computed", "file") and base not in rights.readonly
                      and not logged)  # the review log is written by transitions only
        if for_import and not importable:
            continue
        out.append(Column(base, f.label.get(locale), f, importable))
    return out


def cell(column: Column, row: Any) -> Any:
    """The value of one row in one column, as a spreadsheet shows it (codes stay text)."""
    if column.key == ORG:
        org = getattr(row, "org", None)
        return org.name if org is not None else ""
    f = column.field
    assert f is not None
    if f.type == "file":
        ref = getattr(row, file_attr(f.name))
        return ref.name if ref is not None else ""
    value = getattr(row, f.name)
    if value is None:
        return ""
    if f.type == "enum":
        return f.enum_label(value, current_locale())
    if f.type == "boolean":
        return _("Yes") if value else _("No")
    if f.type == "reference":
        return str(value)
    if f.type == "computed":
        if f.format == "percent" and isinstance(value, (int, float, decimal.Decimal)):
            return float(value)
        return value
    if isinstance(value, (dt.date, dt.datetime, int, float, decimal.Decimal)):
        return value
    return str(value)
