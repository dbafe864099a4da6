"""`flask --app wsgi accounts sweep`: disable (never delete) accounts that are no longer used,
and accounts that never changed their initial password by a deadline (seed 004).

An account is unused when its last sign-in (or, never signed in, its creation) is older than
the policy's `unused_days`. An account missed the deadline when it still must change the
password it was given (initial, or set by an administrator) and that password was set before
the end of the deadline day, which has passed. Disabled accounts keep everything they
entered; an administrator can re-activate them (启用), and the days without a sign-in
count again from then. Every account disabled is written to the audit trail. The last
active administrator is never disabled, so that somebody can still sign in to re-activate
the others.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import partial
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext
from sqlalchemy import select

from app.hooks.password_policy import Policy
from app.security import user_audit
from app.security.models import AppUser


@dataclass(frozen=True)
class Finding:
    username: str
    reason: str  # English, for the command's output
    disabled: bool  # False: kept (the last active administrator)


def _sweep_reason(parts: list[Any]) -> str:
    """Why the sweep disabled an account, as the audit trail keeps it."""
    return _("Account sweep: %(reasons)s", reasons="；".join(str(p) for p in parts))


def _unused_since(user: Any) -> dt.datetime | None:
    since = user.last_login or user.created_on
    if user.activated_at is not None and (since is None or user.activated_at > since):
        return user.activated_at  # re-enabled by an administrator since
    return since


def sweep(session: Any, policy: Policy, admin_role: str, *,
          initial_deadline: dt.date | None = None, now: dt.datetime | None = None,
          dry_run: bool = False) -> list[Finding]:
    """Disable the accounts the rules name; the caller commits. Returns who and why."""
    now = now or dt.datetime.now()
    unused_before = now - dt.timedelta(days=policy.unused_days)
    deadline_end = (dt.datetime.combine(initial_deadline + dt.timedelta(days=1), dt.time.min)
                    if initial_deadline is not None else None)
    users = session.execute(select(AppUser).where(AppUser.active.is_(True))
                            .order_by(AppUser.username)).unique().scalars().all()
    due: list[tuple[Any, str, list[Any]]] = []
    for user in users:
        reasons = []
        readable: list[Any] = []  # the same, for the audit trail
        since = _unused_since(user)
        if since is not None and since < unused_before:
            what = ("re-enabled and not signed in since" if since == user.activated_at
                    else "last signed in" if user.last_login else "created and never signed in")
            reasons.append(f"unused: {what} {since:%Y-%m-%d} ({(now - since).days} days ago; "
                           f"limit {policy.unused_days})")
            readable.append(lazy_gettext("no sign-in for %(days)s days (the limit is %(limit)s)",
                                         days=(now - since).days, limit=policy.unused_days))
        if deadline_end is not None and now >= deadline_end and user.must_change_password:
            given = user.password_changed_at or user.created_on
            if given is not None and given < deadline_end:
                reasons.append(f"initial password not changed by {initial_deadline:%Y-%m-%d}")
                readable.append(lazy_gettext("the initial password was not changed by "
                                             "%(date)s", date=f"{initial_deadline:%Y-%m-%d}"))
        if reasons:
            due.append((user, "; ".join(reasons), readable))

    def is_admin(user: Any) -> bool:
        return any(role.name == admin_role for role in user.roles)

    leaving = {user.id for user, _reason, _readable in due}
    admins_left = sum(1 for user in users if is_admin(user) and user.id not in leaving)
    findings = []
    for user, reason, readable in due:
        if is_admin(user) and admins_left == 0:
            admins_left = 1
            findings.append(Finding(user.username, f"{reason}; kept: the last active "
                                    "administrator", False))
            continue
        if not dry_run:
            user.active = False
            text = user_audit.stored(partial(_sweep_reason, readable))
            user_audit.record_active(session, user, False, reason=text)
        findings.append(Finding(user.username, reason, True))
    return findings
