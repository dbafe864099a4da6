"""Typed access to what every request works with: the app's Flask-AppBuilder, its `Admin`
state (the Spec, the models, storage), the database session and the signed-in user.

Flask's `current_app` knows nothing of the attributes extensions add (`appbuilder`), so the
rest of the app asks here instead of reaching through `current_app` with untyped attributes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from flask import Flask, current_app

if TYPE_CHECKING:
    from flask_appbuilder import AppBuilder
    from sqlalchemy.orm import Session, scoped_session

    from app.extension import Admin
    from app.security.models import AppUser


def flask_app() -> Flask:
    """The application object itself (for work handed to another thread)."""
    return cast(Flask, current_app._get_current_object())  # type: ignore[attr-defined]


def appbuilder(app: Flask | None = None) -> AppBuilder:
    return cast("AppBuilder", getattr(app or current_app, "appbuilder"))  # noqa: B009


def generated(app: Flask | None = None) -> Admin:
    """The generated part of the app: the Spec, the models, storage (app/extension.py)."""
    return cast("Admin", (app or current_app).extensions["admin"])


def db_session(app: Flask | None = None) -> Session:
    """The request's database session (Flask-SQLAlchemy's scoped session, which acts as the
    Session of the current request or thread; `end_session` removes it)."""
    return cast("Session", appbuilder(app).session)


def end_session(app: Flask | None = None) -> None:
    """Close the request's or thread's session (a worker thread's, at the end of its job)."""
    cast("scoped_session[Session]", appbuilder(app).session).remove()


def signed_in() -> AppUser | None:
    """The signed-in user of this request, or None (also outside a request)."""
    from app.security.scope import current

    return cast("AppUser | None", current())


def security(app: Flask | None = None) -> Any:
    """The app's security manager (app/security/manager.py AppSecurityManager)."""
    return appbuilder(app).sm
