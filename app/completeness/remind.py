"""催报: a reminder message to the units that have not filed a period, at most once a day per
unit, logged (the audit trail and msg_reminder); written set-based in the caller's
transaction. Used by the 填报进度 screen and REST door, and by the reminder before a window
closes (`remind_units` without a sender)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import insert, select

from app.audit import trail
from app.completeness.models import Reminder
from app.messages.inbox import Draft, post
from app.messages.workflow import actor_name, fill_in
from app.security.models import AppUser, Organisation
from generator.spec import Entity


def reminder_text(entity: Entity, period_label: str, sender: Any,
                  overdue_since: dt.datetime | None = None) -> str:
    done = entity.completeness
    assert done is not None
    with force_locale("zh"):
        who = actor_name(sender) if sender is not None else _("The system")
        template = done.remind.zh if done.remind else _(
            "{sender} reminds you: please file {entity} of {period}.")
        late = "" if overdue_since is None else _(
            " The deadline (%(when)s) has passed: the filing is overdue.",
            when=overdue_since.strftime("%Y-%m-%d %H:%M"))
    return fill_in(template, {"sender": who, "period": period_label,
                              "entity": entity.label.zh}) + late


def remind_units(session: Any, entity: Entity, period: Any, period_label: str,
                 unit_ids: list[int], sender: Any, link: str | None,
                 overdue_since: dt.datetime | None = None) -> tuple[int, int]:
    """Remind the units of `unit_ids` not yet reminded today for the period (逾期催报 when
    the period closed at `overdue_since`). Returns (units reminded, units skipped because
    they were reminded today)."""
    today = dt.date.today()
    key = str(period)
    already = set(session.execute(select(Reminder.org_id).where(
        Reminder.entity == entity.qualified, Reminder.period == key, Reminder.day == today,
        Reminder.org_id.in_(unit_ids))).scalars()) if unit_ids else set()
    fresh = [u for u in dict.fromkeys(unit_ids) if u not in already]
    if not fresh:
        return 0, len(already)
    sender_id = getattr(sender, "id", None)
    session.execute(insert(Reminder), [
        {"entity": entity.qualified, "period": key, "org_id": u, "day": today,
         "sent_at": dt.datetime.now(), "user_id": sender_id} for u in fresh])
    users = list(session.execute(select(AppUser.id).where(
        AppUser.org_id.in_(fresh), AppUser.active.is_(True))).scalars())
    with force_locale("zh"):
        title = (_("Overdue reminder: %(entity)s", entity=entity.label.zh) if overdue_since
                 else _("Reminder: %(entity)s", entity=entity.label.zh))
    channels = tuple(current_app.config.get("ADMIN_MESSAGE_CHANNELS", ()))
    post(session, Draft("reminder", title,
                        reminder_text(entity, period_label, sender, overdue_since),
                        link=link), users, channels)
    names = list(session.execute(select(Organisation.name).where(
        Organisation.id.in_(fresh)).order_by(Organisation.path)).scalars())
    session.add(trail.entry("remind", entity=entity.qualified, user=sender, changes={
        "period": [None, period_label], "units": [None, "、".join(names)]}))
    return len(fresh), len(already)
