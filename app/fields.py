"""Form fields the stock widgets lack: searchable references, child lines, stored files."""

from __future__ import annotations

from typing import Any

from flask import url_for
from flask_babel import gettext as _
from markupsafe import Markup, escape
from werkzeug.datastructures import FileStorage
from wtforms import Field, FieldList, FormField
from wtforms.validators import StopValidation
from wtforms.widgets import html_params

from app.context import generated


class AjaxSelectWidget:
    """A <select> that select2 fills page by page from the view's choices endpoint."""

    def __call__(self, field: ReferenceField, **kwargs: Any) -> Markup:
        kwargs.setdefault("id", field.id)
        extra = " ".join(str(kwargs.pop(k)) for k in ("class", "class_") if k in kwargs)
        params = html_params(
            name=field.name,
            class_=f"ref-select form-control {extra}".strip(),
            data_url=url_for(f"{field.view_endpoint}.choices", field=field.short_name),
            data_placeholder=_("Type to search"),
            data_depends=field.depends or False,  # the field whose row limits the choices
            **kwargs,
        )
        options = ['<option value=""></option>']
        if field.data is not None:
            options.append(f'<option value="{escape(field.data.id)}" selected>'
                           f"{escape(str(field.data))}</option>")
        return Markup(f"<select {params}>{''.join(options)}</select>")


class ReferenceField(Field):
    """Holds the related object; the browser sends its id, which is looked up (never trusted)."""

    widget = AjaxSelectWidget()

    def __init__(self, label: Any = None, validators: Any = None, *, target: type,
                 view_endpoint: str, load: Any, refused: Any = None, depends: str | None = None,
                 **kwargs: Any):
        super().__init__(label, validators, **kwargs)
        self.target = target
        self.depends = depends  # cascading: the name of the form field it follows
        self.view_endpoint = view_endpoint
        # (model, id) -> instance or None; applies scope (and the field's choices) where
        # there is one
        self.load = load
        self.refused = refused  # the message for a value outside the choices, when not ours
        self.invalid_choice = False

    def _value(self) -> str:
        return "" if self.data is None else str(self.data.id)

    def process_formdata(self, valuelist: list[str]) -> None:
        if not valuelist or not valuelist[0]:
            self.data = None
            return
        raw = valuelist[0]
        self.data = self.load(self.target, int(raw)) if raw.isdigit() else None
        self.invalid_choice = self.data is None

    def pre_validate(self, form: Any) -> None:
        if self.invalid_choice:
            raise StopValidation(str(self.refused or _("The selected record does not exist.")))


class OrgField(ReferenceField):
    """The organisation a row belongs to: left empty, it keeps the row's organisation (or,
    for a new row, takes the user's: see security/assign.py)."""

    def populate_obj(self, obj: Any, name: str) -> None:
        if self.data is not None:
            setattr(obj, name, self.data)


class FileWidget:
    def __call__(self, field: StoredFileField, **kwargs: Any) -> Markup:
        kwargs.setdefault("id", field.id)
        current = ""
        if field.current_name:
            caption = _("Current file")
            current = (f'<p class="help-block">{escape(caption)}：'
                       f"{escape(field.current_name)}</p>")
        return Markup(f'<input type="file" class="form-control" '
                      f"{html_params(name=field.name, **kwargs)}>{current}")


class StoredFileField(Field):
    """A file kept through the storage interface; a new upload replaces the old one."""

    widget = FileWidget()

    def __init__(self, label: Any = None, validators: Any = None, **kwargs: Any):
        super().__init__(label, validators, **kwargs)
        self.current_name: str | None = None
        self.upload: FileStorage | None = None

    def process_formdata(self, valuelist: list[Any]) -> None:
        upload = next((v for v in valuelist if isinstance(v, FileStorage) and v.filename), None)
        self.upload = upload
        self.data = upload.filename if upload else self.current_name

    def populate_obj(self, obj: Any, name: str) -> None:
        if self.upload is None:
            return
        storage = generated().storage
        old = getattr(obj, name, None)
        key, size = storage.save(self.upload.stream, self.upload.filename or "file")
        setattr(obj, name, key)
        setattr(obj, f"{name}_name", self.upload.filename)
        setattr(obj, f"{name}_size", size)
        if old:
            storage.delete(old)


class ChildLinesWidget:
    """A table of line forms with add and remove buttons (see static/admin/admin.js)."""

    def __call__(self, field: ChildLinesField, **kwargs: Any) -> Markup:
        template_form = field.line_form(prefix=f"{field.name}-__index__-", meta={"csrf": False})
        columns = [f for f in template_form if f.short_name != "row_id"]
        head = "".join(f"<th>{escape(str(f.label.text))}</th>" for f in columns)
        rows = [self._row(entry.form) for entry in field.entries]
        template = self._row(template_form)
        add_text = _("Add line")
        return Markup(
            f'<div class="child-lines" data-prefix="{escape(field.name)}" '
            f'data-next="{len(field.entries)}">'
            f'<table class="table table-condensed table-bordered"><thead><tr>{head}'
            f'<th class="col-xs-1"></th></tr></thead><tbody>{"".join(rows)}</tbody></table>'
            f'<template>{template}</template>'
            f'<button type="button" class="btn btn-default btn-sm child-add">'
            f'<i class="fa fa-plus"></i> {escape(add_text)}</button></div>'
        )

    @staticmethod
    def _row(form: Any) -> str:
        cells = []
        hidden = ""
        for sub in form:
            if sub.short_name == "row_id":
                hidden = str(sub())
                continue
            errors = "".join(f'<span class="help-block">{escape(e)}</span>' for e in sub.errors)
            css = ' class="has-error"' if sub.errors else ""
            cells.append(f"<td{css}>{sub(class_='form-control input-sm')}{errors}</td>")
        title = _("Remove line")
        remove = (f'<td>{hidden}<button type="button" class="btn btn-link child-remove" '
                  f'title="{escape(title)}"><i class="fa fa-trash"></i></button></td>')
        return f"<tr>{''.join(cells)}{remove}</tr>"


class ChildLinesField(FieldList):
    """Lines of a child entity edited inside the parent form."""

    widget = ChildLinesWidget()

    entries: list[Any]

    def __init__(self, line_form: type, line_model: type, label: Any = None, **kwargs: Any):
        super().__init__(FormField(line_form), label, min_entries=0, **kwargs)
        self.line_form = line_form
        self.line_model = line_model

    def process(self, formdata: Any, data: Any = None, extra_filters: Any = None) -> None:
        super().process(formdata, data, extra_filters)
        if formdata is None or not any(k.startswith(self.name + "-") for k in formdata):
            for entry, line in zip(self.entries, data or [], strict=False):
                entry.form.row_id.data = str(line.id)
        # Lines left entirely blank are dropped rather than reported.
        self.entries = [e for e in self.entries if not _blank_line(e.form)]

    def validate(self, form: Any, extra_validators: Any = ()) -> bool:
        if super().validate(form, extra_validators):
            return True
        # Per-line messages are shown in the cells; the field itself gets one summary line.
        self.errors = [_("Some lines have errors; see the marked cells.")]
        return False

    def populate_obj(self, obj: Any, name: str) -> None:
        existing = {str(line.id): line for line in (getattr(obj, name) or [])}
        lines = []
        for entry in self.entries:
            line = existing.get(entry.form.row_id.data or "") or self.line_model()
            for sub in entry.form:
                if sub.short_name != "row_id":
                    sub.populate_obj(line, sub.short_name)
            lines.append(line)
        setattr(obj, name, lines)  # lines no longer sent are deleted (delete-orphan)


def _blank_line(form: Any) -> bool:
    for sub in form:
        if sub.short_name == "row_id":
            continue
        if sub.data not in (None, "", False, []):
            return False
    return True
