"""The (permission, view) pairs of a set of roles, kept per process between requests.

Every request reads the `sys_version` counters once anyway (app/system/versions.py); the
counter "permissions" moves whenever the pairs can have changed: the permission sync (its
bulk writes), and any flush of FAB's Role, Permission, ViewMenu or PermissionView rows (the
built-in administrator's 角色 screens, `flask fab` commands). A host answers from its copy while
the counter stands still and reads the pairs again once it moved, so a change made on one
host holds on every host from their next request, and a list page sends no permission query.
"""

from __future__ import annotations

import threading
from itertools import chain
from typing import Any

from flask import current_app, has_request_context
from flask_appbuilder.security.sqla.models import (
    Permission,
    PermissionView,
    Role,
    ViewMenu,
    assoc_permissionview_role,
)
from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session

from app.system import versions

KEPT = 512  # role combinations per process; more is cleared (a few dozen exist in practice)
_RIGHTS_TYPES = (Role, Permission, ViewMenu, PermissionView)
_lock = threading.Lock()
Kept = dict[tuple[int, ...], tuple[int, frozenset[tuple[str, str]]]]
_watching = False


def _query(session: Any, key: tuple[int, ...]) -> frozenset[tuple[str, str]]:
    table = assoc_permissionview_role
    query = (select(Permission.name, ViewMenu.name)
             .select_from(table)
             .join(PermissionView, PermissionView.id == table.c.permission_view_id)
             .join(Permission, Permission.id == PermissionView.permission_id)
             .join(ViewMenu, ViewMenu.id == PermissionView.view_menu_id)
             .where(table.c.role_id.in_(key)))
    return frozenset((p, v) for p, v in session.execute(query))


def pairs(session: Any, role_ids: list[int]) -> frozenset[tuple[str, str]]:
    """The roles' (permission name, view name) pairs, as the database holds them now."""
    key = tuple(sorted(role_ids))
    if not has_request_context():  # commands and jobs: read, keep nothing
        return _query(session, key)
    now = versions.counter(session, versions.PERMISSIONS)
    # one copy per app (a host; tests run several apps, on several databases, in a process)
    cache: Kept = current_app.extensions.setdefault("rights_cache", {})
    found = cache.get(key)
    if found is not None and found[0] == now:
        return found[1]
    got = _query(session, key)
    with _lock:
        if len(cache) >= KEPT:
            cache.clear()
        cache[key] = (now, got)
    return got


def _moves_rights(obj: Any, dirty: bool) -> bool:
    if not isinstance(obj, _RIGHTS_TYPES):
        return False
    if dirty and isinstance(obj, Role):  # a user given the role marks it too: not a change
        return inspect(obj).attrs.permissions.history.has_changes()
    return True


def _after_flush(session: Session, _context: Any) -> None:
    if any(_moves_rights(obj, False) for obj in chain(session.new, session.deleted)) or any(
            _moves_rights(obj, True) for obj in session.dirty):
        versions.bump_connection(session.connection(), versions.PERMISSIONS)


def watch() -> None:
    """Count the ORM's writes of FAB's permission rows (once per process)."""
    global _watching
    if not _watching:
        event.listen(Session, "after_flush", _after_flush)
        _watching = True
