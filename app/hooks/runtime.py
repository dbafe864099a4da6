"""The fixed points where hooks run. Every door calls these; each asks the hooks the YAML names
for the entity (or field) and raises `Denied` when one says no.

- `check_upload`: a file arrives for a file field (form validation: the message goes next to
  the field and nothing else typed is lost).
- `before_save`: a row is about to be written (forms, REST API, imports), inside the
  transaction of the write (quotas are reserved here).
- `before_transition`: a row is about to change state (workflow).
- `banner`: what a screen shows about the entity's hooks (e.g. the reporting window).
"""

from __future__ import annotations

from typing import Any

from app.hooks.base import Denied
from generator.spec import Entity, Field

__all__ = ["Denied", "banner", "before_save", "before_transition", "check_upload"]


def check_upload(entity: Entity, field: Field, obj: Any, upload: Any, user: Any,
                 session: Any) -> None:
    """Raise Denied if the upload breaks the field's upload_limit."""
    if field.hook is None or field.hook.name != "upload_limit":
        return
    from app.hooks import upload_limit

    upload_limit.check(field.hook, entity, field, obj, upload, user, session)


def before_save(entity: Entity, obj: Any, user: Any, session: Any) -> None:
    """Raise Denied if a hook of the entity refuses the write. `obj` is None for an import as
    a whole (checked before its first row)."""
    for ref in entity.hooks:
        if ref.name == "window_deadline":
            from app.hooks import window_deadline

            window_deadline.check(ref, entity, obj, user, session)
    for f in entity.fields:
        if f.hook is not None and f.hook.name == "upload_limit":
            from app.hooks import upload_limit

            upload_limit.reserve(f.hook, entity, f, obj, user, session)


def before_transition(entity: Entity, obj: Any, transition: str, user: Any,
                      session: Any) -> None:
    for ref in entity.hooks:
        if ref.name == "window_deadline":
            from app.hooks import window_deadline

            window_deadline.check(ref, entity, obj, user, session, transition=transition)


def banner(entity: Entity, user: Any, session: Any) -> Any:
    """Markup shown above the entity's list and forms, or None."""
    for ref in entity.hooks:
        if ref.name == "window_deadline":
            from app.hooks import window_deadline

            return window_deadline.banner(ref, entity, user, session)
    return None
