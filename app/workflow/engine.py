"""Firing transitions: one row or many, atomically, idempotently, with the rules of the YAML.

A transition is a single `UPDATE ... WHERE id = :id AND state = :from`: of two reviewers (or
two clicks) on the same row exactly one changes it; the other is told the row has moved on.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Text, func, select, update

from app import auto_rules, rollups
from app.audit import trail
from app.messages import workflow as notify
from app.security.scope import scope_condition
from app.workflow import rules
from app.workflow.rules import IN_CHUNK, chunks, lock_reason, may_fire
from generator.models import due_on_entering
from generator.spec import FILED_AT, Entity, Transition, Workflow
from generator.types.base import ROW_ID_MAX
from generator.working_days import due_date

__all__ = ["IN_CHUNK", "Fired", "allowed_transitions", "chunks", "fire", "lock_reason",
           "log_line", "may_fire"]



@dataclass
class Fired:
    done: list[int] = field(default_factory=list)
    refused: list[tuple[int, str]] = field(default_factory=list)
    names: dict[int, str] = field(default_factory=dict)  # the rows read, as people name them

    def messages(self, action: str) -> list[str]:
        """The refusals grouped by reason, naming the rows (rules.grouped)."""
        return rules.grouped(action, self.refused, self.names)


def allowed_transitions(entity: Entity, row: Any, user: Any, session: Any,
                        granted: rules.Granted | None = None) -> list[rules.Verdict]:
    """The buttons of one row: the transitions offered on it, allowed or with the reason."""
    if entity.workflow is None or user is None or row is None:
        return []
    return rules.offers(entity, [row], user, session, granted).get(row.id, [])


def fire(entity: Entity, model: Any, session: Any, user: Any, key: str, ids: list[int],
         reason: str | None = None, granted: rules.Granted | None = None) -> Fired:
    """Move the rows `ids` (read in the user's range) by the transition, each row exactly
    when rules.verdicts allows it; the others are refused with the verdict's reason."""
    flow = entity.workflow
    transition = flow.transition(key) if flow is not None else None
    result = Fired()
    if flow is None or transition is None:
        result.refused = [(i, _("Unknown action.")) for i in ids]
        return result
    if not may_fire(transition, user) or (granted is not None and not granted(transition)):
        result.refused = [(i, _("You may not do this.")) for i in ids]
        return result
    reason = (reason or "").strip() or None
    if transition.reason and not reason:
        result.refused = [(i, _("Please give the reason.")) for i in ids]
        return result
    column = getattr(model, flow.field)
    condition = scope_condition(entity, model, user)
    rows: dict[int, Any] = {}
    # An id no row can have is a row that does not exist (not a value the database refuses).
    for chunk in chunks([i for i in ids if 0 < i <= ROW_ID_MAX]):
        query = select(model).where(model.id.in_(chunk))
        if condition is not None:
            query = query.where(condition)
        rows.update((row.id, row) for row in session.execute(query).scalars())
    result.names = {pk: rules.row_name(entity, row) for pk, row in rows.items()}
    verdicts = rules.verdicts(entity, transition, {pk: rows.get(pk) for pk in ids}, user,
                              session, granted)
    log = _log_values(flow.log_field, model, transition, reason, user)
    if flow.due_field is not None:  # 办理期限: the limit of the state entered, from today
        log[flow.due_field] = due_on_entering(flow, transition.target)
    entries = []  # the audit entries, added together at the end (not one flush per row)
    for pk in ids:
        refusal = verdicts[pk].refusal
        if refusal is not None:
            result.refused.append((pk, refusal))
            continue
        state = getattr(rows[pk], flow.field)
        extended = _extended_due(flow, transition, rows[pk])
        changed = session.execute(
            update(model).where(model.id == pk, column == state)
            .values({flow.field: transition.target,
                     "row_version": model.row_version + 1, **log, **extended,
                     **_filed_at(entity, state, transition.target)})
            .execution_options(synchronize_session=False))
        if changed.rowcount != 1:  # someone else moved it first
            result.refused.append((pk, _("Someone else has just handled this record.")))
            continue
        entries.append(trail.entry("transition", entity=entity.qualified, record_id=pk,
                                   transition=key, reason=reason, user=user,
                                   changes={flow.field: [state, transition.target]}))
        result.done.append(pk)
    rollups.rows_written(session, model, result.done)  # e.g. a deduction approved
    try:  # e.g. a failed inspection item opens a deduction
        auto_rules.after_transition(session, model, key, [rows[pk] for pk in result.done],
                                    user)
    except auto_rules.RuleFailed as exc:
        session.rollback()
        return Fired(refused=[(pk, exc.message) for pk in ids], names=result.names)
    session.add_all(entries)
    # in the same transaction: a message exists exactly when its row moved
    notify.after_fire(session, entity, transition, [rows[pk] for pk in result.done], user,
                      reason)
    session.commit()
    for row in rows.values():
        session.expire(row)
    return result


def _extended_due(flow: Workflow, transition: Transition, row: Any) -> dict[str, Any]:
    """延长期限 (`extend: true`): the row's own due date moved on by the target's limit (an
    overdue row's too: the extension counts from the day the limit fell, not from today)."""
    if not transition.extend or flow.due_field is None:
        return {}
    limit = next(s.time_limit for s in flow.states if s.key == transition.target)
    start = getattr(row, flow.due_field, None) or dt.date.today()
    assert limit is not None  # the schema check makes sure
    return {flow.due_field: due_date(start, limit.days, limit.calendar)}


def _filed_at(entity: Entity, source: str, target: str) -> dict[str, Any]:
    """填报进度: the time a row moves into a filed state from one that is not."""
    done = entity.completeness
    if done is None or target not in done.filed or source in done.filed:
        return {}
    return {FILED_AT: dt.datetime.now()}


def log_line(transition: Transition, reason: str | None, user: Any,
             when: dt.datetime | None = None) -> str:
    """One line of the review log: when, who (of which organisation), what, why."""
    when = when or dt.datetime.now()
    name = ((getattr(user, "first_name", "") or "") + (getattr(user, "last_name", "") or "")
            ).strip() or getattr(user, "username", "")
    org = getattr(getattr(user, "org", None), "name", None) or ""
    line = f"{when:%Y-%m-%d %H:%M} {name}（{org}）{transition.label.zh}"
    return f"{line}：{' '.join(reason.split())}" if reason else line  # one line per event


def _log_values(log_field: str | None, model: Any, transition: Transition,
                reason: str | None, user: Any) -> dict[str, Any]:
    """The log column's new value, computed by the database inside the guarded UPDATE (so
    the line is appended exactly when the state moves)."""
    if log_field is None:
        return {}
    column = getattr(model, log_field)
    before = func.coalesce(func.nullif(column, "", type_=Text).concat("\n"), "", type_=Text)
    return {log_field: before.concat(log_line(transition, reason, user))}
