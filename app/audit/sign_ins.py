"""What the 登录日志 records: sign-ins, failed sign-ins and sign-outs, each an audit entry.

Sign-ins (`login`) and failed sign-ins (`login_failed`, with why) are written by
`trail.install_sign_in`; sign-outs (`logout`) by app/security/sessions.py whenever a session
row ends, whatever ended it (退出, the idle timeout, a password change or reset, 注销, 强退),
in the same statement's transaction, so a session never ends without its line in the log.
Reasons are stored in the application's language, as the trail stores every reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask import current_app, has_app_context, has_request_context, request
from flask_babel import force_locale, lazy_gettext
from sqlalchemy import insert, select

from app.audit.models import AuditEntry
from app.security.models import AppUser, Organisation

SIGN_IN, FAILED, SIGN_OUT = "login", "login_failed", "logout"
SIGN_IN_ACTIONS = (SIGN_IN, FAILED, SIGN_OUT)
# 强退 by an administrator: an entry of the administrator's own, naming whose session it was
FORCED = "force_logout"

# why a session ended (auth_session.ended_reason) as the log reads it
SIGN_OUT_REASONS = {
    "logout": lazy_gettext("Signed out"),
    "idle": lazy_gettext("Timed out"),
    "password_changed": lazy_gettext("Password changed"),
    "password_reset": lazy_gettext("Password reset by an administrator"),
    "deactivated": lazy_gettext("Account deactivated"),
    "ended_by_admin": lazy_gettext("Ended by an administrator"),
    "signed_in_again": lazy_gettext("Signed in again"),
}


def stored(text: Any) -> str:
    """A message as the trail keeps it: once, in the application's language."""
    if not has_app_context():
        return str(text)
    with force_locale(current_app.config.get("BABEL_DEFAULT_LOCALE", "zh_CN")):
        return str(text)


def user_agent() -> str | None:
    """The browser of this request, as a session row keeps it."""
    if not has_request_context():
        return None
    return (request.user_agent.string or "")[:255] or None


def record_sign_outs(executor: Any, ended: Sequence[Any], reason: str) -> None:
    """One `logout` entry per ended session row (id, user_id, address, user_agent,
    ended_at): the user it belonged to, where it was opened from, and why it ended.
    `executor` is the session or connection that ended them (the same transaction)."""
    if not ended:
        return
    ids = {row.user_id for row in ended}
    people = {row.id: row for row in executor.execute(
        select(AppUser.id, AppUser.username, AppUser.org_id, Organisation.name)
        .outerjoin(Organisation, Organisation.id == AppUser.org_id)
        .where(AppUser.id.in_(ids)))}
    label = stored(SIGN_OUT_REASONS.get(reason, reason))
    lines = []
    for row in ended:
        person = people.get(row.user_id)
        lines.append({
            "at": row.ended_at, "action": SIGN_OUT, "reason": label, "user_id": row.user_id,
            "username": person.username if person else None,
            "org_id": person.org_id if person else None,
            "org_name": person.name if person else None,
            "address": row.address, "user_agent": row.user_agent})
    executor.execute(insert(AuditEntry.__table__), lines)
