"""Working days follow China's official calendar: holidays off, 调休 weekend days on; past
the library's last year, Monday to Friday."""

from __future__ import annotations

import datetime as dt

from generator.working_days import days_left, due_date, known

D = dt.date


def test_holidays_are_skipped_and_adjusted_weekends_count() -> None:
    assert due_date(D(2025, 9, 26), 1, "working") == D(2025, 9, 28)  # Sunday, 调休 workday
    assert due_date(D(2025, 9, 30), 1, "working") == D(2025, 10, 9)  # after 国庆中秋 1–8 Oct
    assert due_date(D(2025, 9, 30), 1, "calendar") == D(2025, 10, 1)
    assert days_left(D(2025, 9, 30), D(2025, 10, 9), "working") == 1
    assert days_left(D(2025, 10, 12), D(2025, 10, 9), "working") == -3  # overdue: calendar days


def test_past_the_known_years_weekdays_count() -> None:
    later = D(dt.date.today().year + 5, 3, 5)
    assert not known(later)
    friday = later + dt.timedelta(days=(4 - later.weekday()) % 7)
    assert due_date(friday, 1, "working") == friday + dt.timedelta(days=3)  # the Monday
