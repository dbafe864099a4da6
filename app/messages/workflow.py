"""Messages of a transition's `notify:` (消息中心): written by `engine.fire` in the
transaction that moves the rows, so a message exists exactly when its row moved.

Recipients, found in SQL per organisation of the moved rows (not per row):
- `org`: the active users of the row's organisation holding one of `roles` (any role when
  none is named);
- `next`: the active users holding a role of a transition that leaves the new state, in an
  organisation at or above the row's (their range reaches it);
- `actor`: whoever fired transition `of` on the row last (the audit trail says).

One person moved by one click on many rows gets one message naming the first row and the
count, linking to the list; on one row it links to the row.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from flask import current_app
from flask_appbuilder.security.sqla.models import Role, assoc_user_role
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from app.audit.models import AuditEntry
from app.labels import render
from app.messages.inbox import Draft, post
from app.security.models import AppUser, Organisation
from generator.spec import PLACEHOLDER, Entity, Notify, Transition


def ancestors(path: str) -> list[str]:
    """'/CN/210000/210100/' -> ['/CN/', '/CN/210000/', '/CN/210000/210100/']."""
    parts = [p for p in path.split("/") if p]
    return ["/" + "/".join(parts[:i]) + "/" for i in range(1, len(parts) + 1)]


def users_with_roles(roles: Iterable[str]) -> Any:
    """SELECT of active users holding one of `roles` (any role when empty)."""
    query = select(AppUser.id).where(AppUser.active.is_(True))
    names = tuple(roles)
    if names:
        query = (query.join(assoc_user_role, assoc_user_role.c.user_id == AppUser.id)
                 .join(Role, Role.id == assoc_user_role.c.role_id).where(Role.name.in_(names)))
    return query


def recipients(session: Any, entity: Entity, transition: Transition, notify: Notify,
               rows: list[Any]) -> dict[int, list[Any]]:
    """user id -> the rows of `rows` this `notify` tells them about."""
    out: dict[int, list[Any]] = defaultdict(list)
    if notify.to == "actor":
        for row in rows:
            found = session.execute(
                select(AuditEntry.user_id).where(
                    AuditEntry.entity == entity.qualified, AuditEntry.record_id == row.id,
                    AuditEntry.action == "transition", AuditEntry.transition == notify.of)
                .order_by(AuditEntry.id.desc()).limit(1)).scalar()
            if found is not None:
                out[found].append(row)
        return out
    by_org: dict[Any, list[Any]] = defaultdict(list)
    for row in rows:
        by_org[getattr(row, "org_id", None)].append(row)
    if notify.to == "org":
        for org_id, moved in by_org.items():
            if org_id is None:
                continue
            query = users_with_roles(notify.roles).where(AppUser.org_id == org_id)
            for user_id in session.execute(query).scalars():
                out[user_id] += moved
        return out
    flow = entity.workflow
    roles = sorted({r for t in (flow.transitions if flow else ())
                    if transition.target in t.sources for r in t.roles})
    if notify.roles:
        roles = [r for r in roles if r in notify.roles]
    if not roles:
        return out
    for moved in by_org.values():
        path = getattr(moved[0], "org_path", None)
        if not path:
            continue
        query = (users_with_roles(roles).join(Organisation, Organisation.id == AppUser.org_id)
                 .where(Organisation.path.in_(ancestors(path))))
        for user_id in set(session.execute(query).scalars()):
            out[user_id] += moved
    return out


class Values(Mapping[str, str]):
    """The `{name}`s of a template for one row: fields as people read them."""

    def __init__(self, entity: Entity, row: Any, extra: Mapping[str, str]):
        self.entity, self.row, self.extra = entity, row, extra

    def __getitem__(self, name: str) -> str:
        if name in self.extra:
            return self.extra[name]
        if name == "org":
            return str(getattr(self.row, "org", "") or "")
        field = self.entity.field(name)
        value = getattr(self.row, name, None)
        if field.kind.refers:
            return "" if value is None else str(value)
        return field.kind.display(field, value, render())

    def __iter__(self) -> Any:
        return iter(())

    def __len__(self) -> int:
        return 0


def fill_in(template: str, values: Mapping[str, str]) -> str:
    return PLACEHOLDER.sub(lambda m: values[m.group(1)], template)


def actor_name(user: Any) -> str:
    name = ((getattr(user, "first_name", "") or "") + (getattr(user, "last_name", "") or "")
            ).strip() or getattr(user, "username", "")
    org = getattr(getattr(user, "org", None), "name", None)
    return f"{name}（{org}）" if org else name


def after_fire(session: Any, entity: Entity, transition: Transition, rows: list[Any],
               user: Any, reason: str | None) -> int:
    """The inbox messages of `transition` having moved `rows` (before the commit)."""
    if not transition.notify or not rows:
        return 0
    extra = {"reason": reason or "", "actor": actor_name(user),
             "action": transition.label.zh}
    title = f"{entity.label.zh}：{transition.label.zh}"
    channels = tuple(current_app.config.get("ADMIN_MESSAGE_CHANNELS", ()))
    posted = 0
    for notify in transition.notify:
        # the same rows for many people: one message text per group of rows
        groups: dict[tuple[int, ...], list[int]] = defaultdict(list)
        moved: dict[int, Any] = {}
        for user_id, told in recipients(session, entity, transition, notify, rows).items():
            if user_id == getattr(user, "id", None):
                continue  # nobody is told what they did themselves
            ids = tuple(sorted({r.id for r in told}))
            moved.update((r.id, r) for r in told)
            groups[ids].append(user_id)
        for ids, users in groups.items():
            first = moved[ids[0]]
            body = fill_in(notify.message.zh, Values(entity, first, extra))
            if len(ids) > 1:
                with force_locale("zh"):
                    body += _("(%(count)s records in all)", count=len(ids))
            draft = Draft("workflow", title, body, entity.qualified,
                          ids[0] if len(ids) == 1 else None)
            posted += post(session, draft, users, channels)
    return posted
