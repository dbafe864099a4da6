"""Reading the trail back: a record's history and its rounds of correction (补正历史)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from app.audit import render
from app.audit.models import AuditEntry
from app.audit.render import Change
from app.audit.views import ACTIONS
from app.security.models import AppUser
from generator.spec import Entity


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


def readable(entity: Entity, raw: str | None) -> list[Change]:
    """A JSON {field: [old, new]} (an audit entry's or a change request's) for people."""
    return render.changes(entity, raw)


def entries(session: Any, entity: Entity, record_id: int) -> list[AuditEntry]:
    query = (select(AuditEntry).where(AuditEntry.entity == entity.qualified,
                                      AuditEntry.record_id == record_id)
             .order_by(AuditEntry.at, AuditEntry.id))
    return list(session.execute(query).scalars())


def names(session: Any, found: list[AuditEntry]) -> dict[int, str]:
    """user id -> the person's name, for the entries' users (one query). The trail keeps the
    login, which is what the entry was written under; readers of a record know people by
    name."""
    ids = {e.user_id for e in found if e.user_id is not None}
    if not ids:
        return {}
    query = select(AppUser.id, AppUser.first_name, AppUser.last_name).where(AppUser.id.in_(ids))
    return {pk: f"{first or ''}{last or ''}".strip() for pk, first, last in session.execute(query)}


def _who(known: dict[int, str], entry: AuditEntry) -> str:
    """The name, else the login (a user since removed, or one without a name)."""
    return (known.get(entry.user_id) if entry.user_id is not None else None) or (
        entry.username or "")


def history(session: Any, entity: Entity, record_id: int,
            hidden: frozenset[str] = frozenset()) -> list[Event]:
    """The record's entries, without the changes of the fields in `hidden`."""
    events = []
    found = entries(session, entity, record_id)
    known = names(session, found)
    for e in found:
        action = (render.transition_label(entity, e.transition) if e.action == "transition"
                  and e.transition else render.action_label(ACTIONS, e.action))
        events.append(Event(e.at, _who(known, e), e.org_name or "", action, e.reason,
                            render.changes(entity, e.changes, hidden)))
    return events


def correction_rounds(session: Any, entity: Entity, record_id: int,
                      hidden: frozenset[str] = frozenset()) -> list[Round]:
    """Each return for correction opens a round; the edits until it is resubmitted are the
    round's changes (old -> new, as the regulator sees them)."""
    flow = entity.workflow
    if flow is None:
        return []
    corrections = {s.key for s in flow.states if s.correction}
    rounds: list[Round] = []
    current: Round | None = None
    found = entries(session, entity, record_id)
    known = names(session, found)
    for e in found:
        if e.action == "transition":
            source, target = render.state_change(entity, e.changes)
            if target in corrections:
                current = Round(len(rounds) + 1, e.at, _who(known, e), e.reason)
                rounds.append(current)
            elif current is not None and source in corrections:
                current.resubmitted_at = e.at
                current = None
        elif e.action in ("edit", "import") and current is not None:
            current.changes.extend(c for c in render.changes(entity, e.changes, hidden)
                                   if c.pair)
    return rounds
