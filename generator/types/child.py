"""`child`: lines of another entity (`entity`) edited inside this one's form; the line
entity holds a reference back."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from generator.types.base import FieldType, Render

if TYPE_CHECKING:
    from generator.spec import Field


class ChildType(FieldType):
    name = "child"
    keys = ("entity",)
    target_key = "entity"
    stored = False
    accepts_default = False
    orderable = False
    listed_by_default = False
    searchable = False
    groupable = False
    in_expressions = False
    in_api = False
    importable = False
    list_editable = False
    control = "lines"
    lines = True  # the value is a list of rows of `entity`

    def display(self, f: Field, value: Any, render: Render) -> str:
        return "、".join(str(line) for line in value or [])
