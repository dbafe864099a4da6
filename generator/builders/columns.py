"""Spec entity -> the columns of its spreadsheets: export (values out), import templates
(headers, drop-downs, instructions) and imports (headers matched back). The reader's field
rights are applied by app/io/columns.py on top of these."""

from __future__ import annotations

from dataclasses import dataclass

from generator.builders.views import ORG, ORG_LABEL
from generator.spec import Entity, Field, Label


@dataclass(frozen=True)
class SheetColumn:
    key: str  # field name, the workflow's state, or "org"
    label: Label
    field: Field | None  # None for the organisation
    importable: bool  # the schema lets imports set it (rights may still forbid it)


def sheet_columns(entity: Entity, names: tuple[str, ...] | None = None,
                  for_import: bool = False) -> tuple[SheetColumn, ...]:
    """The given list columns (files by their FileRef name), or every field."""
    if names is None:
        names = tuple(f.name for f in entity.fields) + ((ORG,) if entity.scope else ())
    flow = entity.workflow
    out = []
    for name in names:
        base = name.removesuffix("_file")
        if base == ORG:
            if entity.org_scoped:
                out.append(SheetColumn(ORG, ORG_LABEL, None, entity.scope is not None
                                       and entity.org_from is None))
            continue
        if flow is not None and base == flow.field:  # the state: exported, never imported
            if not for_import:
                state = flow.state_field
                out.append(SheetColumn(base, state.label, state, False))
            continue
        if not entity.has_field(base):
            continue
        f = entity.field(base)
        if f.kind.lines or (for_import and not f.kind.importable):
            continue
        logged = flow is not None and flow.log_field == base  # written by transitions only
        out.append(SheetColumn(base, f.label, f, f.kind.importable and not logged))
    return tuple(out)
