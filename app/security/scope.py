"""Which rows a user may reach: one condition, applied at every door.

Lists, detail pages, edits, deletes, file downloads and the REST API all fetch through FAB's
base filters, where `ScopeFilter` sits; reference choices go through `Admin.related_query`;
exports and imports (and anything later) call `scope_condition` too. Rows of org-scoped
entities carry `org_path` (the path of their organisation in the tree), so "within my
jurisdiction" is an index range, never a recursive query.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, g, has_request_context
from flask_appbuilder.models.filters import BaseFilter
from flask_login import current_user
from sqlalchemy import and_, false, or_, select

from generator.spec import SCOPES, Entity


def path_range(path: str) -> tuple[str, str]:
    """Every path starting with `path` (which ends in '/') lies in [low, high): '0' follows '/'."""
    return path, path[:-1] + "0"


def within(column: Any, path: str) -> Any:
    low, high = path_range(path)
    return and_(column >= low, column < high)


def current() -> Any:
    """The signed-in user, or None (also outside a request)."""
    if not has_request_context():
        return None
    user = getattr(g, "user", None) or current_user
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return user


def role_names(user: Any) -> set[str]:
    return {role.name for role in getattr(user, "roles", [])}


def is_admin(user: Any) -> bool:
    return current_app.config["AUTH_ROLE_ADMIN"] in role_names(user)


def user_scope(entity: Entity, user: Any) -> str | None:
    """The widest data range any of the user's roles has on the entity; None: no access."""
    if user is None:
        return None
    if is_admin(user):
        return "all"
    names = role_names(user)
    scopes = [grant.scope for grant in entity.grants if grant.role in names]
    if not scopes:
        return None
    return min(scopes, key=SCOPES.index)


def hidden_states(entity: Entity, user: Any) -> list[str]:
    """Workflow states whose rows the user does not see (e.g. 退回补正 for regulators)."""
    flow = entity.workflow
    if flow is None or user is None or is_admin(user):
        return []
    held = role_names(user) & {g.role for g in entity.grants}
    if not held:
        return []
    return [s.key for s in flow.states if s.hidden_from and held <= set(s.hidden_from)]


def assigned(entity: Entity, user: Any) -> tuple[str, ...]:
    """The `user` fields that narrow the user's rows: only when every grant the user holds
    on the entity says `assigned` (rights add up: a county regulator who is also an
    inspector sees the county's rows)."""
    names = role_names(user)
    grants = [g for g in entity.grants if g.role in names]
    if not grants or not all(g.assigned for g in grants):
        return ()
    return tuple(dict.fromkeys(n for g in grants for n in g.assigned))


def scope_condition(entity: Entity, model: Any, user: Any = None) -> Any:
    """SQL condition limiting `model` to the user's rows, or None for no limit."""
    user = user if user is not None else current()
    hidden = hidden_states(entity, user)
    area = _area_condition(entity, model, user)
    if not hidden:
        return area
    visible = getattr(model, entity.workflow.field).not_in(hidden)  # type: ignore[union-attr]
    return visible if area is None else and_(area, visible)


def _area_condition(entity: Entity, model: Any, user: Any) -> Any:
    if not entity.org_scoped:
        return None
    scope = user_scope(entity, user)
    if scope == "all":
        return None
    org = getattr(user, "org", None)
    if scope is None or org is None:
        return false()
    area = model.org_id == org.id if scope == "own" else within(model.org_path, org.path)
    persons = assigned(entity, user)
    if persons:  # `assigned`: the rows naming the person (承办人) in one of the fields
        area = and_(area, or_(*(getattr(model, name) == user.id for name in persons)))
    owner = entity.owner
    if owner is not None and role_names(user) & set(owner.roles) and org.code:
        # the rows naming the user's organisation: read only (checks/owner.py)
        area = or_(area, getattr(model, owner.field) == org.code)
    employer = entity.employer
    if employer is not None and role_names(user) & set(employer.roles):
        # the rows naming a person of the organisation's staff: read only (checks/exam.py)
        staff = current_app.extensions["admin"].models[employer.staff]
        numbers = select(getattr(staff, employer.match)).where(
            staff.org_id == org.id, getattr(staff, employer.match).is_not(None))
        area = or_(area, getattr(model, employer.field).in_(numbers))
    return area


class ScopeFilter(BaseFilter):
    """FAB base filter: `base_filters = [["id", ScopeFilter, entity]]`."""

    name = "scope"
    arg_name = "scope"

    def apply(self, query: Any, entity: Entity) -> Any:
        condition = scope_condition(entity, self.model)
        return query if condition is None else query.filter(condition)
