"""What a list shows above its rows for a transition's `needs` (seed 002 §4.2.2: 【模板下载】 and
the uploaded 承诺函 beside 【上传承诺函】), and the open batches of a reporting window.

For each batch whose reporting window is open for the user (the entity's `window_deadline`
with `batch_field`), and each transition with `needs` the user may fire whose `match` names
that field: the batch's own files (the templates, e.g. 承诺函模板) to download, and the needed
record of the user's organisation for the batch, uploaded (its files, each a link, and a link
to replace it) or not (a link to its add form with the batch chosen). Every link goes through
the door it names, with that door's rights and scope.

The same open batches narrow the batch a form offers (`narrow`, the reference picker) and
preselect it on an add form (`preselect`); the window's own check refuses any other batch at
every door.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import current_app, render_template, url_for
from markupsafe import Markup
from sqlalchemy import select

from app.context import generated
from app.forms import endpoint_for
from app.hooks import window_deadline
from app.labels import current_locale
from app.workflow import engine
from generator.spec import Entity, Field, HookRef


@dataclass
class Link:
    name: str
    url: str


@dataclass
class Needed:
    label: str
    files: list[Link] = field(default_factory=list)
    add_url: str | None = None
    edit_url: str | None = None


@dataclass
class BatchPanel:
    batch: str
    templates: list[Link] = field(default_factory=list)
    needed: list[Needed] = field(default_factory=list)


def _window(entity: Entity, field_name: str | None = None) -> HookRef | None:
    ref = entity.hook("window_deadline")
    if ref is None or not ref.get("batch_field"):
        return None
    return ref if field_name is None or ref.get("batch_field") == field_name else None


def open_batches(entity: Entity, user: Any, session: Any) -> list[Any] | None:
    """The rows of the batch entity whose window is open for the user now, newest first;
    None when the user is not held to the entity's window (every batch is theirs)."""
    ref = _window(entity)
    if ref is None or user is None or not window_deadline.held(ref, user):
        return None
    admin = generated()
    target = entity.field(ref.get("batch_field")).to
    if target is None:
        return None
    model = admin.models[target]
    now = window_deadline.beijing_now()
    rows = session.execute(admin.related_query(model, user).order_by(model.id.desc())
                           ).scalars().all()
    return [row for row in rows if any(
        option.status(now) == "open" for option in window_deadline.resolve(
            session, ref.get("window"), getattr(user, "org", None), str(row.id)))]


def narrow(entity: Entity, f: Field, query: Any, model: Any, user: Any, session: Any) -> Any:
    """The reference picker of the window's batch field: only the open batches."""
    if _window(entity, f.name) is None:
        return query
    rows = open_batches(entity, user, session)
    return query if rows is None else query.where(model.id.in_([r.id for r in rows]))


def preselect(entity: Entity, form: Any, user: Any, session: Any, asked: str | None) -> None:
    """An add form's batch: the one asked for (`?batch=` from the panel) when it is open,
    else the newest open batch."""
    ref = _window(entity)
    name = ref.get("batch_field") if ref is not None else None
    if name is None or not hasattr(form, name) or getattr(form, name).data is not None:
        return
    rows = open_batches(entity, user, session)
    if not rows:
        return
    chosen = next((r for r in rows if asked is not None and str(r.id) == asked), rows[0])
    getattr(form, name).data = chosen


def panel(entity: Entity, user: Any, session: Any) -> Markup | None:
    """The panel above the list, or None when there is nothing to show."""
    ref = _window(entity)
    flow = entity.workflow
    if ref is None or flow is None or user is None:
        return None
    batch_field = ref.get("batch_field")
    needs = [t.needs for t in flow.transitions if t.needs is not None
             and batch_field in t.needs.match and engine.may_fire(t, user)]
    if not needs:
        return None
    batches = open_batches(entity, user, session) or []
    items = [_batch_panel(entity, batch, needs, user, session) for batch in batches]
    if not items:
        return None
    return Markup(render_template("admin/needs_panel.html", panels=items))


def _files(entity: Entity, row: Any) -> list[Link]:
    endpoint = f"{endpoint_for(entity)}.download"
    out = []
    for f in entity.fields:
        ref = getattr(row, f"{f.name}_file", None) if f.kind.uploads else None
        if ref is not None:
            out.append(Link(ref.name, url_for(endpoint, field=f.name, pk=row.id)))
    return out


def _batch_panel(entity: Entity, batch: Any, needs: list[Any], user: Any, session: Any
                 ) -> BatchPanel:
    admin = generated()
    sm = current_app.appbuilder.sm  # type: ignore[attr-defined]
    locale = current_locale()
    batch_entity = admin.spec.entity(entity.field(_batch_field(entity)).to or "")
    item = BatchPanel(str(batch))
    if sm.has_access("can_show", batch_entity.permission_name):
        item.templates = _files(batch_entity, batch)
    seen = set()
    for need in needs:
        if need.entity in seen:
            continue
        seen.add(need.entity)
        target = admin.spec.entity(need.entity)
        model = admin.models[need.entity]
        name = target.permission_name
        if not sm.has_access("can_list", name):
            continue
        query = select(model).where(model.org_id == getattr(user, "org_id", None))
        for match in need.match:
            value = batch.id if match == _batch_field(entity) else None
            query = query.where(getattr(model, target.field(match).column) == value)
        row = session.execute(query.limit(1)).scalars().first()
        shown = Needed(target.label.get(locale))
        endpoint = endpoint_for(target)
        if row is not None:
            shown.files = _files(target, row) if sm.has_access("can_show", name) else []
            if sm.has_access("can_edit", name) and engine.lock_reason(target, row, "edit") \
                    is None:
                shown.edit_url = url_for(f"{endpoint}.edit", pk=row.id)
        if not shown.files and row is None and sm.has_access("can_add", name):
            shown.add_url = url_for(f"{endpoint}.add", **{_batch_field(entity): batch.id})
        item.needed.append(shown)
    return item


def _batch_field(entity: Entity) -> str:
    ref = _window(entity)
    assert ref is not None
    return str(ref.get("batch_field"))
