"""下一页 by seeking, not by counting rows off: a deep page costs what the first one does.

`OFFSET 80000` reads and drops 80,000 rows before the page's 20. The list's 下一页 link
carries where the page ends instead, `_after_<View>=<page>~<column>~<dir>~<value>~<id>` (the
last row's sort value and id), and the next page is `WHERE (column, id) after (value, id)
ORDER BY column, id LIMIT 20`: an index range from the last row on. The link holds only for
the page it names, under the same sort: any other page number, sort or a hand-made value is
an ordinary page by OFFSET (never an error, never other rows than that page would show).
The sort column must be one of the row's own columns (a sort through a reference uses OFFSET).

NULLs sort last ascending on PostgreSQL and first on SQLite (and the reverse descending): a
seek from a value keeps the NULL rows that follow it. A last row whose value is NULL gives no
seek: the next page counts off by OFFSET.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from flask import request
from sqlalchemy import and_, or_
from sqlalchemy.orm.attributes import InstrumentedAttribute

from generator.types import Invalid

PREFIX = "_after_"
SEP = "~"


@dataclass(frozen=True)
class Seek:
    page: int  # the page (0-based, as FAB counts) that starts after the row
    column: str
    direction: str  # asc | desc
    value: str
    pk: int


_seek: ContextVar[Seek | None] = ContextVar("list_seek", default=None)


def argument(view_name: str) -> str:
    return PREFIX + view_name


def parse(text: str | None) -> Seek | None:
    parts = (text or "").split(SEP)
    if len(parts) != 5 or parts[2] not in ("asc", "desc"):
        return None
    page, column, direction, value, pk = parts
    if not (page.isascii() and page.isdigit() and pk.isascii() and pk.isdigit()):
        return None
    return Seek(int(page), column, direction, value, int(pk))


def link_value(page: int, column: str, direction: str, row: Any) -> str | None:
    """The `_after_` value of the page after `page` ending with `row`; None: no seek."""
    value = getattr(row, column, None) if column else None
    if value is None or not isinstance(getattr(type(row), column, None),
                                       InstrumentedAttribute):
        return None
    text = value.isoformat() if hasattr(value, "isoformat") else str(value)
    if SEP in text:
        return None
    return SEP.join([str(page + 1), column, direction, text, str(row.id)])


@contextmanager
def seeking(view_name: str) -> Iterator[None]:
    """The list inside reads the request's `_after_<View>` (app/filters.py asks `current`)."""
    token = _seek.set(parse(request.args.get(argument(view_name))))
    try:
        yield
    finally:
        _seek.reset(token)


def condition(model: Any, page: int | None, column: str, direction: str,
              dialect: str) -> Any:
    """The rows after the seek's row in the list's order, or None: count off by OFFSET."""
    seek = _seek.get()
    if (seek is None or not page or seek.page != page or seek.column != column
            or seek.direction != direction):
        return None
    attr = getattr(model, column, None)
    if not isinstance(attr, InstrumentedAttribute) or not hasattr(attr, "type"):
        return None
    value = _typed(model, column, seek.value)
    if value is None:
        return None
    pk = model.id
    if direction == "desc":
        after = and_(attr <= value, or_(attr < value, pk < seek.pk))
        nulls_follow = dialect == "sqlite"
    else:
        after = and_(attr >= value, or_(attr > value, pk > seek.pk))
        nulls_follow = dialect != "sqlite"
    if column == "id":
        after = pk < seek.pk if direction == "desc" else pk > seek.pk
    return or_(after, attr.is_(None)) if nulls_follow and column != "id" else after


def _typed(model: Any, column: str, text: str) -> Any:
    """The value as the column's field type parses it (None: not one)."""
    if column == "id":
        return int(text) if text.isascii() and text.isdigit() else None
    entity = getattr(model, "__entity__", None)
    field = next((f for f in entity.fields if f.is_column and f.column == column), None) \
        if entity is not None else None
    if field is None or field.kind.refers:
        return None
    try:
        return field.kind.parse(field, text)
    except Invalid:
        return None
