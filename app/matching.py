"""`matching:` (进销存 关联匹配): every row of one side paired with one row of the other side,
set-based in SQL — a handful of statements over temporary tables, the same on SQLite and
PostgreSQL, never a row at a time in Python.

A side row S and an other-side row P answer each other when S's organisation's code equals
P's counterparty, P's organisation's code equals S's counterparty and the keys (and the
quantity) are equal. Several rows of one group pair up in id order (ROW_NUMBER), one with one.
Rows left over are paired again on the keys alone (`differs`: 数量不符); what is still left is
`missing_other` (a sale with no purchase downstream) or `missing_side` (a purchase with no
sale upstream). Only rows whose outcome moves are written; the outcome is the app's (a kept
field: no door writes it, no history entry, no row version).

It runs from the schedule action `match_records` over every row and, after an import or a
bulk upload of the entity (app/io/importer.py, app/api_bulk.py), over the groups the written
rows belong to: the rows sharing their keys, and those sharing the keys of the rows they were
paired with before (a row whose keys an import changed leaves its old partner's group). Only
those groups can move, since rows pair within their keys; what other doors change one row at
a time (forms, deletions) waits for the schedule."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from generator.spec import Condition, Entity, Spec

TEMP = ("match_rows", "match_ranked", "match_pairs", "match_result", "match_ids", "match_scope")
ID_CHUNK = 5000  # written ids sent per INSERT
ORG_TABLE = "org_organisation"


def match_all(session: Any, spec: Spec, models: dict[str, Any], only: str | None = None
              ) -> dict[str, int]:
    """Match every entity with `matching:` (or the one named `only`); {state: rows written}."""
    written: dict[str, int] = {}
    for entity in spec.entities:
        if entity.matching is None or (only and only not in (entity.qualified, entity.key)):
            continue
        for state, count in match_entity(session, entity, models[entity.qualified]).items():
            written[state] = written.get(state, 0) + count
    return written


def match_entity(session: Any, entity: Entity, model: Any, touched: list[int] | None = None
                 ) -> dict[str, int]:
    """Match the rows of one entity — all of them, or the groups of the `touched` rows (ids
    just written); {outcome or "cleared": rows whose outcome moved}."""
    m = entity.matching
    assert m is not None
    q = session.get_bind().dialect.identifier_preparer.quote
    table = q(model.__table__.name)
    col = {name: q(entity.field(name).column) for name in
           (*m.keys, m.counterparty, *((m.quantity,) if m.quantity else ()), m.state, m.row)}
    keys = [col[k] for k in m.keys] + ([col[m.quantity]] if m.quantity else [])
    params: dict[str, Any] = {}
    side = _where(entity, m.side, "s", params)
    other = _where(entity, m.other, "o", params)
    names = [f"k{i}" for i in range(len(keys))]
    picked = ", ".join(f"t.{c} AS {n}" for c, n in zip(keys, names, strict=True))
    run = _Runner(session, params)
    if session.get_bind().dialect.name == "postgresql":
        # one matching of an entity at a time (an import and the schedule would otherwise
        # update the same rows in different orders); released with the transaction
        session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:lock))"),
                        {"lock": f"matching:{model.__table__.name}"})
    run.drop()
    scoped = cleared_scoped = ""  # every row; or those of the groups written to
    if touched is not None:
        if not touched:
            return {}
        key_columns = [col[k] for k in m.keys]
        _scope(run, session, table, key_columns, col[m.row], touched)
        scoped = " AND " + _in_scope("t", key_columns)
        cleared_scoped = " AND " + _in_scope(table, key_columns)
    run(f"CREATE TEMPORARY TABLE match_rows AS "
        f"SELECT t.id AS id, 1 AS side, o.code AS a, t.{col[m.counterparty]} AS b, {picked} "
        f"FROM {table} t JOIN {ORG_TABLE} o ON o.id = t.org_id WHERE {side}{scoped} "
        f"UNION ALL "
        f"SELECT t.id AS id, 0 AS side, t.{col[m.counterparty]} AS a, o.code AS b, {picked} "
        f"FROM {table} t JOIN {ORG_TABLE} o ON o.id = t.org_id WHERE {other}{scoped}")
    run("ANALYZE match_rows")
    run("CREATE TEMPORARY TABLE match_result (id INTEGER PRIMARY KEY, state VARCHAR(32) "
        "NOT NULL, mid INTEGER)")
    # pairs equal on everything, then (with a quantity) the rest equal on the keys alone
    rounds = [(names, "matched")]
    if m.quantity:
        rounds.append((names[:-1], "differs"))
    for group, outcome in rounds:
        _pair(run, group, outcome)
    run("INSERT INTO match_result (id, state, mid) "
        "SELECT r.id, CASE WHEN r.side = 1 THEN 'missing_other' ELSE 'missing_side' END, "
        "NULL FROM match_rows r "
        "WHERE NOT EXISTS (SELECT 1 FROM match_result x WHERE x.id = r.id)")
    run("ANALYZE match_result")
    state, row = col[m.state], col[m.row]
    moved = (f"x.id = {table}.id AND ({table}.{state} IS NULL OR {table}.{state} <> x.state "
             f"OR COALESCE({table}.{row}, 0) <> COALESCE(x.mid, 0))")
    counts = dict(session.execute(text(
        f"SELECT x.state, COUNT(*) FROM match_result x JOIN {table} ON {moved} "
        "GROUP BY x.state"), params).all())
    run(f"UPDATE {table} SET {state} = x.state, {row} = x.mid FROM match_result x "
        f"WHERE {moved}")
    cleared = run(f"UPDATE {table} SET {state} = NULL, {row} = NULL "
                  f"WHERE {state} IS NOT NULL AND NOT EXISTS "
                  f"(SELECT 1 FROM match_result x WHERE x.id = {table}.id)"
                  + cleared_scoped)
    run.drop()
    session.expire_all()
    out = {str(k): int(v) for k, v in counts.items()}
    if cleared:
        out["cleared"] = cleared
    return out


def _scope(run: _Runner, session: Any, table: str, keys: list[str], row: str,
           touched: list[int]) -> None:
    """The condition on `t` keeping the groups of the touched rows and of their partners
    before (match_scope: the keys of both, distinct)."""
    run("CREATE TEMPORARY TABLE match_ids (id INTEGER PRIMARY KEY)")
    ids = sorted(set(touched))
    for start in range(0, len(ids), ID_CHUNK):
        session.execute(text("INSERT INTO match_ids (id) VALUES (:id)"),
                        [{"id": pk} for pk in ids[start:start + ID_CHUNK]])
    picked = ", ".join(f"t.{c} AS g{i}" for i, c in enumerate(keys))
    run(f"CREATE TEMPORARY TABLE match_scope AS "
        f"SELECT {picked} FROM {table} t JOIN match_ids i ON i.id = t.id "
        f"UNION SELECT {picked} FROM {table} t JOIN {table} w ON w.{row} = t.id "
        f"JOIN match_ids i ON i.id = w.id")
    columns = ", ".join(f"g{i}" for i in range(len(keys)))
    run(f"CREATE INDEX ix_match_scope ON match_scope ({columns})")
    run("ANALYZE match_scope")


def _in_scope(alias: str, keys: list[str]) -> str:
    equal = " AND ".join(f"g.g{i} = {alias}.{c}" for i, c in enumerate(keys))
    return f"EXISTS (SELECT 1 FROM match_scope g WHERE {equal})"


def _pair(run: _Runner, group: list[str], outcome: str) -> None:
    """Pair the rows not paired yet that are equal on `group`, one with one in id order."""
    partition = ", ".join(["side", "a", "b", *group])
    run(f"CREATE TEMPORARY TABLE match_ranked AS SELECT r.id AS id, r.side AS side, r.a AS a, "
        f"r.b AS b, {', '.join(f'r.{n} AS {n}' for n in group)}, "
        f"ROW_NUMBER() OVER (PARTITION BY {partition} ORDER BY r.id) AS rn "
        f"FROM match_rows r WHERE r.a IS NOT NULL AND r.b IS NOT NULL "
        f"AND NOT EXISTS (SELECT 1 FROM match_result x WHERE x.id = r.id)")
    run(f"CREATE INDEX ix_match_ranked ON match_ranked ({partition}, rn)")
    run("ANALYZE match_ranked")
    equal = " AND ".join(f"p.{n} = s.{n}" for n in ["a", "b", *group, "rn"])
    run(f"CREATE TEMPORARY TABLE match_pairs AS SELECT s.id AS sid, p.id AS pid "
        f"FROM match_ranked s JOIN match_ranked p ON p.side = 0 AND {equal} WHERE s.side = 1")
    run(f"INSERT INTO match_result (id, state, mid) SELECT sid, '{outcome}', pid "
        f"FROM match_pairs")
    run(f"INSERT INTO match_result (id, state, mid) SELECT pid, '{outcome}', sid "
        f"FROM match_pairs")
    run("DROP TABLE match_pairs")
    run("DROP TABLE match_ranked")


def _where(entity: Entity, found: tuple[Condition, ...], prefix: str, params: dict[str, Any]
           ) -> str:
    """The SQL of a side's conditions over `t`, values bound."""
    parts = []
    for i, condition in enumerate(found):
        f = entity.field(condition.field)
        names = []
        for j, value in enumerate(condition.values):
            key = f"{prefix}{i}_{j}"
            params[key] = f.kind.parse(f, value) if not isinstance(value, bool) else value
            names.append(f":{key}")
        parts.append(f"t.{f.column} IN ({', '.join(names)})")
    return " AND ".join(parts) or "1 = 1"


class _Runner:
    """Statements of one matching, in the session's transaction."""

    def __init__(self, session: Any, params: dict[str, Any]) -> None:
        self.session, self.params = session, params

    def __call__(self, sql: str) -> int:
        result = self.session.execute(text(sql), self.params)
        return max(int(result.rowcount or 0), 0)

    def drop(self) -> None:
        for name in TEMP:
            self.session.execute(text(f"DROP TABLE IF EXISTS {name}"))
