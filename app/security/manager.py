"""Flask-AppBuilder's security manager with our user model."""

from __future__ import annotations

from flask_appbuilder.security.sqla.manager import SecurityManager

from app.security.models import AppUser


class AppSecurityManager(SecurityManager):
    user_model = AppUser
