"""Due dates of time-limited states (`time_limit: {days, calendar}`): calendar days, or
working days of China's official calendar — public holidays off, 调休 weekend days on — as
the chinese-calendar library knows them. Past the last year it knows (it is updated each
year once the State Council publishes the next year's holidays), Monday to Friday count as
working days; `known` says whether a day is covered."""

from __future__ import annotations

import datetime as dt

import chinese_calendar

CALENDARS = ("working", "calendar")
DAY = dt.timedelta(days=1)


def known(day: dt.date) -> bool:
    try:
        chinese_calendar.is_workday(day)
    except NotImplementedError:
        return False
    return True


def is_workday(day: dt.date) -> bool:
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:  # a year the library has no holidays for yet
        return day.weekday() < 5


def due_date(start: dt.date, days: int, calendar: str) -> dt.date:
    """The last day of a limit of `days` counted from the day after `start`."""
    if calendar != "working":
        return start + days * DAY
    day = start
    while days > 0:
        day += DAY
        if is_workday(day):
            days -= 1
    return day


def days_left(today: dt.date, due: dt.date, calendar: str) -> int:
    """Days from today to the due date (working days for a working calendar); negative:
    calendar days overdue."""
    if due < today:
        return -(today - due).days
    if calendar != "working":
        return (due - today).days
    count, day = 0, today
    while day < due:
        day += DAY
        count += is_workday(day)
    return count
