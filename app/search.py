"""The list's search panel: which fields it offers and how their values are picked.

Enum fields and the workflow state are picked from their Chinese labels (the stored value is
what the filter compares); reference fields named under `filters` are picked from the rows of
the target the user may see (the same scope as everywhere else), read in one statement, so they
suit small tables such as batches or years, not catalogues of thousands of rows.
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_appbuilder.fields import QuerySelectField
from wtforms import SelectField

from app.labels import lazy
from generator.spec import Entity, Spec

NOT_SEARCHABLE = ("child", "computed", "file", "reference")


def _select(label: Any, choices: list[tuple[str, Any]]) -> SelectField:
    return SelectField(label, choices=[("", "")] + choices, default="")


def _reachable_rows(target: str) -> Any:
    """The rows of `target` the signed-in user may see, in one statement (FAB's own relation
    drop-down counts them first)."""

    def rows() -> list[Any]:
        admin = current_app.extensions["admin"]
        query = admin.related_query(admin.models[target]).order_by(admin.models[target].id)
        return list(admin.session.execute(query).scalars())

    return rows


def search_options(spec: Spec, entity: Entity) -> dict[str, Any]:
    named = entity.search_columns + entity.filter_columns
    columns = [n for n in named if entity.field(n).type not in NOT_SEARCHABLE]
    if not columns:
        columns = [f.name for f in entity.fields if f.type in ("string", "enum")][:4]
    extra: dict[str, Any] = {}
    for name in columns:
        f = entity.field(name)
        if f.type == "enum":
            extra[name] = _select(lazy(f.label), [(v.value, lazy(v.label)) for v in f.values])
    for name in entity.filter_columns:
        f = entity.field(name)
        if f.type == "reference" and f.to:
            columns.append(name)
            extra[name] = QuerySelectField(lazy(f.label), query_func=_reachable_rows(f.to),
                                           get_pk_func=lambda row: row.id, allow_blank=True)
    flow = entity.workflow
    if flow is not None:
        columns.append(flow.field)
        extra[flow.field] = _select(lazy(flow.state_field.label),
                                    [(s.key, lazy(s.label)) for s in flow.states])
    return {
        "search_columns": list(dict.fromkeys(columns)),
        "search_form_extra_fields": extra,
    }


__all__ = ["search_options"]
