"""Error pages in Chinese, for people (HTML) and for programs (JSON under /api/)."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, g, jsonify, render_template, request
from flask_babel import lazy_gettext
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from app.context import appbuilder

log = logging.getLogger(__name__)

MESSAGES = {
    400: lazy_gettext("The request could not be understood."),
    401: lazy_gettext("Please sign in first."),
    403: lazy_gettext("You do not have permission to do this."),
    404: lazy_gettext("Page not found: the address is wrong or the record does not exist."),
    405: lazy_gettext("This action is not allowed here."),
    413: lazy_gettext("The upload is too large."),
    429: lazy_gettext("Too many requests; please wait a moment and try again."),
    500: lazy_gettext("Something went wrong on the server; the administrator has been told."),
}
# The page's title (「无权访问 - 系统名」): what happened, in a word or two.
TITLES = {
    401: lazy_gettext("Please sign in"),
    403: lazy_gettext("No permission"),
    404: lazy_gettext("Page not found"),
    413: lazy_gettext("Upload too large"),
    429: lazy_gettext("Too many requests"),
}
ERROR_TITLE = lazy_gettext("Error")
# A form posted without the session's token: an old page, or a request from another site.
CSRF_MESSAGE = lazy_gettext("The page has expired or the request did not come from this site; "
                            "nothing was saved. Go back, reload the page and try again.")


def _render(code: int, message: str | None = None) -> Any:
    message = message or str(MESSAGES.get(code, MESSAGES[500]))
    if request.path.startswith("/api/"):
        return jsonify(message=message), code
    try:
        if not hasattr(g, "user"):  # refused before FAB's own before-request ran
            g.user = current_user
        builder = appbuilder()
        return render_template("admin/error.html", code=code, message=message,
                               title=str(TITLES.get(code, ERROR_TITLE)),
                               appbuilder=builder,
                               base_template=builder.base_template), code
    except Exception:  # noqa: BLE001 - the error page itself must never fail
        log.exception("error page failed")
        return message, code


def init_app(app: Flask) -> None:
    def http_error(exc: HTTPException) -> Any:
        return _render(exc.code or 500)

    def server_error(exc: Exception) -> Any:
        log.exception("unhandled error", exc_info=exc)
        return _render(500)

    for code in MESSAGES:
        if code != 500:
            app.register_error_handler(code, http_error)
    app.register_error_handler(CSRFError, lambda _exc: _render(400, str(CSRF_MESSAGE)))
    app.register_error_handler(500, server_error)

    @app.before_request
    def refuse_oversized_body() -> Any:
        # FAB's REST wrapper turns werkzeug's 413 into a 500: refuse before any view runs.
        limit = app.config.get("MAX_CONTENT_LENGTH")
        if limit and (request.content_length or 0) > limit:
            return _render(413)
        return None
