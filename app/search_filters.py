"""The filters behind the list's search form, the export and the REST API's `filters`.

Every generated entity's search columns get their filters from the field's type
(`search_control`), first the one the search form uses (so `_flt_0_<name>` is what the form
sends; a range sends `_flt_0_` from and `_flt_1_` to):

| control | filters (REST `opr`)                                  | form sends         |
|---------|-------------------------------------------------------|--------------------|
| text    | has (包含, pinyin initials too), sw, ew, ct, eq, …    | `_flt_0_`: has     |
| choice  | is (one of the values; blank: no filter), eq, neq, in | `_flt_0_`: is      |
| reference | ref (a row id of the target), rel_o_m, nrel_o_m     | `_flt_0_`: ref     |
| range   | ge (from, inclusive), le (to, inclusive), eq, gt, lt… | `_flt_0_`, `_flt_1_` |
| exact   | is (the value as the type reads it: 核对码 in any case), eq, neq, in | `_flt_0_`: is |

Values go through the field type's parser (the same as every other door); a value it
refuses matches no row (never a database error), a blank one is no filter at all. The filters
are added to FAB's own filter set, so the list, its pages and sort links, the export (the same
query) and the REST API apply them together with the scope filter.
"""

from __future__ import annotations

from typing import Any

from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.models.sqla.filters import (
    FilterContains,
    FilterEndsWith,
    FilterEqual,
    FilterGreater,
    FilterIn,
    FilterNotContains,
    FilterNotEndsWith,
    FilterNotEqual,
    FilterNotStartsWith,
    FilterRelationOneToManyEqual,
    FilterRelationOneToManyNotEqual,
    FilterSmaller,
    FilterStartsWith,
    SQLAFilterConverter,
    get_field_setup_query,
)
from flask_babel import lazy_gettext
from sqlalchemy import false, or_

from generator.pinyin import initials_column, initials_term
from generator.spec import Entity, Field
from generator.types import Invalid
from generator.types.reference import row_id


def like_escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def like_prefix(value: str) -> str:
    return like_escape(value) + "%"


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


def entity_of(datamodel: Any) -> Entity | None:
    return getattr(datamodel.obj, "__entity__", None)


def _field(datamodel: Any, name: str) -> Field | None:
    entity = entity_of(datamodel)
    if entity is None or not entity.has_field(name):
        return None
    return entity.field(name)


def _parsed(f: Field | None, value: Any) -> Any:
    """The value as the field's type parses it; Invalid when it cannot be one."""
    if f is None:
        return value
    if isinstance(value, str):
        value = value.strip()
    return f.kind.parse(f, value)


def text_condition(model: Any, name: str, term: str, initials: bool) -> Any:
    """`name` contains `term` (its `%`, `_` and `\\` literally); with `initials`, or its
    pinyin initials do (「tt」 finds 他汀)."""
    column = getattr(model, name)
    condition = column.ilike(f"%{like_escape(term)}%", escape="\\")
    spelled = initials_term(term) if initials else None
    if spelled is not None:
        condition = or_(condition, getattr(model, initials_column(name)).like(
            f"%{like_escape(spelled)}%", escape="\\"))
    return condition


class IndexedStartsWith(FilterStartsWith):
    """`LIKE 'D3%'` with the user's wildcards escaped: an index range on PostgreSQL (C
    collation or text_pattern_ops) and SQLite, unlike FAB's ILIKE."""

    def apply(self, query: Any, value: Any) -> Any:
        query, field = get_field_setup_query(query, self.model, self.column_name)
        pattern = like_prefix(str(value))
        if self.datamodel.session.get_bind().dialect.name == "postgresql":
            # backslash is PostgreSQL's default escape; an explicit ESCAPE clause would turn
            # the pattern into a function call the planner cannot use for an index range
            return query.filter(field.like(pattern))
        return query.filter(field.like(pattern, escape="\\"))


class Contains(BaseFilter):
    name = lazy_gettext("Contains")
    arg_name = "has"

    def apply(self, query: Any, value: Any) -> Any:
        if _blank(value):
            return query
        f = _field(self.datamodel, self.column_name)
        spelled = f is not None and self.column_name in (
            entity_of(self.datamodel).initials_fields)  # type: ignore[union-attr]
        return query.filter(text_condition(self.model, self.column_name, str(value).strip(),
                                           spelled))


class Is(BaseFilter):
    name = lazy_gettext("Equal to")
    arg_name = "is"

    def apply(self, query: Any, value: Any) -> Any:
        if _blank(value):
            return query
        try:
            typed = _parsed(_field(self.datamodel, self.column_name), value)
        except Invalid:
            return query.filter(false())
        return query.filter(getattr(self.model, self.column_name) == typed)


class Refers(BaseFilter):
    """A row of the target by its id, compared on the foreign key itself (an index)."""

    name = lazy_gettext("Relation")
    arg_name = "ref"

    def apply(self, query: Any, value: Any) -> Any:
        if _blank(value):
            return query
        f = _field(self.datamodel, self.column_name)
        column = f.column if f is not None else f"{self.column_name}_id"
        try:
            pk = row_id(str(value).strip())
        except Invalid:
            pk = None
        if pk is None:
            return query.filter(false())
        return query.filter(getattr(self.model, column) == pk)


class _Bound(BaseFilter):
    def compare(self, column: Any, value: Any) -> Any:
        raise NotImplementedError

    def apply(self, query: Any, value: Any) -> Any:
        if _blank(value):
            return query
        try:
            typed = _parsed(_field(self.datamodel, self.column_name), value)
        except Invalid:
            return query.filter(false())
        if typed is None:
            return query
        return query.filter(self.compare(getattr(self.model, self.column_name), typed))


class AtLeast(_Bound):
    name = lazy_gettext("From (inclusive)")
    arg_name = "ge"

    def compare(self, column: Any, value: Any) -> Any:
        return column >= value


class AtMost(_Bound):
    name = lazy_gettext("To (inclusive)")
    arg_name = "le"

    def compare(self, column: Any, value: Any) -> Any:
        return column <= value


# Per search control; the first one(s) are what the search form sends.
FILTERS: dict[str, list[type[BaseFilter]]] = {
    "text": [Contains, IndexedStartsWith, FilterEndsWith, FilterContains, FilterEqual,
             FilterNotStartsWith, FilterNotEndsWith, FilterNotContains, FilterNotEqual,
             FilterIn],
    "choice": [Is, FilterEqual, FilterNotEqual, FilterIn],
    "reference": [Refers, FilterRelationOneToManyEqual, FilterRelationOneToManyNotEqual],
    "exact": [Is, FilterEqual, FilterNotEqual, FilterIn],
    "range": [AtLeast, AtMost, FilterEqual, FilterGreater, FilterSmaller, FilterNotEqual,
              FilterIn],
}


def control_of(entity: Entity, name: str) -> str | None:
    """The search control of one of the entity's columns (the state is a choice, the
    organisation a reference)."""
    if entity.workflow is not None and name == entity.workflow.field:
        return "choice"
    if name == "org" and entity.org_scoped:
        return "reference"
    if entity.has_field(name):
        return entity.field(name).kind.search_control
    return None


class SearchFilterConverter(SQLAFilterConverter):
    """FAB's converter, with the filters above for the columns of generated entities and
    the indexed starts-with for every other string column."""

    conversion_table = tuple(
        (kind, [IndexedStartsWith if f is FilterStartsWith else f for f in filters])
        for kind, filters in SQLAFilterConverter.conversion_table)

    def convert(self, col_name: str) -> Any:
        entity = entity_of(self.datamodel)
        control = control_of(entity, col_name) if entity is not None else None
        if control is None:
            return super().convert(col_name)
        return [item(col_name, self.datamodel) for item in FILTERS[control]]


__all__ = ["FILTERS", "SearchFilterConverter", "control_of", "like_prefix", "text_condition"]
