"""Who reads which content page, and its text (the file is read when it changed on disk).

A page is readable by everybody with `public: true`; otherwise by signed-in people holding
one of its `roles` (any role when none is named; the built-in administrator always)."""

from __future__ import annotations

import os
import threading
from typing import Any

from app.context import generated
from app.security.scope import is_admin, role_names
from generator.spec import Spec
from generator.spec_help import Page

_lock = threading.Lock()
_texts: dict[str, tuple[float, str]] = {}  # path -> (mtime, text)


def all_pages(spec: Spec) -> list[Page]:
    return [p for m in sorted(spec.modules, key=lambda m: (m.order, m.key)) for p in m.pages]


def find(key: str) -> Page | None:
    return next((p for p in all_pages(generated().spec) if p.key == key), None)


def may_read(page: Page, user: Any) -> bool:
    if page.public:
        return True
    if user is None:
        return False
    if is_admin(user) or not page.roles:
        return True
    return bool(role_names(user) & set(page.roles))


def readable(user: Any) -> list[Page]:
    return [p for p in all_pages(generated().spec) if may_read(p, user)]


def text(page: Page) -> str:
    if page.file is None:
        return page.body
    stamp = os.path.getmtime(page.file)
    kept = _texts.get(page.file)
    if kept is not None and kept[0] == stamp:
        return kept[1]
    with open(page.file, encoding="utf-8") as stream:
        body = stream.read()
    with _lock:
        _texts[page.file] = (stamp, body)
    return body
