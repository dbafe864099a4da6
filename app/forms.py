"""Spec entity -> WTForms form class with the schema's rules and Chinese messages."""

from __future__ import annotations

from typing import Any

from flask import g
from flask_appbuilder.fieldwidgets import (
    BS3TextAreaFieldWidget,
    BS3TextFieldWidget,
    DatePickerWidget,
    Select2Widget,
)
from flask_appbuilder.forms import DynamicForm
from flask_babel import LazyString, lazy_gettext
from flask_babel import gettext as _
from wtforms import BooleanField, Form, HiddenField, SelectField
from wtforms import Field as WTField
from wtforms.validators import StopValidation
from wtforms.widgets import TextInput

from app.choices import refusal
from app.context import db_session, generated
from app.fields import ChildLinesField, OrgField, ReferenceField, StoredFileField
from app.hooks import runtime
from app.labels import lazy, render
from app.row_rules import default_of, defaults, hidden
from app.security.models import Organisation
from app.validation import (
    NEW,
    Invalid,
    field_errors,
    is_blank,
    parse,
    required_if_errors,
    unique_errors,
)
from generator.builders.forms import FormSpec, form_spec
from generator.models import class_name
from generator.spec import Entity, Field, Spec

_lazy_org = lazy_gettext("Organisation")


class Rules:
    """WTForms validator running the Spec's rules for one field."""

    def __init__(self, spec_field: Field):
        self.field = spec_field
        self.field_flags = {"required": True} if spec_field.required else {}

    def __call__(self, form: Any, field: Any) -> None:
        raw = field.raw_data[0] if field.raw_data else None
        if field.process_errors and not is_blank(raw):
            raise StopValidation()  # the type error (e.g. not a number) is enough
        if is_blank(field.data) and is_blank(raw):
            field.process_errors = []
            if self.field.required and not (self.field.kind.uploads and form_has_file(
                    form, self.field.name)):
                raise StopValidation(_("This field is required."))
            field.errors = []
            raise StopValidation()
        item = form.existing_item() if hasattr(form, "existing_item") else None
        errors = field_errors(self.field, field.data, stored=getattr(
            item, self.field.name) if item is not None else NEW)
        if errors:
            raise StopValidation("；".join(errors))


def form_has_file(form: Any, name: str) -> bool:
    item = form.existing_item()
    return bool(item is not None and getattr(item, name, None))


class TypedField(WTField):
    """A text input read by the field type's own parser, the same one every other door
    uses: what was typed is shown again as typed when it cannot be read."""

    def __init__(self, label: Any = None, validators: Any = None, *, spec_field: Field,
                 **kwargs: Any):
        super().__init__(label, validators, **kwargs)
        self.spec_field = spec_field

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist:
            return
        try:
            self.data = parse(self.spec_field, valuelist[0])
        except Invalid as exc:
            self.data = None
            raise ValueError(str(exc)) from None

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0])
        return self.spec_field.kind.text(self.spec_field, self.data)


class PickField(SelectField):
    """A value picked from the field type's list as it is now (a 数据字典 change shows at
    the next request), with the value the row holds even when no longer offered."""

    def __init__(self, label: Any = None, validators: Any = None, *, spec_field: Field,
                 **kwargs: Any):
        super().__init__(label, validators, choices=[], **kwargs)
        self.spec_field = spec_field

    def iter_choices(self) -> Any:
        f = self.spec_field
        self.choices = [("", ""), *f.kind.choices(f, render(), keep=self.data)]
        return super().iter_choices()


class PersonField(SelectField):
    """A `user` field: the accounts the person may choose now (app/people.py), and the one
    the row holds; the id sent is checked again by the field's rules."""

    def __init__(self, label: Any = None, validators: Any = None, *, spec_field: Field,
                 **kwargs: Any):
        super().__init__(label, validators, choices=[], validate_choice=False,
                         coerce=_person_id, **kwargs)
        self.spec_field = spec_field

    def iter_choices(self) -> Any:
        from app.people import choices

        self.choices = [("", ""), *choices(self.spec_field, keep=self.data)]
        return super().iter_choices()


def _person_id(raw: Any) -> int | None:
    if raw is None or raw == "":
        return None
    if isinstance(raw, int):
        return raw
    text = str(raw)
    return int(text) if text.isdigit() and len(text) <= 10 else -1  # -1: nobody


class DateTimeInput(TextInput):
    input_type = "datetime-local"


# The form control a field type asks for (FieldType.control) -> the widget that draws it.
TEXT_WIDGETS: dict[str, Any] = {
    "input": BS3TextFieldWidget,
    "textarea": BS3TextAreaFieldWidget,
    "date": DatePickerWidget,
    "datetime": DateTimeInput,
}


def build_field(spec: Spec, entity: Entity, f: Field, models: dict[str, Any],
                endpoint: str, load: Any) -> Any:
    kw: dict[str, Any] = {
        "label": lazy(f.label),
        "description": lazy(f.help),
        "validators": [Rules(f)],
        # The server checks "required" with a Chinese message; the browser's own check would
        # block blank child lines (dropped on save) and speak the browser's language.
        "render_kw": {"required": False},
    }
    kind = f.kind
    if f.default is not None and kind.accepts_default:
        kw["default"] = f.default
    control = kind.control
    if control in TEXT_WIDGETS:
        if control == "datetime":
            kw["render_kw"] = {**kw["render_kw"], "class": "form-control"}
        return TypedField(widget=TEXT_WIDGETS[control](), spec_field=f, **kw)
    if control == "checkbox":
        kw["validators"] = []
        return BooleanField(**kw)
    if control == "select":
        return PickField(spec_field=f, widget=Select2Widget(), validate_choice=False,
                         coerce=lambda v: v or None, **kw)
    if control == "person":
        return PersonField(spec_field=f, widget=Select2Widget(), **kw)
    if control == "reference":
        if f.depends_on is not None:
            kw["depends"] = f.depends_on.field
        if f.choices is not None:  # the field's own choices, not only the user's scope
            return ReferenceField(target=models[f.to], view_endpoint=endpoint,  # type: ignore[index]
                                  load=_choice_loader(f), refused=_refused(f), **kw)
        return ReferenceField(target=models[f.to], view_endpoint=endpoint, load=load, **kw)  # type: ignore[index]
    if control == "file":
        return StoredFileField(**kw)
    raise ValueError(f"no form control for {kind!r}")


def _choice_loader(f: Field) -> Any:
    return lambda _model, pk: generated().load_choice(f, pk)


def _refused(f: Field) -> Any:
    return LazyString(lambda: refusal(f))


class EntityForm(DynamicForm):
    """Base of generated forms: cross-field rules after the per-field ones."""

    spec_entity: Entity
    model: type
    _id: Any = None  # FAB sets it on edit so uniqueness can skip the row itself

    def existing_item(self) -> Any:
        if self._id is None:
            return None
        return db_session().get(self.model, self._id)

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        values = {name: self[name].data for name in self._fields if name != "csrf_token"}
        item = self.existing_item()
        if item is not None:  # fields not on the form keep their stored value
            for f in self.spec_entity.column_fields:
                if f.name not in values:
                    values[f.name] = getattr(item, f.name)
        entity = self.spec_entity
        before = ({f.name: getattr(item, f.name) for f in entity.column_fields}
                  if item is not None else defaults(entity))
        extra = required_if_errors(entity, values, before)
        for name in hidden(entity, values):  # a hidden field is saved as its default
            if name in self._fields:
                self[name].data = values[name] = default_of(entity.field(name))
                self[name].errors = []  # what was typed there is not kept, nor checked
        ok = not any(any(self[name].errors) for name in self._fields)
        for f in self.spec_entity.fields:  # uploads go past the field's upload_limit hook
            field = self._fields.get(f.name)
            upload = getattr(field, "upload", None)
            if not f.kind.uploads or upload is None:
                continue
            try:
                runtime.check_upload(self.spec_entity, f, self.existing_item(), upload,
                                     g.user, db_session())
            except runtime.Denied as exc:
                extra.setdefault(f.name, []).append(_(exc.reason, **exc.params))
        if ok:  # only ask the database once the values themselves are right
            item = self.existing_item()  # org left empty: the row's, or for a new row mine
            org = (getattr(item, "org_id", None) if item is not None
                   else getattr(g.user, "org_id", None))
            extra.update(unique_errors(self.spec_entity, self.model,
                                       db_session(), values, self._id,
                                       org=org, row=item))
        for name, messages in extra.items():
            if name in self._fields:
                self[name].errors = list(self[name].errors) + messages
                ok = False
        return ok

    # the version the form was opened with: an edit of an older version is refused
    row_version = HiddenField()

    def populate_obj(self, obj: Any) -> None:
        for name, field in self._fields.items():
            if name not in ("row_version", "csrf_token"):
                field.populate_obj(obj, name)

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        obj = kwargs.get("obj")
        for f in self.spec_entity.fields:
            if f.kind.uploads and f.name in self._fields and obj is not None:
                self[f.name].current_name = getattr(obj, f"{f.name}_name", None)


class LineForm(Form):
    """One line of a child table inside its parent's form (no CSRF token of its own)."""

    spec_entity: Entity
    model: type

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        values = {name: self[name].data for name in self._fields}
        for name, messages in required_if_errors(self.spec_entity, values).items():
            self[name].errors = list(self[name].errors) + messages
            ok = False
        for name in hidden(self.spec_entity, values):
            if name in self._fields:
                self[name].data = default_of(self.spec_entity.field(name))
        return ok


def build_form(spec: Spec, entity: Entity, models: dict[str, Any], endpoint: str,
               load: Any, columns: tuple[str, ...], base: type = EntityForm) -> type:
    """The WTForms class of the builder's form (generator/builders/forms.py)."""
    return _form_class(spec, form_spec(spec, entity, columns), models, endpoint, load, base)


def _form_class(spec: Spec, form: FormSpec, models: dict[str, Any], endpoint: str,
                load: Any, base: type) -> type:
    entity = spec.entity(form.entity)
    attrs: dict[str, Any] = {"spec_entity": entity, "model": models[entity.qualified]}
    for item in form.fields:
        if item.field is None:  # the organisation the row belongs to
            attrs[item.name] = OrgField(label=_lazy_org, target=Organisation,
                                        view_endpoint=endpoint, load=load)
        elif item.lines is not None:
            line = spec.entity(item.lines.entity)
            line_form = _form_class(spec, item.lines, models, endpoint_for(line), load,
                                    LineForm)
            setattr(line_form, "row_id", HiddenField())  # noqa: B010 - a class built here
            attrs[item.name] = ChildLinesField(line_form, models[line.qualified],
                                               label=lazy(item.field.label))
        else:
            attrs[item.name] = build_field(spec, entity, item.field, models, endpoint, load)
    return type(f"{entity.key}Form", (base,), attrs)


def endpoint_for(entity: Entity) -> str:
    """Flask endpoint (blueprint) name of an entity's generated view."""
    return f"{class_name(entity)}View"
