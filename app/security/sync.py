"""Write the permission matrix into FAB's tables in bulk, idempotently.

FAB's own sync issues a few queries per permission per view (tens of thousands of statements
for a hundred entities); this one reads each table once and writes only the difference, so
the number of statements stays fixed whatever the schema's size.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from flask_appbuilder.security.sqla.models import (
    Permission,
    PermissionView,
    Role,
    ViewMenu,
    assoc_permissionview_role,
)
from sqlalchemy import delete, event, insert, select
from sqlalchemy.engine import Connection

from app.audit.views import duty_perms as audit_duty_perms
from app.security.duties import duty_perms
from app.system import versions
from generator.builders.matrix import MENU_ACCESS, Perm, desired

PUBLIC_ROLE_PERMS: set[Perm] = set()


@dataclass
class SyncReport:
    added: int = 0
    removed: int = 0
    statements: int = 0
    seconds: float = 0.0


def fab_view_perms(appbuilder: Any) -> set[Perm]:
    """Pairs FAB's own screens (security, language ...) and menus declare."""
    perms: set[Perm] = set()
    for view in appbuilder.baseviews:
        if getattr(view, "entity", None) is not None:
            continue  # generated: its pairs come from the Spec
        name = view.class_permission_name
        perms.update(Perm(p, name) for p in (view.base_permissions or []))
    for item in appbuilder.menu.get_list():
        perms.add(Perm(MENU_ACCESS, item.name))
        for child in item.childs or []:
            if child.name != "-":
                perms.add(Perm(MENU_ACCESS, child.name))
    return perms


def _state(conn: Connection) -> tuple[dict[str, int], dict[str, int], dict[tuple[int, int], int],
                                      dict[str, int]]:
    permissions = {n: i for i, n in conn.execute(select(Permission.id, Permission.name))}
    views = {n: i for i, n in conn.execute(select(ViewMenu.id, ViewMenu.name))}
    pvs = {(p, v): i for i, p, v in conn.execute(
        select(PermissionView.id, PermissionView.permission_id, PermissionView.view_menu_id))}
    roles = {n: i for i, n in conn.execute(select(Role.id, Role.name))}
    return permissions, views, pvs, roles


def _links(conn: Connection) -> set[tuple[int, int]]:
    table = assoc_permissionview_role
    return {(r, pv) for r, pv in conn.execute(
        select(table.c.role_id, table.c.permission_view_id))}


def plan(spec: Any, appbuilder: Any, admin_role: str, public_role: str) -> dict[str, set[Perm]]:
    wanted = desired(spec, fab_view_perms(appbuilder), admin_role)
    for duties in (duty_perms(spec), audit_duty_perms(spec)):
        for role, perms in duties.items():
            wanted[role] |= perms
    wanted[public_role] = set(PUBLIC_ROLE_PERMS)
    return wanted


def sync(conn: Connection, wanted: dict[str, set[Perm]]) -> SyncReport:
    """Make FAB's tables hold exactly `wanted` for the managed roles (others are left alone)."""
    report = SyncReport()
    started = time.perf_counter()

    def count(*_args: Any) -> None:
        report.statements += 1

    event.listen(conn, "before_cursor_execute", count)
    try:
        permissions, views, pvs, roles = _state(conn)
        every = set().union(*wanted.values())
        new_perms = sorted({p.permission for p in every} - permissions.keys())
        new_views = sorted({p.view for p in every} - views.keys())
        new_roles = sorted(wanted.keys() - roles.keys())
        if new_perms:
            conn.execute(insert(Permission), [{"name": n} for n in new_perms])
        if new_views:
            conn.execute(insert(ViewMenu), [{"name": n} for n in new_views])
        if new_roles:
            conn.execute(insert(Role), [{"name": n} for n in new_roles])
        if new_perms or new_views or new_roles:
            permissions, views, pvs, roles = _state(conn)
        pairs = {(permissions[p.permission], views[p.view]) for p in every}
        new_pvs = sorted(pairs - pvs.keys())
        if new_pvs:
            conn.execute(insert(PermissionView),
                         [{"permission_id": p, "view_menu_id": v} for p, v in new_pvs])
            permissions, views, pvs, roles = _state(conn)
        target = {(roles[role], pvs[(permissions[p.permission], views[p.view])])
                  for role, perms in wanted.items() for p in perms}
        managed = {roles[role] for role in wanted}
        current = {link for link in _links(conn) if link[0] in managed}
        table = assoc_permissionview_role
        missing = sorted(target - current)
        extra = sorted(current - target)
        if missing:
            conn.execute(insert(table), [{"role_id": r, "permission_view_id": pv}
                                         for r, pv in missing])
        for role_id in {r for r, _ in extra}:
            conn.execute(delete(table).where(
                table.c.role_id == role_id,
                table.c.permission_view_id.in_([pv for r, pv in extra if r == role_id])))
        if missing or extra or new_pvs:  # every host reads the roles' rights again
            versions.bump_connection(conn, versions.PERMISSIONS)
        report.added, report.removed = len(missing), len(extra)
        report.seconds = time.perf_counter() - started
    finally:
        event.remove(conn, "before_cursor_execute", count)
    return report


def drift(conn: Connection, wanted: dict[str, set[Perm]]) -> list[str]:
    """Differences between the database and the YAML, one readable line each."""
    permissions, views, pvs, roles = _state(conn)
    names = {pv_id: (p, v) for (p, v), pv_id in pvs.items()}
    perm_names = {i: n for n, i in permissions.items()}
    view_names = {i: n for n, i in views.items()}
    lines = []
    links = _links(conn)
    for role, perms in sorted(wanted.items()):
        if role not in roles:
            lines.append(f"role '{role}' is missing from the database")
            continue
        have = set()
        for r, pv in links:
            if r == roles[role] and pv in names:
                p, v = names[pv]
                have.add(Perm(perm_names[p], view_names[v]))
        for perm in sorted(perms - have):
            lines.append(f"role '{role}' lacks {perm.permission} on {perm.view} (the YAML "
                         "grants it)")
        for perm in sorted(have - perms):
            lines.append(f"role '{role}' has {perm.permission} on {perm.view} (the YAML does "
                         "not grant it)")
    return lines
