"""Field-level rights: fields a role may see but not change (readonly), or not see (hidden)."""

from __future__ import annotations

from typing import Any, NamedTuple

from flask import g, has_request_context

from app.security.scope import current, is_admin, role_names
from generator.spec import Entity


class FieldRights(NamedTuple):
    readonly: frozenset[str]
    hidden: frozenset[str]


NONE = FieldRights(frozenset(), frozenset())


def field_rights(entity: Entity, user: Any = None) -> FieldRights:
    """A field is hidden only when every grant the user holds hides it, read-only when none of
    them lets the user change it (rights add up across roles, never subtract)."""
    user = user if user is not None else current()
    if user is None or is_admin(user):
        return NONE
    names = role_names(user)
    grants = [g for g in entity.grants if g.role in names]
    if not grants:
        return NONE
    hidden = frozenset.intersection(*(frozenset(g.hidden) for g in grants))
    closed = frozenset.intersection(*(frozenset(g.readonly) | frozenset(g.hidden)
                                      for g in grants))
    return FieldRights(closed - hidden, hidden)


class VisibleColumns:
    """A FAB column-list option that leaves out the fields hidden from the current user.

    FAB reads and assigns options such as `list_columns` on the view instance; this data
    descriptor keeps FAB's value and filters it on every read."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.slot = f"_{name}_all"

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        if obj is None:
            return self
        columns = obj.__dict__.get(self.slot) or []
        hidden = field_rights(obj.entity).hidden
        if self.slot == "_show_columns_all" and has_request_context() and g.get("row_hidden"):
            hidden = frozenset({*hidden, *g.row_hidden})  # the row's visible_if (app/views.py)
        if not hidden:
            return columns
        return [c for c in columns if c.split(".")[0].removesuffix("_file") not in hidden]

    def __set__(self, obj: Any, value: Any) -> None:
        obj.__dict__[self.slot] = value
