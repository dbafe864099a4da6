"""Imports: every row checked first, then all rows written or none.

The file is read in chunks, never held whole: each chunk is validated (types, required,
ranges, enums by Chinese label, references by their display text, identifiers, uniqueness in
the file and in the database, the user's scope and field rights) and, while no row of the
file has failed, written inside the import's one transaction with bulk statements (on
PostgreSQL the new rows and their audit entries by COPY: app/io/copy_rows.py); a failed row
anywhere and the caller rolls everything back. A check pass (`write=False`) keeps only the
errors. Rows matching the entity's `import_key` update the existing row instead of adding one.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import bindparam, insert, select, update

from app import auto_rules, matching, rollups
from app.audit import trail
from app.audit.models import AuditEntry
from app.hooks import runtime
from app.io import copy_rows
from app.io.columns import ORG, Column, columns
from app.io.import_rows import Parsed, Planned, RowError, RowRules
from app.labels import current_locale, say
from app.security.models import Organisation
from app.validation import is_blank, parse
from generator import types
from generator.pinyin import initials, initials_column
from generator.spec import Entity
from generator.types.base import plain_text

CHUNK = 2000
_BOOKKEEPING = ("org_path", "row_version")  # not in a row's history
MAX_ERRORS = 1000  # kept and reported; the count goes on


@dataclass
class Result:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0  # rows matching a stored row that the file does not change
    error_count: int = 0
    errors: list[RowError] = field(default_factory=list)
    header_errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.error_count and not self.header_errors

    def add(self, error: RowError) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(error)


# -- reading ----------------------------------------------------------------------------------
def read_rows(path: str) -> Iterator[list[Any]]:
    """Rows of an .xlsx (first sheet, through calamine) or a .csv (UTF-8, BOM or not)."""
    if path.lower().endswith((".xlsx", ".xlsm", ".xls")):
        from python_calamine import CalamineWorkbook

        book = CalamineWorkbook.from_path(path)
        sheet = book.get_sheet_by_index(0)
        yield from sheet.iter_rows()
        return
    with open(path, encoding="utf-8-sig", newline="") as fh:
        yield from csv.reader(fh)


# -- parsing one cell -------------------------------------------------------------------------
def _text(raw: Any) -> str:
    return plain_text(raw)


def parse_cell(column: Column, raw: Any) -> Any:
    """A cell as the typed value (the field type's parser, as at every door), or the text
    naming a row (references and the organisation: resolved per chunk); Invalid if bad."""
    if column.by_display:
        return None if is_blank(raw) else _text(raw)
    assert column.field is not None
    return parse(column.field, raw)


# -- the import -------------------------------------------------------------------------------
class ChangedMeanwhile(Exception):
    """A row changed between the check and the write of this import (nothing is written)."""


class Importer(RowRules):
    def __init__(self, admin: Any, entity: Entity, user: Any, session: Any,
                 clear_blanks: bool = False):
        self.admin, self.entity, self.user, self.session = admin, entity, user, session
        self.clear_blanks = clear_blanks  # 空白单元格清空原值: blank cells of updates clear
        self.model = admin.models[entity.qualified]
        self.table = self.model.__table__
        self.columns = columns(entity, for_import=True, user=user)
        self.by_header: dict[str, Column] = {}
        for column in self.columns:
            for key in (column.header, column.key):
                self.by_header[key] = column
        self.unique_sets = [ix for ix in entity.indexes if ix.unique]
        self.seen: list[set[tuple[Any, ...]]] = [set() for _ in self.unique_sets]
        self.who: dict[str, Any] | None = None
        self.key_seen: set[tuple[Any, ...]] = set()
        self.compile_rules()
        self.sequence: str | None = None  # the ids' sequence when COPY writes ("": it does not)
        self.touched: list[int] = []  # ids of the rows written
        self.names_by_column: dict[str, str] = {}  # as column_name says, looked up once
        for f in entity.fields:
            self.names_by_column.setdefault(f.column, f.name)
        self.names_by_column.setdefault("org_id", "org")
        # references (and the organisation) are written in the history as {"id", "text"}
        self.referenced: dict[str, Any] = {f.name: admin.models[f.to] for f in entity.fields
                                           if f.kind.refers}
        if entity.org_scoped:
            self.referenced[ORG] = Organisation

    # header ---------------------------------------------------------------------------
    def match_header(self, header: list[Any], result: Result) -> list[Column | None]:
        """Columns by their Chinese header (or field name). A column the importer may not
        set (read-only or hidden for them, computed, the review log) is refused."""
        matched: list[Column | None] = []
        for raw in header:
            name = _text(raw).rstrip("*＊").strip() if raw is not None else ""
            column = self.by_header.get(name)
            if name and column is None:
                result.header_errors.append(_("Column %(name)s is not a field you may import.",
                                              name=name))
            matched.append(column)
        keys = {c.key for c in matched if c is not None}
        if not self.entity.import_key:  # every row is new: its required columns must be there
            for column in self.columns:
                if column.required and column.key not in keys:
                    result.header_errors.append(_("Required column %(name)s is missing.",
                                                  name=column.header))
        for name in self.entity.import_key:
            if name not in keys and name != ORG:  # no 所属机构 column: the importer's own
                result.header_errors.append(_("Key column %(name)s is missing.",
                                              name=self.entity.field(name).label.get(
                                                  current_locale())))
        return matched

    # one pass over the file --------------------------------------------------------------
    def run(self, path: str, write: bool, progress: Any = None) -> Result:
        result = Result()
        try:  # the import as a whole (obj None): e.g. the reporting window must be open
            runtime.before_save(self.entity, None, self.user, self.session)
        except runtime.Denied as exc:
            result.header_errors.append(_(exc.reason, **exc.params))
            return result
        rows = read_rows(path)
        header = next(rows, None)
        if header is None:
            result.header_errors.append(_("The file is empty."))
            return result
        matched = self.match_header(list(header), result)
        if result.header_errors:
            return result
        chunk: list[tuple[int, list[Any]]] = []
        number = 1
        try:
            with runtime.rows():  # the window of a batch and organisation: looked up once
                for raw in rows:
                    number += 1
                    if all(v is None or _text(v) == "" for v in raw):
                        continue
                    chunk.append((number, list(raw)))
                    if len(chunk) >= CHUNK:
                        self.chunk(chunk, matched, result, write)
                        chunk = []
                        if progress is not None:  # the rows read, blank ones aside
                            progress(result.rows)
                if chunk:
                    self.chunk(chunk, matched, result, write)
        except ChangedMeanwhile:
            result.header_errors.append(_("Someone changed some of these records while they "
                                          "were being imported; nothing was imported. Import "
                                          "the file again."))
        if (write and result.ok and self.entity.matching is not None
                and (result.created or result.updated)):  # 关联匹配 of what was written
            matching.match_entity(self.session, self.entity, self.model,
                                  touched=self.touched)
        if progress is not None:
            progress(result.rows)
        return result

    def chunk(self, chunk: list[tuple[int, list[Any]]], matched: list[Column | None],
              result: Result, write: bool) -> None:
        # each column's parser looked up once, not per cell (parse_cell, unrolled)
        readers: list[tuple[int, str, str, Any, Any]] = [
            (i, c.key, c.header, None if c.by_display else c.field,
                    None if c.by_display else c.field.kind)  # type: ignore[union-attr]
                   for i, c in enumerate(matched) if c is not None]
        parsed = []
        for number, raw in chunk:
            row = Parsed(number, {})
            cells, width = row.cells, len(raw)
            for i, key, header, f, kind in readers:
                if i >= width:
                    continue
                value = raw[i]
                if kind is None:
                    cells[key] = None if is_blank(value) else _text(value)
                    continue
                try:
                    cells[key] = kind.parse(f, value)
                except types.Invalid as exc:
                    row.errors.append(RowError(number, header, say(exc.message)))
                    cells[key] = None
            parsed.append(row)
        self.resolve_references(parsed)
        existing = self.existing_rows(parsed)
        targets = [self.target(row, existing) for row in parsed]
        written = [self.written(row, stored) for row, stored in zip(parsed, targets,
                                                                     strict=True)]
        merged = [self.merged(w, stored) for w, stored in zip(written, targets, strict=True)]
        combos = self.combos(merged)
        taken = self.taken(combos)
        inserts, updates = [], []
        for row, stored, cells, values, row_combos in zip(parsed, targets, written, merged,
                                                          combos, strict=True):
            self.check(row, cells, values, stored)
            self.unique(row, values, stored, taken, row_combos)
            planned = self.plan(row, cells, values, stored) if not row.errors else None
            for error in row.errors:
                result.add(error)
            result.rows += 1
            if row.errors:
                continue
            if planned is None:
                result.unchanged += 1
            elif planned.stored is None:
                inserts.append(planned)
            else:
                updates.append(planned)
        result.created += len(inserts)
        result.updated += len(updates)
        if write and result.ok:
            self.write(inserts, updates)

    # writing -------------------------------------------------------------------------------
    def write(self, inserts: list[Planned], updates: list[Planned]) -> None:
        """Bulk statements (COPY on PostgreSQL: app/io/copy_rows.py), in the import's
        transaction; an update is guarded by the version it was checked against, so a row
        changed meanwhile stops the whole import."""
        history: list[dict[str, Any]] = []
        if inserts:
            if self.sequence is None:
                self.sequence = copy_rows.sequence(self.session, self.table) or ""
            rows = [p.values for p in inserts]
            if self.sequence:
                ids = copy_rows.insert(self.session, self.table, self.sequence, rows)
            else:
                ids = self.session.execute(insert(self.table).returning(self.table.c.id),
                                           rows).scalars().all()
            auto_rules.rows_imported(self.session, self.model, list(ids), self.user)
            history += [self.created_row(pk, p.values) for pk, p in zip(ids, inserts,
                                                                         strict=True)]
        groups: dict[tuple[str, ...], list[Planned]] = {}
        for p in updates:
            groups.setdefault(tuple(sorted(p.values)), []).append(p)
        for keys, group in groups.items():
            table = self.table
            statement = (update(table)
                         .where(table.c.id == bindparam("_id"),
                                table.c.row_version == bindparam("_version"))
                         .values({**{k: bindparam(k) for k in keys},
                                  "row_version": table.c.row_version + 1}))
            spelled = [n for n in self.entity.initials_fields if n in keys]
            if spelled:  # a bulk UPDATE passes no ORM event: the initials are set here
                statement = statement.values({initials_column(n): bindparam(
                    f"_{initials_column(n)}") for n in spelled})
            changed = self.session.execute(statement, [
                {**p.values, "_id": p.stored["id"], "_version": p.stored["row_version"],
                 **{f"_{initials_column(n)}": initials(p.values[n]) for n in spelled}}
                for p in group if p.stored is not None])
            if changed.rowcount not in (-1, len(group)):
                raise ChangedMeanwhile()
            for p in group:
                assert p.stored is not None
                history.append(self.history_row(p.stored["id"], {
                    k: [p.stored.get(k), v] for k, v in p.values.items()}))
        rollups.rows_written(self.session, self.model, [h["record_id"] for h in history],
                             [p.stored for p in updates if p.stored is not None])
        self.touched += [h["record_id"] for h in history]  # the groups 关联匹配 looks at
        history = self.readable_history(history)
        if not history:
            return
        if self.sequence:  # the row-level history of the import, in the same transaction
            copy_rows.append(self.session, AuditEntry.__table__, history)
        else:
            self.session.execute(insert(AuditEntry.__table__), history)

    def history_row(self, pk: int, changes: dict[str, list[Any]]) -> dict[str, Any]:
        """One row's audit entry, by field names; None, "" and [] are the same blank.
        `readable_history` then writes referenced rows as {"id", "text"}."""
        if self.who is None:
            self.who = trail.who(self.user)
        names, plain, changed = self.names_by_column, trail.plain, trail.changed
        entry = {}
        for k, (old, new) in changes.items():
            if k in _BOOKKEEPING or not changed(old, new):
                continue
            name = names.get(k)
            entry[name if name is not None else self.column_name(k)] = [plain(old), plain(new)]
        return {**self.who, "at": dt.datetime.now(), "action": "import",
                "entity": self.entity.qualified, "record_id": pk, "changes": entry}

    def created_row(self, pk: int, values: dict[str, Any]) -> dict[str, Any]:
        """`history_row` of a new row (every change is from blank), without comparing."""
        if self.who is None:
            self.who = trail.who(self.user)
        names, plain = self.names_by_column, trail.plain
        entry = {}
        for k, new in values.items():
            if k in _BOOKKEEPING:
                continue
            kind = type(new)  # most cells are text or numbers: kept as they are
            if kind is str:
                if not new.strip():
                    continue
            elif kind is not int and kind is not float:
                if is_blank(new):
                    continue
                new = plain(new)
            name = names.get(k)
            entry[name if name is not None else self.column_name(k)] = [None, new]
        return {**self.who, "at": dt.datetime.now(), "action": "import",
                "entity": self.entity.qualified, "record_id": pk, "changes": entry}

    def readable_history(self, history: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The entries of a chunk with references as the form path writes them ({"id",
        "text"}: one query per referenced entity), as JSON; rows that changed nothing have
        none."""
        texts: dict[tuple[str, Any], str] = {}
        for name, model in self.referenced.items():
            ids = {v for entry in history for v in entry["changes"].get(name, ())
                   if isinstance(v, int)}
            if ids:
                rows = self.session.execute(select(model).where(model.id.in_(ids))).scalars()
                texts.update(((name, row.id), str(row)) for row in rows)
        out = []
        referenced = self.referenced.keys()
        dumps = json.dumps
        for entry in history:
            changes = entry["changes"]
            if not changes:
                continue
            for name in referenced & changes.keys():
                changes[name] = [None if v is None else {"id": v, "text": texts.get(
                    (name, v), "")} for v in changes[name]]
            entry["changes"] = dumps(changes, ensure_ascii=False)
            out.append(entry)
        return out

    def column_name(self, column: str) -> str:
        """Audit diffs use field names (a reference's column is <field>_id)."""
        for f in self.entity.fields:
            if f.column == column:
                return f.name
        return "org" if column == "org_id" else column

