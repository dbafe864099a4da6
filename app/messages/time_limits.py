"""Reminders before a time limit lapses (the `remind_time_limits` scheduled action): every row
in a state with a `time_limit` whose due date falls within the next `days` days (today
included, not yet past) tells the users who may fire a transition out of that state, in an
organisation at or above the row's, in their inbox. Each row reminds each person once a day,
however often the schedule runs."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from app.context import generated
from app.labels import render
from app.messages.inbox import Draft, post
from app.messages.models import Message
from app.messages.workflow import ancestors, users_with_roles
from app.security.models import AppUser, Organisation

KIND = "time_limit"


def _handlers(session: Any, roles: list[str], path: str) -> set[int]:
    query = (users_with_roles(roles).join(Organisation, Organisation.id == AppUser.org_id)
             .where(Organisation.path.in_(ancestors(path))))
    return set(session.execute(query).scalars())


def _told_today(session: Any, entity: str, record_ids: Any) -> dict[int, set[int]]:
    """record id -> the people told about it today, for every row `record_ids` (a subquery)
    selects: one statement, however many rows are due."""
    start = dt.datetime.combine(dt.date.today(), dt.time())
    told: dict[int, set[int]] = defaultdict(set)
    for record_id, user_id in session.execute(select(Message.record_id, Message.user_id).where(
            Message.kind == KIND, Message.entity == entity, Message.record_id.in_(record_ids),
            Message.created_at >= start)):
        told[record_id].add(user_id)
    return told


def remind_due(session: Any, days: int) -> int:
    """Messages written for rows due within `days` days; returns how many people were told."""
    admin = generated()
    today = dt.date.today()
    channels = tuple(current_app.config.get("ADMIN_MESSAGE_CHANNELS", ()))
    told = 0
    for entity in admin.spec.entities:
        flow = entity.workflow
        due_name = flow.due_field if flow is not None else None
        if flow is None or due_name is None:
            continue
        model = admin.models[entity.qualified]
        due_column = getattr(model, due_name)
        due_field = entity.field(due_name)
        roles_of = {s.key: sorted({r for t in flow.transitions if s.key in t.sources
                                   for r in t.roles}) for s in flow.states if s.time_limit}
        due = (getattr(model, flow.field).in_(list(roles_of)), due_column >= today,
               due_column <= today + dt.timedelta(days=days))
        rows = session.execute(select(model).where(*due).order_by(model.id)
                               ).unique().scalars().all()
        if not rows:
            continue
        already = _told_today(session, entity.qualified, select(model.id).where(*due))
        handlers: dict[tuple[str, str], set[int]] = defaultdict(set)
        for row in rows:
            state = getattr(row, flow.field)
            path = getattr(row, "org_path", None) or ""
            key = (state, path)
            if key not in handlers:
                handlers[key] = _handlers(session, roles_of[state], path) if path else set()
            users = handlers[key] - already.get(row.id, set())
            if not users:
                continue
            state_label = flow.state(state).label.zh  # type: ignore[union-attr]
            with force_locale("zh"):
                title = _("Time limit: %(entity)s", entity=entity.label.zh)
                body = _("%(record)s (%(state)s) is due %(due)s.", record=str(row),
                         state=state_label,
                         due=due_field.kind.display(due_field, getattr(row, due_name),
                                                    render()))
            told += post(session, Draft(KIND, title, body, entity.qualified, row.id), users,
                         channels)
    session.flush()
    return told

