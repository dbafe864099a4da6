"""Security headers on every response, and downloads that are attachments with a safe name.

`ADMIN_SECURITY_HEADERS` (a mapping) overrides `DEFAULTS` header by header; a header mapped
to None or "" is not sent. `{nonce}` in a value is this response's nonce, which the templates
put on every `<script>` (`baselib.get_nonce()` of Flask-AppBuilder asks `csp_nonce()`), so the
policy allows no inline script but ours. A header a view set itself is kept.
"""

from __future__ import annotations

import mimetypes
import re
import secrets
import unicodedata
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from flask import Flask, Response, current_app, g, send_file

CSP = ("default-src 'self'; script-src 'self' 'nonce-{nonce}'; "
       "style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; "
       "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'self'")
DEFAULTS: Mapping[str, str] = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "SAMEORIGIN",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Content-Security-Policy": CSP,
}


def nonce() -> str:
    """This response's nonce for `<script nonce=...>` (made on first use)."""
    value = g.get("_csp_nonce")
    if value is None:
        value = g._csp_nonce = secrets.token_urlsafe(16)
    return str(value)


def wanted(config: Mapping[str, Any]) -> dict[str, str]:
    headers = {**DEFAULTS, **(config.get("ADMIN_SECURITY_HEADERS") or {})}
    return {name: value for name, value in headers.items() if value}


def add_headers(response: Response) -> Response:
    for name, value in wanted(current_app.config).items():
        if name not in response.headers:
            response.headers[name] = value.replace("{nonce}", nonce())
    if response.headers.get("Content-Disposition", "").startswith("attachment"):
        response.headers["X-Content-Type-Options"] = "nosniff"  # whatever the settings say
    return response


# --- downloads ------------------------------------------------------------------------------

_UNSAFE = re.compile(r'[\x00-\x1f\x7f"\\/]')  # control characters (CR, LF ...), quotes, paths
_NOT_TOKEN = re.compile(r"[^A-Za-z0-9._ ()+-]")


def clean_name(name: str, fallback: str = "download") -> str:
    """A file name as a user typed or uploaded it, without what a header or a path could
    misread (Chinese is kept)."""
    cleaned = _UNSAFE.sub("_", unicodedata.normalize("NFC", name or "")).strip(" .")
    return cleaned[:200] or fallback


def content_disposition(name: str, fallback: str = "download") -> str:
    """`attachment` with an ASCII `filename` for old clients and the exact (UTF-8, RFC 5987)
    `filename*`: 年度报告.pdf -> filename="download.pdf"; filename*=UTF-8''%E5%B9%B4..."""
    cleaned = clean_name(name, fallback)
    ascii_name = unicodedata.normalize("NFKD", cleaned).encode("ascii", "ignore").decode()
    ascii_name = _NOT_TOKEN.sub("_", ascii_name)
    extension = re.search(r"\.[A-Za-z0-9]{1,8}$", ascii_name)
    stem = ascii_name[:extension.start()] if extension else ascii_name
    if not re.search(r"[A-Za-z0-9]", stem):  # nothing readable left: a Chinese name
        suffix = _NOT_TOKEN.sub("", cleaned.rpartition(".")[2]) if "." in cleaned else ""
        ascii_name = f"{fallback}.{suffix}" if suffix else fallback
    ascii_name = ascii_name.strip(" .")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(cleaned, safe='')}"


# Types a browser shows without running anything in our origin; every other type (HTML,
# SVG, XML, scripts, executables, unknown) goes out as application/octet-stream.
INERT_TYPES = frozenset({
    "application/pdf", "image/png", "image/jpeg", "image/gif", "image/webp", "image/bmp",
    "text/plain", "text/csv", "application/zip", "application/x-zip-compressed",
    "application/msword", "application/vnd.ms-excel", "application/vnd.ms-powerpoint",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "application/vnd.oasis.opendocument.text", "application/vnd.oasis.opendocument.spreadsheet",
    "application/x-rar-compressed", "application/vnd.rar", "application/x-7z-compressed",
    "application/gzip", "application/x-tar", "audio/mpeg", "video/mp4",
})
OCTET = "application/octet-stream"


def download_type(name: str, mimetype: str | None = None) -> str:
    """The Content-Type a file named `name` is sent with: its own when inert, else bytes."""
    given = mimetype or mimetypes.guess_type(name)[0] or OCTET
    return given if given.split(";")[0].strip().lower() in INERT_TYPES else OCTET


def send_attachment(source: Any, name: str, mimetype: str | None = None) -> Response:
    """`send_file` of a path or a binary stream as an attachment named `name`: every file
    of every door (uploads, exports, documents) with `nosniff` and a content type that a
    browser cannot run (download_type)."""
    cleaned = clean_name(name)
    response = send_file(source, mimetype=download_type(cleaned, mimetype))
    response.headers["Content-Disposition"] = content_disposition(cleaned)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def init_app(app: Flask) -> None:
    app.config.setdefault("ADMIN_SECURITY_HEADERS", {})
    app.jinja_env.globals["csp_nonce"] = nonce
    app.after_request(add_headers)
