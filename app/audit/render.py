"""How audit entries read: one renderer for the audit log (list, detail, CSV and xlsx) and for a
record's history and 补正历史.

Entries are JSON written by many doors over time: field changes {field: [old, new]} (forms,
REST, imports, transitions), summaries {key: value} (an import, a permission sync) and whatever
a later door writes. Every shape renders; one that is not understood reads as plain text. Field
names read as the field's label, values as the screens show them (`display_value`).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import current_app, has_app_context
from flask_babel import gettext as _
from flask_babel import lazy_gettext

from app.labels import current_locale
from app.labels import render as reader
from app.validation import is_blank
from generator.spec import Entity, Field, Spec

BLANK = lazy_gettext("(blank)")
# Keys of entries that are not about an entity's fields: rights of a user, summaries.
OTHER_LABELS = {
    "user": lazy_gettext("User"), "roles": lazy_gettext("Roles"),
    "modules": lazy_gettext("Modules"), "granted": lazy_gettext("Permissions granted"),
    "withdrawn": lazy_gettext("Permissions withdrawn"), "file": lazy_gettext("File"),
    "rows": lazy_gettext("Rows"), "created": lazy_gettext("Added"),
    "updated": lazy_gettext("Updated"), "reason": lazy_gettext("Reason"),
    "org": lazy_gettext("Organisation"), "decision": lazy_gettext("Decision"),
    "status": lazy_gettext("Status"),
    "category": lazy_gettext("Category"), "content": lazy_gettext("Content"),
    # 数据字典 (app/system/dictionary.py)
    "dictionary": lazy_gettext("Dictionary"), "value": lazy_gettext("Dictionary value"),
    "label": lazy_gettext("Dictionary label"), "label_en": lazy_gettext("English label"),
    "position": lazy_gettext("Display order"), "enabled": lazy_gettext("Enabled"),
    "period": lazy_gettext("Period"), "units": lazy_gettext("Units reminded"),
    "title": lazy_gettext("Title"),  # 通知公告 (app/notices/)
}
# Values of a change request's decision or status (变更).
DECISIONS = {"accept": lazy_gettext("Accept"), "accepted": lazy_gettext("Accepted"),
             "reject": lazy_gettext("Reject"), "rejected": lazy_gettext("Rejected"),
             "pending": lazy_gettext("Pending")}


@dataclass
class Change:
    """One line of an entry: a field's before and after, or (pair False) a value."""

    label: str
    old: str
    new: str
    pair: bool = True

    def text(self) -> str:
        if not self.pair:
            return f"{self.label}：{self.new or BLANK}" if self.label else self.new
        return f"{self.label}：{self.old or BLANK} → {self.new or BLANK}"


@dataclass
class Rendered:
    """An audit entry as the audit log shows and exports it."""

    id: int
    at: str
    who: str
    org: str
    address: str
    action: str
    subject: str  # the entity's label
    record: str
    transition: str
    reason: str
    changes: list[Change] = field(default_factory=list)

    def changes_text(self, separator: str = "；") -> str:
        return separator.join(c.text() for c in self.changes)


# -- looking things up ---------------------------------------------------------------------
def _spec() -> Spec | None:
    if not has_app_context():
        return None
    admin = current_app.extensions.get("admin")
    return getattr(admin, "spec", None)


def find_entity(name: str | None) -> Entity | None:
    spec = _spec()
    if not name or spec is None:
        return None
    try:
        return spec.entity(name)
    except KeyError:
        return None


def entity_label(name: str | None) -> str:
    """The data an entry is about, by the entity's label."""
    entity = find_entity(name)
    return entity.label.get(current_locale()) if entity is not None else (name or "")


def _field(entity: Entity | None, name: str) -> Field | None:
    """The field a recorded key belongs to: itself, a reference's column, a file's name."""
    if entity is None:
        return None
    flow = entity.workflow
    if flow is not None and name == flow.field:
        return flow.state_field
    if entity.has_field(name):
        return entity.field(name)
    for suffix in ("_id", "_name", "_size"):  # columns a field type adds beside its own
        base = name.removesuffix(suffix)
        if base != name and entity.has_field(base) and name in entity.field(base).kind.derived(
                base):
            return entity.field(base)
    return None


# -- labels and values ---------------------------------------------------------------------
def field_label(entity: Entity | None, name: str) -> str | None:
    """A recorded key as people read it; None for columns that are left out (file sizes)."""
    if entity is not None:
        if name in ("org", "org_id"):
            return _("Organisation")
        f = _field(entity, name)
        if f is not None and f.kind.uploads and name == f"{f.name}_size":
            return None
        if f is not None:
            return f.label.get(current_locale())
    label = OTHER_LABELS.get(name)
    return str(label) if label is not None else name


def _datetime(value: Any) -> str:
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    try:
        return dt.datetime.fromisoformat(str(value)).strftime("%Y-%m-%d %H:%M:%S")
    except ValueError:
        return str(value)


def _role(key: Any) -> str:
    spec = _spec()
    for role in spec.roles if spec is not None else ():
        if role.key == key:
            return role.label.get(current_locale())
    return str(key)


def _module(key: str) -> str:
    spec = _spec()
    for module in spec.modules if spec is not None else ():
        if module.key == key:
            return module.label.get(current_locale())
    return key


def _other(name: str, value: Any) -> str | None:
    """Values of keys that are no field but have a readable form of their own."""
    if name == "roles":
        return _role(value)
    if name == "modules" and isinstance(value, str):
        return "、".join(_module(k.strip()) for k in value.split(",") if k.strip())
    if name in ("decision", "status") and value in DECISIONS:
        return str(DECISIONS[value])
    return None


def display_value(entity: Entity | None, field_name: str, value: Any) -> str:
    """A recorded value as the screens show it: enum and state labels, 是/否, dates as
    YYYY-MM-DD, times without microseconds, referenced rows by their text; "" when blank."""
    if is_blank(value):
        return ""
    if isinstance(value, (list, tuple)):
        parts = (display_value(entity, field_name, v) for v in value)
        return "、".join(p for p in parts if p)
    if isinstance(value, dict):
        if "text" in value:
            return "" if value["text"] is None else str(value["text"])
        if set(value) == {"id"}:
            return _("No. %(id)s", id=value["id"])
        return "；".join(f"{field_label(None, str(k))}：{display_value(None, str(k), v) or BLANK}"
                        for k, v in value.items())
    locale = current_locale()
    f = _field(entity, field_name)
    if entity is not None and entity.workflow is not None and field_name == entity.workflow.field:
        return entity.workflow.state_label(str(value), locale)
    if entity is not None and f is not None:
        kind = f.kind
        if kind.uploads and field_name == f.name:
            return _("(a file)")  # the storage key; the file's own name is recorded beside it
        if kind.refers and not isinstance(value, str):
            return _("No. %(id)s", id=value)  # written before references kept their text
        if not kind.refers and not (kind.uploads and field_name != f.name):
            try:  # the type reads its stored (JSON) form back and shows it as the screens do
                typed = kind.from_stored(f, value)
            except (TypeError, ValueError, ArithmeticError):
                typed = value
            return kind.display(f, typed, reader())
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if f is None:
        other = _other(field_name, value)
        if other is not None:
            return other
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return _datetime(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


# -- changes -------------------------------------------------------------------------------
def load(raw: str | None) -> Any:
    """The JSON of an entry's changes; text that is not JSON stays text; None when empty."""
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def _is_pair(value: Any) -> bool:
    return isinstance(value, list) and len(value) == 2


def _shadowed(entity: Entity | None, name: str, data: Mapping[str, Any]) -> bool:
    """Keys shown through another one: a reference's id column beside the reference, a file's
    storage key beside the file's name."""
    if entity is None:
        return False
    if name.endswith("_id") and name[:-3] in data:
        return True
    f = _field(entity, name)
    return f is not None and f.kind.uploads and name == f.name and f"{name}_name" in data


def changes(entity: Entity | None, raw: str | None,
            hidden: frozenset[str] = frozenset()) -> list[Change]:
    """The lines of an entry (or of a change request's proposal), for people; none of the
    fields in `hidden` (those the reader's role may not see)."""
    data = load(raw)
    if data is None:
        return []
    if not isinstance(data, dict):
        return [Change(_("Details"), "", display_value(None, "", data) or str(raw), pair=False)]
    out = []
    for name, value in data.items():
        name = str(name)
        label = field_label(entity, name)
        if label is None or _shadowed(entity, name, data):
            continue
        if hidden and getattr(_field(entity, name), "name", name) in hidden:
            continue
        if _is_pair(value):
            old, new = (display_value(entity, name, v) for v in value)
            if old != new:
                out.append(Change(label, old, new))
            elif new:  # the same before and after: it names what changed (a user's account)
                out.append(Change(label, "", new, pair=False))
        else:
            out.append(Change(label, "", display_value(entity, name, value), pair=False))
    return out


def state_change(entity: Entity, raw: str | None) -> tuple[Any, Any]:
    """(from, to) state keys of a transition's entry."""
    flow = entity.workflow
    data = load(raw)
    value = data.get(flow.field) if flow is not None and isinstance(data, dict) else None
    return (value[0], value[1]) if isinstance(value, list) and len(value) == 2 else (None, None)


# -- whole entries -------------------------------------------------------------------------
def transition_label(entity: Entity | None, key: str | None) -> str:
    if not key:
        return ""
    flow = entity.workflow if entity is not None else None
    transition = flow.transition(key) if flow is not None else None
    return transition.label.get(current_locale()) if transition is not None else key


def action_label(actions: Mapping[str, Any], action: str | None) -> str:
    label = actions.get(action or "")
    return str(label) if label is not None else _("Other: %(action)s", action=action or "")


def render(entry: Any, actions: Mapping[str, Any]) -> Rendered:
    """One audit entry for the audit log: `actions` names the kinds of entries."""
    entity = find_entity(entry.entity)
    return Rendered(
        id=entry.id, at=entry.at.strftime("%Y-%m-%d %H:%M:%S") if entry.at else "",
        who=entry.username or "", org=entry.org_name or "", address=entry.address or "",
        action=action_label(actions, entry.action), subject=entity_label(entry.entity),
        record="" if entry.record_id is None else str(entry.record_id),
        transition=transition_label(entity, entry.transition), reason=entry.reason or "",
        changes=changes(entity, entry.changes))
