"""One counter per kind of runtime data, read once per request (or app context) by every
host: a host reloads its cached copy only when the counter moved, so a change on one host
takes effect on all of them at their next request, without a restart."""

from __future__ import annotations

from typing import Any

from flask import g, has_app_context
from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from app.system.models import Version

_KEY = "_system_versions"
DICTIONARY, SETTINGS, PERMISSIONS = "dictionary", "settings", "permissions"
KINDS = (DICTIONARY, SETTINGS, PERMISSIONS)


def counter(session: Session, name: str) -> int:
    """The counter of `name` as this request first read it (0 before any change)."""
    cached: dict[str, int] | None = g.get(_KEY)
    if cached is None:
        # the session's connection: no autoflush, and the request's own writes are seen
        rows = session.connection().execute(select(Version.name, Version.counter))
        cached = {name: count for name, count in rows}
        setattr(g, _KEY, cached)
    return cached.get(name, 0)


def seed(connection: Connection) -> None:
    """A row per kind (`schema apply`), so that hosts counting their first changes at once
    both update it rather than both inserting it."""
    have = set(connection.execute(select(Version.name)).scalars())
    missing = [{"name": k, "counter": 0} for k in KINDS if k not in have]
    if missing:
        connection.execute(insert(Version), missing)


def bump(session: Session, name: str) -> None:
    """Count a change of `name`, in the caller's transaction (a database from before
    `schema apply` seeded the rows gets its row here)."""
    done: Any = session.execute(update(Version).where(Version.name == name).values(
        counter=Version.counter + 1))
    if not done.rowcount:
        session.add(Version(name=name, counter=1))
        session.flush()
    g.pop(_KEY, None)  # this request reads the new counter


def bump_connection(connection: Connection, name: str) -> None:
    """`bump` on a bare connection (the permission sync writes through one)."""
    done: Any = connection.execute(update(Version.__table__).where(
        Version.__table__.c.name == name).values(counter=Version.__table__.c.counter + 1))
    if not done.rowcount:
        connection.execute(insert(Version.__table__).values(name=name, counter=1))
    if has_app_context():
        g.pop(_KEY, None)
