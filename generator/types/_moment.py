"""What date and datetime share: ISO text from every door, min/max bounds."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from generator.types._number import range_errors
from generator.types.base import BAD, N_, FieldType, Invalid, Message, plain_text

if TYPE_CHECKING:
    from generator.spec import Field

MSG_DATE_RULE = N_("Date like 2026-01-31.")
CHINA = dt.timezone(dt.timedelta(hours=8))  # one time zone for the whole country


def moment(raw: Any, message: str) -> dt.datetime | dt.date | None:
    """A date or datetime from any door: date objects, ISO text (2026-01-31, 2026/01/31,
    2026-01-31 08:30, 2026-01-31T08:30:00+08:00), or Invalid. Times with a zone are kept
    as China time without the zone (the columns hold local time)."""
    if raw is None:
        return None
    if isinstance(raw, (dt.datetime, dt.date)):
        value: dt.datetime | dt.date = raw
    elif isinstance(raw, str):
        text = plain_text(raw)
        if text == "":
            return None
        if len(text) > 40:
            raise Invalid(message)
        try:
            value = dt.datetime.fromisoformat(text.replace("/", "-"))
        except ValueError:
            raise Invalid(message) from None
    else:
        raise Invalid(message)
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        value = value.astimezone(CHINA).replace(tzinfo=None)
    return value


class MomentLike(FieldType):
    calendar = True
    bounds = "value"
    search_control = "range"

    def validate(self, f: Field, value: Any) -> list[Message]:
        return range_errors(f, value)

    def template_rules(self, f: Field, render: Any) -> list[str]:
        return [render.gettext(MSG_DATE_RULE)]

    def yaml_value(self, value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, (str, dt.date)):
            return BAD
        try:
            return self.parse(None, value)  # type: ignore[arg-type]
        except Invalid:
            return BAD

    def stored_value(self, f: Field, value: Any) -> Any:
        return None if value is None else value.isoformat()
