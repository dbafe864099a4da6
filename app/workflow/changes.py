"""变更 (seed 001): a change to a submitted record is requested, then decided.

The proposed values wait in a change request; the submitted version stays in force until an
approver accepts it, which applies the values through the ORM (and so into the audit trail).
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
from typing import Any

from flask_appbuilder import Model
from sqlalchemy import Column, DateTime, Index, Integer, String, Text, select

from generator.spec import Entity


class ChangeRequest(Model):
    __tablename__ = "workflow_change_request"
    id = Column(Integer, primary_key=True)
    entity = Column(String(120), nullable=False)
    record_id = Column(Integer, nullable=False)
    proposed = Column(Text, nullable=False)  # JSON {field: [old, new]} as stored values
    status = Column(String(16), nullable=False, default="pending")  # accepted | rejected
    requested_by = Column(Integer, nullable=False)
    requested_by_name = Column(String(256), nullable=True)
    requested_at = Column(DateTime, nullable=False, default=dt.datetime.now)
    decided_by_name = Column(String(256), nullable=True)
    decided_at = Column(DateTime, nullable=True)
    reason = Column(Text, nullable=True)
    __table_args__ = (Index("ix_workflow_change_request_record", "entity", "record_id"),)


def _stored(value: Any) -> Any:
    if hasattr(value, "__table__"):
        return {"id": value.id, "text": str(value)}
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    return value


def proposed_changes(entity: Entity, row: Any, form: Any) -> dict[str, list[Any]]:
    """{field: [current, proposed]} for every field the form would change."""
    out = {}
    for f in entity.fields:
        if f.name not in form or f.type in ("child", "file", "computed"):
            continue
        new = form[f.name].data
        old = getattr(row, f.name)
        if _stored(new) != _stored(old):
            out[f.name] = [_stored(old), _stored(new)]
    return out


def pending(session: Any, entity: Entity, record_id: int) -> list[ChangeRequest]:
    query = select(ChangeRequest).where(ChangeRequest.entity == entity.qualified,
                                        ChangeRequest.record_id == record_id,
                                        ChangeRequest.status == "pending")
    return list(session.execute(query.order_by(ChangeRequest.id)).scalars())


def apply(entity: Entity, row: Any, request: ChangeRequest, models: dict[str, type],
          session: Any) -> None:
    """Write the proposed values on the row (types restored from their stored form)."""
    for name, (_old, new) in json.loads(request.proposed).items():
        f = entity.field(name)
        if f.type == "reference":
            value = session.get(models[f.to], new["id"]) if new else None
        elif new is None:
            value = None
        elif f.type == "date":
            value = dt.date.fromisoformat(new)
        elif f.type == "datetime":
            value = dt.datetime.fromisoformat(new)
        elif f.type == "decimal":
            value = decimal.Decimal(new)
        else:
            value = new
        setattr(row, name, value)
