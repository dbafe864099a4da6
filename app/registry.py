"""Spec -> Flask-AppBuilder view and API classes, registered with their menus.

Every YAML option becomes a documented FAB class attribute here; nothing reads the YAML.
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Callable
from typing import Any

from flask import url_for
from flask_appbuilder import AppBuilder
from flask_appbuilder.actions import action
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from markupsafe import Markup, escape

from app import summary
from app.api import GeneratedRestApi
from app.filters import Interface
from app.forms import build_form, endpoint_for
from app.io.views import API_IO_METHODS, VIEW_IO_METHODS
from app.labels import current_locale, lazy, lazy_title
from app.search import search_options
from app.security.scope import ScopeFilter
from app.views import GeneratedModelView
from generator.models import file_attr
from generator.spec import Entity, Field, Spec

ORG = "org"  # the organisation a row of an org-scoped entity belongs to
ORG_LABEL = lazy_gettext("Organisation")
# FAB method -> action of the permission vocabulary (generator.spec.ACTIONS).
VIEW_METHODS = {"list": "list", "show": "show", "add": "add", "edit": "edit", "delete": "delete",
                "download": "show", "choices": "list", "action": "edit", "action_post": "edit",
                "transition": "show", "transition_all": "list",
                "request_change": "request_change",
                "decide_change": "decide_change"}
API_METHODS = {"get_list": "list", "get": "show", "info": "list", "post": "add", "put": "edit",
               "delete": "delete", "transition": "show", "transition_many": "list"}


def log_field(entity: Entity) -> str | None:
    """The workflow's review log: only transitions write it (never a form, the API, imports)."""
    return entity.workflow.log_field if entity.workflow is not None else None


def security_options(entity: Entity) -> dict[str, Any]:
    """Shared by an entity's screens and API: one permission name, one scope filter."""
    return {
        "class_permission_name": entity.permission_name,
        "base_filters": [["id", ScopeFilter, entity]],
    }


def _format(spec: Spec, entity: Entity, f: Field) -> Callable[[Any], Any]:
    """How a value of the field is shown in lists and on the detail page."""

    def blank(fn: Callable[[Any], Any]) -> Callable[[Any], Any]:
        return lambda v: "" if v is None else fn(v)

    if f.name == log_field(entity):  # one line per transition
        return blank(lambda v: Markup("<br>").join(escape(x) for x in str(v).splitlines()))
    if f.type == "enum":
        return blank(lambda v: f.enum_label(v, current_locale()))
    if f.type == "boolean":
        return blank(lambda v: _("Yes") if v else _("No"))
    if f.type == "date":
        return blank(lambda v: v.isoformat() if isinstance(v, dt.date) else v)
    if f.type == "datetime":
        return blank(lambda v: v.strftime("%Y-%m-%d %H:%M:%S") if isinstance(v, dt.datetime)
                     else v)
    if f.type == "computed":
        return blank(lambda v: _format_number(v, f))
    if f.type == "file":
        endpoint = f"{endpoint_for(entity)}.download"
        return blank(lambda v: Markup('<a href="{}"><i class="fa fa-download"></i> {}</a>').format(
            url_for(endpoint, field=f.name, pk=v.pk), v.name))
    if f.type == "child":
        line = spec.entity(f.entity)  # type: ignore[arg-type]
        return blank(lambda lines: _lines_table(spec, line, entity, lines))
    return blank(lambda v: v)


def _format_number(value: Any, f: Field) -> str:
    if f.format == "text" or not isinstance(value, (int, float, decimal.Decimal)):
        return str(value)
    if f.format == "percent":
        return f"{decimal.Decimal(str(value)) * 100:.{f.places}f}%"
    return f"{decimal.Decimal(str(value)):.{f.places}f}"


def _lines_table(spec: Spec, line: Entity, parent: Entity, lines: list[Any]) -> Markup:
    shown = [f for f in line.fields if f.type not in ("child", "file")
             and not (f.type == "reference" and f.to == parent.qualified)]
    head = "".join(f"<th>{escape(f.label.get(current_locale()))}</th>" for f in shown)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(_format(spec, line, f)(getattr(row, f.name)))}</td>"
                         for f in shown) + "</tr>"
        for row in lines)
    return Markup(f'<table class="table table-condensed table-bordered"><thead><tr>{head}'
                  f"</tr></thead><tbody>{body}</tbody></table>")


def _shown(entity: Entity, names: tuple[str, ...]) -> list[str]:
    """Column names as FAB sees them: files through their FileRef property."""
    return [n if n == ORG else file_attr(n) if entity.field(n).type == "file" else n
            for n in names]


def view_options(spec: Spec, entity: Entity) -> dict[str, Any]:
    everything = tuple(f.name for f in entity.fields)
    editable = tuple(n for n in entity.form_columns or tuple(
        f.name for f in entity.fields if f.type != "computed") if n != log_field(entity))
    orderable = entity.order_columns or tuple(
        f.name for f in entity.fields if f.is_column and f.type not in ("text", "file",
                                                                        "reference"))
    labels: dict[str, Any] = {"id": "ID"}
    formatters: dict[str, Any] = {}
    descriptions: dict[str, Any] = {}
    for f in entity.fields:
        shown_name = file_attr(f.name) if f.type == "file" else f.name
        labels[f.name] = labels[shown_name] = lazy(f.label)
        formatters[shown_name] = _format(spec, entity, f)
        if f.help:
            descriptions[f.name] = lazy(f.help)
    order = entity.default_order or ("id", "desc")
    own_org = [ORG] if entity.scope is not None else []  # lines follow their parent
    state = [entity.workflow.field] if entity.workflow is not None else []
    if entity.workflow is not None:
        flow = entity.workflow
        labels[flow.field] = lazy(flow.state_field.label)
        formatters[flow.field] = lambda v, _flow=flow: _flow.state_label(v, current_locale())
    if entity.org_scoped:
        labels[ORG] = ORG_LABEL
    return {
        "list_columns": _shown(entity, entity.list_columns) + state,
        "show_columns": state + _shown(entity, everything) + ([ORG] if entity.org_scoped
                                                               else []),
        "add_columns": list(editable) + own_org,
        "edit_columns": list(editable) + own_org,
        **search_options(spec, entity),
        "order_columns": list(orderable),
        "base_order": (entity.field(order[0]).column if order[0] != "id" else "id", order[1]),
        "page_size": entity.page_size,
        "label_columns": labels,
        "description_columns": descriptions,
        "formatters_columns": formatters,
        "list_title": lazy_title(entity.label, "{}列表", "{} list"),
        "show_title": lazy_title(entity.label, "查看{}", "Show {}"),
        "add_title": lazy_title(entity.label, "新增{}", "Add {}"),
        "edit_title": lazy_title(entity.label, "编辑{}", "Edit {}"),
    }


def api_options(spec: Spec, entity: Entity) -> dict[str, Any]:
    stored = [f for f in entity.fields if f.is_column and f.type != "file"]
    columns = [f.name for f in stored]
    computed = [f.name for f in entity.fields if f.type == "computed"]
    files = [f"{f.name}_name" for f in entity.fields if f.type == "file"]
    state = [entity.workflow.field] if entity.workflow is not None else []
    shown = (["id", "row_version"] + state + columns + files + computed
             + ([ORG] if entity.org_scoped else []))
    writable = [n for n in columns if n != log_field(entity)]  # the review log: transitions
    writable += [ORG] if entity.scope is not None else []
    labels: dict[str, Any] = {"id": "ID", ORG: ORG_LABEL}
    descriptions: dict[str, Any] = {}
    for f in entity.fields:
        name = f"{f.name}_name" if f.type == "file" else f.name
        labels[name] = lazy(f.label)
        # FAB passes descriptions through gettext, and gettext("") is the catalog header.
        descriptions[name] = lazy(f.help or f.label)
    searchable = [f.name for f in stored if f.type not in ("text",)]
    return {
        "resource_name": entity.resource,
        "list_columns": shown,
        "show_columns": shown,
        "add_columns": writable,
        "edit_columns": writable,
        "search_columns": searchable,
        "order_columns": ["id"] + [f.name for f in stored if f.type not in ("text",
                                                                           "reference")],
        "label_columns": labels,
        "description_columns": descriptions,
        "page_size": entity.page_size,
        "list_title": lazy(entity.label),
        "show_title": lazy(entity.label),
    }


def build_view(spec: Spec, entity: Entity, models: dict[str, type], load: Any) -> type:
    model = models[entity.qualified]
    options = view_options(spec, entity)
    name = endpoint_for(entity)
    form = build_form(spec, entity, models, name, load, tuple(options["add_columns"]))
    batch = _batch_actions(entity)
    edits = _list_edit_action(entity)
    permissions = {**VIEW_METHODS, **VIEW_IO_METHODS, **{n: k for n, k in batch["names"]},
                   **{n: "edit" for n in edits}}
    return type(name, (GeneratedModelView,), {
        **batch["methods"],
        **edits,
        "entity": entity,
        "datamodel": Interface(model),
        "route_base": f"/{entity.module}/{entity.resource}",
        "add_form": form,
        "edit_form": form,
        "method_permission_name": permissions,
        **security_options(entity),
        **options,
    })


def _batch_actions(entity: Entity) -> dict[str, Any]:
    """One FAB list action per batch transition (上报 every selected row at once)."""
    methods: dict[str, Any] = {}
    names: list[tuple[str, str]] = []
    flow = entity.workflow
    for t in flow.transitions if flow is not None else ():
        if not t.batch:
            continue

        def run(self: Any, items: Any, _key: str = t.key) -> Any:
            return self.fire_batch(_key, items)

        name = f"batch_{t.key}"
        run.__name__ = name
        confirm = lazy_title(t.label, "确定对所选记录执行“{}”吗？", "{} the selected records?")
        methods[name] = action(t.key, lazy(t.label), confirm, "fa-check", single=False)(run)
        names.append((name, t.key))
    return {"methods": methods, "names": names}


def _list_edit_action(entity: Entity) -> dict[str, Any]:
    """The list action saving the values typed into the selected rows (needs can_edit)."""
    if entity.list_edit is None:
        return {}

    def list_edit_save(self: Any, items: Any) -> Any:
        return self.save_list_edit(items)

    return {"list_edit_save": action("list_edit", lazy(entity.list_edit.label), None,
                                     "fa-save", single=False)(list_edit_save)}


def build_api(spec: Spec, entity: Entity, models: dict[str, type]) -> type:
    summary_methods, summary_names = summary.api_methods(entity)
    return type(f"{endpoint_for(entity)[:-4]}Api", (GeneratedRestApi,), {
        **summary_methods,
        "entity": entity,
        "datamodel": Interface(models[entity.qualified]),
        "method_permission_name": {**API_METHODS, **API_IO_METHODS, **summary_names},
        **security_options(entity),
        **api_options(spec, entity),
    })


def register(appbuilder: AppBuilder, spec: Spec, models: dict[str, type], load: Any) -> None:
    for module in sorted(spec.modules, key=lambda m: (m.order, m.key)):
        for entity in module.entities:
            view = build_view(spec, entity, models, load)
            if entity.menu:
                appbuilder.add_view(
                    view, entity.qualified, icon=entity.icon, label=lazy(entity.label),
                    category=module.key, category_label=lazy(module.label),
                    category_icon=module.icon,
                )
            else:
                appbuilder.add_view_no_menu(view)
            summary.register(appbuilder, module, entity)
            appbuilder.add_api(build_api(spec, entity, models))
