"""`deadline`: the due date of a row's state (办理期限), kept by the workflow: a state with
`time_limit` sets it when the row enters it, any other state clears it. The checks add it to
every entity whose workflow has a time limit (`<state field>_due`); no door writes it. It is
listed, filtered (from – to), sorted and exported like a date, and reads with what is left:
「2026-12-18（剩余3个工作日）」, 「2026-12-01（超期2天）」."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from generator.types.base import N_, Reader, Render
from generator.types.date import DateType
from generator.working_days import days_left

if TYPE_CHECKING:
    from generator.spec import Field

MSG_LEFT_WORKING = N_("%(date)s (%(days)s working days left)")
MSG_LEFT = N_("%(date)s (%(days)s days left)")
MSG_TODAY = N_("%(date)s (due today)")
MSG_OVERDUE = N_("%(date)s (%(days)s days overdue)")


class DeadlineType(DateType):
    name = "deadline"
    keys = ()  # type: ignore[assignment]
    kept = True
    accepts_default = False
    importable = False
    list_editable = False
    control = None  # type: ignore[assignment]
    cell_is_value = False  # reads with the days left, from today

    def read(self, reader: Reader, body: Any, path: str, kw: dict[str, Any]) -> None:
        reader.err("SCHEMA-E017", body.where("type"), f"{path}.type", "a deadline is kept by "
                   "the workflow", "time_limit on a state of the entity's workflow")

    def columns(self, f: Field, target_table: str | None) -> list[tuple[str, Any]]:
        from sqlalchemy import Column, Date

        return [(f.name, Column(Date, nullable=True, index=True))]

    def display(self, f: Field, value: Any, render: Render) -> str:
        if not isinstance(value, dt.date):
            return "" if value is None else str(value)
        left = days_left(dt.date.today(), value, f.format)
        date = value.isoformat()
        if left < 0:
            return render.gettext(MSG_OVERDUE, date=date, days=-left)
        if left == 0 and value == dt.date.today():
            return render.gettext(MSG_TODAY, date=date)
        # chosen first: the extractor would take a literal inside the call for a message
        message = MSG_LEFT_WORKING if f.format == "working" else MSG_LEFT
        return render.gettext(message, date=date, days=left)

    def template_example(self, f: Field, render: Render) -> Any:
        return ""
