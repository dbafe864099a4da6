"""上报时间管理: the reporting windows of `window_deadline` and extensions for single units.

- Windows (`hooks:window`): system administrators (roles with `admin: system`) manage the
  windows of their jurisdiction: a province administrator those of regions within the
  province, a national one (or the Admin role) every window, national ones included.
- Extensions (`hooks:window_extension`): regulators (`user_class: regulator`) give one unit
  of their jurisdiction more time in one window.

The screens exist only when some entity names `window_deadline`; their rights are given in
app/security/duties.py.
"""

from __future__ import annotations

from typing import Any

from flask import abort, g, jsonify, request
from flask_appbuilder import ModelView, expose, has_access
from flask_appbuilder.fieldwidgets import BS3TextAreaFieldWidget, BS3TextFieldWidget, Select2Widget
from flask_appbuilder.forms import DynamicForm
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from sqlalchemy import false, or_, select
from wtforms import BooleanField, DateTimeLocalField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from app.context import db_session, generated
from app.fields import ReferenceField
from app.hooks.models import Window, WindowExtension, beijing_now
from app.hooks.window_deadline import TIME_FORMAT, ancestor_paths, batch_label
from app.labels import current_locale
from app.security.models import Organisation
from app.security.scope import current, is_admin, within
from generator.spec import Entity, Spec

WINDOW_VIEW = "hooks:window"
EXTENSION_VIEW = "hooks:window_extension"
MENU_CATEGORY = "window_admin"
WINDOW_MENU = "reporting_windows"
EXTENSION_MENU = "window_extensions"
CRUD = ("list", "show", "add", "edit", "delete")
METHODS = {"list": "list", "show": "show", "add": "add", "edit": "edit", "delete": "delete",
           "choices": "list", "download": "show", "action": "edit", "action_post": "edit"}
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M",
                    "%Y-%m-%d %H:%M:%S"]
CHOICES_PAGE = 20
BATCH_CHOICES_MAX = 500


# -- which windows the schema has --------------------------------------------------------
def series(spec: Spec) -> dict[str, list[Entity]]:
    """Window name -> the entities whose window_deadline names it."""
    found: dict[str, list[Entity]] = {}
    for entity in spec.entities:
        ref = entity.hook("window_deadline")
        if ref is not None:
            found.setdefault(ref.get("window"), []).append(entity)
    return found


def uses_windows(spec: Spec) -> bool:
    return bool(series(spec))


def _spec() -> Spec:
    return generated().spec


def series_label(name: str) -> str:
    entities = series(_spec()).get(name, [])
    labels = "、".join(e.label.get(current_locale()) for e in entities)
    # The series' key is the schema's, not the reader's: it shows only when nothing names it.
    return labels or name


def batch_entity(name: str) -> str | None:
    """Qualified name of the entity the series' batches are rows of, if it has batches."""
    for entity in series(_spec()).get(name, []):
        field = entity.hook("window_deadline").get("batch_field")  # type: ignore[union-attr]
        if field and entity.has_field(field) and entity.field(field).kind.refers:
            return entity.field(field).to
    return None


def window_text(window: Window) -> str:
    region = window.region.name if window.region is not None else _("Whole country")
    text = f"{series_label(window.window)} · {region}"
    if window.batch is not None:
        text += f" · {batch_label(window.window, window.batch)}"
    return (f"{text} · {window.opens_at:{TIME_FORMAT}} - {window.closes_at:{TIME_FORMAT}}"
            if window.opens_at and window.closes_at else text)


# -- who reaches what ----------------------------------------------------------------------
def national_reach(user: Any) -> bool:
    org = getattr(user, "org", None)
    return is_admin(user) or (org is not None and org.level == "national")


def _jurisdiction(user: Any, column: Any) -> Any:
    """Condition on an Organisation column: within the user's jurisdiction (None: all)."""
    if user is None:
        return false()
    if national_reach(user):
        return None
    org = getattr(user, "org", None)
    return within(column, org.path) if org is not None else false()


def _window_reach(user: Any) -> Any:
    """Windows a regulator may extend: those reaching units of their jurisdiction."""
    if user is None:
        return false()
    if national_reach(user):
        return None
    org = getattr(user, "org", None)
    if org is None:
        return false()
    return or_(Window.region_id.is_(None),
               Window.region.has(or_(Organisation.path.in_(ancestor_paths(org.path)),
                                     within(Organisation.path, org.path))))


class WindowFilter(BaseFilter):
    name = "managed windows"
    arg_name = "managed_windows"

    def apply(self, query: Any, value: Any) -> Any:
        condition = _jurisdiction(current(), Organisation.path)
        if condition is None:
            return query
        return query.filter(Window.region.has(condition))


class ExtensionFilter(BaseFilter):
    name = "managed extensions"
    arg_name = "managed_extensions"

    def apply(self, query: Any, value: Any) -> Any:
        condition = _jurisdiction(current(), Organisation.path)
        if condition is None:
            return query
        return query.filter(WindowExtension.unit.has(condition))


def _session() -> Any:
    return db_session()


def _load_region(_model: type, pk: int) -> Any:
    query = select(Organisation).where(Organisation.id == pk, Organisation.level != "unit")
    condition = _jurisdiction(current(), Organisation.path)
    if condition is not None:
        query = query.where(condition)
    return _session().execute(query).scalar_one_or_none()


def _load_unit(_model: type, pk: int) -> Any:
    query = select(Organisation).where(Organisation.id == pk, Organisation.level == "unit")
    condition = _jurisdiction(current(), Organisation.path)
    if condition is not None:
        query = query.where(condition)
    return _session().execute(query).scalar_one_or_none()


def _load_window(_model: type, pk: int) -> Any:
    query = select(Window).where(Window.id == pk)
    condition = _window_reach(current())
    if condition is not None:
        query = query.where(condition)
    return _session().execute(query).unique().scalar_one_or_none()


def _blank_to_none(value: Any) -> Any:
    return value or None


# -- forms -----------------------------------------------------------------------------------
class WindowForm(DynamicForm):
    window = SelectField(lazy_gettext("Reporting series"), validators=[DataRequired()],
                         widget=Select2Widget())
    batch = SelectField(lazy_gettext("Batch"), validate_choice=False, coerce=_blank_to_none,
                        widget=Select2Widget())
    region = ReferenceField(lazy_gettext("Region"), target=Organisation,
                            view_endpoint="ReportingWindowView", load=_load_region,
                            description=lazy_gettext("Leave empty for the whole country "
                                                     "(national administrators only)."))
    opens_at = DateTimeLocalField(lazy_gettext("Opens at (Beijing time)"),
                                  format=DATETIME_FORMATS, validators=[DataRequired()],
                                  render_kw={"class": "form-control"})
    closes_at = DateTimeLocalField(lazy_gettext("Closes at (Beijing time)"),
                                   format=DATETIME_FORMATS, validators=[DataRequired()],
                                   render_kw={"class": "form-control"})
    is_open = BooleanField(lazy_gettext("Reporting switch on"), default=True,
                           description=lazy_gettext("Switched off, nobody can report, "
                                                    "whatever the times say."))
    note = StringField(lazy_gettext("Note"), validators=[Optional(), Length(max=500)],
                       filters=[_blank_to_none], widget=BS3TextFieldWidget())
    _id: Any = None  # FAB sets it on edit

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.window.choices = [(name, series_label(name)) for name in sorted(series(_spec()))]
        choices: list[tuple[str, str]] = [("", _("Every batch"))]
        admin = generated()
        for name in sorted(series(_spec())):
            target = batch_entity(name)
            if target is None:
                continue
            model = admin.models[target]
            label = admin.spec.entity(target).label.get(current_locale())
            rows = _session().execute(select(model).order_by(model.id.desc())
                                      .limit(BATCH_CHOICES_MAX)).scalars()
            choices += [(str(row.id), f"{label}：{row}") for row in rows]
        self.batch.choices = list(dict.fromkeys(choices))

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        user = current()
        if self.region.data is None and not national_reach(user):
            self.region.errors = [*self.region.errors,
                                  _("Choose a region of your jurisdiction.")]
            ok = False
        if self.opens_at.data and self.closes_at.data and (
                self.closes_at.data <= self.opens_at.data):
            self.closes_at.errors = [*self.closes_at.errors,
                                     _("The closing time must be after the opening time.")]
            ok = False
        batch = self.batch.data
        target = batch_entity(self.window.data) if self.window.data else None
        if batch is not None:
            admin = generated()
            if target is None or not batch.isdigit() or _session().get(
                    admin.models[target], int(batch)) is None:
                self.batch.errors = [*self.batch.errors,
                                     _("This series has no such batch; leave it empty.")]
                ok = False
        if ok:
            query = select(Window.id).where(
                Window.window == self.window.data,
                Window.batch.is_(None) if batch is None else Window.batch == batch,
                Window.region_id.is_(None) if self.region.data is None
                else Window.region_id == self.region.data.id)
            if self._id is not None:
                query = query.where(Window.id != int(self._id))
            if _session().execute(query).first() is not None:
                self.region.errors = [*self.region.errors, _(
                    "A window for this series, batch and region already exists; edit it.")]
                ok = False
        return ok


class ExtensionForm(DynamicForm):
    window = ReferenceField(lazy_gettext("Reporting window"), target=Window,
                            view_endpoint="WindowExtensionView", load=_load_window,
                            validators=[DataRequired()])
    unit = ReferenceField(lazy_gettext("Unit"), target=Organisation,
                          view_endpoint="WindowExtensionView", load=_load_unit,
                          validators=[DataRequired()])
    closes_at = DateTimeLocalField(lazy_gettext("Extended to (Beijing time)"),
                                   format=DATETIME_FORMATS, validators=[DataRequired()],
                                   render_kw={"class": "form-control"})
    reason = TextAreaField(lazy_gettext("Reason for the extension"),
                           validators=[DataRequired(), Length(max=500)],
                           widget=BS3TextAreaFieldWidget())

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        window, unit = self.window.data, self.unit.data
        if window is not None and unit is not None and window.region is not None and not (
                unit.path.startswith(window.region.path)):
            self.unit.errors = [*self.unit.errors,
                                _("This unit is outside the region of the window.")]
            ok = False
        if window is not None and self.closes_at.data and self.closes_at.data <= (
                window.closes_at):
            self.closes_at.errors = [*self.closes_at.errors, _(
                "The extension must end after the window closes (%(closes)s).",
                closes=window.closes_at.strftime(TIME_FORMAT))]
            ok = False
        return ok


# -- screens -------------------------------------------------------------------------------
def _when(value: Any) -> str:
    return value.strftime(TIME_FORMAT) if value is not None else ""


class _Screen(ModelView):
    method_permission_name = METHODS
    add_row_message = lazy_gettext("Saved.")
    edit_row_message = lazy_gettext("Changes saved.")
    delete_row_message = lazy_gettext("Deleted.")

    @expose("/download/<string:filename>")
    @has_access
    def download(self, filename: str) -> Any:
        abort(404)  # FAB's generic file route: these screens have no files

    def _choices(self, query: Any, text: Any) -> Any:
        page = max(1, request.args.get("page", 1, type=int))
        rows = self.datamodel.session.execute(
            query.offset((page - 1) * CHOICES_PAGE).limit(CHOICES_PAGE + 1)
        ).unique().scalars().all()
        return jsonify(results=[{"id": r.id, "text": text(r)} for r in rows[:CHOICES_PAGE]],
                       pagination={"more": len(rows) > CHOICES_PAGE})


def _org_search(query: Any) -> Any:
    term = (request.args.get("q") or "").strip()[:100]
    if term:
        query = query.where(or_(Organisation.name.contains(term, autoescape=True),
                                Organisation.code.startswith(term, autoescape=True)))
    return query.order_by(Organisation.path)


class ReportingWindowView(_Screen):
    route_base = "/hooks/windows"
    class_permission_name = WINDOW_VIEW
    datamodel = SQLAInterface(Window)
    base_filters = [["id", WindowFilter, None]]
    base_order = ("opens_at", "desc")
    list_title = lazy_gettext("Reporting windows")
    show_title = lazy_gettext("Reporting window")
    add_title = lazy_gettext("Add reporting window")
    edit_title = lazy_gettext("Edit reporting window")
    list_columns = ["window", "batch_display", "region", "opens_at", "closes_at", "is_open"]
    show_columns = ["window", "batch_display", "region", "opens_at", "closes_at", "is_open",
                    "note"]
    add_columns = ["window", "batch", "region", "opens_at", "closes_at", "is_open", "note"]
    edit_columns = add_columns
    search_columns = ["window", "is_open"]
    label_columns = {
        "window": lazy_gettext("Reporting series"), "batch": lazy_gettext("Batch"),
        "batch_display": lazy_gettext("Batch"), "region": lazy_gettext("Region"),
        "opens_at": lazy_gettext("Opens at (Beijing time)"),
        "closes_at": lazy_gettext("Closes at (Beijing time)"),
        "is_open": lazy_gettext("Reporting switch"), "note": lazy_gettext("Note"),
    }
    formatters_columns = {
        "window": series_label,
        "region": lambda v: str(v) if v is not None else _("Whole country"),
        "opens_at": _when, "closes_at": _when,
        "is_open": lambda v: _("Switched on") if v else _("Switched off"),
    }
    add_form = WindowForm
    edit_form = WindowForm

    @expose("/choices/<field>")
    @has_access
    def choices(self, field: str) -> Any:
        if field != "region":
            abort(404)
        query = select(Organisation).where(Organisation.level != "unit")
        condition = _jurisdiction(current(), Organisation.path)
        if condition is not None:
            query = query.where(condition)
        return self._choices(_org_search(query), lambda o: o.name)


class WindowExtensionView(_Screen):
    route_base = "/hooks/window-extensions"
    class_permission_name = EXTENSION_VIEW
    datamodel = SQLAInterface(WindowExtension)
    base_filters = [["id", ExtensionFilter, None]]
    base_order = ("granted_at", "desc")
    list_title = lazy_gettext("Extensions for units")
    show_title = lazy_gettext("Extension")
    add_title = lazy_gettext("Grant an extension")
    edit_title = lazy_gettext("Edit extension")
    list_columns = ["unit", "window", "closes_at", "reason", "granted_by", "granted_at"]
    show_columns = list_columns
    add_columns = ["window", "unit", "closes_at", "reason"]
    edit_columns = add_columns
    search_columns = ["reason"]
    label_columns = {
        "window": lazy_gettext("Reporting window"), "unit": lazy_gettext("Unit"),
        "closes_at": lazy_gettext("Extended to (Beijing time)"),
        "reason": lazy_gettext("Reason for the extension"),
        "granted_by": lazy_gettext("Granted by"),
        "granted_at": lazy_gettext("Granted at (Beijing time)"),
    }
    formatters_columns = {
        "window": lambda v: window_text(v) if v is not None else "",
        "unit": lambda v: str(v) if v is not None else "",
        "granted_by": lambda v: (v.first_name or v.username) if v is not None else "",
        "closes_at": _when, "granted_at": _when,
    }
    add_form = ExtensionForm
    edit_form = ExtensionForm

    def _stamp(self, item: Any) -> None:
        item.granted_by_id = g.user.id
        item.granted_at = beijing_now()

    def pre_add(self, item: Any) -> None:
        self._stamp(item)

    def pre_update(self, item: Any) -> None:
        self._stamp(item)

    @expose("/choices/<field>")
    @has_access
    def choices(self, field: str) -> Any:
        user = current()
        if field == "unit":
            query = select(Organisation).where(Organisation.level == "unit")
            condition = _jurisdiction(user, Organisation.path)
            if condition is not None:
                query = query.where(condition)
            return self._choices(_org_search(query), lambda o: o.name)
        if field == "window":
            query = select(Window).order_by(Window.closes_at.desc())
            reach = _window_reach(user)
            if reach is not None:
                query = query.where(reach)
            term = (request.args.get("q") or "").strip()[:100]
            if term:
                query = query.where(or_(Window.window.contains(term, autoescape=True),
                                        Window.region.has(Organisation.name.contains(
                                            term, autoescape=True))))
            return self._choices(query, window_text)
        abort(404)


def init_app(appbuilder: Any) -> None:
    if not uses_windows(generated().spec):
        return
    appbuilder.add_view(ReportingWindowView, WINDOW_MENU, icon="fa-clock-o",
                        label=lazy_gettext("Reporting windows"), category=MENU_CATEGORY,
                        category_label=lazy_gettext("Reporting time management"),
                        category_icon="fa-calendar")
    appbuilder.add_view(WindowExtensionView, EXTENSION_MENU, icon="fa-hourglass-half",
                        label=lazy_gettext("Extensions for units"), category=MENU_CATEGORY)
