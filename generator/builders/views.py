"""Spec entity -> what its generated screens show: columns of the list, the detail page and
the form, what the search panel offers, the order, labels and titles."""

from __future__ import annotations

from dataclasses import dataclass

from generator.models import file_attr
from generator.spec import Entity, Label

__all__ = ["ORG", "ORG_LABEL", "Title", "ViewOptions", "file_attr", "view_options"]

ORG = "org"  # the organisation a row of an org-scoped entity belongs to
ORG_LABEL = Label("所属机构", "Organisation")


@dataclass(frozen=True)
class Title:
    """A screen title built around the entity's label: zh and en patterns with {}."""

    label: Label
    zh: str
    en: str

    def get(self, locale: str) -> str:
        return (self.en if locale.startswith("en") else self.zh).format(self.label.get(locale))


@dataclass(frozen=True)
class ViewOptions:
    list_columns: tuple[str, ...]  # as the screens read them (files: their FileRef)
    show_columns: tuple[str, ...]
    form_columns: tuple[str, ...]  # add and edit
    search_columns: tuple[str, ...]
    # the inputs of the list's search form: (column, "text" | "choice" | "reference" | "range")
    search_form: tuple[tuple[str, str], ...]
    order_columns: tuple[str, ...]
    base_order: tuple[str, str]  # (column, asc|desc)
    page_size: int
    labels: tuple[tuple[str, Label], ...]
    descriptions: tuple[tuple[str, Label], ...]
    titles: tuple[tuple[str, Title], ...]  # list, show, add, edit
    log_field: str | None  # the review log: written by transitions only


def log_field(entity: Entity) -> str | None:
    return entity.workflow.log_field if entity.workflow is not None else None


def shown(entity: Entity, names: tuple[str, ...]) -> tuple[str, ...]:
    """Column names as the screens read them: files through their FileRef property."""
    return tuple(n if n == ORG else file_attr(n) if entity.field(n).kind.uploads else n
                 for n in names)


def labels(entity: Entity) -> tuple[tuple[str, Label], ...]:
    out: dict[str, Label] = {"id": Label("ID", "ID")}
    for f in entity.fields:
        out[f.name] = f.label
        if f.kind.uploads:
            out[file_attr(f.name)] = f.label
    if entity.workflow is not None:
        out[entity.workflow.field] = entity.workflow.state_field.label
    if entity.org_scoped:
        out[ORG] = ORG_LABEL
    return tuple(out.items())


def search(entity: Entity) -> tuple[tuple[str, str], ...]:
    """The search form: the fields the entity searches (Entity.searched), then the state."""
    inputs = [(n, "reference" if n == ORG else str(entity.field(n).kind.search_control))
              for n in entity.searched]
    if entity.workflow is not None:
        inputs.append((entity.workflow.field, "choice"))
        due = entity.workflow.due_field
        if due is not None and due not in entity.searched:  # 超期: up to yesterday
            inputs.append((due, "range"))
    return tuple(inputs)


def view_options(entity: Entity) -> ViewOptions:
    log = log_field(entity)
    everything = tuple(f.name for f in entity.fields)
    editable = tuple(n for n in entity.form_columns or tuple(
        f.name for f in entity.fields if f.kind.control is not None) if n != log)
    orderable = entity.order_columns or tuple(
        f.name for f in entity.fields if f.is_column and f.kind.orderable)
    order = entity.default_order or ("id", "desc")
    # lines follow their parent; `org_from` rows the referenced row's organisation
    own_org = (ORG,) if entity.scope is not None and entity.org_from is None else ()
    state = (entity.workflow.field,) if entity.workflow is not None else ()
    due = entity.workflow.due_field if entity.workflow is not None else None
    listed = entity.list_columns + ((due,) if due and due not in entity.list_columns else ())
    inputs = search(entity)
    return ViewOptions(
        list_columns=shown(entity, listed) + state,
        show_columns=state + shown(entity, everything) + ((ORG,) if entity.org_scoped
                                                          else ()),
        form_columns=editable + own_org,
        search_columns=tuple(name for name, _control in inputs),
        search_form=inputs,
        order_columns=orderable,
        base_order=(entity.field(order[0]).column if order[0] != "id" else "id", order[1]),
        page_size=entity.page_size,
        labels=labels(entity),
        descriptions=tuple((f.name, f.help) for f in entity.fields if f.help),
        titles=(("list", Title(entity.label, "{}列表", "{} list")),
                ("show", Title(entity.label, "查看{}", "Show {}")),
                ("add", Title(entity.label, "新增{}", "Add {}")),
                ("edit", Title(entity.label, "编辑{}", "Edit {}"))),
        log_field=log,
    )
