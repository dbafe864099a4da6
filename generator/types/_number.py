"""What integer and decimal share: min/max bounds and their template hint."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from generator.types.base import N_, FieldType, Message

if TYPE_CHECKING:
    from generator.spec import Field

MSG_AT_LEAST = N_("Must be at least %(min)s.")
MSG_AT_MOST = N_("Must be at most %(max)s.")
MSG_RANGE = N_("From %(min)s to %(max)s.")


def range_errors(f: Field, value: Any) -> list[Message]:
    errors = []
    if f.min is not None and value < f.min:
        errors.append(Message(MSG_AT_LEAST, {"min": f.min}))
    if f.max is not None and value > f.max:
        errors.append(Message(MSG_AT_MOST, {"max": f.max}))
    return errors


class NumberLike(FieldType):
    bounds = "value"
    summable = True
    list_input = "number"
    form_value = "number"
    search_control = "range"
    cell_is_value = True

    def validate(self, f: Field, value: Any) -> list[Message]:
        return range_errors(f, value)

    def cell(self, f: Field, value: Any, render: Any) -> Any:
        return "" if value is None else value

    def total(self, f: Field, value: Any) -> Any:
        """A sum of the field (None: nothing summed) as summaries show it."""
        return int(value or 0)

    def template_rules(self, f: Field, render: Any) -> list[str]:
        if f.min is None and f.max is None:
            return []
        return [render.gettext(MSG_RANGE, min=f.min if f.min is not None else "-∞",
                               max=f.max if f.max is not None else "∞")]
