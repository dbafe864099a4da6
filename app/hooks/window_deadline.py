"""window_deadline: edits and transitions only while the reporting window is open."""

from __future__ import annotations

from typing import Any

from generator.spec import Entity, HookRef


def check(ref: HookRef, entity: Entity, obj: Any, user: Any, session: Any,
          transition: str | None = None) -> None:
    """Refuse (raise Denied) a write or transition outside the window."""


def banner(ref: HookRef, entity: Entity, user: Any, session: Any) -> Any:
    """上报开关状态, 可操作时间范围, 剩余时间 for the user's window, or None."""
    return None
