"""Imports: every row checked first, then all rows written or none.

The file is read twice, never held whole: the first pass validates (types, required, ranges,
enums by Chinese label, references by their display text, identifiers, uniqueness in the file
and in the database, the user's scope and field rights) and keeps only the errors; the second
pass, inside one transaction, writes in batches with bulk statements. Rows matching the
entity's `import_key` update the existing row instead of adding one.
"""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import bindparam, insert, select, tuple_, update

from app.audit import trail
from app.audit.models import AuditEntry
from app.choices import refusal
from app.hooks import runtime
from app.io.columns import ORG, Column, columns
from app.labels import current_locale
from app.security.models import Organisation
from app.security.scope import scope_condition
from app.validation import field_errors, is_blank, normalize, required_if_errors
from generator.spec import Entity, Field

CHUNK = 2000
MAX_ERRORS = 1000  # kept and reported; the count goes on


@dataclass
class RowError:
    row: int  # spreadsheet row number (the header is row 1)
    column: str  # Chinese header, or "" for the whole row
    message: str


@dataclass
class Result:
    rows: int = 0
    created: int = 0
    updated: int = 0
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
class Bad(ValueError):
    pass


TRUE_WORDS = {"是", "true", "1", "y", "yes", "√", "✓"}
FALSE_WORDS = {"否", "false", "0", "n", "no"}


def _text(raw: Any) -> str:
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)  # calamine reads every number as a float
    return str(raw).strip().lstrip("\t").strip()


def parse(f: Field, raw: Any) -> Any:
    if raw is None or (isinstance(raw, str) and raw.strip() == ""):
        return None
    kind = f.type
    if kind in ("string", "text"):
        return _text(raw)
    if kind == "integer":
        if isinstance(raw, bool):
            raise Bad(_("Must be a whole number."))
        if isinstance(raw, (int, float)) and float(raw).is_integer():
            return int(raw)
        text = _text(raw)
        if re.fullmatch(r"-?\d+", text):
            return int(text)
        raise Bad(_("Must be a whole number."))
    if kind == "decimal":
        try:
            return decimal.Decimal(_text(raw) if not isinstance(raw, float) else repr(raw))
        except decimal.InvalidOperation:
            raise Bad(_("Must be a number.")) from None
    if kind == "boolean":
        if isinstance(raw, bool):
            return raw
        text = _text(raw).lower()
        if text in TRUE_WORDS:
            return True
        if text in FALSE_WORDS:
            return False
        raise Bad(_("Must be 是 or 否."))
    if kind in ("date", "datetime"):
        if isinstance(raw, dt.datetime):
            return raw if kind == "datetime" else raw.date()
        if isinstance(raw, dt.date):
            return raw if kind == "date" else dt.datetime.combine(raw, dt.time())
        text = _text(raw).replace("/", "-")
        try:
            value = dt.datetime.fromisoformat(text)
        except ValueError:
            raise Bad(_("Must be a date like 2026-01-31.") if kind == "date" else
                      _("Must be a date and time like 2026-01-31 08:30:00.")) from None
        return value.date() if kind == "date" else value
    if kind == "enum":
        text = _text(raw)
        for item in f.values:
            if text in (item.value, item.label.zh, item.label.en):
                return item.value
        raise Bad(_("Not one of the allowed values: %(values)s.",
                    values="、".join(v.label.get(current_locale()) for v in f.values)))
    return _text(raw)  # references and the organisation: resolved per chunk


# -- the import -------------------------------------------------------------------------------
class Importer:
    def __init__(self, admin: Any, entity: Entity, user: Any, session: Any):
        self.admin, self.entity, self.user, self.session = admin, entity, user, session
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

    # header ---------------------------------------------------------------------------
    def match_header(self, header: list[Any], result: Result) -> list[Column | None]:
        matched: list[Column | None] = []
        for raw in header:
            name = _text(raw).rstrip("*＊").strip() if raw is not None else ""
            column = self.by_header.get(name)
            if name and column is None:
                result.header_errors.append(_("Column %(name)s is not a field you may import.",
                                              name=name))
            matched.append(column)
        keys = {c.key for c in matched if c is not None}
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
        for raw in rows:
            number += 1
            if all(v is None or _text(v) == "" for v in raw):
                continue
            chunk.append((number, list(raw)))
            if len(chunk) >= CHUNK:
                self.chunk(chunk, matched, result, write)
                chunk = []
                if progress is not None:
                    progress(number - 1)
        if chunk:
            self.chunk(chunk, matched, result, write)
        if progress is not None:
            progress(number - 1)
        return result

    def chunk(self, chunk: list[tuple[int, list[Any]]], matched: list[Column | None],
              result: Result, write: bool) -> None:
        parsed = []
        for number, raw in chunk:
            values: dict[str, Any] = {}
            errors: list[RowError] = []
            for column, value in zip(matched, raw, strict=False):
                if column is None:
                    continue
                try:
                    values[column.key] = (parse(column.field, value) if column.field
                                          else (_text(value) if not is_blank(value) else None))
                except Bad as exc:
                    errors.append(RowError(number, column.header, str(exc)))
                    values[column.key] = None
            parsed.append((number, values, errors))
        self.resolve_references(parsed)
        for number, values, errors in parsed:
            self.check_values(number, values, errors)
        existing, reachable = self.existing_rows(parsed)
        taken = self.taken(parsed)
        inserts, updates = [], []
        for number, values, errors in parsed:
            row = self.check_row(number, values, errors, existing, reachable, taken)
            for error in errors:
                result.add(error)
            result.rows += 1
            if errors:
                continue
            if row.get("id") is not None:
                updates.append(row)
            else:
                inserts.append(row)
        result.created += len(inserts)
        result.updated += len(updates)
        if write and result.ok:
            history: list[dict[str, Any]] = []
            if inserts:
                ids = self.session.execute(insert(self.table).returning(self.table.c.id),
                                           inserts).scalars().all()
                history += [self.history_row(pk, {k: [None, v] for k, v in row.items()})
                            for pk, row in zip(ids, inserts, strict=True)]
            if updates:
                keys = sorted({k for row in updates for k in row} - {"id"})
                before = {r[0]: r[1:] for r in self.session.execute(
                    select(self.table.c.id, *(self.table.c[k] for k in keys)).where(
                        self.table.c.id.in_([r["id"] for r in updates])))}
                statement = (update(self.table).where(self.table.c.id == bindparam("_id"))
                             .values({k: bindparam(k) for k in keys}))
                self.session.execute(statement, [{**{k: r.get(k) for k in keys},
                                                  "_id": r["id"]} for r in updates])
                for row in updates:
                    old = dict(zip(keys, before.get(row["id"], ()), strict=False))
                    diff = {k: [old.get(k), row.get(k)] for k in keys
                            if old.get(k) != row.get(k)}
                    history.append(self.history_row(row["id"], diff))
            history = self.readable_history(history)
            if history:  # the row-level history of the import, in the same transaction
                self.session.execute(insert(AuditEntry.__table__), history)

    def history_row(self, pk: int, changes: dict[str, list[Any]]) -> dict[str, Any]:
        """One row's audit entry, by field names; None, "" and [] are the same blank.
        `readable_history` then writes referenced rows as {"id", "text"}."""
        if self.who is None:
            self.who = trail.who(self.user)
        plain = {self.column_name(k): [trail.plain(v) for v in pair]
                 for k, pair in changes.items()
                 if k not in ("org_path", "row_version") and trail.changed(*pair)}
        return {**self.who, "at": dt.datetime.now(), "action": "import",
                "entity": self.entity.qualified, "record_id": pk, "changes": plain}

    def readable_history(self, history: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The entries of a chunk with references as the form path writes them ({"id",
        "text"}: one query per referenced entity), as JSON; rows that changed nothing have
        none."""
        targets: dict[str, Any] = {f.name: self.admin.models[f.to] for f in self.entity.fields
                                   if f.type == "reference"}
        if self.entity.org_scoped:
            targets[ORG] = Organisation
        texts: dict[tuple[str, Any], str] = {}
        for name, model in targets.items():
            ids = {v for entry in history for v in entry["changes"].get(name, ())
                   if isinstance(v, int)}
            if ids:
                rows = self.session.execute(select(model).where(model.id.in_(ids))).scalars()
                texts.update(((name, row.id), str(row)) for row in rows)
        out = []
        for entry in history:
            if not entry["changes"]:
                continue
            for name in targets.keys() & entry["changes"].keys():
                entry["changes"][name] = [None if v is None else {"id": v, "text": texts.get(
                    (name, v), "")} for v in entry["changes"][name]]
            out.append({**entry, "changes": json.dumps(entry["changes"], ensure_ascii=False)})
        return out

    def column_name(self, column: str) -> str:
        """Audit diffs use field names (a reference's column is <field>_id)."""
        for f in self.entity.fields:
            if f.column == column:
                return f.name
        return "org" if column == "org_id" else column

    # references and organisations, one query per column and chunk --------------------------
    def resolve_references(self, parsed: list[tuple[int, dict[str, Any], list[RowError]]]
                           ) -> None:
        for column in self.columns:
            if column.kind not in ("reference", "org"):
                continue
            wanted = {values.get(column.key) for _, values, _ in parsed} - {None}
            if not wanted:
                continue
            if column.kind == "org":
                model = Organisation
                keys = [Organisation.code, Organisation.name]
            else:
                model = self.admin.models[column.field.to]
                target = self.admin.spec.entity(column.field.to)
                keys = [getattr(model, target.display)]
            found: dict[str, list[Any]] = {}
            for key in keys:
                query = (self.admin.related_query(model, self.user) if column.kind == "org"
                         else self.admin.choice_query(column.field, self.user))
                query = query.where(key.in_(wanted))
                for obj in self.session.execute(query).scalars():
                    found.setdefault(str(getattr(obj, key.key)), []).append(obj)
            for _number, values, errors in parsed:
                text = values.get(column.key)
                if text is None:
                    continue
                matches = {o.id: o for o in found.get(str(text), [])}
                if len(matches) == 1:
                    values[column.key] = next(iter(matches.values()))
                else:
                    values[column.key] = None
                    if matches:
                        message = _("Several records are called %(name)s; make it unique.",
                                    name=text)
                    elif column.field is not None and column.field.choices is not None \
                            and column.field.choices.message is not None:
                        message = refusal(column.field)
                    else:
                        message = _("No record %(name)s within your reach.", name=text)
                    errors.append(RowError(_number, column.header, message))

    def existing_rows(self, parsed: list[tuple[int, dict[str, Any], list[RowError]]]
                      ) -> tuple[dict[tuple[Any, ...], int], set[int]]:
        """Ids of rows already in the database with the import key of a row of this chunk,
        and which of them the user may change."""
        key = self.entity.import_key
        wanted = {self.key_of(values) for _, values, _ in parsed} - {None}
        if not key or not wanted:
            return {}, set()
        columns_ = [self.table.c[self.column_of(n)] for n in key]
        query = select(self.table.c.id, *columns_).where(tuple_(*columns_).in_(list(wanted)))
        found = {tuple(r[1:]): r[0] for r in self.session.execute(query)}
        condition = scope_condition(self.entity, self.model, self.user)
        if condition is None:
            return found, set(found.values())
        ids = select(self.model.id).where(self.model.id.in_(list(found.values())), condition)
        return found, {r[0] for r in self.session.execute(ids)}

    def taken(self, parsed: list[tuple[int, dict[str, Any], list[RowError]]]
              ) -> list[dict[tuple[Any, ...], int]]:
        """Per unique index: values of this chunk already in the database -> their row id."""
        out = []
        for ix in self.unique_sets:
            names = self.index_names(ix.fields)
            combos = {self.combo(values, names) for _, values, _ in parsed} - {None}
            cols = [self.table.c[c] for c in ix.fields]
            found: dict[tuple[Any, ...], int] = {}
            if combos:
                query = select(self.table.c.id, *cols).where(tuple_(*cols).in_(list(combos)))
                found = {tuple(r[1:]): r[0] for r in self.session.execute(query)}
            out.append(found)
        return out

    def column_of(self, name: str) -> str:
        """Table column of a key or index part: a field, or the row's organisation."""
        return "org_id" if name == ORG else self.entity.field(name).column

    def index_names(self, index_columns: tuple[str, ...]) -> list[str]:
        """Field names (or "org") of an index, in the order of its columns."""
        by_column = {f.column: f.name for f in self.entity.fields}
        return [ORG if c == "org_id" else by_column[c] for c in index_columns]

    def label_of(self, name: str) -> str:
        return (_("Organisation") if name == ORG
                else self.entity.field(name).label.get(current_locale()))

    def value_of(self, values: dict[str, Any], name: str) -> Any:
        """A row's value for a key part; the organisation is the 所属机构 cell when given,
        else the importer's own (as the row is written: see check_row)."""
        if name == ORG:
            org = values.get(ORG) or getattr(self.user, "org", None)
            return getattr(org, "id", None)
        return getattr(values.get(name), "id", values.get(name))

    def combo(self, values: dict[str, Any], names: list[str]) -> tuple[Any, ...] | None:
        if not set(names) - {ORG} <= set(values):
            return None
        combo = tuple(self.value_of(values, n) for n in names)
        return None if any(v is None for v in combo) else combo

    def key_of(self, values: dict[str, Any]) -> tuple[Any, ...] | None:
        if not self.entity.import_key:
            return None  # no natural key: every row is a new one
        out = []
        for name in self.entity.import_key:
            value = self.value_of(values, name)
            if value is None:
                return None
            out.append(value)
        return tuple(out)

    # one row --------------------------------------------------------------------------
    def check_values(self, number: int, values: dict[str, Any], errors: list[RowError]
                     ) -> None:
        """The rules of each value on its own, after normalising (identifiers, text)."""
        entity = self.entity
        by_key = {c.key: c for c in self.columns}
        failed = {e.column for e in errors}
        for column in self.columns:
            f = column.field
            if f is None or column.header in failed:
                continue
            value = normalize(f, values.get(column.key))
            values[column.key] = value
            for message in field_errors(f, value if f.type != "reference" else (
                    value.id if value is not None else None)):
                errors.append(RowError(number, column.header, message))
        for name, messages in required_if_errors(entity, values).items():
            header = by_key[name].header if name in by_key else name
            errors.extend(RowError(number, header, m) for m in messages)

    def check_row(self, number: int, values: dict[str, Any], errors: list[RowError],
                  existing: dict[tuple[Any, ...], int], reachable: set[int],
                  taken: list[dict[tuple[Any, ...], int]]) -> dict[str, Any]:
        """Key, uniqueness and scope; then the row as the table stores it."""
        entity = self.entity
        row: dict[str, Any] = {}
        key = self.key_of(values)
        match = existing.get(key) if key is not None else None
        if key is not None:
            if key in self.key_seen:
                errors.append(RowError(number, "", _("This key appears twice in the file.")))
            self.key_seen.add(key)
        if match is not None:
            if match not in reachable:
                errors.append(RowError(number, "", _("The existing record with this key is "
                                                     "not within your reach.")))
            row["id"] = match
        for ix, seen, found in zip(self.unique_sets, self.seen, taken, strict=True):
            names = self.index_names(ix.fields)
            combo = self.combo(values, names)
            if combo is None:
                continue
            headers = "、".join(self.label_of(n) for n in names)
            if combo in seen:
                errors.append(RowError(number, headers, _("Appears twice in the file.")))
            seen.add(combo)
            if found.get(combo) not in (None, row.get("id")):
                errors.append(RowError(number, headers,
                                       _("This value is already used by another record.")))
        if errors:
            return row
        for column in self.columns:
            value = values.get(column.key)
            if column.key == ORG:
                org = value if value is not None else getattr(self.user, "org", None)
                if org is None and entity.scope is not None:
                    errors.append(RowError(number, column.header, _("Choose the organisation.")))
                    return row
                if value is not None or "id" not in row:
                    row["org_id"] = org.id if org is not None else None
                    row["org_path"] = org.path if org is not None else None
                continue
            f = column.field
            assert f is not None
            row[f.column] = value.id if f.type == "reference" and value is not None else value
        if ORG not in values and "id" not in row and entity.scope is not None:
            org = getattr(self.user, "org", None)
            row["org_id"], row["org_path"] = (org.id, org.path) if org else (None, None)
        if "id" not in row:
            for f in entity.column_fields:  # defaults the file left out
                if f.default is not None and row.get(f.column) is None and f.name not in values:
                    row[f.column] = f.default
        return row

