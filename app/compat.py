"""Every place the app depends on a private name of Flask-AppBuilder, Werkzeug or Flask-WTF.

Overrides of private methods live here, as thin mixins that hand over to public methods of
ours with names that say what they do; the private names the app only reads are listed in
`PRIVATE` too. For each, `PRIVATE` keeps a digest of the upstream source it was written
against: tests/app/test_compat.py fails, naming the method, when an upgrade of a pinned
package changes one, so the override is reviewed before it silently misbehaves.
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
from collections.abc import Callable
from typing import Any

from flask_appbuilder import AppBuilder
from werkzeug.routing import Rule

# "module:qualified name" -> sha256 of its source (first 16 hex digits), for the pinned
# versions below. Overridden here: ModelView._add/_edit/_delete/_get_list_widget,
# ModelRestApi._init_model_schemas/_get_list_related_field, AppBuilder._view_exists/
# _process_inner_views, Rule._compile_builder and flask_wtf.i18n._get_translations. Read
# elsewhere: the rest.
PINNED = {"flask-appbuilder": "5.3.0", "werkzeug": "3.1.9", "flask-wtf": "1.3.0"}
PRIVATE: dict[str, str] = {
    "flask_appbuilder.baseviews:BaseCRUDView._add": "a025a0c68594773e",
    "flask_appbuilder.baseviews:BaseCRUDView._edit": "d761e7bd3d3ff992",
    "flask_appbuilder.baseviews:BaseCRUDView._delete": "8fdf8f052341e35a",
    "flask_appbuilder.baseviews:BaseCRUDView._get_list_widget": "b8bd9f3ee791aece",
    "flask_appbuilder.baseviews:BaseCRUDView._get_add_widget": "01bd7ad6a5d6c473",
    "flask_appbuilder.baseviews:BaseCRUDView._get_edit_widget": "0fe735e06cbf3c36",
    "flask_appbuilder.baseviews:BaseCRUDView._list": "272a87f649f928b5",
    # the filtered query whose rows app/filters.py counts (exactly, or estimated)
    "flask_appbuilder.models.sqla.interface:SQLAInterface._apply_inner_all": "bd7dd8d2678bf324",
    "flask_appbuilder.models.sqla.interface:SQLAInterface.query_count": "ac0f517b4531babe",
    "flask_appbuilder.models.sqla.interface:SQLAInterface.query": "47d8b1bfa8b7d542",
    # sets _base_filters and _filters, which the views read
    "flask_appbuilder.baseviews:BaseModelView._init_properties": "10a97bc8994ec692",
    # the routes that call _add, _edit and _delete
    "flask_appbuilder.views:ModelView.add": "15ef7a4f9904f05a",
    "flask_appbuilder.views:ModelView.edit": "23515051a66d959c",
    "flask_appbuilder.views:ModelView.delete": "be011a573fad916c",
    "flask_appbuilder.api:ModelRestApi._init_model_schemas": "fe44bb78c1efd467",
    "flask_appbuilder.api:ModelRestApi._get_list_related_field": "e065420ced1b28ae",
    "flask_appbuilder.api:ModelRestApi.info_headless": "dc29668308e2d301",
    "flask_appbuilder.api:ModelRestApi._handle_filters_args": "1158f46e3f9771ad",
    "flask_appbuilder.api:ModelRestApi._sanitize_page_args": "164f837b116aae70",
    "flask_appbuilder.security.views:AuthView._get_safe_next_url": "a06bc2b67080fbbc",
    "werkzeug.routing.rules:Rule._compile_builder": "a0ec55cf067ff5d5",
    # overridden by AdminAppBuilder; add_view and add_view_no_menu are what call them
    "flask_appbuilder.base:AppBuilder._view_exists": "4495469b4118ae32",
    "flask_appbuilder.base:AppBuilder._process_inner_views": "675e99f8df3bbaf4",
    "flask_appbuilder.base:AppBuilder.add_view": "5a57d805db0aca38",
    "flask_appbuilder.base:AppBuilder.add_view_no_menu": "68365232d4ceaaa8",
    "flask_wtf.i18n:": "4f23bc82ab7d0e87",  # the whole module: _get_translations is patched
}


def digest(target: str) -> str:
    """sha256 of the source of `module:qualified.name` (or of the whole module)."""
    module_name, _, qualname = target.partition(":")
    obj: Any = importlib.import_module(module_name)
    for part in filter(None, qualname.split(".")):
        obj = getattr(obj, part)
    source = inspect.getsource(obj)
    return hashlib.sha256(source.encode()).hexdigest()[:16]


# -- Flask-AppBuilder's ModelView ------------------------------------------------------------
class ModelViewHooks:
    """FAB's add/edit/delete routes call `_add`, `_edit` and `_delete`, and the list calls
    `_get_list_widget`; ours keep what was typed on errors and apply field rights, locks
    and the hooks (app/views.py)."""

    def _add(self) -> Any:
        return self.add_form_widgets()  # type: ignore[attr-defined]

    def _edit(self, pk: Any) -> Any:
        return self.edit_form_widgets(pk)  # type: ignore[attr-defined]

    def _delete(self, pk: Any) -> None:
        self.delete_row(pk)  # type: ignore[attr-defined]

    def _get_list_widget(self, filters: Any, **kwargs: Any) -> Any:
        widgets = super()._get_list_widget(filters, **kwargs)  # type: ignore[misc]
        self.extend_list_widget(widgets["list"])  # type: ignore[attr-defined]
        return widgets


# -- Flask-AppBuilder's ModelRestApi ---------------------------------------------------------
class RestApiHooks:
    """FAB builds the four marshmallow schemas of every API in `_init_model_schemas` when it
    starts (most of the start-up time of a large schema; ours are built on first use), and
    answers `_info`'s related values through `_get_list_related_field` (ours: the rows the
    form offers, app/api.py)."""

    def _init_model_schemas(self) -> None:
        """Built on first use: see app/api.py LazySchema."""

    def _get_list_related_field(self, field: Any, filter_rel_field: Any, page: Any = None,
                                page_size: Any = None) -> tuple[int, list[dict[str, Any]]]:
        return self.related_values(field, page, page_size)  # type: ignore[attr-defined]


# -- Flask-AppBuilder's AppBuilder ----------------------------------------------------------
class AdminAppBuilder(AppBuilder):
    """FAB's add_view looks for the new view's class among every view added so far, then links
    the inner (related) views of every view so far: twice over all views for each one added,
    quadratic in a schema's size. The same answers, from what changed since the last call."""

    def _new_views(self, mark: str) -> list[Any]:
        """The views added since the last call with this mark (FAB only appends)."""
        seen = self.__dict__.get(mark, 0)
        self.__dict__[mark] = len(self.baseviews)
        return list(self.baseviews[seen:])

    def _view_exists(self, view: Any) -> bool:
        classes = self.__dict__.setdefault("_view_classes", set())
        classes.update(v.__class__ for v in self._new_views("_views_seen"))
        return view.__class__ in classes

    def _process_inner_views(self) -> None:
        holders = self.__dict__.setdefault("_inner_holders", [])
        holders.extend(v for v in self._new_views("_holders_seen")
                       if v.get_uninit_inner_views())
        for view in holders:  # only views with inner views have anything to link
            for inner_class in view.get_uninit_inner_views():
                for v in self.baseviews:
                    if isinstance(v, inner_class) and v not in view.get_init_inner_views():
                        view.get_init_inner_views().append(v)


# -- Werkzeug's URL rules --------------------------------------------------------------------
class LazyBuilderRule(Rule):
    """A rule whose URL builders are compiled when first used, not when the rule is added.

    Werkzeug compiles two builders per rule (Python source through `compile()`) as soon as
    the rule joins the map; a schema of 200 entities has about 6,000 rules, and that was half
    of the start-up. Matching requests does not use them."""

    def _compile_builder(self, append_unknown: bool = True) -> Callable[..., Any]:
        compiled: list[Callable[..., Any]] = []

        def build(rule: Rule, *args: Any, **kwargs: Any) -> Any:
            if not compiled:
                compiled.append(Rule._compile_builder(rule, append_unknown).__get__(rule, None))
            return compiled[0](*args, **kwargs)

        return build


# -- Flask-WTF's translations ----------------------------------------------------------------
def wtforms_messages_from_our_catalog() -> None:
    """WTForms' own zh catalog has gaps and a wrong "at least"; Flask-WTF asks
    `_get_translations` for it, and we answer with ours (it has every message)."""
    import flask_wtf.i18n
    from flask import has_request_context
    from flask_babel import get_translations

    flask_wtf.i18n._get_translations = (  # type: ignore[attr-defined]
        lambda: get_translations() if has_request_context() else None)
