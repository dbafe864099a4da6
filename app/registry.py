"""Spec -> Flask-AppBuilder view and API classes, registered with their menus.

Every YAML option becomes a documented FAB class attribute here; nothing reads the YAML.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import url_for
from flask_appbuilder import AppBuilder
from flask_appbuilder.actions import action
from flask_babel import LazyString
from markupsafe import Markup, escape

from app import completeness, dashboards, exam, favourites, summary
from app.api import GeneratedRestApi
from app.filters import Interface
from app.forms import build_form, endpoint_for
from app.io.views import API_IO_METHODS, VIEW_IO_METHODS
from app.labels import current_locale, lazy, lazy_title, render
from app.search import search_options
from app.security.scope import ScopeFilter
from app.views import GeneratedModelView
from app.workflow import todo
from generator.builders import api as builders_api
from generator.builders import views as builders
from generator.builders.views import Title, file_attr, log_field
from generator.spec import Entity, Field, Label, Spec

# FAB method -> action of the permission vocabulary (generator.spec.ACTIONS).
VIEW_METHODS = {"list": "list", "show": "show", "add": "add", "edit": "edit", "delete": "delete",
                "download": "show", "choices": "list", "action": "edit", "action_post": "edit",
                "transition": "show", "transition_all": "list",
                "request_change": "request_change",
                "decide_change": "decide_change"}
API_METHODS = {"get_list": "list", "get": "show", "info": "list", "post": "add", "put": "edit",
               "delete": "delete", "transition": "show", "transition_many": "list",
               "bulk": "add"}


def security_options(entity: Entity) -> dict[str, Any]:
    """Shared by an entity's screens and API: one permission name, one scope filter."""
    return {
        "class_permission_name": entity.permission_name,
        "base_filters": [["id", ScopeFilter, entity]],
    }


def _format(spec: Spec, entity: Entity, f: Field) -> Callable[[Any], Any]:
    """How a value of the field is shown in lists and on the detail page: the type's
    `display`, except where a screen shows more than text (files link to their download,
    child lines are a table, the review log keeps its lines)."""
    kind = f.kind
    if f.name == log_field(entity):  # one line per transition
        return _blank(lambda v: Markup("<br>").join(escape(x) for x in str(v).splitlines()))
    if kind.uploads:
        endpoint = f"{endpoint_for(entity)}.download"
        return _blank(lambda v: Markup(
            '<a href="{}"><i class="fa fa-download"></i> {}</a>').format(
            url_for(endpoint, field=f.name, pk=v.pk), v.name))
    if kind.lines:
        line = spec.entity(f.entity)  # type: ignore[arg-type]
        return _blank(lambda lines: _lines_table(spec, line, entity, lines))
    return _blank(lambda v: kind.display(f, v, render()))


def _blank(fn: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda v: "" if v is None else fn(v)


def _lines_table(spec: Spec, line: Entity, parent: Entity, lines: list[Any]) -> Markup:
    shown = [f for f in line.fields if not f.kind.lines and not f.kind.uploads
             and f.to != parent.qualified]
    head = "".join(f"<th>{escape(f.label.get(current_locale()))}</th>" for f in shown)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(_format(spec, line, f)(getattr(row, f.name)))}</td>"
                         for f in shown) + "</tr>"
        for row in lines)
    return Markup(f'<table class="table table-condensed table-bordered"><thead><tr>{head}'
                  f"</tr></thead><tbody>{body}</tbody></table>")


def _lazy_pairs(pairs: tuple[tuple[str, Label], ...]) -> dict[str, Any]:
    return {name: lazy(label) for name, label in pairs}


def _lazy_title(title: Title) -> LazyString:
    return LazyString(lambda: title.get(current_locale()))


def view_options(spec: Spec, entity: Entity) -> dict[str, Any]:
    """The builder's options (generator/builders/views.py) as FAB's class attributes."""
    options = builders.view_options(entity)
    formatters: dict[str, Any] = {}
    for f in entity.fields:
        formatters[file_attr(f.name) if f.kind.uploads else f.name] = _format(spec, entity, f)
    if entity.workflow is not None:
        flow = entity.workflow
        formatters[flow.field] = lambda v, _flow=flow: _flow.state_label(v, current_locale())
    titles = {key: _lazy_title(title) for key, title in options.titles}
    return {
        "list_columns": list(options.list_columns),
        "show_columns": list(options.show_columns),
        "add_columns": list(options.form_columns),
        "edit_columns": list(options.form_columns),
        **search_options(spec, entity, options),
        "order_columns": list(options.order_columns),
        "base_order": options.base_order,
        "page_size": options.page_size,
        "label_columns": _lazy_pairs(options.labels),
        "description_columns": _lazy_pairs(options.descriptions),
        "formatters_columns": formatters,
        "list_title": titles["list"],
        "show_title": titles["show"],
        "add_title": titles["add"],
        "edit_title": titles["edit"],
    }


def api_options(spec: Spec, entity: Entity) -> dict[str, Any]:
    """The builder's options (generator/builders/api.py) as FAB's class attributes."""
    options = builders_api.api_options(entity)
    return {
        "resource_name": options.resource_name,
        "list_columns": list(options.shown),
        "show_columns": list(options.shown),
        "add_columns": list(options.writable),
        "edit_columns": list(options.writable),
        "search_columns": list(options.search_columns),
        "order_columns": list(options.order_columns),
        "label_columns": _lazy_pairs(options.labels),
        "description_columns": _lazy_pairs(options.descriptions),
        "page_size": options.page_size,
        "list_title": lazy(options.title),
        "show_title": lazy(options.title),
        # `_info` says them; FAB's default is "Add <model name>" in English
        "add_title": lazy_title(options.title, "新增{}", "Add {}"),
        "edit_title": lazy_title(options.title, "修改{}", "Edit {}"),
    }


def build_view(spec: Spec, entity: Entity, models: dict[str, Any], load: Any) -> type:
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


def build_api(spec: Spec, entity: Entity, models: dict[str, Any]) -> type:
    summary_methods, summary_names = summary.api_methods(entity)
    progress_methods, progress_names = completeness.api_methods(entity)
    return type(f"{endpoint_for(entity)[:-4]}Api", (GeneratedRestApi,), {
        **summary_methods,
        **progress_methods,
        "entity": entity,
        "datamodel": Interface(models[entity.qualified]),
        "method_permission_name": {**API_METHODS, **API_IO_METHODS, **summary_names,
                                   **progress_names},
        **security_options(entity),
        "base_filters": [*security_options(entity)["base_filters"], *todo.narrowing(entity),
                         *favourites.narrowing(entity)],
        **api_options(spec, entity),
    })


def register(appbuilder: AppBuilder, spec: Spec, models: dict[str, Any], load: Any) -> None:
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
            completeness.register(appbuilder, module, entity)
            exam.register(appbuilder, module, entity)
            appbuilder.add_api(build_api(spec, entity, models))
    dashboards.register(appbuilder, spec)  # 数据分析, after the modules
