"""How many rows a list holds: exact up to a limit, PostgreSQL's estimate above it.

An exact COUNT reads every matching row: 100,000 rows of a national list filtered by a code
prefix cost ~170 ms, ten times the rest of the page. Above `ADMIN_LIST_EXACT_COUNT` rows the
list says 「约 10 万条」 (the planner's estimate) with a 「精确计数」 link (`?_count=exact`)
that counts on demand. Whether a list is above the limit is itself counted exactly, the count
bounded (`LIMIT limit + 1`), so a list shown as 「约」 always holds more rows than the limit;
the bounded count and the estimate come from one statement, so every list still costs the one
counting statement it always did. SQLite always counts exactly (no estimate worth the name).

Only the list screens estimate (`estimating()` around the list route); the REST API, exports
and every other count stay exact.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from flask import current_app, request
from sqlalchemy import literal_column

EXACT_ARGUMENT = "_count"  # ?_count=exact: count exactly whatever the size
DEFAULT_LIMIT = 10_000

_limit: ContextVar[int | None] = ContextVar("list_count_limit", default=None)


class Estimated(int):
    """A count the planner estimated (never below the limit it passed); the pager uses it as
    any count, the list shows it as 「约 …条」."""

    estimated = True


def limit() -> int | None:
    """The exact-count limit of this request's list, or None: count exactly."""
    if request.args.get(EXACT_ARGUMENT) == "exact":
        return None
    value = current_app.config.get("ADMIN_LIST_EXACT_COUNT", DEFAULT_LIMIT)
    return None if value is None or value < 0 else int(value)


@contextmanager
def estimating(above: int | None) -> Iterator[None]:
    """Counts made by the list inside are estimated above `above` rows (None: never)."""
    token = _limit.set(above)
    try:
        yield
    finally:
        _limit.reset(token)


def count(query: Any) -> int:
    """The rows of `query` (filtered, not ordered nor paged): exact, or Estimated."""
    above = _limit.get()
    if above is None or query.session.get_bind().dialect.name != "postgresql":
        return int(query.count())
    counted, planned = bounded(query, above + 1)
    if counted <= above:
        return counted
    return Estimated(max(above + 1, planned))


def bounded(query: Any, most: int) -> tuple[int, int]:
    """(rows of `query`, counted up to `most`; the planner's estimate of all its rows), in one
    statement: `EXPLAIN ANALYZE` of `SELECT 1 … LIMIT most` runs the bounded count (its Limit
    node's actual rows) and says what the planner expected below the limit. Selecting a
    constant lets an index-only scan serve it."""
    probe = (query.statement.with_only_columns(literal_column("1"), maintain_column_froms=True)
             .order_by(None).limit(most))
    connection = query.session.connection()
    compiled = probe.compile(dialect=connection.dialect,
                             compile_kwargs={"render_postcompile": True})
    plan = connection.exec_driver_sql(
        "EXPLAIN (ANALYZE, TIMING OFF, SUMMARY OFF, FORMAT JSON) " + str(compiled),
        compiled.params).scalar()
    node = plan[0]["Plan"]
    while node["Node Type"] != "Limit":  # the top node, unless the planner wraps it
        node = node["Plans"][0]
    counted = int(node["Actual Rows"]) * int(node.get("Actual Loops", 1))
    return counted, int(node["Plans"][0]["Plan Rows"])


def settle(count: int, page: int | None, page_size: int, rows: int) -> int:
    """A short page ends the list: an estimate becomes exact there."""
    if isinstance(count, Estimated) and rows < page_size and (rows or not page):
        return (page or 0) * page_size + rows
    return count


def about(count: int, locale: str) -> str:
    """「10 万」, 「1.2 万」, 「3 亿」 in Chinese; 100,000 rounded to two digits otherwise."""
    if locale.startswith("zh"):
        for unit, name in ((100_000_000, "亿"), (10_000, "万")):
            if count >= unit:
                value = round(count / unit, 1 if count < 10 * unit else 0)
                return f"{value:g} {name}"
        return f"{count:,}"
    digits = max(0, len(str(count)) - 2)
    return f"{round(count, -digits):,}"
