"""`rollup`: a stored number aggregating the rows of another entity that point at this row
(信用档案's 扣分合计: the approved 扣分记录 summed). No door writes it: the app recomputes it
in the same transaction as every write that moves it (app/rollups.py), so lists filter and
sort on it and exports carry it like any stored number."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from generator.spec import Rollup
from generator.types.base import Reader
from generator.types.decimal import DecimalType

if TYPE_CHECKING:
    from generator.spec import Field

AGGREGATES = ("sum", "count", "min", "max")


class RollupType(DecimalType):
    name = "rollup"
    keys = ("entity", "via", "match", "aggregate", "field", "where",  # type: ignore[assignment]
            "precision", "scale")
    target_key = "entity"  # resolved like a child's lines (generator/checks/references.py)
    kept = True
    accepts_default = False
    importable = False
    list_editable = False
    control = None

    def read(self, reader: Reader, body: Any, path: str, kw: dict[str, Any]) -> None:
        super().read(reader, body, path, kw)
        aggregate = body.get("aggregate")
        if aggregate not in AGGREGATES:
            if "aggregate" not in body:
                reader.err("SCHEMA-E004", body.where(), path, "required key 'aggregate' is "
                           "missing", "one of " + ", ".join(AGGREGATES))
            else:
                reader.err("SCHEMA-E017", body.where("aggregate"), f"{path}.aggregate",
                           f"'{aggregate}' is not allowed", "one of " + ", ".join(AGGREGATES))
            return
        if aggregate != "count" and "field" not in body:
            reader.err("SCHEMA-E004", body.where(), path, "required key 'field' is missing",
                       f"a number field of the rows to {aggregate}")
        # `via`, `field` and `where` name fields of the other entity: checked once every
        # module is read (generator/checks/rollups.py)
        kw["rollup"] = Rollup(aggregate=str(aggregate))

    def columns(self, f: Field, target_table: str | None) -> list[tuple[str, Any]]:
        from sqlalchemy import Column, Numeric

        # a new parent has no rows yet: its sum and count are 0 (min and max: nothing)
        empty = 0 if f.rollup is not None and f.rollup.aggregate in ("sum", "count") else None
        return [(f.name, Column(Numeric(f.precision, f.scale, asdecimal=True), nullable=True,
                                default=empty, server_default=None if empty is None else "0"))]

    def template_example(self, f: Field, render: Any) -> Any:
        return ""
