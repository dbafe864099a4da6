"""`datetime`: a day and a time of day (China time)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from generator.types._moment import MomentLike, moment
from generator.types.base import N_, Render

if TYPE_CHECKING:
    from generator.spec import Field

MSG_DATETIME = N_("Must be a date and time like 2026-01-31 08:30:00.")
LOCAL_TIME = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?$"

class DateTimeType(MomentLike):
    name = "datetime"
    keys = ("min", "max")
    value_allowed = "a date and time like 2026-01-31T08:00:00"
    list_input = "datetime-local"
    control = "datetime"
    cell_is_value = True

    def json_schema(self, f: Field, reading: bool) -> dict[str, Any]:
        # China time without a zone, as the columns hold it (not RFC 3339 `date-time`,
        # which requires one); requests may add +08:00.
        return {"type": "string", "pattern": LOCAL_TIME, "example": "2026-01-31T08:30:00"}

    def columns(self, f: Field, target_table: str | None) -> list[tuple[str, Any]]:
        from sqlalchemy import Column, DateTime

        return [(f.name, Column(DateTime, nullable=True, default=f.default))]

    def parse(self, f: Field, raw: Any) -> Any:
        value = moment(raw, MSG_DATETIME)
        if value is not None and not isinstance(value, dt.datetime):
            value = dt.datetime.combine(value, dt.time())
        return value

    def display(self, f: Field, value: Any, render: Render) -> str:
        if value is None:
            return ""
        return value.strftime("%Y-%m-%d %H:%M:%S") if isinstance(value, dt.datetime) \
            else str(value)

    def cell(self, f: Field, value: Any, render: Render) -> Any:
        return "" if value is None else value

    def text(self, f: Field, value: Any) -> str:
        return "" if value is None else value.strftime("%Y-%m-%dT%H:%M")

    def stored_value(self, f: Field, value: Any) -> Any:
        return None if value is None else value.isoformat(sep=" ")

    def from_stored(self, f: Field, value: Any) -> Any:
        return None if value is None else dt.datetime.fromisoformat(value)

    def template_example(self, f: Field, render: Render) -> Any:
        return dt.datetime(2026, 1, 31, 8, 30)
