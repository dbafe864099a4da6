"""Writing the audit trail. Generated rows are recorded from the session itself (every door
that writes through the ORM is covered without being asked); bulk writes (transitions,
imports, permission syncs, sign-ins) add their entry explicitly with `record`."""

from __future__ import annotations

import datetime as dt
import decimal
import json
from typing import Any

from flask import has_request_context, request
from flask_babel import lazy_gettext
from sqlalchemy import event, inspect

from app.audit.models import AuditEntry
from app.audit.sign_ins import FAILED, SIGN_IN, stored, user_agent
from app.security.scope import current
from app.validation import is_blank
from generator.pinyin import initials_column
from generator.spec import FILED_AT

# the app's own bookkeeping: the version, the organisation's path, when the row was filed
SKIP = {"row_version", "org_path", FILED_AT}


def plain(value: Any) -> Any:
    """A value as the trail stores it (JSON)."""
    return _plain(value)


def who(user: Any = None) -> dict[str, Any]:
    """Who does it, from where: the columns every entry carries."""
    return _who(user)


def _plain(value: Any) -> Any:
    kind = type(value)
    if kind is int or kind is float or kind is bool:  # most values of a bulk write: as they are
        return value
    if is_blank(value):
        return None  # one blank in the trail, whatever the door wrote
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat(sep=" ") if isinstance(value, dt.datetime) else value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if hasattr(value, "__table__"):  # a referenced row: keep its id and how it reads
        return {"id": getattr(value, "id", None), "text": str(value)}
    return value


def _who(user: Any = None) -> dict[str, Any]:
    user = user if user is not None else current()
    org = getattr(user, "org", None)
    address = None
    if has_request_context():
        address = request.headers.get("X-Forwarded-For", request.remote_addr or "")
        address = address.split(",")[0].strip()[:64] or None
    return {"user_id": getattr(user, "id", None), "username": getattr(user, "username", None),
            "org_id": getattr(org, "id", None), "org_name": getattr(org, "name", None),
            "address": address}


def entry(action: str, entity: str | None = None, record_id: int | None = None,
          changes: dict[str, Any] | None = None, user: Any = None, **extra: Any) -> AuditEntry:
    return AuditEntry(action=action, entity=entity, record_id=record_id,
                      changes=json.dumps(changes, ensure_ascii=False) if changes else None,
                      **_who(user), **extra)


def record(session: Any, action: str, **kwargs: Any) -> None:
    session.add(entry(action, **kwargs))


def _changes(obj: Any, created: bool) -> dict[str, Any]:
    state = inspect(obj)
    entity = type(obj).__entity__
    # references (and the organisation) are recorded by the rows they point to, readable
    relations = [f.name for f in entity.fields if f.kind.refers]
    relations += ["org"] if entity.org_scoped else []
    skip = (SKIP | {f"{name}_id" for name in relations} | {"id"}
            | {initials_column(name) for name in entity.initials_fields}  # derived
            | {f.name for f in entity.fields if f.kind.kept})  # rollups, due dates: the app's
    keys = relations + [a.key for a in state.mapper.column_attrs if a.key not in skip]
    out: dict[str, Any] = {}
    for key in keys:
        if created:
            value = getattr(obj, key)
            if not is_blank(value):
                out[key] = [None, _plain(value)]
            continue
        history = state.attrs[key].history
        if history.has_changes():
            old = history.deleted[0] if history.deleted else None
            new = history.added[0] if history.added else None
            if changed(old, new):
                out[key] = [_plain(old), _plain(new)]
    return out


def changed(old: Any, new: Any) -> bool:
    """Whether a value really changed: None, "" and [] are the same blank (a form posts ""
    where nothing was stored); rows compare by identity, values by value."""
    if is_blank(old) and is_blank(new):
        return False
    return bool(old != new)


def install(session: Any) -> None:
    pending: list[tuple[Any, str, dict[str, Any]]] = []

    def before_flush(sess: Any, _context: Any, _instances: Any) -> None:
        for obj in sess.new:
            if getattr(type(obj), "__entity__", None) is not None:
                pending.append((obj, "create", {}))
        for obj in sess.dirty:
            entity = getattr(type(obj), "__entity__", None)
            if entity is not None and sess.is_modified(obj, include_collections=False):
                changes = _changes(obj, created=False)
                if changes:  # a row an automatic rule changed says so (app/auto_rules.py)
                    sess.add(entry("edit", entity.qualified, obj.id, changes,
                                   user=vars(obj).pop("_audit_user", None),
                                   reason=vars(obj).pop("_audit_reason", None)))
        for obj in sess.deleted:
            entity = getattr(type(obj), "__entity__", None)
            if entity is not None:
                sess.add(entry("delete", entity.qualified, obj.id,
                               {k: [v[1], None] for k, v in _changes(obj, True).items()}))

    def after_flush(sess: Any, _context: Any) -> None:
        # new rows have their id only now; their entries go into the same transaction
        while pending:
            obj, action, _ = pending.pop()
            entity = type(obj).__entity__
            # rows made by an automatic rule say so (app/auto_rules.py)
            sess.add(entry(action, entity.qualified, obj.id, _changes(obj, created=True),
                           user=getattr(obj, "_audit_user", None),
                           reason=getattr(obj, "_audit_reason", None)))

    event.listen(session, "before_flush", before_flush)
    event.listen(session, "after_flush_postexec", after_flush)


SIGN_IN_REFUSED = {
    "unknown": lazy_gettext("Unknown user name"),
    "inactive": lazy_gettext("The account is deactivated"),
    "locked": lazy_gettext("The account is locked"),
    "password": lazy_gettext("Wrong password"),
    "captcha": lazy_gettext("Wrong verification code"),
}


def install_sign_in(appbuilder: Any) -> None:
    """Sign-ins and failed sign-ins go into the trail: of known accounts (a wrong password)
    and refused ones (an unknown user name, a deactivated or a locked account), each with the
    user name typed, the address and why it failed. One entry per attempt, whatever the
    cause, so that the trail costs every failure the same. Each keeps the browser too (the
    登录日志 shows it)."""
    sm = appbuilder.sm
    original = sm.update_user_auth_stat

    def reason(why: str) -> str:
        return stored(SIGN_IN_REFUSED[why])

    def update_user_auth_stat(user: Any, success: bool = True) -> None:
        original(user, success)
        session = appbuilder.session
        extra: dict[str, Any] = {} if success else {"reason": reason("password")}
        session.add(entry(SIGN_IN if success else FAILED, user=user, user_agent=user_agent(),
                          **extra))
        session.commit()

    def sign_in_refused(username: str, user: Any, why: str) -> None:
        session = appbuilder.session
        failed = entry(FAILED, user=user, reason=reason(why), user_agent=user_agent())
        if user is None:
            failed.username = (username or "")[:256]
        session.add(failed)
        session.commit()

    sm.update_user_auth_stat = update_user_auth_stat
    sm.sign_in_refused = sign_in_refused
