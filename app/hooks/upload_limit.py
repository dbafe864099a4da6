"""upload_limit: file types by content, sizes, files per field, a quota per organisation."""

from __future__ import annotations

from typing import Any

from generator.spec import Entity, Field, HookRef


def check(ref: HookRef, entity: Entity, field: Field, obj: Any, upload: Any, user: Any,
          session: Any) -> None:
    """Refuse (raise Denied) an upload that breaks the limits."""


def reserve(ref: HookRef, entity: Entity, field: Field, obj: Any, user: Any,
            session: Any) -> None:
    """Count the row's files against its organisation's quota, in the write's transaction."""
