"""Rights that follow from a role's duty rather than from entity grants.

- System administrators (`admin: system`) read the 意见反馈 of their jurisdiction's users
  and the run log of the schedules (定时任务).
- System administrators (`admin: system`) manage the users of their jurisdiction, and (when
  some entity names `window_deadline`) the reporting windows of their jurisdiction.
- Roles that issue accounts (`issues:`) manage the accounts of the roles they issue in their
  jurisdiction on the same screen (账号发放).
- Legal persons (`user_class: legal_person`) manage their own agents and delegate modules to
  them (子用户授权) on the same screen, narrowed to their enterprise.
- Regulators (`user_class: regulator`) grant extensions of a reporting window to single units
  of their jurisdiction (when some entity names `window_deadline`).
"""

from __future__ import annotations

from app.hooks.window_admin import (
    CRUD,
    EXTENSION_MENU,
    EXTENSION_VIEW,
    MENU_CATEGORY,
    WINDOW_MENU,
    WINDOW_VIEW,
    uses_windows,
)
from generator.builders.matrix import MENU_ACCESS, Perm
from generator.spec import Spec

USER_SCREEN = "system:users"
USER_MENU = ("user_management", "system_admin")
FEEDBACK_VIEW, FEEDBACK_MENU = "help:feedback", "feedback"  # app/help (系统管理 → 意见反馈)
# app/jobs/views.py (系统管理 → 定时任务: the schedules and their run log)
SCHEDULE_VIEW, SCHEDULE_MENU = "jobs:schedule_runs", "schedule_runs"


def duty_perms(spec: Spec) -> dict[str, set[Perm]]:
    result: dict[str, set[Perm]] = {}
    for role in spec.roles:
        if role.admin == "system" or role.user_class == "legal_person" or role.issues:
            perms = {Perm(f"can_{a}", USER_SCREEN) for a in ("list", "add", "edit")}
            perms.update(Perm(MENU_ACCESS, name) for name in USER_MENU)
            result[role.key] = perms
    for role in spec.roles:
        if role.admin == "system":  # the feedback users send reaches the administrators
            result.setdefault(role.key, set()).update(
                {Perm("can_list", FEEDBACK_VIEW), Perm(MENU_ACCESS, FEEDBACK_MENU),
                 Perm("can_list", SCHEDULE_VIEW), Perm(MENU_ACCESS, SCHEDULE_MENU)})
    if uses_windows(spec):
        for role in spec.roles:
            screens = []
            if role.admin == "system":
                screens.append((WINDOW_VIEW, WINDOW_MENU))
            if role.user_class == "regulator":
                screens.append((EXTENSION_VIEW, EXTENSION_MENU))
            for view, menu in screens:
                perms = result.setdefault(role.key, set())
                perms.update(Perm(f"can_{a}", view) for a in CRUD)
                perms.update({Perm(MENU_ACCESS, menu), Perm(MENU_ACCESS, MENU_CATEGORY)})
    return result
