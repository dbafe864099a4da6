"""`decimal`: an exact number with `precision` digits, `scale` of them after the point."""

from __future__ import annotations

import decimal as _decimal
from typing import TYPE_CHECKING, Any

from generator.types._number import NumberLike
from generator.types.base import BAD, N_, Invalid, Message, Reader, plain_text

if TYPE_CHECKING:
    from generator.spec import Field

MSG_NUMBER = N_("Must be a number.")
MSG_PLACES = N_("At most %(places)s decimal places.")
MSG_DIGITS = N_("Too many digits: at most %(digits)s before the decimal point.")
MAX_TEXT = 100  # longer text is no number anybody typed


def number(raw: Any) -> _decimal.Decimal | None:
    """A finite Decimal from any door, or Invalid (NaN, sNaN and Infinity are not numbers)."""
    if raw is None:
        return None
    if isinstance(raw, bool):
        raise Invalid(MSG_NUMBER)
    if isinstance(raw, _decimal.Decimal):
        value = raw
    elif isinstance(raw, int):
        value = _decimal.Decimal(raw)
    elif isinstance(raw, float):
        value = _decimal.Decimal(repr(raw))
    elif isinstance(raw, str):
        text = plain_text(raw)
        if text == "":
            return None
        if len(text) > MAX_TEXT:
            raise Invalid(MSG_NUMBER)
        try:
            value = _decimal.Decimal(text)
        except _decimal.InvalidOperation:
            raise Invalid(MSG_NUMBER) from None
    else:
        raise Invalid(MSG_NUMBER)
    if not value.is_finite():
        raise Invalid(MSG_NUMBER)
    return value


def shape_errors(f: Field, value: _decimal.Decimal) -> list[Message]:
    """Digits after and before the point against scale and precision."""
    _sign, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)  # finite
    places = -exponent if exponent < 0 else 0
    whole = len(digits) + exponent if exponent >= 0 else len(digits) - places
    if digits == (0,):
        whole = 0
    if places > f.scale:
        return [Message(MSG_PLACES, {"places": f.scale})]
    if whole > f.precision - f.scale:
        return [Message(MSG_DIGITS, {"digits": f.precision - f.scale})]
    return []


class DecimalType(NumberLike):
    name = "decimal"
    keys = ("min", "max", "precision", "scale")
    value_allowed = "a number"
    list_input = "number-text"  # a text box with the number keyboard

    def read(self, reader: Reader, body: Any, path: str, kw: dict[str, Any]) -> None:
        kw["precision"] = reader.integer(body, "precision", path, 18, 1, 38)
        kw["scale"] = reader.integer(body, "scale", path, 2, 0, 12)
        if kw["scale"] > kw["precision"]:
            reader.err("SCHEMA-E017", body.where("scale"), f"{path}.scale",
                       "scale is larger than precision", "scale <= precision")

    def yaml_value(self, value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            return BAD
        try:
            return number(value)
        except Invalid:
            return BAD

    def columns(self, f: Field, target_table: str | None) -> list[tuple[str, Any]]:
        from sqlalchemy import Column, Numeric

        return [(f.name, Column(Numeric(f.precision, f.scale, asdecimal=True), nullable=True,
                                default=f.default))]

    def parse(self, f: Field, raw: Any) -> Any:
        return number(raw)

    def validate(self, f: Field, value: Any) -> list[Message]:
        return super().validate(f, value) + shape_errors(f, value)

    def total(self, f: Field, value: Any) -> Any:
        exact = _decimal.Decimal(str(value if value is not None else 0))
        return exact.quantize(_decimal.Decimal(1).scaleb(-f.scale))

    def stored_value(self, f: Field, value: Any) -> Any:
        return None if value is None else str(value)

    def from_stored(self, f: Field, value: Any) -> Any:
        return None if value is None else _decimal.Decimal(value)

    def json_schema(self, f: Field, reading: bool) -> dict[str, Any]:
        # Exact: JSON carries the value as text with `scale` places ("12.50"), never as a
        # float; requests may send a number too.
        whole, places = f.precision - f.scale, f.scale
        fraction = rf"(\.[0-9]{{{places}}})" if reading else rf"(\.[0-9]{{1,{places}}})?"
        if places == 0:
            fraction = ""
        text = {"type": "string", "format": "decimal",
                "pattern": rf"^-?[0-9]{{1,{max(whole, 1)}}}{fraction}$"}
        return text if reading else {"anyOf": [text, {"type": "number"}]}

    def template_example(self, f: Field, render: Any) -> Any:
        return 12.5
