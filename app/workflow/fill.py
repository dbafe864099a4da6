"""`filled_by`: who fills a row, decided by a setting of the row's region (报量方式).

Example: a province sets per batch whether its institutions fill their own demand or the city
or the province fills it on their behalf. A user holding a role the rule names writes the
governed fields (every door: form, list, import, REST) and fires the governed transitions only
where the row's setting names one of their roles; others (administrators, roles the rule does
not name) are not concerned. The setting is read as a transition's `when` reads it
(app/workflow/conditions.py): the row's own organisation's, else its nearest ancestor's.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from types import SimpleNamespace
from typing import Any

from sqlalchemy import inspect
from sqlalchemy.exc import NoInspectionAvailable

from app.context import generated
from app.hooks.base import Denied
from app.labels import current_locale, render
from app.security.scope import is_admin, role_names
from app.validation import is_blank
from app.workflow import conditions
from generator.spec import Entity, FilledBy

MESSAGE = "%(fields)s are filled in by %(who)s here (%(setting)s: %(value)s)."


def concerned(rule: FilledBy, user: Any) -> bool:
    return user is not None and not is_admin(user) and bool(role_names(user) & rule.governed)


def written(entity: Entity, obj: Any) -> set[str]:
    """The governed fields a write changes: for a row being added every one given a value,
    for a stored row those whose value differs from the stored one."""
    rule = entity.filled_by
    assert rule is not None
    try:
        state = inspect(obj)
    except NoInspectionAvailable:
        return {n for n in rule.fields if not is_blank(getattr(obj, n, None))}
    if state.transient or state.pending:
        return {n for n in rule.fields if not is_blank(getattr(obj, n, None))}
    return {n for n in rule.fields if state.attrs[entity.field(n).column].history.has_changes()}


def values(entity: Entity, rows: Iterable[Any], session: Any) -> dict[int, Any]:
    """{row id: the setting's value} in one query (rows need `id` and `org_path`)."""
    rule = entity.filled_by
    assert rule is not None
    return conditions.setting_values(rule.setting, entity, rows, session)


def reason(entity: Entity, user: Any, value: Any, fields: Collection[str]) -> Denied | None:
    """Why the user may not fill the fields where the setting holds `value` (None: they may)."""
    rule = entity.filled_by
    if rule is None or not concerned(rule, user):
        return None
    fillers = rule.fillers(value)
    if role_names(user) & set(fillers):
        return None
    admin = generated()
    locale = current_locale()
    setting = admin.spec.entity(rule.setting.entity).field(rule.setting.field)
    shown = setting.kind.display(setting, value, render()) if value is not None else ""
    roles = {r.key: r.label.get(locale) for r in admin.spec.roles}
    return Denied(MESSAGE, fields="、".join(entity.field(n).label.get(locale) for n in fields),
                  who="、".join(roles.get(r, r) for r in fillers) or "—",
                  setting=setting.label.get(locale), value=shown or "—")


def unfillable(entity: Entity, rows: Iterable[Any], user: Any, session: Any) -> set[int]:
    """Ids of the rows whose governed fields the user may not fill (one query for all)."""
    rule = entity.filled_by
    rows = list(rows)
    if rule is None or not rows or not concerned(rule, user):
        return set()
    held = role_names(user)
    return {pk for pk, value in values(entity, rows, session).items()
            if not held & set(rule.fillers(value))}


def check_write(entity: Entity, obj: Any, user: Any, session: Any,
                fields: Collection[str] | None = None) -> None:
    """Raise Denied when the write changes governed fields the user may not fill here.
    `fields`: what an import writes (its rows are plain objects); else read from the row."""
    rule = entity.filled_by
    if rule is None or obj is None or not concerned(rule, user):
        return
    changed = [n for n in rule.fields if n in (fields if fields is not None
                                                else written(entity, obj))]
    if not changed:
        return
    proxy = SimpleNamespace(id=0, org_path=_path(obj, session),
                            **{entity.field(n).column: _value(entity, obj, n)
                               for n in rule.setting.match})
    denied = reason(entity, user, values(entity, [proxy], session)[0], changed)
    if denied is not None:
        raise denied


def _value(entity: Entity, obj: Any, name: str) -> Any:
    """A match field's stored value (a reference set on a new row may have no id column
    yet: the referenced row's id)."""
    column = entity.field(name).column
    value = getattr(obj, column, None)
    if value is None and column != name:
        value = getattr(getattr(obj, name, None), "id", None)
    return value


def _path(obj: Any, session: Any) -> str | None:
    """The row's organisation path (a row being added or imported may not have it yet)."""
    path = getattr(obj, "org_path", None)
    if path:
        return str(path)
    org = getattr(obj, "org", None)
    if org is None and getattr(obj, "org_id", None) is not None:
        from app.security.models import Organisation

        org = session.get(Organisation, obj.org_id)
    return getattr(org, "path", None)
