"""The functions of the scheduled actions (the catalogue's names and parameters are in
generator/schedules.py). Each runs in the schedule job's session and returns what it did as
{msgid of a count: number}, which the run log shows."""

from __future__ import annotations

import datetime as dt
import json
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
    from app.system import settings

    deadline = params.get("initial_deadline") or settings.value("initial_password_deadline")
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


UPDATED = lazy_gettext("Rows updated")
UNCHANGED = lazy_gettext("Rows unchanged")
BY_SCHEDULE = lazy_gettext("Set by a scheduled job")


def update_where(session: Any, params: dict[str, Any]) -> dict[str, int]:
    """Set a field of every row of an entity (matching `where`) from an expression over the
    row's fields: the year-end 信用等级 from the score bands. Rows are read and written a
    chunk at a time (one UPDATE per chunk); each changed row gets its history entry, written
    by the schedule."""
    from sqlalchemy import bindparam, insert, select, update

    from app.audit import trail
    from app.audit.models import AuditEntry
    from generator.expr import compile_expr

    admin = current_app.extensions["admin"]
    name = str(params["entity"])
    entity = next(e for e in admin.spec.entities if name in (e.qualified, e.key))
    model, field = admin.models[entity.qualified], entity.field(str(params["field"]))
    readable = [f.name for f in entity.fields if f.is_column and f.kind.in_expressions]
    value = compile_expr(str(params["value"]), readable)
    where = compile_expr(str(params["where"]), readable) if params.get("where") else None
    table, column = model.__table__, field.column
    statement = (update(table).where(table.c.id == bindparam("_id"))
                 .values({column: bindparam("_value"), "row_version": table.c.row_version + 1}))
    updated = unchanged = 0
    last = 0
    while True:
        rows = session.execute(select(model).where(model.id > last).order_by(model.id)
                               .limit(500)).unique().scalars().all()
        if not rows:
            break
        last = rows[-1].id
        changes, history = [], []
        for row in rows:
            values = {n: getattr(row, n) for n in value.names | (where.names if where else set())}
            if where is not None and not where.evaluate(values):
                continue
            new = field.kind.parse(field, value.evaluate(values))
            old = getattr(row, field.name)
            if new == old:
                unchanged += 1
                continue
            changes.append({"_id": row.id, "_value": new})
            history.append({**trail.who(None), "action": "edit", "entity": entity.qualified,
                            "record_id": row.id, "reason": str(BY_SCHEDULE),
                            "changes": json.dumps({field.name: [trail.plain(old),
                                                                trail.plain(new)]},
                                                  ensure_ascii=False)})
        if changes:
            session.execute(statement, changes)
            session.execute(insert(AuditEntry.__table__), history)
            updated += len(changes)
        session.expire_all()
    session.commit()
    return {"Rows updated": updated, "Rows unchanged": unchanged}


SENT = lazy_gettext("Messages sent")
NOT_SENT = lazy_gettext("Messages that could not be sent")
REMINDED = lazy_gettext("Units reminded")


def deliver_messages(session: Any, params: dict[str, Any]) -> dict[str, int]:
    """The pending e-mail and SMS deliveries of the inbox's messages (app/messages)."""
    from app.messages.channels import deliver

    counts = deliver(session, current_app.config, int(params.get("limit") or 10_000))
    return {"Messages sent": counts["sent"], "Messages that could not be sent": counts["failed"]}


def remind_window_closing(session: Any, params: dict[str, Any]) -> dict[str, int]:
    """催报 before a reporting window closes: the units that have not filed a period whose
    window closes within `days` (app/completeness/closing.py)."""
    from app.completeness.closing import remind_closing

    return {"Units reminded": remind_closing(session, int(params.get("days") or 3))}


TOLD = lazy_gettext("People reminded")


def remind_time_limits(session: Any, params: dict[str, Any]) -> dict[str, int]:
    """办理期限 before it lapses: who may move on the rows due within `days` days
    (app/messages/time_limits.py)."""
    from app.messages.time_limits import remind_due

    told = remind_due(session, int(params.get("days") or 0))
    session.commit()
    return {"People reminded": told}


def refresh_rollups(session: Any, params: dict[str, Any]) -> dict[str, int]:
    """As `flask schema verify-rollups --fix`."""
    from app import rollups

    admin = current_app.extensions["admin"]
    drift = rollups.verify(session, admin.spec, admin.models, fix=True)
    session.commit()
    return {"Rows updated": len(drift)}


MATCHED = lazy_gettext("Records matched")
MISMATCHED = lazy_gettext("Records not matched")


def match_records(session: Any, params: dict[str, Any]) -> dict[str, int]:
    """进销存 关联匹配: every entity with `matching:` (or `entity`) matched again
    (app/matching.py)."""
    from app import matching

    admin = current_app.extensions["admin"]
    written = matching.match_all(session, admin.spec, admin.models, params.get("entity"))
    session.commit()
    return {"Records matched": written.get("matched", 0),
            "Records not matched": sum(v for k, v in written.items() if k != "matched")}


FUNCTIONS: dict[str, Callable[[Any, dict[str, Any]], dict[str, int]]] = {
    "accounts_sweep": accounts_sweep,
    "update_where": update_where,
    "deliver_messages": deliver_messages,
    "remind_window_closing": remind_window_closing,
    "remind_time_limits": remind_time_limits,
    "refresh_rollups": refresh_rollups,
    "match_records": match_records,
}
COUNT_LABELS = {"Accounts disabled": DISABLED, "Idle sessions signed out": SIGNED_OUT,
                "Rows updated": UPDATED, "Rows unchanged": UNCHANGED,
                "Messages sent": SENT, "Messages that could not be sent": NOT_SENT,
                "Units reminded": REMINDED, "People reminded": TOLD,
                "Records matched": MATCHED, "Records not matched": MISMATCHED}
