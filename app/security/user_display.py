"""How a user account reads on every screen that shows one (用户管理, 个人信息, FAB's own user
list): Chinese labels for roles, modules and the user class, 是/否 for flags, times to the
minute (the database keeps microseconds nobody reads), nothing where a value is missing."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext

from app.security.user_rules import USER_CLASS_LABELS, module_label, role_label


def when(value: dt.datetime | None) -> str:
    return "" if value is None else value.strftime("%Y-%m-%d %H:%M")


def count(value: int | None) -> str:
    return str(value or 0)  # FAB leaves the counter empty until the first sign-in


def roles(value: Any) -> str:
    return "、".join(role_label(r.name) for r in value or [])


def modules(value: str | None) -> str:
    return "、".join(module_label(m) for m in (value or "").split(",") if m) or _(
        "Every module of the roles")


FORMATTERS = {
    "user_class": lambda v: USER_CLASS_LABELS.get(v, "") if v else "",
    "active": lambda v: _("Yes") if v else _("No (deactivated)"),
    "roles": roles,
    "modules": modules,
    "org": lambda v: "" if v is None else str(v),
    "id_no": lambda v: v or "",
    "last_login": when,
    "created_on": when,
    "changed_on": when,
    "login_count": count,
    "fail_login_count": count,
}

LABELS = {
    "username": lazy_gettext("User Name"), "first_name": lazy_gettext("Full name"),
    "email": lazy_gettext("Email"), "id_no": lazy_gettext("ID card number"),
    "org": lazy_gettext("Organisation"),
    "user_class": lazy_gettext("User class"), "roles": lazy_gettext("Roles"),
    "modules": lazy_gettext("Modules"), "active": lazy_gettext("Active"),
    "last_login": lazy_gettext("Last login"), "login_count": lazy_gettext("Login count"),
}

# 个人信息: one 姓名 (the accounts keep the whole name in first_name), what the person may do
# and where, without FAB's empty 姓.
INFO_FIELDS = ["username", "first_name", "email", "id_no", "org", "user_class", "roles", "modules",
               "active", "last_login", "login_count"]
