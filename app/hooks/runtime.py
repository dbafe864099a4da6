"""The fixed points where hooks run. Every door calls these; each asks the hooks the YAML names
for the entity (or field) and raises `Denied` when one says no.

- `check_upload`: a file arrives for a file field (form validation: the message goes next to
  the field and nothing else typed is lost).
- `before_save`: a row is about to be written (forms, REST API, imports), inside the
  transaction of the write (quotas are reserved here).
- `before_transition`: a row is about to change state (workflow).
- `banner`: what a screen shows about the entity's hooks (e.g. the reporting window).

A door handling many rows at once (transitions, list editing) runs them inside `rows()`: there
the hooks look up what all rows share (the reporting window of a series, organisation and
batch) once, not once per row.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from contextlib import contextmanager
from typing import Any

from flask import g, has_app_context

from app.hooks.base import Denied
from generator.spec import Entity, Field

__all__ = ["Denied", "banner", "before_save", "before_transition", "check_upload", "memo",
           "rows"]
MEMO = "hook_memo"


@contextmanager
def rows() -> Iterator[None]:
    """What the hooks look up is remembered until the block ends (so for one call only: a
    window changed later is seen by the next call)."""
    if not has_app_context() or MEMO in g:  # outside Flask, or within an outer block
        yield
        return
    setattr(g, MEMO, {})
    try:
        yield
    finally:
        g.pop(MEMO, None)


def memo() -> dict[Any, Any] | None:
    """The memo of the `rows()` block running now, or None (look everything up)."""
    return g.get(MEMO) if has_app_context() else None


def check_upload(entity: Entity, field: Field, obj: Any, upload: Any, user: Any,
                 session: Any) -> None:
    """Raise Denied if the upload breaks the field's upload_limit."""
    if field.hook is None or field.hook.name != "upload_limit":
        return
    from app.hooks import upload_limit

    upload_limit.check(field.hook, entity, field, obj, upload, user, session)


def before_save(entity: Entity, obj: Any, user: Any, session: Any, files: bool = True,
                written: Collection[str] | None = None) -> None:
    """Raise Denied if a hook of the entity, or its `filled_by` rule (who fills the row),
    refuses the write. `obj` is None for an import as a whole (checked before its first
    row); an imported row passes `files=False` (imports carry no files), a plain object with
    the row's values and the names of the fields it `written`."""
    if entity.filled_by is not None:
        from app.workflow import fill

        fill.check_write(entity, obj, user, session, written)
    for ref in entity.hooks:
        if ref.name == "window_deadline":
            from app.hooks import window_deadline

            window_deadline.check(ref, entity, obj, user, session)
    if not files:
        return
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
    """Markup shown above the entity's list and forms, or None: the reporting window's
    state, then the organisation's space used (upload_limit.quota_mb)."""
    from markupsafe import Markup

    from app.hooks import quota_banner

    shown = []
    for ref in entity.hooks:
        if ref.name == "window_deadline":
            from app.hooks import window_deadline

            shown.append(window_deadline.banner(ref, entity, user, session))
            break
    shown.append(quota_banner.banner(entity, user, session))
    return Markup("").join(m for m in shown if m) or None
