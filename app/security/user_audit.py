"""Audit entries of user management: creation, changes of rights, 注销/启用 and password
resets by an administrator.

Entries carry `changes` as {key: [before, after]} with keys `user`, `email`, `org`,
`user_class`, `roles`, `modules`, `active`, and values already readable (names and labels
in the application's default language, never raw keys), so that any renderer shows them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from app.audit import trail
from app.security.user_rules import USER_CLASS_LABELS, module_label, role_label, spec

T = TypeVar("T")
RIGHTS = ("org", "user_class", "roles", "modules")


def stored(make: Callable[[], T]) -> T:
    """`make()` in the application's default language: entries read the same for everyone."""
    with force_locale(current_app.config.get("BABEL_DEFAULT_LOCALE", "zh_CN")):
        return make()


def user_text(user: Any) -> str:
    """How an entry names a user: 姓名（用户名）."""
    name = (user.first_name or "").strip()
    return f"{name}（{user.username}）" if name and name != user.username else user.username


def active_text(active: Any) -> str:
    return _("Yes") if active else _("No (deactivated)")


def roles_text(keys: list[str]) -> str:
    order = {r.key: n for n, r in enumerate(spec().roles)}
    return "、".join(role_label(k) for k in sorted(keys, key=lambda k: (order.get(k, -1), k)))


def modules_text(keys: list[str], user_class: str | None) -> str:
    if not keys:
        return _("Nothing delegated") if user_class == "agent" else _("Every module of the roles")
    order = {m.key: n for n, m in enumerate(spec().modules)}
    return "、".join(module_label(k) for k in sorted(keys, key=lambda k: (order.get(k, -1), k)))


def snapshot(user: Any) -> dict[str, str]:
    """The readable values of one user, as entries store them."""

    def make() -> dict[str, str]:
        modules = [m for m in (user.modules or "").split(",") if m]
        return {
            "user": user_text(user),
            "email": user.email or "",
            "org": user.org.name if user.org is not None else "",
            "user_class": str(USER_CLASS_LABELS.get(user.user_class or "", "")),
            "roles": roles_text([r.name for r in user.roles]),
            "modules": modules_text(modules, user.user_class),
            "active": active_text(user.active),
        }

    return stored(make)


def record_created(session: Any, user: Any) -> None:
    after = snapshot(user)
    trail.record(session, "user_created",
                 changes={key: [None, value] for key, value in after.items() if value})


def record_changed(session: Any, before: dict[str, str], user: Any) -> None:
    """One entry for a saved edit: `permissions` when a right changed, else `user_edited`;
    nothing when nothing changed. `user` is always there, to say whom."""
    after = snapshot(user)
    changes = {key: [before[key], after[key]] for key in after if before[key] != after[key]}
    if not changes:
        return
    action = "permissions" if any(key in changes for key in RIGHTS) else "user_edited"
    changes.setdefault("user", [before["user"], after["user"]])
    trail.record(session, action, changes=changes)


def record_active(session: Any, user: Any, active: bool, *, actor: Any = None,
                  reason: str | None = None) -> None:
    """注销 (active False) or 启用 (True) of `user`; `actor` None: the signed-in user."""
    name = stored(lambda: user_text(user))
    values = stored(lambda: [active_text(not active), active_text(active)])
    trail.record(session, "user_activated" if active else "user_deactivated", user=actor,
                 changes={"user": [name, name], "active": values}, reason=reason)


def record_password_reset(session: Any, user: Any) -> None:
    name = stored(lambda: user_text(user))
    trail.record(session, "password_reset", changes={"user": [name, name]})
