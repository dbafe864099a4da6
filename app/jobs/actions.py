"""The functions of the scheduled actions (the catalogue's names and parameters are in
generator/schedules.py). Each runs in the schedule job's session and returns what it did as
{msgid of a count: number}, which the run log shows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext

from app.context import security

DISABLED = lazy_gettext("Accounts disabled")
SIGNED_OUT = lazy_gettext("Idle sessions signed out")


def accounts_sweep(session: Any, params: dict[str, Any]) -> dict[str, int]:
    """As `flask accounts sweep`: disable unused accounts, sign out idle sessions."""
    from app.security import sessions
    from app.security.accounts import sweep

    policy = security().password_policy
    deadline = params.get("initial_deadline")
    dry_run = bool(params.get("dry_run"))
    findings = sweep(session, policy, current_app.config["AUTH_ROLE_ADMIN"],
                     initial_deadline=dt.date.fromisoformat(deadline) if deadline else None,
                     dry_run=dry_run)
    disabled = sum(1 for f in findings if f.disabled)
    if dry_run:
        session.rollback()
        idle = sessions.idle_count(session, int(policy.idle_minutes))
    else:
        session.flush()
        idle = sessions.expire_idle(session, int(policy.idle_minutes))
    return {"Accounts disabled": disabled, "Idle sessions signed out": idle}


FUNCTIONS: dict[str, Callable[[Any, dict[str, Any]], dict[str, int]]] = {
    "accounts_sweep": accounts_sweep,
}
COUNT_LABELS = {"Accounts disabled": DISABLED, "Idle sessions signed out": SIGNED_OUT}
