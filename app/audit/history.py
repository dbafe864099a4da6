"""Reading the trail back: a record's history and its rounds of correction (补正历史)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext
from sqlalchemy import select

from app.audit.models import AuditEntry
from app.labels import current_locale
from generator.spec import Entity

ACTION_LABELS = {"create": lazy_gettext("Created"), "edit": lazy_gettext("Changed"),
                 "delete": lazy_gettext("Deleted"), "transition": lazy_gettext("State changed"),
                 "import": lazy_gettext("Imported")}


@dataclass
class Change:
    label: str
    old: str
    new: str


@dataclass
class Event:
    at: Any
    who: str
    org: str
    action: str
    reason: str | None
    changes: list[Change]


@dataclass
class Round:
    number: int
    returned_at: Any
    returned_by: str
    reason: str | None
    changes: list[Change] = field(default_factory=list)
    resubmitted_at: Any = None


def _text(entity: Entity, name: str, value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict):
        return str(value.get("text", ""))
    flow = entity.workflow
    locale = current_locale()
    if flow is not None and name == flow.field:
        return flow.state_label(value, locale)
    if entity.has_field(name):
        f = entity.field(name)
        if f.type == "enum":
            return f.enum_label(value, locale)
        if f.type == "boolean":
            return _("Yes") if value else _("No")
    return str(value)


def _label(entity: Entity, name: str) -> str:
    if entity.workflow is not None and name == entity.workflow.field:
        return entity.workflow.state_field.label.get(current_locale())
    base = name[:-3] if name.endswith("_id") and entity.has_field(name[:-3]) else name
    if name in ("org_id", "org"):
        return _("Organisation")
    return entity.field(base).label.get(current_locale()) if entity.has_field(base) else name


def _changes(entity: Entity, raw: str | None) -> list[Change]:
    if not raw:
        return []
    out = []
    for name, (old, new) in json.loads(raw).items():
        if name.endswith("_id") and entity.has_field(name[:-3]):
            continue  # the reference itself is recorded under the field's own name
        out.append(Change(_label(entity, name), _text(entity, name, old),
                          _text(entity, name, new)))
    return out


def readable(entity: Entity, raw: str | None) -> list[Change]:
    """A JSON {field: [old, new]} (an audit entry's or a change request's) for people."""
    return _changes(entity, raw)


def entries(session: Any, entity: Entity, record_id: int) -> list[AuditEntry]:
    query = (select(AuditEntry).where(AuditEntry.entity == entity.qualified,
                                      AuditEntry.record_id == record_id)
             .order_by(AuditEntry.at, AuditEntry.id))
    return list(session.execute(query).scalars())


def history(session: Any, entity: Entity, record_id: int) -> list[Event]:
    events = []
    for e in entries(session, entity, record_id):
        action = str(ACTION_LABELS.get(e.action, e.action))
        if e.action == "transition" and entity.workflow is not None:
            t = entity.workflow.transition(e.transition or "")
            action = t.label.get(current_locale()) if t else action
        events.append(Event(e.at, e.username or "", e.org_name or "", action, e.reason,
                            _changes(entity, e.changes)))
    return events


def correction_rounds(session: Any, entity: Entity, record_id: int) -> list[Round]:
    """Each return for correction opens a round; the edits until it is resubmitted are the
    round's changes (old -> new, as the regulator sees them)."""
    flow = entity.workflow
    if flow is None:
        return []
    corrections = {s.key for s in flow.states if s.correction}
    rounds: list[Round] = []
    current: Round | None = None
    for e in entries(session, entity, record_id):
        if e.action == "transition":
            change = json.loads(e.changes or "{}").get(flow.field, [None, None])
            if change[1] in corrections:
                current = Round(len(rounds) + 1, e.at, e.username or "", e.reason)
                rounds.append(current)
            elif current is not None and change[0] in corrections:
                current.resubmitted_at = e.at
                current = None
        elif e.action == "edit" and current is not None:
            current.changes.extend(_changes(entity, e.changes))
    return rounds
