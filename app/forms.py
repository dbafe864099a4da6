"""Spec entity -> WTForms form class with the schema's rules and Chinese messages."""

from __future__ import annotations

from typing import Any

from flask import current_app, g
from flask_appbuilder.fieldwidgets import (
    BS3TextAreaFieldWidget,
    BS3TextFieldWidget,
    DatePickerWidget,
    Select2Widget,
)
from flask_appbuilder.forms import DynamicForm
from flask_babel import LazyString, lazy_gettext
from flask_babel import gettext as _
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    DecimalField,
    Form,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import StopValidation

from app.choices import refusal
from app.fields import ChildLinesField, OrgField, ReferenceField, StoredFileField
from app.hooks import runtime
from app.labels import lazy
from app.security.models import Organisation
from app.validation import field_errors, is_blank, normalize, required_if_errors, unique_errors
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
            if self.field.required and not (self.field.type == "file" and form_has_file(
                    form, self.field.name)):
                raise StopValidation(_("This field is required."))
            field.errors = []
            raise StopValidation()
        errors = field_errors(self.field, field.data)
        if errors:
            raise StopValidation("；".join(errors))


def form_has_file(form: Any, name: str) -> bool:
    item = form.existing_item()
    return bool(item is not None and getattr(item, name, None))


def _normalizer(spec_field: Field) -> Any:
    return lambda value: normalize(spec_field, value) if isinstance(value, str) else value


def build_field(spec: Spec, entity: Entity, f: Field, models: dict[str, type],
                endpoint: str, load: Any) -> Any:
    kw: dict[str, Any] = {
        "label": lazy(f.label),
        "description": lazy(f.help),
        "validators": [Rules(f)],
        # The server checks "required" with a Chinese message; the browser's own check would
        # block blank child lines (dropped on save) and speak the browser's language.
        "render_kw": {"required": False},
    }
    if f.default is not None and f.type not in ("reference", "file"):
        kw["default"] = f.default
    kind = f.type
    if kind == "string":
        return StringField(widget=BS3TextFieldWidget(), filters=[_normalizer(f)], **kw)
    if kind == "text":
        return TextAreaField(widget=BS3TextAreaFieldWidget(), filters=[_normalizer(f)], **kw)
    if kind == "integer":
        return IntegerField(widget=BS3TextFieldWidget(), **kw)
    if kind == "decimal":
        return DecimalField(widget=BS3TextFieldWidget(), places=None, **kw)
    if kind == "boolean":
        kw["validators"] = []
        return BooleanField(**kw)
    if kind == "date":
        return DateField(widget=DatePickerWidget(), format="%Y-%m-%d", **kw)
    if kind == "datetime":
        return DateTimeLocalField(format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S",
                                          "%Y-%m-%d %H:%M:%S"],
                                  **{**kw, "render_kw": {**kw["render_kw"],
                                                         "class": "form-control"}})
    if kind == "enum":
        choices = [("", "")] + [(v.value, lazy(v.label)) for v in f.values]
        return SelectField(choices=choices, widget=Select2Widget(), validate_choice=False,
                           coerce=lambda v: v or None, **kw)
    if kind == "reference":
        if f.choices is not None:  # the field's own choices, not only the user's scope
            return ReferenceField(target=models[f.to], view_endpoint=endpoint,
                                  load=_choice_loader(f), refused=_refused(f), **kw)
        return ReferenceField(target=models[f.to], view_endpoint=endpoint, load=load, **kw)
    if kind == "file":
        return StoredFileField(**kw)
    raise ValueError(kind)


def _choice_loader(f: Field) -> Any:
    return lambda _model, pk: current_app.extensions["admin"].load_choice(f, pk)


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
        return current_app.appbuilder.session.get(self.model, self._id)

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        values = {name: self[name].data for name in self._fields if name != "csrf_token"}
        if self._id is not None:  # fields not on the form keep their stored value
            item = self.existing_item()
            for f in self.spec_entity.column_fields:
                if f.name not in values and item is not None:
                    values[f.name] = getattr(item, f.name)
        extra = required_if_errors(self.spec_entity, values)
        for f in self.spec_entity.fields:  # uploads go past the field's upload_limit hook
            field = self._fields.get(f.name)
            upload = getattr(field, "upload", None)
            if f.type != "file" or upload is None:
                continue
            try:
                runtime.check_upload(self.spec_entity, f, self.existing_item(), upload,
                                     g.user, current_app.appbuilder.session)
            except runtime.Denied as exc:
                extra.setdefault(f.name, []).append(_(exc.reason, **exc.params))
        if ok:  # only ask the database once the values themselves are right
            item = self.existing_item()  # org left empty: the row's, or for a new row mine
            org = (getattr(item, "org_id", None) if item is not None
                   else getattr(g.user, "org_id", None))
            extra.update(unique_errors(self.spec_entity, self.model,
                                       current_app.appbuilder.session, values, self._id,
                                       org=org))
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
            if f.type == "file" and f.name in self._fields and obj is not None:
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
        return ok


def build_form(spec: Spec, entity: Entity, models: dict[str, type], endpoint: str,
               load: Any, columns: tuple[str, ...], base: type = EntityForm) -> type:
    attrs: dict[str, Any] = {"spec_entity": entity, "model": models[entity.qualified]}
    for name in columns:
        if name == "org":
            attrs[name] = OrgField(label=_lazy_org, target=Organisation,
                                   view_endpoint=endpoint, load=load)
            continue
        f = entity.field(name)
        if f.type == "computed":
            continue
        if f.type == "child":
            line = spec.entity(f.entity)  # type: ignore[arg-type]
            back = next(x for x in line.fields if x.type == "reference"
                        and x.to == entity.qualified)
            line_columns = tuple(x.name for x in line.fields
                                 if x.name != back.name and x.type not in ("child", "computed"))
            line_form = build_form(spec, line, models, endpoint_for(line), load, line_columns,
                                   base=LineForm)
            line_form.row_id = HiddenField()
            attrs[name] = ChildLinesField(line_form, models[line.qualified], label=lazy(f.label))
        else:
            attrs[name] = build_field(spec, entity, f, models, endpoint, load)
    return type(f"{entity.key}Form", (base,), attrs)


def endpoint_for(entity: Entity) -> str:
    """Flask endpoint (blueprint) name of an entity's generated view."""
    return f"{class_name(entity)}View"
