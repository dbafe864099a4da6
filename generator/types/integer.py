"""`integer`: a whole number a 64-bit column holds."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from generator.types._number import NumberLike
from generator.types.base import BAD, INT64, N_, Invalid, plain_text

if TYPE_CHECKING:
    from generator.spec import Field

MSG_WHOLE = N_("Must be a whole number.")
MSG_TOO_LARGE = N_("The number is too large.")
WHOLE = re.compile(r"[+-]?[0-9]+")


def whole(raw: Any, message: str = MSG_WHOLE) -> int | None:
    """A whole number from any door (text, JSON, a spreadsheet's float), or Invalid."""
    if raw is None:
        return None
    if isinstance(raw, bool):
        raise Invalid(message)
    if isinstance(raw, int):
        value = raw
    elif isinstance(raw, float):
        if not raw.is_integer():
            raise Invalid(message)
        value = int(raw)
    elif isinstance(raw, str):
        text = plain_text(raw)
        if text == "":
            return None
        if not WHOLE.fullmatch(text) or len(text) > 25:
            raise Invalid(message)
        value = int(text)
    else:
        from decimal import Decimal

        if isinstance(raw, Decimal) and raw.is_finite() and raw == raw.to_integral_value():
            value = int(raw)
        else:
            raise Invalid(message)
    if not INT64[0] <= value <= INT64[1]:
        raise Invalid(MSG_TOO_LARGE)
    return value


class IntegerType(NumberLike):
    name = "integer"
    keys = ("min", "max")
    value_allowed = "a whole number"

    def yaml_value(self, value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int):
            return BAD
        return value if INT64[0] <= value <= INT64[1] else BAD

    def columns(self, f: Field, target_table: str | None) -> list[tuple[str, Any]]:
        from sqlalchemy import BigInteger, Column, Integer

        return [(f.name, Column(BigInteger().with_variant(Integer, "sqlite"), nullable=True,
                                default=f.default))]

    def parse(self, f: Field, raw: Any) -> Any:
        return whole(raw)

    def json_schema(self, f: Field, reading: bool) -> dict[str, Any]:
        low = INT64[0] if f.min is None else max(INT64[0], int(f.min))
        high = INT64[1] if f.max is None else min(INT64[1], int(f.max))
        return {"type": "integer", "format": "int64", "minimum": low, "maximum": high}

    def template_example(self, f: Field, render: Any) -> Any:
        return max(0, int(f.min or 0)) + 100
