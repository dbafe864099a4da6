"""The SQLAlchemy interface of every generated screen and API: the search filters of
app/search_filters.py, and an id that no row can have is a row that does not exist.

FAB's "starts with" is `ILIKE 'D3%'`, which no b-tree index serves: on a million rows the
national list filtered by a code prefix read the whole table. Ours is `LIKE 'D3%'` with the
user's `%`, `_` and `\\` escaped, an index range on PostgreSQL (C collation or
text_pattern_ops) and on SQLite. It matches case-sensitively on PostgreSQL (codes are stored as
the validators normalise them, upper-case); Chinese text has no case.
"""

from __future__ import annotations

from typing import Any

from flask_appbuilder.models.sqla.interface import SQLAInterface

from app import list_count, list_seek
from app.search_filters import IndexedStartsWith, SearchFilterConverter, like_prefix
from generator.types import Invalid
from generator.types.reference import row_id


class Interface(SQLAInterface):
    """FAB's SQLAlchemy interface with the filters above; an id that no row can have (not a
    whole number, or beyond what the id column holds) is a row that does not exist, never a
    database error."""

    filter_converter_class = SearchFilterConverter

    def query_count(self, query: Any, filters: Any = None,
                    select_columns: Any = None) -> int:
        """Exact, or estimated above a limit on the list screens (app/list_count.py)."""
        return list_count.count(self._apply_inner_all(query, filters,
                                                      select_columns=select_columns,
                                                      aliases_mapping={}))

    def query(self, filters: Any = None, order_column: str = "", order_direction: str = "",
              page: int | None = None, page_size: int | None = None, *args: Any,
              **kwargs: Any) -> tuple[int, list[Any]]:
        dialect = self.session.get_bind().dialect.name
        seek = (list_seek.condition(self.obj, page, order_column, order_direction, dialect)
                if page_size and order_column else None)
        if seek is None:
            count, rows = super().query(filters, order_column, order_direction, page,
                                        page_size, *args, **kwargs)
        else:  # 下一页 from the previous page's last row: no OFFSET (app/list_seek.py)
            count = self.query_count(self.session.query(self.obj), filters)
            rows = self.apply_all(self.session.query(self.obj).filter(seek), filters,
                                  order_column, order_direction, None, page_size, *args,
                                  **kwargs).all()
        if page_size:
            count = list_count.settle(count, page, page_size, len(rows))
        return count, rows

    def get(self, id: Any, filters: Any = None, *args: Any, **kwargs: Any) -> Any:  # noqa: A002
        try:
            pk = row_id(id)
        except Invalid:
            return None
        return None if pk is None else super().get(pk, filters, *args, **kwargs)


__all__ = ["IndexedStartsWith", "Interface", "like_prefix"]
