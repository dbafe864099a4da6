"""Which columns a spreadsheet has for an entity and a user, and how values look in it.

One definition serves export (values out), templates (headers, drop-downs, instructions) and
import (headers matched back, values parsed). Field rights apply: hidden fields are left out;
read-only fields are exported but cannot be imported.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.labels import current_locale, render
from app.security.fields import field_rights
from generator.builders.columns import sheet_columns
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
    def is_org(self) -> bool:
        return self.field is None

    @property
    def by_display(self) -> bool:
        """Cells name a row by its display text (references, the organisation)."""
        return self.field is None or self.field.kind.resolves_by_display

    @property
    def text_format(self) -> bool:
        """Spreadsheet cells are formatted as text (codes keep their leading zeros)."""
        return self.field is None or self.field.kind.keeps_text_format

    @property
    def percent(self) -> bool:
        return self.field is not None and self.field.kind.percent(self.field)

    @property
    def required(self) -> bool:
        return bool(self.field is not None and self.field.required)


def columns(entity: Entity, names: list[str] | None = None, *, for_import: bool = False,
            user: Any = None) -> list[Column]:
    """Spreadsheet columns of the builder (generator/builders/columns.py), the reader's
    rights applied: hidden fields are left out, read-only ones are not importable."""
    rights = field_rights(entity, user)
    locale = current_locale()
    out = []
    for column in sheet_columns(entity, tuple(names) if names is not None else None,
                                for_import):
        if column.key in rights.hidden:
            continue
        importable = column.importable and column.key not in rights.readonly
        if for_import and not importable:
            continue
        out.append(Column(column.key, column.label.get(locale), column.field, importable))
    return out


def cell(column: Column, row: Any) -> Any:
    """The value of one row in one column, as a spreadsheet shows it (codes stay text,
    numbers and dates typed)."""
    if column.key == ORG:
        org = getattr(row, "org", None)
        return org.name if org is not None else ""
    f = column.field
    assert f is not None
    if f.kind.uploads:
        return f.kind.display(f, getattr(row, file_attr(f.name)), render())
    return f.kind.cell(f, getattr(row, f.name), render())
