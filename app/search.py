"""The search form above every generated list, and what its reference pickers find.

The form is built from the builder's `search_form` (generator/builders/views.py): text is
「包含」 (pinyin initials too), enum, boolean and state fields are a drop-down of their labels,
references a searchable select of the target's rows in the user's range (the entity's
`choices` endpoint, one page at a time), numbers and dates a from–to range. It sends FAB's own
filter arguments (`_flt_<n>_<column>`, app/search_filters.py), so the list's page and sort
links, the export links and a copied address keep them, and the list, the export and the REST
API run the same scoped query.
"""

from __future__ import annotations

from typing import Any

from flask import request, url_for
from sqlalchemy import String, cast, false, or_
from sqlalchemy.sql.elements import ColumnElement

from app import needs_panel
from app.choices import choice_conditions
from app.context import generated
from app.labels import current_locale, render
from app.search_filters import like_escape, text_condition
from app.security.models import Organisation
from generator.builders.views import ViewOptions
from generator.spec import Entity, Field, Spec


def search_options(spec: Spec, entity: Entity, options: ViewOptions) -> dict[str, Any]:
    """FAB's search columns and the form's inputs, as class attributes of the view."""
    return {"search_columns": list(options.search_columns),
            "search_inputs": options.search_form}


def argument(name: str, index: int = 0) -> str:
    """The query argument of the column's filter number `index` (app/search_filters.py)."""
    return f"_flt_{index}_{name}"


def _choices(entity: Entity, name: str) -> list[tuple[str, str]]:
    flow = entity.workflow
    if flow is not None and name == flow.field:
        return [(s.key, s.label.get(current_locale())) for s in flow.states]
    f = entity.field(name)
    if f.kind.person:  # the accounts the person could choose
        from app.people import choices

        return choices(f)
    return list(f.kind.choices(f, render(), every=True))  # rows may hold a disabled value


def _picked(entity: Entity, name: str, value: str) -> str | None:
    """The text of the row a reference filter holds (None when the user cannot see it)."""
    admin = generated()
    model = Organisation if name == "org" else admin.models[str(entity.field(name).to)]
    if not value.isdigit():
        return None
    row = admin.session.execute(admin.related_query(model).where(
        model.id == int(value))).scalar_one_or_none()
    return None if row is None else picker_text(row)


def form_inputs(view: Any) -> dict[str, Any]:
    """What templates/admin/search_form.html draws for the list of `view`."""
    entity: Entity = view.entity
    visible = set(view.search_columns)  # fields hidden from the user are not offered
    args = request.args
    inputs = []
    for name, control in view.search_inputs:
        if name not in visible:
            continue
        item: dict[str, Any] = {"name": name, "control": control,
                                "label": view.label_columns.get(name, name),
                                "arg": argument(name), "value": args.get(argument(name), "")}
        if control == "choice":
            item["choices"] = _choices(entity, name)
        elif control == "reference":
            item["url"] = url_for(".choices", field=name, search=1)
            rule = entity.field(name).depends_on if name != "org" else None
            if rule is not None and rule.field in visible:
                item["depends"] = argument(rule.field)
            item["text"] = _picked(entity, name, item["value"]) if item["value"] else None
        elif control == "range":
            item["type"] = entity.field(name).kind.list_input  # number, date, datetime-local
            item["arg_to"] = argument(name, 1)
            item["value_to"] = args.get(argument(name, 1), "")
        inputs.append(item)
    own = {argument(i["name"], n) for i in inputs for n in (0, 1)}
    kept = [(k, v) for k, values in args.lists() for v in values
            if k not in own and not k.startswith("page_")]
    return {"inputs": inputs, "kept": kept, "action": url_for(".list"),
            "active": any(args.get(a) for a in own)}


# -- reference pickers: what a typed term finds ---------------------------------------------
CHOICES_PAGE = 20


def choices_page(entity: Entity, field: str, args: Any, user: Any) -> dict[str, Any] | None:
    """One page of the rows reference field `field` (or `org`) may point to, for the
    `choices` endpoint (None: no such field). `search=1` (the search form's pickers): the
    target's rows in the user's range matching the `where` of the field's `choices`, not its
    `via` (a binding is searched by a product bound already); else the field's choices."""
    admin = generated()
    if field == "org" and entity.scope is not None:
        model: Any = Organisation
        query = admin.related_query(model)
    else:
        spec_field = next((f for f in entity.fields if f.name == field and f.kind.refers),
                          None)
        if spec_field is None:
            return None
        model = admin.models[spec_field.target]
        if args.get("search"):  # scope and the target's own `where`
            query = admin.related_query(model).where(*choice_conditions(
                admin.spec, admin.models, spec_field, user, via_rule=False))
        else:
            query = admin.choice_query(spec_field)  # scope and the field's choices
            query = needs_panel.narrow(entity, spec_field, query, model, user,
                                       admin.session)  # open batches only
        query = follow_parent(admin, spec_field, query, model, args)
    term = (args.get("q") or "").strip()[:100]
    page = max(1, args.get("page", 1, type=int))
    if term:
        query = query.where(term_condition(model, term))
    query = query.order_by(model.id).offset((page - 1) * CHOICES_PAGE).limit(CHOICES_PAGE + 1)
    rows = admin.session.execute(query).scalars().all()
    return {"results": [{"id": row.id, "text": picker_text(row)} for row in rows[:CHOICES_PAGE]],
            "pagination": {"more": len(rows) > CHOICES_PAGE}}


def follow_parent(admin: Any, spec_field: Field, query: Any, model: Any, args: Any) -> Any:
    """A cascading reference (`depends_on`) asked with `parent=<id>`: only the rows whose
    `match` points at it; `parent=` blank: none (choose the 省 before its 市)."""
    rule = spec_field.depends_on
    if rule is None or "parent" not in args:
        return query
    raw = str(args.get("parent") or "")
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 10:
        return query.where(false())
    match = admin.spec.entity(spec_field.target).field(rule.match)
    return query.where(getattr(model, match.column) == int(raw))


def term_condition(model: Any, term: str) -> ColumnElement[bool]:
    """Rows of `model` whose display text or searched text fields contain `term`, or their
    pinyin initials do (「cq」 finds 重庆市, 「孟鲁司特」 the product 孟鲁司特钠片 by its name,
    not only its 批准文号)."""
    if model is Organisation:
        return text_condition(Organisation, "name", term, True)
    target: Entity = model.__entity__
    parts = []
    for name in _picker_fields(target):
        f = target.field(name)
        if f.kind.search_control == "text":
            parts.append(text_condition(model, name, term, name in target.initials_fields))
        elif f.is_column and not f.kind.refers:
            parts.append(cast(getattr(model, f.column), String).ilike(
                f"%{like_escape(term)}%", escape="\\"))
    if not parts:
        return cast(model.id, String) == term
    return or_(*parts)


def _picker_fields(target: Entity) -> list[str]:
    names = [target.display] + [n for n in target.searched if n != "org"
                                and target.field(n).kind.search_control == "text"]
    return [n for n in dict.fromkeys(names) if target.has_field(n)]


def picker_text(row: Any) -> str:
    """A row as a picker lists it: its display text; when that is an identifier (a 批准文号,
    checked by validators) the first searched name beside it
    (「国药准字HJ20170024（孟鲁司特钠片）」)."""
    text = str(row)
    target: Entity | None = getattr(type(row), "__entity__", None)
    if target is None or target.display in target.initials_fields:
        return text
    for name in _picker_fields(target):
        value = getattr(row, name, None)
        if name in target.initials_fields and value not in (None, "") and str(value) != text:
            return f"{text}（{value}）"
    return text


__all__ = ["argument", "choices_page", "form_inputs", "picker_text", "search_options",
           "term_condition"]
