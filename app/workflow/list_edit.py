"""列表填报 (`list_edit`): fields typed straight into the list, saved for the selected rows.

The inputs of every row belong to FAB's hidden action form (HTML `form="action_form"`), so the
list action that saves them receives the checked `rowid`s and the typed values in one post.
Saving is all or nothing: every selected row is checked with the edit form's rules first, and
nothing is written unless all of them pass; the list then comes back with what was typed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask_appbuilder.widgets import ListWidget
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from app.context import generated
from app.hooks import runtime
from app.labels import current_locale, render
from app.row_rules import default_of, hidden, holds
from app.security.fields import field_rights
from app.security.scope import current, scope_condition
from app.validation import Invalid, field_errors, parse, required_if_errors, unique_errors
from app.workflow import engine, fill, rules
from generator.spec import Entity, Field

PREFIX = "edit"
VERSION = "row_version"  # hidden per row: the version the list showed


class ListEditWidget(ListWidget):
    """FAB's list with inputs in the editable cells (admin/list_widget.html)."""

    template = "admin/list_widget.html"


def input_name(pk: Any, name: str) -> str:
    return f"{PREFIX}-{pk}-{name}"


def editable_fields(entity: Entity, list_columns: list[str]) -> list[Field]:
    """The list_edit fields this user may type into: shown in the list, not read-only, not
    hidden (field rights) and never the review log."""
    if entity.list_edit is None:
        return []
    rights = field_rights(entity)
    log = entity.workflow.log_field if entity.workflow is not None else None
    return [entity.field(n) for n in entity.list_edit.fields
            if n in list_columns and n not in rights.readonly | rights.hidden and n != log]


def row_editable(entity: Entity, row: Any) -> bool:
    return row is not None and engine.lock_reason(entity, row, "edit") is None


# -- rendering ------------------------------------------------------------------------------
def cells(entity: Entity, rows: dict[Any, Any], fields: list[Field],
          typed: dict[str, str], wrong: set[str]) -> dict[Any, dict[str, Markup]]:
    """{pk: {field: input}} for the rows the user may edit now; `typed` (input name -> text)
    wins over the stored value, `wrong` marks inputs whose value was refused."""
    out: dict[Any, dict[str, Markup]] = {}
    loaded = [row for row in rows.values() if row is not None]
    others = fill.unfillable(entity, loaded, current(), generated().session)  # 报量方式
    for pk, row in rows.items():
        if not row_editable(entity, row) or pk in others:
            continue
        shut = closed_fields(entity, row)
        inputs = {}
        for f in fields:
            if f.name in shut:
                continue  # shown as stored, as the other columns
            name = input_name(pk, f.name)
            text = typed[name] if name in typed else _as_text(f, getattr(row, f.name))
            inputs[f.name] = _input(f, name, text, name in wrong)
        version = Markup('<input type="hidden" form="action_form" name="{}" value="{}">').format(
            input_name(pk, VERSION), row.row_version)
        first = next(iter(inputs), None)
        if first is not None:
            inputs[first] = version + inputs[first]
        out[pk] = inputs
    return out


def closed_fields(entity: Entity, row: Any) -> set[str]:
    """Fields of the stored row that take no input: hidden by visible_if, or read-only by
    readonly_if (app/row_rules.py; the save checks them again on the row as it will be)."""
    values = {f.name: getattr(row, f.name) for f in entity.column_fields}
    return set(hidden(entity, values)) | {
        f.name for f in entity.fields if f.readonly_if and holds(entity, f.readonly_if, values)}


def _as_text(f: Field, value: Any) -> str:
    return f.kind.text(f, value)


def _input(f: Field, name: str, text: str, wrong: bool) -> Markup:
    attrs = Markup(' form="action_form" name="{}" class="form-control input-sm list-edit"'
                   ' data-list-edit="1" aria-label="{}"{}').format(
        name, f.label.get(current_locale()),
        Markup(' aria-invalid="true" style="border-color: #a94442"') if wrong else "")
    kind = f.kind
    if kind.list_input == "select":
        body = Markup('<option value=""></option>') + Markup("").join(
            Markup('<option value="{}"{}>{}</option>').format(
                value, Markup(" selected") if value == text else "", label)
            for value, label in kind.choices(f, render(), keep=text or None))
        return Markup("<select{}>{}</select>").format(attrs, body)
    extra = Markup("")
    input_type = kind.list_input
    if input_type == "number":
        extra = Markup(' step="1" style="min-width: 6em"')
        for key, bound in (("min", f.min), ("max", f.max)):
            if bound is not None:
                extra += Markup(' {}="{}"').format(key, bound)
    elif input_type == "number-text":  # type=number would round and localise the value
        input_type, extra = "text", Markup(' inputmode="decimal" style="min-width: 6em"')
    elif kind.max_length(f) is not None:
        extra = Markup(' maxlength="{}"').format(kind.max_length(f))
    return Markup('<input type="{}" value="{}"{}{}>').format(input_type, text, attrs, extra)


# -- saving ---------------------------------------------------------------------------------
@dataclass
class Outcome:
    saved: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # nothing was written when not empty
    skipped: list[str] = field(default_factory=list)  # rows left alone (locked, missing)
    wrong: set[str] = field(default_factory=set)  # input names whose value was refused


def typed_values(form: Any) -> dict[str, str]:
    """Everything typed into the list (input name -> text), to show it again."""
    return {k: v for k, v in form.items() if k.startswith(f"{PREFIX}-")}


def save(entity: Entity, model: Any, session: Any, user: Any, form: Any,
         fields: list[Field]) -> Outcome:
    """Check and write the typed values of the selected rows (`rowid`); all or nothing."""
    outcome = Outcome()
    ids = sorted({int(v) for v in form.getlist("rowid") if v.isdigit()})
    query = select(model).where(model.id.in_(ids))
    condition = scope_condition(entity, model, user)
    if condition is not None:
        query = query.where(condition)
    rows = {row.id: row for row in session.execute(query).scalars()}
    locale = current_locale()
    planned: list[tuple[Any, dict[str, Any]]] = []
    for pk in ids:
        row = rows.get(pk)
        if row is None:  # outside the user's range looks like missing
            outcome.skipped.append(_("%(name)s: %(message)s", name=_("record %(pk)s", pk=pk),
                                     message=_("The record does not exist.")))
            continue
        shown = rules.row_name(entity, row)
        locked = engine.lock_reason(entity, row, "edit")
        if locked:
            outcome.skipped.append(_("%(name)s: %(message)s", name=shown, message=locked))
            continue
        version = form.get(input_name(pk, VERSION), "")
        if version.isdigit() and int(version) != row.row_version:
            outcome.errors.append(_("%(name)s: %(message)s", name=shown, message=_(
                "Someone else changed this record after you opened it; nothing was saved. "
                "Reload it to see their changes.")))
            continue
        values = {f.name: getattr(row, f.name) for f in entity.column_fields}
        before = dict(values)
        changes: dict[str, Any] = {}
        problems: dict[str, list[str]] = {}
        for f in fields:
            name = input_name(pk, f.name)
            if name not in form:
                continue  # not sent: the stored value stays
            try:
                value = parse(f, form[name])  # the field type's parser, as at every door
            except Invalid as exc:
                problems[f.name] = [str(exc)]
                continue
            messages = field_errors(f, value, stored=getattr(row, f.name))
            if messages:
                problems[f.name] = messages
            values[f.name] = changes[f.name] = value
        for name in hidden(entity, values):  # saved as its default, whatever was sent
            problems.pop(name, None)
            values[name] = changes[name] = default_of(entity.field(name))
        for name, messages in required_if_errors(entity, values, before).items():
            problems.setdefault(name, []).extend(messages)
        if not problems:
            problems = unique_errors(entity, model, session, values, row.id,
                                     org=getattr(row, "org_id", None), row=row)
        for name, messages in problems.items():
            outcome.wrong.add(input_name(pk, name))
            label = (entity.field(name).label.get(locale) if entity.has_field(name)
                     else _("Organisation"))  # a unique index may include the organisation
            outcome.errors.extend(_("%(row)s, %(field)s: %(message)s", row=str(row) or shown,
                                    field=label,
                                    message=message) for message in messages)
        planned.append((row, changes))
    if outcome.errors:
        return outcome
    try:
        with runtime.rows():  # the reporting window is looked up once for all rows
            for row, changes in planned:
                for name, value in changes.items():
                    if getattr(row, name) != value:
                        setattr(row, name, value)
                try:
                    runtime.before_save(entity, row, user, session)
                except runtime.Denied as exc:
                    outcome.errors.append(_("%(name)s: %(message)s",
                                            name=rules.row_name(entity, row),
                                            message=_("Not saved: %(reason)s",
                                                      reason=_(exc.reason, **exc.params))))
        if not outcome.errors:
            session.commit()
    except StaleDataError:
        outcome.errors.append(_("Someone else changed this record after you opened it; nothing "
                                "was saved. Reload it to see their changes."))
    except IntegrityError:
        outcome.errors.append(_("Not saved: the record conflicts with existing data (a "
                                "duplicate value or a record still in use)."))
    if outcome.errors:
        session.rollback()
        return outcome
    outcome.saved = [row.id for row, _changes in planned]
    return outcome


def then_fire(entity: Entity, model: Any, session: Any, user: Any,
              saved: list[int]) -> engine.Fired | None:
    """Move the saved rows that are in a source state of the list's transition (未填报 ->
    已保存); rows in other editable states (退回补正) keep theirs."""
    flow = entity.workflow
    key = entity.list_edit.transition if entity.list_edit is not None else None
    transition = flow.transition(key) if flow is not None and key else None
    if transition is None or not saved or not engine.may_fire(transition, user):
        return None
    state = getattr(model, flow.field)  # type: ignore[union-attr]
    ids = list(session.execute(select(model.id).where(
        model.id.in_(saved), state.in_(transition.sources))).scalars())
    if not ids:
        return None
    return engine.fire(entity, model, session, user, transition.key, ids)
