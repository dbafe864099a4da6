"""Cross-site request forgery on the REST API.

Flask-AppBuilder's REST views accept the browser's session cookie (`allow_browser_login`) and
are exempt from CSRFProtect, so a page of another site could make a signed-in browser write
through them. A POST, PUT, PATCH or DELETE under /api/ that the session cookie authenticates
must therefore carry the form token of the session (`flask_wtf.csrf.generate_csrf`, the one
every form of the screens carries) in the `X-CSRFToken` header (`WTF_CSRF_HEADERS`). A request
with an `Authorization: Bearer` token and no signed-in cookie is not a browser's (another
site cannot set that header) and needs none; a cookie wins over a bearer token in
Flask-AppBuilder, so a request with both needs the header too. The REST login and refresh
stay open. Like the forms, the check follows `WTF_CSRF_ENABLED`.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, jsonify, request
from flask_babel import lazy_gettext
from flask_login import current_user
from flask_wtf.csrf import validate_csrf
from wtforms.validators import ValidationError

WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
OPEN = frozenset({"SecurityApi.login", "SecurityApi.refresh"})
REFUSED = lazy_gettext("A change through the API with the browser's session needs the page's "
                       "token in the X-CSRFToken header, or a bearer token; nothing was saved.")


def _token() -> str | None:
    for name in current_app.config.get("WTF_CSRF_HEADERS", ["X-CSRFToken", "X-CSRF-Token"]):
        value = request.headers.get(name)
        if value:
            return value
    return None


def check() -> Any:
    if request.method not in WRITES or not request.path.startswith("/api/"):
        return None
    if not current_app.config.get("WTF_CSRF_ENABLED", True) or request.endpoint in OPEN:
        return None
    if not getattr(current_user, "is_authenticated", False):
        return None  # a bearer token, or nobody: the API's own checks decide
    try:
        validate_csrf(_token())
    except ValidationError:
        return jsonify(message=str(REFUSED)), 400
    return None


def init_app(app: Flask) -> None:
    app.before_request(check)
