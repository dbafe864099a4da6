"""Spec entity -> the fields of its add/edit form, each with the control that draws it; child
lines carry the form of their line entity (without the reference back to the parent)."""

from __future__ import annotations

from dataclasses import dataclass

from generator.builders.views import ORG
from generator.spec import Entity, Field, Spec


@dataclass(frozen=True)
class FormField:
    name: str
    control: str  # FieldType.control, or "org" for the organisation a row belongs to
    field: Field | None  # None for the organisation
    lines: FormSpec | None = None  # child lines: the form of one line


@dataclass(frozen=True)
class FormSpec:
    entity: str  # qualified entity name
    fields: tuple[FormField, ...]


def form_spec(spec: Spec, entity: Entity, columns: tuple[str, ...]) -> FormSpec:
    out = []
    for name in columns:
        if name == ORG:
            out.append(FormField(ORG, "org", None))
            continue
        f = entity.field(name)
        control = f.kind.control
        if control is None:
            continue
        lines = None
        if f.kind.lines:
            line = spec.entity(f.entity)  # type: ignore[arg-type]
            lines = form_spec(spec, line, tuple(
                x.name for x in line.fields if x.to != entity.qualified
                and x.kind.control is not None and not x.kind.lines))
        out.append(FormField(name, control, f, lines))
    return FormSpec(entity.qualified, tuple(out))
