"""`schema apply`: bring the database to the Spec with Alembic, never losing rows silently.

Alembic compares the database with the generated tables (plus FAB's own); the resulting
operations are sorted into safe ones (create table, add column, create index, widen a text
column) and destructive ones (drop, narrow, change type). Destructive ones run only when asked.

Comparing hundreds of tables with the database is most of an unchanged restart, so `schema
apply` stores a fingerprint of what it brought the tables to: the DDL the schema's tables
compile to (`fingerprint`) with the database's own catalogue of them (`catalogue`: columns,
types, defaults, indexes, constraints, read in one statement). While both are unchanged there
is nothing to compare; a changed YAML changes the first, a table changed by hand the second.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from functools import cache
from importlib.metadata import version
from typing import TYPE_CHECKING, Any

from sqlalchemy import MetaData, String, delete, insert, inspect, select, text
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.schema import CreateIndex, CreateTable

from app.system.models import SchemaFingerprint

if TYPE_CHECKING:  # Alembic loads when tables are compared, which an unchanged restart skips
    from alembic.operations import ops as alembic_ops

# Bump when what `fingerprint` covers changes, so every database gets compared once again.
FINGERPRINT_FORMAT = "1"
_FINGERPRINT_NAME = "tables"


@dataclass
class Change:
    op: Any
    text: str
    destructive: bool


@dataclass
class Plan:
    changes: list[Change] = field(default_factory=list)

    @property
    def safe(self) -> list[Change]:
        return [c for c in self.changes if not c.destructive]

    @property
    def destructive(self) -> list[Change]:
        return [c for c in self.changes if c.destructive]


def _flatten(ops: list[Any]) -> list[Any]:
    from alembic.operations import ops as alembic_ops

    out = []
    for op in ops:
        if isinstance(op, alembic_ops.ModifyTableOps):
            out.extend(_flatten(op.ops))
        else:
            out.append(op)
    return out


def _describe(op: Any) -> Change:
    from alembic.operations import ops as alembic_ops

    if isinstance(op, alembic_ops.CreateTableOp):
        return Change(op, f"create table {op.table_name}", False)
    if isinstance(op, alembic_ops.AddColumnOp):
        return Change(op, f"add column {op.table_name}.{op.column.name}", False)
    if isinstance(op, alembic_ops.CreateIndexOp):
        return Change(op, f"create index {op.index_name} on {op.table_name}", False)
    if isinstance(op, alembic_ops.CreateForeignKeyOp):
        return Change(op, f"create foreign key {op.constraint_name} on {op.source_table}", False)
    if isinstance(op, alembic_ops.DropTableOp):
        return Change(op, f"drop table {op.table_name} (its rows are lost)", True)
    if isinstance(op, alembic_ops.DropColumnOp):
        return Change(op, f"drop column {op.table_name}.{op.column_name} (its values are lost)",
                      True)
    if isinstance(op, alembic_ops.DropIndexOp):
        return Change(op, f"drop index {op.index_name}", True)
    if isinstance(op, alembic_ops.DropConstraintOp):
        return Change(op, f"drop constraint {op.constraint_name} on {op.table_name}", True)
    if isinstance(op, alembic_ops.AlterColumnOp):
        return _describe_alter(op)
    return Change(op, f"{type(op).__name__} (not classified; treated as destructive)", True)


def _describe_alter(op: alembic_ops.AlterColumnOp) -> Change:
    where = f"{op.table_name}.{op.column_name}"
    new, old = op.modify_type, op.existing_type
    if new is not None:
        if isinstance(new, String) and isinstance(old, String):
            old_len, new_len = old.length, new.length
            widening = new_len is None or (old_len is not None and new_len >= old_len)
            verb = "widen" if widening else "narrow"
            return Change(op, f"{verb} column {where} from {old_len} to {new_len} characters",
                          not widening)
        return Change(op, f"change type of column {where} from {old} to {new}", True)
    if op.modify_nullable is False:
        return Change(op, f"make column {where} NOT NULL", True)
    if op.modify_nullable is True:
        return Change(op, f"allow empty values in column {where}", False)
    return Change(op, f"alter column {where}", True)


@cache
def _order() -> dict[type, int]:
    """Creations first (tables before what refers to them), then drops from the leaves in."""
    from alembic.operations import ops as alembic_ops

    return {
        alembic_ops.CreateTableOp: 0,
        alembic_ops.AddColumnOp: 1,
        alembic_ops.AlterColumnOp: 2,
        alembic_ops.CreateIndexOp: 3,
        alembic_ops.CreateForeignKeyOp: 4,
        alembic_ops.DropConstraintOp: 6,
        alembic_ops.DropIndexOp: 7,
        alembic_ops.DropColumnOp: 8,
        alembic_ops.DropTableOp: 9,
    }


def plan(connection: Connection, metadata: MetaData, skip: frozenset[str] = frozenset()
         ) -> Plan:
    """What Alembic finds to change; tables named in `skip` are left out."""
    from alembic.autogenerate import produce_migrations
    from alembic.migration import MigrationContext

    opts: dict[str, Any] = {"compare_type": True, "target_metadata": metadata}
    if skip:
        opts["include_object"] = (
            lambda _obj, name, kind, _reflected, _other: not (kind == "table" and name in skip))
    context = MigrationContext.configure(connection, opts=opts)
    script = produce_migrations(context, metadata)
    ops = script.upgrade_ops.ops if script.upgrade_ops is not None else []
    return Plan([_describe(op) for op in _flatten(ops)])


def apply(connection: Connection, metadata: MetaData, allow_destructive: bool) -> Plan:
    """Run the safe changes, and the destructive ones only when allowed; return the plan.

    Tables the database does not have at all are created in one `create_all` (the same DDL
    Alembic would send, without comparing or copying them first: most of a first apply);
    Alembic compares the others."""
    from alembic.migration import MigrationContext
    from alembic.operations import Operations
    from alembic.operations import ops as alembic_ops

    existing = set(inspect(connection).get_table_names())
    new = [t for t in metadata.sorted_tables if t.name not in existing]
    result = plan(connection, metadata, frozenset(t.name for t in new))
    metadata.create_all(connection, tables=new, checkfirst=False)
    context = MigrationContext.configure(connection)
    operations = Operations(context)
    sqlite = connection.dialect.name == "sqlite"
    for change in sorted(result.changes, key=lambda c: _order().get(type(c.op), 5)):
        if change.destructive and not allow_destructive:
            continue
        op = change.op
        if sqlite and isinstance(op, (alembic_ops.CreateForeignKeyOp,
                                      alembic_ops.DropConstraintOp,
                                      alembic_ops.DropColumnOp,
                                      alembic_ops.AlterColumnOp)):
            # SQLite cannot alter constraints or columns in place: rebuild the table.
            with operations.batch_alter_table(op.table_name if hasattr(op, "table_name")
                                              else op.source_table) as batch:
                batch.invoke(op)
            continue
        operations.invoke(op)
    return Plan(_created(new) + result.changes)


def _created(tables: list[Any]) -> list[Change]:
    """The changes of the tables made by create_all, as Alembic's plan would list them."""
    out = []
    for table in tables:
        out.append(Change(table, f"create table {table.name}", False))
        out += [Change(index, f"create index {index.name} on {table.name}", False)
                for index in sorted(table.indexes, key=lambda i: str(i.name))]
    return out


def combined_metadata(*sources: MetaData) -> MetaData:
    """One MetaData holding the tables of several (our entities and FAB's security tables)."""
    target = MetaData()
    for source in sources:
        for table in source.tables.values():
            table.to_metadata(target)
    return target


def fingerprint(dialect: Dialect, *sources: MetaData) -> str:
    """sha256 of the DDL of every table and index of `sources` on `dialect` (columns, types,
    defaults, keys, constraints), and of the versions that decide how tables are compared."""
    digest = hashlib.sha256(f"{FINGERPRINT_FORMAT} sqlalchemy {version('sqlalchemy')} "
                            f"alembic {version('alembic')}".encode())
    tables = {name: table for source in sources for name, table in source.tables.items()}
    for name in sorted(tables):
        table = tables[name]
        digest.update(str(CreateTable(table).compile(dialect=dialect)).encode())
        for index in sorted(table.indexes, key=lambda i: str(i.name)):
            digest.update(str(CreateIndex(index).compile(dialect=dialect)).encode())
    return digest.hexdigest()


_CATALOGUE = {
    "sqlite": "SELECT type, name, tbl_name, sql FROM sqlite_master "
              "WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name",
    "postgresql": """
        SELECT 'column', c.relname, a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
               || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END || ' '
               || coalesce(pg_get_expr(d.adbin, d.adrelid), '')
        FROM pg_attribute a
        JOIN pg_class c ON c.oid = a.attrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        WHERE n.nspname = current_schema() AND c.relkind = 'r' AND a.attnum > 0
              AND NOT a.attisdropped
        UNION ALL
        SELECT 'index', tablename, indexdef FROM pg_indexes
        WHERE schemaname = current_schema()
        UNION ALL
        SELECT 'constraint', c.relname, k.conname || ' ' || pg_get_constraintdef(k.oid)
        FROM pg_constraint k
        JOIN pg_class c ON c.oid = k.conrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = current_schema()
        ORDER BY 1, 2, 3""",
}


def catalogue(connection: Connection) -> str | None:
    """sha256 of what the database itself says its tables are (one statement); None on a
    database whose catalogue is not read here (then every apply compares)."""
    query = _CATALOGUE.get(connection.dialect.name)
    if query is None:
        return None
    rows = connection.execute(text(query)).all()
    return hashlib.sha256(repr([tuple(r) for r in rows]).encode()).hexdigest()


def state(tables: str, connection: Connection) -> str | None:
    """The fingerprint of the schema's tables in this database: both must be unchanged."""
    found = catalogue(connection)
    return None if found is None else hashlib.sha256(f"{tables} {found}".encode()).hexdigest()


def stored_fingerprint(connection: Connection) -> str | None:
    """The fingerprint the last complete `apply` left; None on a database without one."""
    if not inspect(connection).has_table(SchemaFingerprint.__tablename__):
        return None
    return connection.execute(select(SchemaFingerprint.digest).where(
        SchemaFingerprint.name == _FINGERPRINT_NAME)).scalar()


def store_fingerprint(connection: Connection, digest: str) -> None:
    table = SchemaFingerprint.__table__
    connection.execute(delete(table).where(table.c.name == _FINGERPRINT_NAME))
    connection.execute(insert(table).values(name=_FINGERPRINT_NAME, digest=digest,
                                            applied_at=dt.datetime.now()))
