"""Spec -> SQLAlchemy declarative classes (tables, foreign keys, relationships, indexes).

The declarative base is passed in, so the app can hand over Flask-AppBuilder's `Model`
while this module stays free of Flask.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, NamedTuple

from sqlalchemy import (
    Column,
    ColumnDefault,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    and_,
    event,
)
from sqlalchemy.orm import relationship

from generator.checks.entities import ORG, index_name
from generator.expr import compile_expr
from generator.pinyin import initials, initials_column
from generator.spec import FILED_AT, Entity, Field, Spec, Workflow
from generator.working_days import due_date

# Organisation paths compare byte by byte everywhere (PostgreSQL's default collations ignore
# '/', which would break the index range used for "within my jurisdiction").
PathString = String(255).with_variant(String(255, collation="C"), "postgresql")


def class_name(entity: Entity) -> str:
    """Python class name, unique across modules."""
    return "".join(part.capitalize() for part in entity.module.split("_")) + entity.key


def _columns(spec: Spec, field: Field, user_model: type | None = None
             ) -> list[tuple[str, Column]]:
    """The column(s) one field stores, as (attribute name, Column): the type's to say; a
    `user` field's refers to the account model when there is one."""
    target = spec.entity(field.to).table if field.to else None
    columns = field.kind.columns(field, target)
    if field.kind.person and user_model is not None:
        table = user_model.__table__  # type: ignore[attr-defined]
        fk = ForeignKey(table.c.id, ondelete="SET NULL",
                        name=f"fk_{field.name}_{table.name}"[:63])
        columns = [(name, Column(Integer, fk, nullable=True)) for name, _column in columns]
    return columns


class FileRef(NamedTuple):
    """What a file field shows: the storage key and the name the user uploaded it under."""

    pk: int
    key: str
    name: str
    size: int | None


def _file_property(name: str) -> property:
    def getter(obj: Any) -> FileRef | None:
        key = getattr(obj, name)
        if not key:
            return None
        original = getattr(obj, f"{name}_name") or key
        return FileRef(obj.id, key, original, getattr(obj, f"{name}_size"))

    return property(getter)


def file_attr(name: str) -> str:
    """Attribute of the FileRef property of file field `name`."""
    return f"{name}_file"


def _computed_property(field: Field, readable: list[str]) -> property:
    expression = compile_expr(field.expr or "", readable)

    def getter(obj: Any) -> Any:
        return expression.evaluate({name: getattr(obj, name) for name in expression.names})

    getter.__name__ = field.name
    getter.__doc__ = field.label.zh
    return property(getter)


def _org_columns(entity: Entity, org_model: type) -> dict[str, Any]:
    """Rows of org-scoped entities belong to an organisation; org_path copies its path so
    that scope is an index range on the row's own table."""
    return {
        "org_id": Column(Integer, ForeignKey(org_model.__table__.c.id,  # type: ignore[attr-defined]
                                             ondelete="RESTRICT",
                                             name=f"fk_{entity.table}_org"[:63]),
                         nullable=True),
        "org_path": Column(PathString, nullable=True),
        "org": relationship(org_model, foreign_keys=f"{class_name(entity)}.org_id",
                            lazy="joined"),
    }


def build_models(spec: Spec, base: type, org_model: type | None = None,
                 user_model: type | None = None) -> dict[str, type]:
    """Return {qualified entity name: mapped class} for every entity of the Spec.

    `org_model` is the organisation class rows of org-scoped entities refer to, `user_model`
    the account class `user` fields refer to."""
    classes: dict[str, type] = {}
    for entity in spec.entities:
        attrs: dict[str, Any] = {
            "__tablename__": entity.table,
            "__entity__": entity,
            "id": Column(Integer, primary_key=True, autoincrement=True),
            # Optimistic locking: an edit based on an older version is refused, not merged.
            "row_version": Column(Integer, nullable=False, default=1, server_default="1"),
        }
        if entity.workflow is not None:
            flow = entity.workflow
            attrs[flow.field] = Column(String(32), nullable=False, default=flow.initial,
                                       server_default=flow.initial)
            if entity.completeness is not None:  # 填报进度: was it filed on time
                attrs[FILED_AT] = Column(DateTime, nullable=True)
        readable = [f.name for f in entity.fields if f.is_column and f.kind.in_expressions]
        for field in entity.fields:
            for name, column in _columns(spec, field, user_model):
                attrs[name] = column
            if field.name in entity.initials_fields:
                attrs[initials_column(field.name)] = initials_of(field.name,
                                                                 field.kind.max_length(field))
            kind = field.kind
            if kind.refers:
                target = spec.entity(field.to)  # type: ignore[arg-type]
                back = _child_field_for(spec, entity, field)
                # a row of the same entity (区划.上级): many-to-one, not the rows below it
                attrs[field.name] = relationship(
                    class_name(target),
                    foreign_keys=f"{class_name(entity)}.{field.column}",
                    back_populates=back,
                    lazy="joined" if back is None else "select",
                    remote_side=f"{class_name(entity)}.id" if target is entity else None,
                )
            elif kind.lines:
                line = spec.entity(field.entity)  # type: ignore[arg-type]
                ref = next(f for f in line.fields if f.to == entity.qualified)
                attrs[field.name] = relationship(
                    class_name(line),
                    foreign_keys=f"{class_name(line)}.{ref.column}",
                    back_populates=ref.name,
                    cascade="all, delete-orphan",
                    order_by=f"{class_name(line)}.id",
                )
            elif kind.uploads:
                attrs[file_attr(field.name)] = _file_property(field.name)
            elif field.expr is not None:
                attrs[field.name] = _computed_property(field, readable)
        if entity.workflow is not None and entity.workflow.due_field in attrs:
            attrs[entity.workflow.due_field].default = ColumnDefault(
                _first_due(entity.workflow))
        indexes = [_index(ix, entity, attrs) for ix in entity.indexes]
        order = entity.default_order
        if order is not None and order[0] != "id":  # the list's first order: (column, id)
            ordered = entity.field(order[0]).column
            if (ordered, "id") not in {tuple(ix.fields) for ix in entity.indexes}:
                indexes.append(Index(index_name(entity.table, [ordered, "id"], False),
                                     ordered, "id"))
        if entity.org_scoped:
            if org_model is None:
                raise ValueError(f"{entity.qualified} is org-scoped: pass org_model")
            attrs.update(_org_columns(entity, org_model))
            indexes += [Index(f"ix_{entity.table}_org_path"[:63], "org_path"),
                        Index(f"ix_{entity.table}_org_id"[:63], "org_id"),
                        *_scope_indexes(entity, attrs)]
        if entity.workflow is not None:
            indexes.append(Index(f"ix_{entity.table}_{entity.workflow.field}"[:63],
                                 entity.workflow.field))
        attrs["__table_args__"] = tuple(indexes)
        attrs["__mapper_args__"] = {"version_id_col": attrs["row_version"]}
        display = entity.display

        def __str__(self: Any, _display: str = display) -> str:  # noqa: N807
            value = getattr(self, _display, None)
            return "" if value is None else str(value)

        attrs["__str__"] = __str__
        attrs["__repr__"] = __str__
        cls = type(class_name(entity), (base,), attrs)
        for name in entity.initials_fields:
            keep_initials(cls, name)
        classes[entity.qualified] = cls
    return classes


def _first_due(flow: Workflow) -> Any:
    """A new row's due date: the limit of the initial state counted from today."""
    limit = next((s.time_limit for s in flow.states if s.key == flow.initial), None)

    def due() -> Any:
        return None if limit is None else due_date(dt.date.today(), limit.days, limit.calendar)

    return due


def due_on_entering(flow: Workflow, state: str, today: dt.date | None = None) -> Any:
    """The due date of a row entering `state` today (None: the state has no limit)."""
    limit = next((s.time_limit for s in flow.states if s.key == state), None)
    if limit is None:
        return None
    return due_date(today or dt.date.today(), limit.days, limit.calendar)


def initials_of(source: str, length: int | None) -> Column:
    """The column keeping the pinyin initials of `source`: filled by every INSERT that does
    not set it (bulk imports too) and, through `keep_initials`, whenever the ORM sets the
    source; bulk UPDATEs set it themselves (app/io/importer.py)."""

    def default(context: Any) -> str | None:
        return initials(context.get_current_parameters().get(source))

    return Column(String(length or 255), nullable=True, default=default)


def keep_initials(cls: type, source: str) -> None:
    """Setting `source` on a row (forms, REST, list editing, change requests) sets its
    initials too."""
    target = initials_column(source)

    def on_set(row: Any, value: Any, _old: Any, _initiator: Any) -> None:
        setattr(row, target, initials(value))

    event.listen(getattr(cls, source), "set", on_set)


def _scope_indexes(entity: Entity, attrs: dict[str, Any]) -> list[Index]:
    """(org_path, column) for the declared `filters` and the first `search` field (the
    record's key, searched by prefix): a jurisdiction's list filtered by one is counted from
    the index alone (an index-only scan of the jurisdiction's range), never by reading each
    of its rows. Unbounded text is left out (a b-tree entry holds ~2,700 bytes), and so is a
    combination the YAML declares itself."""
    have = {tuple(ix.fields) for ix in entity.indexes}
    searched = [n for n in entity.search_columns if n != ORG][:1]
    out = []
    for name in dict.fromkeys(searched + [n for n in entity.filter_columns if n != ORG]):
        column = entity.field(name).column
        attr = attrs.get(column)
        if not isinstance(attr, Column) or (isinstance(attr.type, String)
                                            and attr.type.length is None):
            continue
        if ("org_path", column) not in have:
            out.append(Index(index_name(entity.table, ["org_path", column], False),
                             "org_path", column))
    return out


def _index(ix: Any, entity: Entity, attrs: dict[str, Any]) -> Index:
    """An index; a partial one (`where`) holds only for the rows matching its conditions."""
    if not ix.where:
        return Index(ix.name, *ix.fields, unique=ix.unique)
    parts = []
    for condition in ix.where:
        column = attrs[condition.field]  # the state, an enum or a boolean: stored by name
        parts.append(column.in_([v for v in condition.values if v is not None]))
    where = and_(*parts)
    return Index(ix.name, *ix.fields, unique=ix.unique, sqlite_where=where,
                 postgresql_where=where)


def _child_field_for(spec: Spec, line: Entity, ref: Field) -> str | None:
    """Name of the parent's child field that this reference backs, if any."""
    parent = spec.entity(ref.to)  # type: ignore[arg-type]
    for field in parent.fields:
        if field.kind.lines and field.entity == line.qualified:
            first = next((f for f in line.fields if f.to == parent.qualified), None)
            if first is ref:
                return field.name
    return None
