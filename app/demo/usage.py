"""The demo's past sign-ins: a few a month per account over the last five months, so that
数据分析 → 系统使用情况（绩效考核） shows every unit's use before anybody signs in. Written like
the login log writes a sign-in (an audit entry `login`); deterministic, in the past only."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import insert

from app.audit.models import AuditEntry
from app.audit.sign_ins import SIGN_IN

MONTHS = 5
ADDRESS = "127.0.0.1"  # no browser is recorded: the 登录日志 shows it as unknown


def _months_ago(today: dt.date, months: int) -> dt.date:
    year, month = divmod(today.year * 12 + today.month - 1 - months, 12)
    return dt.date(year, month + 1, 1)


def sign_ins(session: Any, users: dict[str, Any], today: dt.date | None = None) -> int:
    """Audit entries of past sign-ins for every demo account with an organisation."""
    today = today or dt.date.today()
    lines = []
    for number, (name, user) in enumerate(sorted(users.items())):
        org = getattr(user, "org", None)
        if org is None:
            continue
        for months in range(1, MONTHS + 1):
            first = _months_ago(today, months)
            for visit in range((number + months * 3) % 5 + 1):
                at = dt.datetime.combine(first + dt.timedelta(days=visit * 5 + number % 4),
                                         dt.time(8 + visit % 9, 5 * (number % 12)))
                lines.append({"at": at, "action": SIGN_IN, "user_id": user.id,
                              "username": name, "org_id": org.id, "org_name": org.name,
                              "address": ADDRESS, "user_agent": None})
    if lines:
        session.execute(insert(AuditEntry.__table__), lines)
    return len(lines)
