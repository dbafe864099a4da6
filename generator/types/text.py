"""`text`: several lines (a text area), of any length unless `max` says otherwise."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from generator.types._text import TextLike

if TYPE_CHECKING:
    from generator.spec import Field


class TextType(TextLike):
    name = "text"
    keys = ("min", "max", "regex", "regex_message")
    orderable = False
    listed_by_default = False
    groupable = False
    list_editable = False
    blank_text = True
    control = "textarea"
    multiline = True

    def max_length(self, f: Field) -> int | None:
        return int(f.max) if f.max is not None else None

    def columns(self, f: Field, target_table: str | None) -> list[tuple[str, Any]]:
        from sqlalchemy import Column, Text

        return [(f.name, Column(Text, nullable=True, default=f.default))]
