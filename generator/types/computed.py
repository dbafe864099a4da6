"""`computed`: a read-only value from an expression over the entity's stored fields
(generator/expr.py), shown as a number, a percentage or text."""

from __future__ import annotations

import decimal
from typing import TYPE_CHECKING, Any

from generator.types.base import FieldType, Reader, Render

if TYPE_CHECKING:
    from generator.spec import Field

FORMATS = ("number", "percent", "text")


class ComputedType(FieldType):
    name = "computed"
    keys = ("expr", "format", "places")
    stored = False
    accepts_default = False
    orderable = False
    searchable = False
    groupable = False
    in_expressions = False
    importable = False
    list_editable = False
    control = None

    def read(self, reader: Reader, body: Any, path: str, kw: dict[str, Any]) -> None:
        if "expr" not in body:
            reader.err("SCHEMA-E004", body.where(), path, "required key 'expr' is missing",
                       "an expression over the entity's fields")
        elif reader.expect(body["expr"], str, body.where("expr"), f"{path}.expr"):
            kw["expr"] = body["expr"]
        fmt = body.get("format", "number")
        if fmt not in FORMATS:
            reader.err("SCHEMA-E017", body.where("format"), f"{path}.format",
                       f"'{fmt}' is not allowed", "one of " + ", ".join(FORMATS))
        else:
            kw["format"] = fmt
        kw["places"] = reader.integer(body, "places", path, 2, 0, 10)

    def json_schema(self, f: Field, reading: bool) -> dict[str, Any]:
        return {"type": "string"} if f.format == "text" else {"type": "number"}

    def display(self, f: Field, value: Any, render: Render) -> str:
        if value is None:
            return ""
        if f.format == "text" or not isinstance(value, (int, float, decimal.Decimal)):
            return str(value)
        number = decimal.Decimal(str(value))
        if f.format == "percent":
            return f"{number * 100:.{f.places}f}%"
        return f"{number:.{f.places}f}"

    def cell(self, f: Field, value: Any, render: Render) -> Any:
        if value is None:
            return ""
        if f.format == "percent" and isinstance(value, (int, float, decimal.Decimal)):
            return float(value)
        return value

    def percent(self, f: Field) -> bool:
        return f.format == "percent"
