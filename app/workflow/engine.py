"""Firing transitions: one row or many, atomically, idempotently, with the rules of the YAML.

A transition is a single `UPDATE ... WHERE id = :id AND state = :from`: of two reviewers (or
two clicks) on the same row exactly one changes it; the other is told the row has moved on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select, update

from app.audit import trail
from app.hooks import runtime
from app.labels import current_locale
from app.security.scope import is_admin, role_names, scope_condition
from app.validation import is_blank
from generator.spec import Entity, Transition


@dataclass
class Fired:
    done: list[int] = field(default_factory=list)
    refused: list[tuple[int, str]] = field(default_factory=list)


def allowed_transitions(entity: Entity, row: Any, user: Any) -> list[Transition]:
    """Transitions the user may fire on the row now (for the buttons)."""
    flow = entity.workflow
    if flow is None or user is None:
        return []
    state = getattr(row, flow.field)
    return [t for t in flow.transitions if state in t.sources and may_fire(t, user)]


def may_fire(transition: Transition, user: Any) -> bool:
    return is_admin(user) or bool(role_names(user) & set(transition.roles))


def lock_reason(entity: Entity, row: Any, action: str) -> str | None:
    """Why the row's state forbids editing or deleting it (None: it does not)."""
    flow = entity.workflow
    if flow is None or row is None:
        return None
    state = flow.state(getattr(row, flow.field))
    if state is None:
        return None
    if (action == "edit" and state.edit) or (action == "delete" and state.delete):
        return None
    label = state.label.get(current_locale())
    if action == "edit":
        return _("A record in state %(state)s cannot be changed.", state=label)
    return _("A record in state %(state)s cannot be deleted.", state=label)


def fire(entity: Entity, model: type, session: Any, user: Any, key: str, ids: list[int],
         reason: str | None = None) -> Fired:
    flow = entity.workflow
    transition = flow.transition(key) if flow is not None else None
    result = Fired()
    if transition is None:
        result.refused = [(i, _("Unknown action.")) for i in ids]
        return result
    if not may_fire(transition, user):
        result.refused = [(i, _("You may not do this.")) for i in ids]
        return result
    reason = (reason or "").strip() or None
    if transition.reason and not reason:
        result.refused = [(i, _("Please give the reason.")) for i in ids]
        return result
    locale = current_locale()
    column = getattr(model, flow.field)
    query = select(model).where(model.id.in_(ids))
    condition = scope_condition(entity, model, user)
    if condition is not None:
        query = query.where(condition)
    rows = {row.id: row for row in session.execute(query).scalars()}
    for pk in ids:
        row = rows.get(pk)
        if row is None:
            result.refused.append((pk, _("The record does not exist.")))
            continue
        state = getattr(row, flow.field)
        if state not in transition.sources:
            result.refused.append((pk, _("The record is %(state)s now; %(action)s is not "
                                         "possible.", state=flow.state_label(state, locale),
                                         action=transition.label.get(locale))))
            continue
        missing = [entity.field(n).label.get(locale) for n in transition.requires
                   if is_blank(getattr(row, n))]
        if missing:
            result.refused.append((pk, _("Fill in first: %(fields)s.",
                                         fields="、".join(missing))))
            continue
        try:
            runtime.before_transition(entity, row, key, user, session)
        except runtime.Denied as exc:
            result.refused.append((pk, _(exc.reason, **exc.params)))
            continue
        changed = session.execute(
            update(model).where(model.id == pk, column == state)
            .values({flow.field: transition.target,
                     "row_version": model.row_version + 1})
            .execution_options(synchronize_session=False))
        if changed.rowcount != 1:  # someone else moved it first
            result.refused.append((pk, _("Someone else has just handled this record.")))
            continue
        trail.record(session, "transition", entity=entity.qualified, record_id=pk,
                     transition=key, reason=reason, user=user,
                     changes={flow.field: [state, transition.target]})
        result.done.append(pk)
    session.commit()
    for row in rows.values():
        session.expire(row)
    return result

