"""Rows of an import written with PostgreSQL's COPY, in the import's transaction.

A bulk INSERT of 100,000 rows spends its time in the driver binding parameters row by row;
COPY streams them. What an INSERT through SQLAlchemy Core would add is added here: the
columns' Python defaults (row_version, the pinyin initials of searched text: the column
default of generator/models.py `initials_of`), their bind processors, and the new rows' ids,
taken from the table's sequence before the rows are sent so that the audit entries and the
automatic rules can name them. Other databases (SQLite) keep the bulk INSERT.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, text


def sequence(session: Any, table: Table) -> str | None:
    """The sequence giving the table's ids when COPY serves it (PostgreSQL through psycopg),
    else None."""
    dialect = session.connection().dialect
    if dialect.name != "postgresql" or dialect.driver != "psycopg":
        return None
    return session.execute(text("SELECT pg_get_serial_sequence(:t, 'id')"),
                           {"t": table.name}).scalar()


class _Context:
    """What a column default reads of the row being inserted (SQLAlchemy's
    `context.get_current_parameters()`)."""

    def __init__(self, row: dict[str, Any]):
        self.row = row

    def get_current_parameters(self, isolate_multiinsert_groups: bool = True) -> dict[str, Any]:
        return self.row


def _complete(table: Table, rows: list[dict[str, Any]], dialect: Any,
              skip: set[str]) -> list[str]:
    """Fill each row's missing columns with their Python defaults and bind every value as
    an INSERT would; the names of the columns to send (those no row sets and the database
    fills itself are left out)."""
    names: list[str] = []
    for column in table.columns:
        if column.name in skip:
            continue
        default = column.default
        given = any(column.name in row for row in rows)
        if not given and default is None:
            continue  # NULL or the server's default, as an INSERT leaving it out
        names.append(column.name)
        process = column.type._cached_bind_processor(dialect)  # noqa: SLF001 - as Core does
        for row in rows:
            if column.name not in row:
                if default is None:
                    row[column.name] = None
                elif default.is_callable:
                    row[column.name] = default.arg(_Context(row))  # type: ignore[attr-defined]
                elif default.is_scalar:
                    row[column.name] = default.arg  # type: ignore[attr-defined]
                else:
                    raise ValueError(f"{table.name}.{column.name}: default not supported")
            if process is not None:
                row[column.name] = process(row[column.name])
    return names


def _copy(session: Any, table: Table, names: list[str], rows: list[dict[str, Any]]) -> None:
    cursor = session.connection().connection.cursor()
    quoted = ", ".join(f'"{n}"' for n in names)
    with cursor.copy(f'COPY "{table.name}" ({quoted}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row([row[n] for n in names])


def insert(session: Any, table: Table, sequence: str, values: list[dict[str, Any]]
           ) -> list[int]:
    """Insert the rows (column -> value), in order; their new ids (from `sequence`)."""
    if not values:
        return []
    ids = list(session.execute(text(
        "SELECT nextval(CAST(:s AS regclass)) FROM generate_series(1, :n) ORDER BY 1"),
        {"s": sequence, "n": len(values)}).scalars())
    rows = [{**row, "id": pk} for row, pk in zip(values, ids, strict=True)]
    names = ["id", *_complete(table, rows, session.connection().dialect, {"id"})]
    _copy(session, table, names, rows)
    return ids


def append(session: Any, table: Table, values: list[dict[str, Any]]) -> None:
    """Append rows whose ids the database gives (the audit entries)."""
    if not values:
        return
    rows = [dict(row) for row in values]
    names = _complete(table, rows, session.connection().dialect, {"id"})
    _copy(session, table, names, rows)
