"""Pinyin initials of rows stored before their column existed: `schema apply` fills them.

New and changed rows get theirs as they are written (generator/models.py); this fills the
columns a schema change has just added, in batches of a few thousand rows.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.engine import Connection

from generator.pinyin import initials, initials_column

BATCH = 2000


def columns(admin: Any) -> list[tuple[Table, str]]:
    """(table, source column) of every initials column: the entities' and 机构名称."""
    from app.security.models import Organisation

    out: list[tuple[Table, str]] = [(Organisation.__table__, "name")]  # type: ignore[list-item]
    for entity in admin.spec.entities:
        table = admin.models[entity.qualified].__table__
        out += [(table, name) for name in entity.initials_fields]
    return out


def backfill(connection: Connection, admin: Any, skip: frozenset[str] = frozenset()) -> int:
    """Set the initials of rows that have a text but no initials; returns how many. Tables in
    `skip` (just created: no rows) are not read."""
    done = 0
    for table, source in columns(admin):
        if table.name in skip:
            continue
        target = table.c[initials_column(source)]
        statement = (update(table).where(table.c.id == bindparam("_id"))
                     .values({target.name: bindparam("_value")}))
        while True:
            rows = connection.execute(
                select(table.c.id, table.c[source]).where(
                    target.is_(None), table.c[source].is_not(None), table.c[source] != "")
                .order_by(table.c.id).limit(BATCH)).all()
            if not rows:
                break
            connection.execute(statement, [{"_id": pk, "_value": initials(text) or ""}
                                           for pk, text in rows])
            done += len(rows)
    return done


__all__ = ["backfill", "columns"]
