"""`timestamp`: the moment a row was created (办理进度's 提交时间), drawn by the database
column's default when the row is inserted, at every door (forms, the REST API, imports and
their COPY). No door writes it afterwards: an applicant cannot date a filing back. It is
listed, filtered from – to, sorted and exported like a datetime."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from generator.types.base import Reader
from generator.types.datetime import DateTimeType

if TYPE_CHECKING:
    from generator.spec import Field


def now() -> dt.datetime:
    """China time without a zone, as every datetime column holds it (whole seconds)."""
    from zoneinfo import ZoneInfo

    return dt.datetime.now(ZoneInfo("Asia/Shanghai")).replace(tzinfo=None, microsecond=0)


class TimestampType(DateTimeType):
    name = "timestamp"
    keys = ()  # type: ignore[assignment]
    kept = True
    accepts_default = False
    importable = False
    list_editable = False
    control = None  # type: ignore[assignment]

    def read(self, reader: Reader, body: Any, path: str, kw: dict[str, Any]) -> None:
        kw["index"] = True  # lists filter on it from – to and sort by it

    def columns(self, f: Field, target_table: str | None) -> list[tuple[str, Any]]:
        from sqlalchemy import Column, DateTime

        return [(f.name, Column(DateTime, nullable=True, default=now))]

    def template_example(self, f: Field, render: Any) -> Any:
        return ""
