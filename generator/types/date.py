"""`date`: a calendar day."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from generator.types._moment import MomentLike, moment
from generator.types.base import N_, Render

if TYPE_CHECKING:
    from generator.spec import Field

MSG_DATE = N_("Must be a date like 2026-01-31.")


class DateType(MomentLike):
    name = "date"
    keys = ("min", "max")
    value_allowed = "a date like 2026-01-31"
    list_input = "date"
    control = "date"
    cell_is_value = True

    def json_schema(self, f: Field, reading: bool) -> dict[str, Any]:
        return {"type": "string", "format": "date"}

    def columns(self, f: Field, target_table: str | None) -> list[tuple[str, Any]]:
        from sqlalchemy import Column, Date

        return [(f.name, Column(Date, nullable=True, default=f.default))]

    def parse(self, f: Field, raw: Any) -> Any:
        value = moment(raw, MSG_DATE)
        return value.date() if isinstance(value, dt.datetime) else value

    def display(self, f: Field, value: Any, render: Render) -> str:
        if value is None:
            return ""
        return value.isoformat() if isinstance(value, dt.date) else str(value)

    def cell(self, f: Field, value: Any, render: Render) -> Any:
        return "" if value is None else value

    def text(self, f: Field, value: Any) -> str:
        return "" if value is None else value.isoformat()

    def from_stored(self, f: Field, value: Any) -> Any:
        return None if value is None else dt.date.fromisoformat(value)

    def template_example(self, f: Field, render: Render) -> Any:
        return dt.date(2026, 1, 31)
