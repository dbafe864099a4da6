"""Rollups kept exact: every write that moves a row of an aggregated entity recomputes the
rollup fields of the parents it touches, in the same transaction, with one set-based
statement per rollup (`UPDATE parent SET total = (SELECT sum(...) FROM rows WHERE ...)`).

ORM writes (forms, REST, list editing, change requests, deletes) reach it through the
session's flush; the bulk statements (transitions in app/workflow/engine.py, imports in
app/io/importer.py) call `rows_written` themselves.

A rollup with `match` counts the rows whose reference equals the parent's `match` reference
(a 信用档案 keyed by its enterprise sums the 扣分记录 naming that enterprise): the values
passed around are then the referenced ids, and a parent created, or re-pointed, after its rows
is refreshed by its own flush.

Concurrency: the parents are locked (`FOR NO KEY UPDATE`, in id order) before the sum is
taken, in a statement of its own, so under READ COMMITTED the sum sees every row committed by
a writer that held the lock before: two writers adding rows to one parent both count.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event, func, inspect, literal, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from app.workflow.rules import chunks
from generator.spec import Entity, Field, Spec

ROLLUPS = "__rollups__"  # attribute of an aggregated entity's class: its Kept rollups
KEYED = "__keyed_rollups__"  # attribute of a parent's class: its rollups with `match`
THIS_YEAR = "this_year"  # a `where` value: the current year (a schedule refreshes on 1 January)


@dataclass(frozen=True)
class Kept:
    """One rollup field of `parent` over the rows of `rows` (mapped classes)."""

    parent: Any
    field: Field
    rows: Any
    rows_entity: Entity
    link: str  # the rows' column pointing at the parent (or at what its `match` names)
    watched: frozenset[str]  # the rows' attributes whose change moves the value
    key: str = "id"  # the parent's column the link equals: `id`, or the `match` column

    def value(self) -> Any:
        """The aggregate of one parent row, as a correlated scalar subquery."""
        rollup = self.field.rollup
        assert rollup is not None
        table, parent = self.rows.__table__, self.parent.__table__
        if rollup.aggregate == "count":
            measure: Any = func.count(table.c.id)
        else:
            measure = getattr(func, rollup.aggregate)(table.c[self.column(rollup.field)])
        query = select(measure).where(table.c[self.link] == parent.c[self.key])
        for condition in rollup.where:
            column = table.c[self.column(condition.field)]
            known = [dt.date.today().year if v == THIS_YEAR else v
                     for v in condition.values if v is not None]
            test = column.in_(known)
            if None in condition.values:
                test = test | column.is_(None)
            query = query.where(test)
        value = query.scalar_subquery()
        return func.coalesce(value, literal(0)) if rollup.aggregate in ("sum", "count") \
            else value

    def column(self, name: str | None) -> str:
        entity = self.rows_entity
        if entity.workflow is not None and name == entity.workflow.field:
            return name
        return entity.field(str(name)).column


def install(spec: Spec, models: dict[str, type]) -> None:
    """Tell each aggregated entity's class which rollups its rows move."""
    for parent in spec.entities:
        for f in parent.fields:
            if f.rollup is None or f.entity is None:
                continue
            rows_entity = spec.entity(f.entity)
            rows = models[rows_entity.qualified]
            link = rows_entity.field(f.rollup.via)
            names = {link.name, link.column} | {c.field for c in f.rollup.where}
            if f.rollup.field:
                names.add(f.rollup.field)
            key = "id" if f.rollup.match is None else parent.field(f.rollup.match).column
            owner = models[parent.qualified]
            kept = Kept(owner, f, rows, rows_entity, link.column, frozenset(names), key)
            setattr(rows, ROLLUPS, (*vars(rows).get(ROLLUPS, ()), kept))
            if key != "id":
                setattr(owner, KEYED, (*vars(owner).get(KEYED, ()), kept))


def refresh(session: Any, kept: Kept, parent_ids: Iterable[Any], *, by_id: bool = False
            ) -> None:
    """Recompute the rollup of these parents (the values of the rows' link: parent ids,
    or with `match` the ids it names; `by_id`: parent ids anyway): lock them, then one
    UPDATE per chunk."""
    keys = sorted({i for i in parent_ids if isinstance(i, int)})
    if not keys:
        return
    connection = session.connection()
    table = kept.parent.__table__
    column = table.c.id if by_id else table.c[kept.key]
    ids: list[int] = []
    for chunk in chunks(keys):
        ids += connection.execute(select(table.c.id).where(column.in_(chunk))
                                  .order_by(table.c.id).with_for_update(key_share=True)
                                  ).scalars()
        connection.execute(update(table).where(column.in_(chunk))
                           .values({kept.field.column: kept.value()}))
    for pk in ids:  # loaded parents read the new value on next access
        row = session.identity_map.get(identity_key(kept.parent, pk))
        if row is not None:
            session.expire(row, [kept.field.name])


def rows_written(session: Any, model: Any, ids: Iterable[int],
                 before: Iterable[dict[str, Any]] = ()) -> None:
    """After a bulk statement on rows of `model`: refresh the parents the rows point at now
    and, from `before` (the rows' stored columns), those they pointed at."""
    rollups: tuple[Kept, ...] = getattr(model, ROLLUPS, ())
    ids = list(ids)
    if not rollups or not ids:
        return
    earlier = list(before)
    for kept in rollups:
        table = kept.rows.__table__
        parents = {stored.get(kept.link) for stored in earlier}
        for chunk in chunks(ids):
            parents.update(session.connection().execute(
                select(table.c[kept.link]).where(table.c.id.in_(chunk))).scalars())
        refresh(session, kept, parents)


def _pointed(row: Any, kept: Kept) -> tuple[set[Any], bool]:
    """The parents a flushed row points at (before and after) and whether a watched
    attribute of it changed (the history is still the flush's in after_flush)."""
    state = inspect(row)
    history = state.attrs[kept.link].history
    parents = set(history.added or ()) | set(history.unchanged or ()) | set(
        history.deleted or ())
    moved = any(state.attrs[name].history.has_changes() for name in kept.watched
                if name in state.attrs)
    return parents, moved


def _after_flush(session: Any, _context: Any) -> None:
    touched: dict[int, tuple[Kept, set[Any]]] = {}
    created, gone = set(session.new), set(session.deleted)
    for row in (*created, *session.dirty, *gone):
        for kept in getattr(type(row), ROLLUPS, ()):
            parents, moved = _pointed(row, kept)
            if moved or row in created or row in gone:
                touched.setdefault(id(kept), (kept, set()))[1].update(parents)
    keyed: dict[int, tuple[Kept, set[Any]]] = {}
    for row in (*created, *session.dirty):  # a parent created or re-pointed after its rows
        for kept in getattr(type(row), KEYED, ()):
            attrs = inspect(row).attrs
            names = (str(kept.field.rollup.match), kept.key)  # type: ignore[union-attr]
            if row in created or any(attrs[n].history.has_changes() for n in names
                                     if n in attrs):
                keyed.setdefault(id(kept), (kept, set()))[1].add(row.id)
    for kept, parents in touched.values():
        refresh(session, kept, parents)
    for kept, parents in keyed.values():
        refresh(session, kept, parents, by_id=True)


event.listen(Session, "after_flush", _after_flush)


@dataclass(frozen=True)
class Drift:
    entity: str
    field: str
    record_id: int
    stored: Any
    exact: Any


def verify(session: Any, spec: Spec, models: dict[str, type], fix: bool = False
           ) -> list[Drift]:
    """Every rollup recomputed: the parents whose stored value differs (fixed with `fix`)."""
    found: list[Drift] = []
    for parent in spec.entities:
        for kept in _kept_of(parent, models):
            table = kept.parent.__table__
            stored = table.c[kept.field.column]
            exact = kept.value().label("exact")
            query = select(table.c.id, stored, exact).where(
                func.coalesce(stored, literal(-1)) != func.coalesce(exact, literal(-1)))
            rows = session.connection().execute(query.order_by(table.c.id)).all()
            found += [Drift(parent.qualified, kept.field.name, r[0], r[1], r[2])
                      for r in rows]
            if fix and rows:
                refresh(session, kept, [r[0] for r in rows], by_id=True)
    return found


def _kept_of(parent: Entity, models: dict[str, type]) -> list[Kept]:
    model = models[parent.qualified]
    return [k for cls in models.values() for k in getattr(cls, ROLLUPS, ())
            if k.parent is model]
