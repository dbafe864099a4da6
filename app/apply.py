"""`schema apply`: tables first (migrate.py), then the permission matrix (security/sync.py)."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from flask_appbuilder import Model
from sqlalchemy import Table
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from app import rollups
from app.audit.models import AuditEntry
from app.initials import backfill
from app.migrate import (
    Plan,
    apply,
    combined_metadata,
    fingerprint,
    plan,
    state,
    store_fingerprint,
    stored_fingerprint,
)
from app.security.sync import SyncReport, drift, sync
from app.security.sync import plan as permission_plan
from app.system import versions
from app.workflow.changes import UNIQUE_PENDING, duplicate_pending


class ApplyRefused(Exception):
    """The database holds rows the new schema cannot take; nothing was changed."""


@dataclass
class Applied:
    tables: Plan
    permissions: SyncReport | None


def wanted_permissions(app: Any) -> Any:
    admin = app.extensions["admin"]
    return permission_plan(admin.spec, app.appbuilder, app.config["AUTH_ROLE_ADMIN"],
                           app.config["AUTH_ROLE_PUBLIC"])


def apply_schema(app: Any, allow_destructive: bool = False, dry_run: bool = False,
                 compare: bool = False) -> Applied:
    """Bring the database to the schema; call inside the app context.

    The tables are compared with the database only when their fingerprint (the schema's DDL
    and the database's catalogue, app/migrate.py) differs from the one the last complete
    apply stored (or with `compare`, or on a dry run); the rollups and the permission matrix
    are checked every time (rows and grants can be changed by hand)."""
    admin = app.extensions["admin"]
    engine = app.appbuilder.session.get_bind()
    with engine.begin() as connection:
        if dry_run:
            metadata = combined_metadata(Model.metadata, admin.metadata)
            return Applied(plan(connection, metadata), None)
        wanted = fingerprint(connection.dialect, Model.metadata, admin.metadata)
        found = state(wanted, connection)
        if compare or found is None or stored_fingerprint(connection) != found:
            tables = _apply_tables(connection, admin, allow_destructive)
            after = state(wanted, connection)  # the catalogue as this apply left it
            if after is not None and (allow_destructive or not tables.destructive):
                store_fingerprint(connection, after)  # the tables are the schema's
        else:
            tables = Plan()  # an earlier apply brought the tables to exactly these
        # rollups of rows older than their column (or changed by hand): recomputed exactly
        rollups.verify(Session(bind=connection), admin.spec, admin.models, fix=True)
        versions.seed(connection)  # the counters of 数据字典 and 参数设置 exist before a change
    with engine.begin() as connection:
        report = sync(connection, wanted_permissions(app))
        if report.added or report.removed:  # a change of rights is audited like any other
            connection.execute(AuditEntry.__table__.insert().values(
                at=dt.datetime.now(), action="permissions",
                changes=json.dumps({"granted": report.added, "withdrawn": report.removed})))
    return Applied(tables, report)


def _apply_tables(connection: Connection, admin: Any, allow_destructive: bool) -> Plan:
    duplicates = duplicate_pending(connection)
    if duplicates:
        raise ApplyRefused(
            f"index {UNIQUE_PENDING} (one pending change request per record) cannot be "
            f"created: {len(duplicates)} record(s) have several pending requests "
            f"({', '.join(duplicates[:20])}); decide all but one of each on the record's "
            "page, then apply again. Nothing was changed.")
    tables = apply(connection, combined_metadata(Model.metadata, admin.metadata),
                   allow_destructive)
    created = frozenset(c.op.name for c in tables.changes if isinstance(c.op, Table))
    backfill(connection, admin, created)  # pinyin initials of rows older than their column
    return tables


def permission_drift(app: Any) -> list[str]:
    engine = app.appbuilder.session.get_bind()
    with engine.connect() as connection:
        return drift(connection, wanted_permissions(app))
