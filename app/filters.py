"""List filters that the database can serve from an index.

FAB's "starts with" is `ILIKE 'D3%'`, which no b-tree index serves: on a million rows the
national list filtered by a code prefix read the whole table. Ours is `LIKE 'D3%'` with the
user's `%`, `_` and `\\` escaped, an index range on PostgreSQL (C collation or
text_pattern_ops) and on SQLite. It matches case-sensitively on PostgreSQL (codes are stored as
the validators normalise them, upper-case); Chinese text has no case.
"""

from __future__ import annotations

from typing import Any

from flask_appbuilder.models.sqla.filters import (
    FilterStartsWith,
    SQLAFilterConverter,
    get_field_setup_query,
)
from flask_appbuilder.models.sqla.interface import SQLAInterface

from generator.types import Invalid
from generator.types.reference import row_id


def like_prefix(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "%"


class IndexedStartsWith(FilterStartsWith):
    def apply(self, query: Any, value: Any) -> Any:
        query, field = get_field_setup_query(query, self.model, self.column_name)
        pattern = like_prefix(str(value))
        if self.datamodel.session.get_bind().dialect.name == "postgresql":
            # backslash is PostgreSQL's default escape; an explicit ESCAPE clause would turn
            # the pattern into a function call the planner cannot use for an index range
            return query.filter(field.like(pattern))
        return query.filter(field.like(pattern, escape="\\"))


class IndexedFilterConverter(SQLAFilterConverter):
    conversion_table = tuple(
        (kind, [IndexedStartsWith if f is FilterStartsWith else f for f in filters])
        for kind, filters in SQLAFilterConverter.conversion_table)


class Interface(SQLAInterface):
    """FAB's SQLAlchemy interface with the filters above; an id that no row can have (not a
    whole number, or beyond what the id column holds) is a row that does not exist, never a
    database error."""

    filter_converter_class = IndexedFilterConverter

    def get(self, id: Any, filters: Any = None, *args: Any, **kwargs: Any) -> Any:  # noqa: A002
        try:
            pk = row_id(id)
        except Invalid:
            return None
        return None if pk is None else super().get(pk, filters, *args, **kwargs)
