"""Every row of an org-scoped entity gets its organisation (and path) when it is saved.

A new row belongs to the organisation chosen on the form or in the API call (checked to lie
in the user's jurisdiction before we get here), else to the creating user's organisation;
with `org_from`, to the organisation of the row that reference points to (which the person
could pick only within their data range).
Lines of a parent follow the parent, also when the parent moves.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event

from app.security.scope import current
from generator.spec import Entity, Spec


def parent_reference(spec: Spec, line: Entity) -> str | None:
    """Name of the reference field through which a line belongs to its org-scoped parent."""
    for f in line.fields:
        if not f.to:  # references name the entity they point to
            continue
        parent = spec.entity(f.to)
        if parent.scope is not None and any(
                c.kind.lines and c.entity == line.qualified for c in parent.fields):
            return f.name
    return None


def install(session: Any, spec: Spec) -> None:
    parents = {e.qualified: parent_reference(spec, e) for e in spec.entities if e.parent_scoped}
    children = {e.qualified: [f.name for f in e.fields if f.kind.lines]
                for e in spec.entities if e.scope is not None}

    def before_flush(sess: Any, _context: Any, _instances: Any) -> None:
        pending = [o for o in list(sess.new) + list(sess.dirty)
                   if getattr(getattr(type(o), "__entity__", None), "org_scoped", False)]
        # parents first, so that lines copy an organisation that is already decided
        for obj in sorted(pending, key=lambda o: type(o).__entity__.parent_scoped):
            entity: Entity = type(obj).__entity__
            if entity.parent_scoped:
                parent = getattr(obj, parents[entity.qualified] or "", None)
                if parent is not None:
                    obj.org, obj.org_path = parent.org, parent.org_path
                continue
            source = getattr(obj, entity.org_from, None) if entity.org_from else None
            if source is not None and getattr(source, "org", None) is not None:
                obj.org = source.org  # `org_from`: the referenced row's organisation
            if obj.org is None:
                user = current()
                obj.org = getattr(user, "org", None)
            obj.org_path = obj.org.path if obj.org is not None else None
            for name in children.get(entity.qualified, []):
                for line in getattr(obj, name) or []:
                    line.org, line.org_path = obj.org, obj.org_path

    event.listen(session, "before_flush", before_flush)
