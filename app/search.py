"""The list's search panel: which fields it offers and how their values are picked.

Enum fields and the workflow state are picked from their Chinese labels (the stored value is
what the filter compares); reference fields named under `filters` are picked from the rows of
the target the user may see (the same scope as everywhere else), read in one statement, so they
suit small tables such as batches or years, not catalogues of thousands of rows.
"""

from __future__ import annotations

from typing import Any

from flask_appbuilder.fields import QuerySelectField
from wtforms import SelectField

from app.context import generated
from app.labels import lazy, lazy_choices
from generator.builders.views import ViewOptions
from generator.spec import Entity, Spec


def _select(label: Any, choices: list[tuple[str, Any]]) -> SelectField:
    return SelectField(label, choices=[("", "")] + choices, default="")


def _reachable_rows(target: str) -> Any:
    """The rows of `target` the signed-in user may see, in one statement (FAB's own relation
    drop-down counts them first)."""

    def rows() -> list[Any]:
        admin = generated()
        query = admin.related_query(admin.models[target]).order_by(admin.models[target].id)
        return list(admin.session.execute(query).scalars())

    return rows


def search_options(spec: Spec, entity: Entity, options: ViewOptions) -> dict[str, Any]:
    """The search panel of the builder's options: values picked from their labels, references
    from the rows the user may see."""
    extra: dict[str, Any] = {}
    flow = entity.workflow
    for name in options.choice_filters:
        if flow is not None and name == flow.field:
            extra[name] = _select(lazy(flow.state_field.label),
                                  [(s.key, lazy(s.label)) for s in flow.states])
        else:
            f = entity.field(name)
            extra[name] = _select(lazy(f.label), list(lazy_choices(f)))
    for name in options.reference_filters:
        f = entity.field(name)
        extra[name] = QuerySelectField(lazy(f.label), query_func=_reachable_rows(str(f.to)),
                                       get_pk_func=lambda row: row.id, allow_blank=True)
    return {
        "search_columns": list(options.search_columns),
        "search_form_extra_fields": extra,
    }


__all__ = ["search_options"]
