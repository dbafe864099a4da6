"""Spec entity -> its REST API under /api/v1/<resource>/: what it reads and writes."""

from __future__ import annotations

from dataclasses import dataclass

from generator.builders.views import ORG, ORG_LABEL, log_field
from generator.spec import Entity, Label

ROW_VERSION = Label("数据版本（修改时原样传回）", "Row version (send it back when changing)")


@dataclass(frozen=True)
class ApiOptions:
    resource_name: str
    shown: tuple[str, ...]  # list and show
    writable: tuple[str, ...]  # add and edit
    search_columns: tuple[str, ...]
    order_columns: tuple[str, ...]
    labels: tuple[tuple[str, Label], ...]
    descriptions: tuple[tuple[str, Label], ...]
    page_size: int
    title: Label


def api_options(entity: Entity) -> ApiOptions:
    stored = [f for f in entity.fields if f.is_column and f.kind.in_api]
    columns = tuple(f.name for f in stored)
    computed = tuple(f.name for f in entity.fields if not f.is_column and f.kind.in_api)
    files = tuple(f"{f.name}_name" for f in entity.fields if f.kind.uploads)
    state = (entity.workflow.field,) if entity.workflow is not None else ()
    shown = (("id", "row_version") + state + columns + files + computed
             + ((ORG,) if entity.org_scoped else ()))
    kept = {f.name for f in stored if f.kind.kept}  # rollups: the app keeps them
    writable = tuple(n for n in columns if n != log_field(entity) and n not in kept)
    writable += (ORG,) if entity.scope is not None and entity.org_from is None else ()
    labels: dict[str, Label] = {"id": Label("ID", "ID"), ORG: ORG_LABEL,
                                "row_version": ROW_VERSION}
    descriptions: dict[str, Label] = {"row_version": ROW_VERSION}
    for f in entity.fields:
        name = f"{f.name}_name" if f.kind.uploads else f.name
        labels[name] = f.label
        descriptions[name] = f.help or f.label  # FAB gettexts it; gettext("") is the header
    if entity.workflow is not None:
        labels[entity.workflow.field] = entity.workflow.state_field.label
        descriptions[entity.workflow.field] = entity.workflow.state_field.label
    return ApiOptions(
        resource_name=entity.resource,
        shown=shown,
        writable=writable,
        search_columns=tuple(f.name for f in stored if not f.kind.multiline),
        order_columns=("id",) + tuple(f.name for f in stored if f.kind.orderable),
        labels=tuple(labels.items()),
        descriptions=tuple(descriptions.items()),
        page_size=entity.page_size,
        title=entity.label,
    )
