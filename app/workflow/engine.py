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

from app.audit import trail
from app.context import generated
from app.hooks import runtime
from app.labels import current_locale
from app.security.scope import is_admin, role_names, scope_condition
from app.validation import is_blank
from app.workflow import conditions, fill
from generator.spec import Entity, Needs, Transition
from generator.types.base import ROW_ID_MAX

IN_CHUNK = 1000  # ids per IN list (the rows of a large 全部上报 are read a chunk at a time)


def chunks(values: list[Any]) -> list[list[Any]]:
    return [values[i:i + IN_CHUNK] for i in range(0, len(values), IN_CHUNK)]


@dataclass
class Fired:
    done: list[int] = field(default_factory=list)
    refused: list[tuple[int, str]] = field(default_factory=list)


def allowed_transitions(entity: Entity, row: Any, user: Any, session: Any = None
                        ) -> list[Transition]:
    """Transitions the user may fire on the row now (for the buttons): also those whose
    `when` setting applies to the row, when a session is given to read it."""
    flow = entity.workflow
    if flow is None or user is None:
        return []
    state = getattr(row, flow.field)
    return [t for t in flow.transitions if state in t.sources and may_fire(t, user)
            and (session is None or (conditions.applies(t, entity, row, session)
                                     and not _fill_blocked(entity, t, user, row, session)))]


def _fill_blocked(entity: Entity, transition: Transition, user: Any, row: Any, session: Any
                  ) -> bool:
    fills = _fills(entity, transition, user, [row], session)
    return fills is not None and _fill_refusal(entity, user, fills.get(row.id)) is not None


def _fills(entity: Entity, transition: Transition, user: Any, rows: list[Any], session: Any
           ) -> dict[int, Any] | None:
    """The `filled_by` setting of each row when it governs the transition for this user."""
    rule = entity.filled_by
    if rule is None or transition.key not in rule.transitions or not fill.concerned(rule, user):
        return None
    return fill.values(entity, rows, session)


def _fill_refusal(entity: Entity, user: Any, value: Any) -> str | None:
    assert entity.filled_by is not None
    denied = fill.reason(entity, user, value, entity.filled_by.fields)
    return _(denied.reason, **denied.params) if denied is not None else None


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


def fire(entity: Entity, model: Any, session: Any, user: Any, key: str, ids: list[int],
         reason: str | None = None) -> Fired:
    flow = entity.workflow
    transition = flow.transition(key) if flow is not None else None
    result = Fired()
    if flow is None or transition is None:
        result.refused = [(i, _("Unknown action.")) for i in ids]
        return result
    if not may_fire(transition, user):
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
    present = _needed_rows(transition.needs, entity, list(rows.values()), session)
    settings = (conditions.setting_values(transition.when, entity, rows.values(), session)
                if transition.when is not None else {})
    fills = _fills(entity, transition, user, list(rows.values()), session)
    log = _log_values(flow.log_field, model, transition, reason, user)
    entries = []  # the audit entries, added together at the end (not one flush per row)
    with runtime.rows():  # what the hooks look up for one row serves the others
        for pk in ids:
            refusal = _refusal(entity, transition, rows.get(pk), present, user, session)
            when = transition.when
            if refusal is None and when is not None and settings.get(pk) not in when.values:
                refusal = conditions.refusal(transition, settings.get(pk))
            if refusal is None and fills is not None:
                refusal = _fill_refusal(entity, user, fills.get(pk))
            if refusal is not None:
                result.refused.append((pk, refusal))
                continue
            state = getattr(rows[pk], flow.field)
            changed = session.execute(
                update(model).where(model.id == pk, column == state)
                .values({flow.field: transition.target,
                         "row_version": model.row_version + 1, **log})
                .execution_options(synchronize_session=False))
            if changed.rowcount != 1:  # someone else moved it first
                result.refused.append((pk, _("Someone else has just handled this record.")))
                continue
            entries.append(trail.entry("transition", entity=entity.qualified, record_id=pk,
                                       transition=key, reason=reason, user=user,
                                       changes={flow.field: [state, transition.target]}))
            result.done.append(pk)
    session.add_all(entries)
    session.commit()
    for row in rows.values():
        session.expire(row)
    return result


def _refusal(entity: Entity, transition: Transition, row: Any, present: set[tuple[Any, ...]],
             user: Any, session: Any) -> str | None:
    """Why the transition may not move the row (None: it may)."""
    flow = entity.workflow
    assert flow is not None
    locale = current_locale()
    if row is None:
        return _("The record does not exist.")
    state = getattr(row, flow.field)
    if state not in transition.sources:
        return _("The record is %(state)s now; %(action)s is not possible.",
                 state=flow.state_label(state, locale), action=transition.label.get(locale))
    missing = [entity.field(n).label.get(locale) for n in transition.requires
               if is_blank(getattr(row, n))]
    if missing:
        return _("Fill in first: %(fields)s.", fields="、".join(missing))
    if transition.needs is not None and _needs_key(transition.needs, entity, row) \
            not in present:
        return transition.needs.message.get(locale)
    try:
        runtime.before_transition(entity, row, transition.key, user, session)
    except runtime.Denied as exc:
        return _(exc.reason, **exc.params)
    return None


def _needs_key(needs: Needs, entity: Entity, row: Any) -> tuple[Any, ...]:
    """What a row of the needed entity must equal: the organisation, then the match fields."""
    return (getattr(row, "org_id", None),
            *(getattr(row, entity.field(n).column) for n in needs.match))


def _needed_rows(needs: Needs | None, entity: Entity, rows: list[Any],
                 session: Any) -> set[tuple[Any, ...]]:
    """Keys (see _needs_key) of the needed rows that exist, in one query for all rows."""
    if needs is None or not rows:
        return set()
    admin = generated()
    target = admin.spec.entity(needs.entity)
    other = admin.models[needs.entity]
    columns = [getattr(other, target.field(n).column) for n in needs.match]
    orgs = {org for org in (getattr(row, "org_id", None) for row in rows) if org is not None}
    filled = []
    for name in needs.filled:
        column = getattr(other, target.field(name).column)
        filled.append(column.is_not(None))
        if target.field(name).kind.blank_text:  # text may be stored blank as ""
            filled.append(column != "")
    found: set[tuple[Any, ...]] = set()
    for chunk in chunks(sorted(orgs)):
        query = select(other.org_id, *columns).where(other.org_id.in_(chunk), *filled)
        found.update(tuple(row) for row in session.execute(query) if None not in row)
    return found


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
