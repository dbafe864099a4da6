"""Rights that follow from a role's duty rather than from entity grants.

- System administrators (`admin: system`) manage the users of their jurisdiction.
- Legal persons (`user_class: legal_person`) manage their own agents and delegate modules to
  them (子用户授权) on the same screen, narrowed to their enterprise.
"""

from __future__ import annotations

from app.security.matrix import MENU_ACCESS, Perm
from generator.spec import Spec

USER_SCREEN = "system:users"
USER_MENU = ("user_management", "system_admin")


def duty_perms(spec: Spec) -> dict[str, set[Perm]]:
    result: dict[str, set[Perm]] = {}
    for role in spec.roles:
        if role.admin == "system" or role.user_class == "legal_person":
            perms = {Perm(f"can_{a}", USER_SCREEN) for a in ("list", "add", "edit")}
            perms.update(Perm(MENU_ACCESS, name) for name in USER_MENU)
            result[role.key] = perms
    return result
