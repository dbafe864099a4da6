"""变更 (seed 001): a change to a submitted record is requested, then decided.

The proposed values wait in a change request; the submitted version stays in force until an
approver accepts it, which applies the values through the ORM (and so into the audit trail).
A record has at most one pending request: `request` refuses a second one, and a partial unique
index holds the rule when two arrive at the same moment. Deciding is a guarded
`UPDATE ... WHERE status = 'pending'`, so of two approvers exactly one decides. Requests and
decisions are audited (`change_request`, `change_decision`).
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
from dataclasses import dataclass
from typing import Any

from flask import has_request_context, request
from flask_appbuilder import Model
from flask_appbuilder.models.filters import BaseFilter
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from sqlalchemy import (
    DateTime,
    Index,
    Integer,
    String,
    Text,
    func,
    inspect,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Mapped, mapped_column

from app.audit import trail
from app.audit.history import readable
from app.hooks import runtime
from app.labels import current_locale
from app.validation import row_errors
from generator.spec import Entity

PENDING, ACCEPTED, REJECTED = "pending", "accepted", "rejected"
STATUS_LABELS = {PENDING: lazy_gettext("Pending review"), ACCEPTED: lazy_gettext("Accepted"),
                 REJECTED: lazy_gettext("Rejected")}
UNIQUE_PENDING = "uq_workflow_change_request_pending"
LIST_ARGUMENT = "pending_change"  # ?pending_change=1 narrows a list to records waiting for one


class ChangeRequest(Model):
    __tablename__ = "workflow_change_request"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entity: Mapped[str] = mapped_column(String(120), nullable=False)
    record_id: Mapped[int] = mapped_column(Integer, nullable=False)
    # JSON {field: [old, new]} as stored values
    proposed: Mapped[str] = mapped_column(Text, nullable=False)
    # accepted | rejected
    status: Mapped[str] = mapped_column(String(16), nullable=False, default=PENDING)
    requested_by: Mapped[int] = mapped_column(Integer, nullable=False)
    requested_by_name: Mapped[str | None] = mapped_column(String(256), nullable=True)
    requested_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False,
                                                      default=dt.datetime.now)
    decided_by_name: Mapped[str | None] = mapped_column(String(256), nullable=True)
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    __table_args__ = (
        Index("ix_workflow_change_request_record", "entity", "record_id"),
        # one pending request per record, whatever the application checked before
        Index(UNIQUE_PENDING, "entity", "record_id", unique=True,
              sqlite_where=status == PENDING, postgresql_where=status == PENDING),
    )


@dataclass
class Shown:
    """A request as the detail page shows it."""

    request: ChangeRequest
    status: str
    changes: list[Any]  # app.audit.history.Change: label, old, new (readable)


def enabled(entity: Entity) -> bool:
    return entity.workflow is not None and bool(entity.workflow.change_states)


def _stored(value: Any) -> Any:
    if hasattr(value, "__table__"):
        return {"id": value.id, "text": str(value)}
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    return value


def _same(a: Any, b: Any) -> bool:
    """Stored values compare equal (referenced rows by id: their text may have changed)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.get("id") == b.get("id")
    return bool(a == b)


def proposed_changes(entity: Entity, row: Any, form: Any) -> dict[str, list[Any]]:
    """{field: [current, proposed]} for every field the form would change."""
    out = {}
    for f in entity.fields:
        if f.name not in form or not f.is_column or f.kind.uploads:
            continue
        new = form[f.name].data
        old = getattr(row, f.name)
        if _stored(new) != _stored(old):
            out[f.name] = [_stored(old), _stored(new)]
    return out


def _of_record(entity: Entity, record_id: int) -> Any:
    return select(ChangeRequest).where(ChangeRequest.entity == entity.qualified,
                                       ChangeRequest.record_id == record_id)


def pending(session: Any, entity: Entity, record_id: int) -> list[ChangeRequest]:
    query = _of_record(entity, record_id).where(ChangeRequest.status == PENDING)
    return list(session.execute(query.order_by(ChangeRequest.id)).scalars())


def requests(session: Any, entity: Entity, record_id: int) -> list[ChangeRequest]:
    """Every request of the record, the newest first."""
    query = _of_record(entity, record_id).order_by(ChangeRequest.id.desc())
    return list(session.execute(query).scalars())


def shown(session: Any, entity: Entity, record_id: int) -> list[Shown]:
    return [Shown(cr, str(STATUS_LABELS.get(cr.status, cr.status)),
                  readable(entity, cr.proposed))
            for cr in requests(session, entity, record_id)]


def already_pending() -> str:
    return _("This record already has a change request waiting for review; a new one can be "
             "made once it is decided.")


def request_change(session: Any, entity: Entity, record_id: int,
                   proposed: dict[str, list[Any]], user: Any) -> str | None:
    """Store the request (and its audit entry) and commit; the refusal, or None when stored."""
    if pending(session, entity, record_id):
        return already_pending()
    session.add(ChangeRequest(entity=entity.qualified, record_id=record_id,
                              proposed=json.dumps(proposed, ensure_ascii=False),
                              requested_by=user.id, requested_by_name=user.username))
    trail.record(session, "change_request", entity=entity.qualified, record_id=record_id,
                 changes=proposed, user=user)
    try:
        session.commit()
    except IntegrityError:  # another request was stored a moment before (the unique index)
        session.rollback()
        return already_pending()
    return None


class NotPending(Exception):
    """The request was decided by someone else in the meantime."""


def decide(session: Any, entity: Entity, row: Any, change: ChangeRequest, accept: bool,
           reason: str | None, models: dict[str, type], user: Any) -> str | None:
    """Accept (the values are written) or reject (a reason is needed) a pending request and
    commit; the refusal (nothing changed), or None when decided. Raises NotPending when the
    request is no longer pending."""
    reason = (reason or "").strip() or None
    if not accept and reason is None:
        return _("Please give the reason for the rejection.")
    flow = entity.workflow
    assert flow is not None
    proposed = json.loads(change.proposed)
    if accept:
        state = getattr(row, flow.field)
        if state not in flow.change_states:
            return _("The record is %(state)s now; the change cannot be accepted.",
                     state=flow.state_label(state, current_locale()))
        moved = [entity.field(name).label.get(current_locale())
                 for name, (old, _new) in proposed.items()
                 if not _same(_stored(getattr(row, name)), old)]
        if moved:
            return _("The record was changed after the request (%(fields)s); the change "
                     "cannot be accepted. Reject it and request a new one.",
                     fields="、".join(moved))
    status = ACCEPTED if accept else REJECTED
    decided = session.execute(
        update(ChangeRequest).where(ChangeRequest.id == change.id,
                                    ChangeRequest.status == PENDING)
        .values(status=status, decided_by_name=user.username, decided_at=dt.datetime.now(),
                reason=reason)
        .execution_options(synchronize_session=False))
    if decided.rowcount != 1:  # someone else decided first
        session.rollback()
        raise NotPending
    if accept:
        apply(entity, row, change, models, session)
        refusal = _refusal_of(entity, row, list(proposed), models, session, user)
        if refusal is not None:  # the same rules as every other door that writes the row
            session.rollback()
            return refusal
    trail.record(session, "change_decision", entity=entity.qualified, record_id=row.id,
                 transition=status, reason=reason, user=user)
    try:
        session.commit()
    except SQLAlchemyError:
        session.rollback()
        return _("The change could not be saved; nothing was changed. Please try again.")
    session.expire(change)
    return None


def _refusal_of(entity: Entity, row: Any, names: list[str], models: dict[str, Any],
                session: Any, user: Any) -> str | None:
    """Why the accepted values may not be written (None: they may)."""
    errors = row_errors(entity, models[entity.qualified], session, row, names)
    if errors:
        locale = current_locale()
        return _("The change cannot be accepted: %(reason)s", reason="；".join(
            f"{entity.field(name).label.get(locale) if entity.has_field(name) else name}："
            f"{'、'.join(messages)}" for name, messages in errors.items()))
    try:
        runtime.before_save(entity, row, user, session)
    except runtime.Denied as exc:
        return _("The change cannot be accepted: %(reason)s", reason=_(exc.reason,
                                                                       **exc.params))
    return None


def duplicate_pending(connection: Any) -> list[str]:
    """Records with several pending requests ("entity#id"), which keep the unique index from
    being created on a database written before it existed; [] once the index is there."""
    table = ChangeRequest.__tablename__
    found = inspect(connection)
    if not found.has_table(table) or UNIQUE_PENDING in {
            i["name"] for i in found.get_indexes(table)}:
        return []
    query = (select(ChangeRequest.entity, ChangeRequest.record_id)
             .where(ChangeRequest.status == PENDING)
             .group_by(ChangeRequest.entity, ChangeRequest.record_id)
             .having(func.count() > 1).order_by(ChangeRequest.entity, ChangeRequest.record_id))
    return [f"{entity}#{record_id}" for entity, record_id in connection.execute(query)]


def pending_count(session: Any, entity: Entity, model: Any, condition: Any) -> int:
    """Pending requests on the records the condition (the user's scope) lets through."""
    query = select(func.count()).select_from(ChangeRequest).where(
        ChangeRequest.entity == entity.qualified, ChangeRequest.status == PENDING)
    if condition is not None:
        query = query.where(ChangeRequest.record_id.in_(select(model.id).where(condition)))
    return int(session.execute(query).scalar() or 0)


def list_narrowed() -> bool:
    return has_request_context() and request.args.get(LIST_ARGUMENT) == "1"


class PendingChangeFilter(BaseFilter):
    """FAB base filter of lists and their exports: with ?pending_change=1 only the records
    with a pending change request (served by the partial unique index)."""

    name = "pending change"
    arg_name = "pending_change"

    def apply(self, query: Any, entity: Entity) -> Any:
        if not list_narrowed():
            return query
        waiting = select(ChangeRequest.record_id).where(
            ChangeRequest.entity == entity.qualified, ChangeRequest.status == PENDING)
        return query.filter(self.model.id.in_(waiting))


def apply(entity: Entity, row: Any, request: ChangeRequest, models: dict[str, type],
          session: Any) -> None:
    """Write the proposed values on the row (types restored from their stored form)."""
    for name, (_old, new) in json.loads(request.proposed).items():
        f = entity.field(name)
        if f.kind.refers:
            value = session.get(models[f.target], new["id"]) if new else None
        else:  # the field type reads its stored (JSON) form back
            value = f.kind.from_stored(f, new)
        setattr(row, name, value)
