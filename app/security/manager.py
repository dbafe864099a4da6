"""Flask-AppBuilder's security manager with our user model and module assignment."""

from __future__ import annotations

from functools import cached_property

from flask import current_app
from flask_appbuilder.security.sqla.manager import SecurityManager

from app.security.models import AppUser
from app.security.scope import current, is_admin
from app.security.users import ChangeMyPasswordView


class AppSecurityManager(SecurityManager):
    user_model = AppUser
    resetmypasswordview = ChangeMyPasswordView

    @cached_property
    def _module_of(self) -> dict[str, str]:
        """Permission and menu names of generated screens -> their module."""
        spec = current_app.extensions["admin"].spec
        names: dict[str, str] = {}
        for module in spec.modules:
            names[module.key] = module.key
            for entity in module.entities:
                names[entity.permission_name] = module.key
                names[entity.qualified] = module.key
        return names

    def has_access(self, permission_name: str, view_name: str) -> bool:
        """The roles' rights, narrowed to the modules assigned to (or delegated to) the user."""
        if not super().has_access(permission_name, view_name):
            return False
        module = self._module_of.get(view_name)
        user = current()
        if module is None or user is None or is_admin(user):
            return True
        return user.module_allowed(module)
