"""The rules of one imported row, the same as at every other door: the row's key finds the
stored row it updates (within the importer's range, not in a locked state), only the cells
the file carries are written, every written value is checked by its field type, and the row
as it will be stored (stored values + written cells) is checked for required, required_if,
uniqueness and the entity's hooks (the reporting window of the row's batch).

A blank cell in an update leaves the stored value unless the import was asked to clear
blanks (「空白单元格清空原值」); a column absent from the file is never written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import any_, bindparam, select, tuple_
from sqlalchemy.dialects.postgresql import ARRAY

from app.choices import refusal
from app.hooks import runtime
from app.io.columns import ORG, Column
from app.labels import current_locale
from app.row_rules import default_of, defaults, hidden
from app.security.models import Organisation
from app.security.scope import scope_condition
from app.validation import (
    NEW,
    field_errors,
    held_by,
    is_blank,
    partial_conditions,
    required_if_errors,
)
from app.workflow import engine
from generator.spec import Entity


def _among(columns: list[Any], combos: set[Any], array: bool) -> Any:
    """The rows whose columns hold one of the combinations: for one column a plain IN, or
    on PostgreSQL `= ANY(array)`, one parameter for the whole chunk (a fifth of the time)."""
    if len(columns) == 1:
        values = [combo[0] for combo in combos]
        if array:
            return columns[0] == any_(bindparam(None, values, type_=ARRAY(columns[0].type)))
        return columns[0].in_(values)
    return tuple_(*columns).in_(list(combos))


@dataclass
class RowError:
    row: int  # spreadsheet row number (the header is row 1)
    column: str  # Chinese header, or "" for the whole row
    message: str


@dataclass
class Parsed:
    """One data row of the file: its cells (present columns only) and what went wrong."""

    number: int
    cells: dict[str, Any]  # column key -> parsed value (None: blank); references: rows later
    errors: list[RowError] = field(default_factory=list)
    key: tuple[Any, ...] | None = None  # the import key's values (None: a new row)


@dataclass
class Existing:
    """Stored rows of this chunk's keys."""

    by_key: dict[tuple[Any, ...], int] = field(default_factory=dict)
    reachable: set[int] = field(default_factory=set)
    rows: dict[int, dict[str, Any]] = field(default_factory=dict)  # id -> column -> value


@dataclass
class Planned:
    """What one valid row writes: a new row, or the changed columns of a stored one."""

    values: dict[str, Any]  # column -> value as stored
    stored: dict[str, Any] | None = None  # the stored row an update changes


class RowRules:
    """Mixed into Importer (app/io/importer.py), which sets these."""

    admin: Any
    entity: Entity
    user: Any
    session: Any
    model: Any
    table: Any
    columns: list[Column]
    clear_blanks: bool
    unique_sets: list[Any]
    seen: list[set[tuple[Any, ...]]]
    key_seen: set[tuple[Any, ...]]

    def compile_rules(self) -> None:
        """What the rules of a row read of the Spec, looked up once per import rather than
        per row (the same rules: each is skipped only where the schema gives it nothing to
        check)."""
        entity = self.entity
        self.stored_fields = [(f.name, f.column, f.default) for f in entity.column_fields]
        self.checked = [(c.key, c.header, c.field, c.field.column) for c in self.columns
                        if c.field is not None]
        self.written_columns = [(c.key, c.header, c.field.column if c.field is not None
                                 else None, c.field is not None and c.field.kind.refers)
                                for c in self.columns]
        self.any_visible_if = any(f.visible_if for f in entity.fields)
        self.any_row_rules = any(f.visible_if or f.required_if or f.readonly_if
                                 or f.depends_on is not None or f.choices_by is not None
                                 for f in entity.fields)
        self.index_plans = []
        for ix in self.unique_sets:
            names = self.index_names(ix.fields)
            self.index_plans.append((ix, names, "、".join(self.label_of(n) for n in names)))
        self.arrays = self.session.get_bind().dialect.name == "postgresql"
        self.found: dict[str, dict[str, list[Any]]] = {}  # column -> text -> rows in reach
        self.asked: dict[str, set[Any]] = {}  # column -> texts looked up already

    # references and organisations, one query per column and chunk --------------------------
    def resolve_references(self, parsed: list[Parsed]) -> None:
        """Texts naming rows, looked up in the user's reach; a text looked up in an earlier
        chunk is not asked again."""
        for column in self.columns:
            if column.field is not None and column.field.kind.person:
                self._people(column, parsed)
            if not column.by_display:
                continue
            asked = self.asked.setdefault(column.key, set())
            found = self.found.setdefault(column.key, {})
            wanted = {p.cells.get(column.key) for p in parsed} - {None} - asked
            asked |= wanted
            if not wanted:
                self._name_rows(column, parsed, found)
                continue
            if column.is_org:
                model: Any = Organisation
                keys = [Organisation.code, Organisation.name]
            else:
                assert column.field is not None
                model = self.admin.models[column.field.to]
                keys = [getattr(model, self.admin.spec.entity(column.field.to).display)]
            for key in keys:
                query = (self.admin.related_query(model, self.user) if column.is_org
                         else self.admin.choice_query(column.field, self.user))
                for obj in self.session.execute(query.where(key.in_(wanted))).scalars():
                    found.setdefault(str(getattr(obj, key.key)), []).append(obj)
            self._name_rows(column, parsed, found)

    def _people(self, column: Column, parsed: list[Parsed]) -> None:
        """A `user` column: each person named (user name or name) or given by id becomes the
        account the importing person may choose, else the row's error."""
        from app.people import refusal, resolve

        assert column.field is not None
        for row in parsed:
            value = row.cells.get(column.key)
            if value is None:
                continue
            value = resolve(column.field, value, self.user)
            refused = refusal(column.field, value, self.user)
            if refused:
                row.cells[column.key] = None
                row.errors.append(RowError(row.number, column.header, refused))
            else:
                row.cells[column.key] = value

    def _name_rows(self, column: Column, parsed: list[Parsed],
                   found: dict[str, list[Any]]) -> None:
        """Each row's text in this column -> the one row it names, or the row's error."""
        for row in parsed:
            text = row.cells.get(column.key)
            if text is None:
                continue
            named = found.get(str(text), ())
            if len(named) == 1:  # the usual case: one row of that name
                row.cells[column.key] = named[0]
                continue
            matches = {o.id: o for o in named}
            if len(matches) > 1 and column.field is not None:
                matches = self.of_parent(column.field, row, matches)
            if len(matches) == 1:
                row.cells[column.key] = next(iter(matches.values()))
                continue
            row.cells[column.key] = None
            if matches:
                message = _("Several records are called %(name)s; make it unique.",
                            name=text)
            elif column.field is not None and column.field.choices is not None \
                    and column.field.choices.message is not None:
                message = refusal(column.field)
            else:
                message = _("No record %(name)s within your reach.", name=text)
            row.errors.append(RowError(row.number, column.header, message))

    def of_parent(self, f: Any, row: Parsed, matches: dict[int, Any]) -> dict[int, Any]:
        """Rows of one name told apart by the row's parent (鼓楼区 of 福州市, not of 南京市): a
        cascading reference whose parent the file names (resolved before: fields in order)."""
        rule = f.depends_on
        parent_id = getattr(row.cells.get(rule.field), "id", None) if rule is not None else None
        if rule is None or parent_id is None:
            return matches
        match = self.admin.spec.entity(f.target).field(rule.match).column
        return {pk: o for pk, o in matches.items() if getattr(o, match, None) == parent_id}

    # stored rows --------------------------------------------------------------------------
    def existing_rows(self, parsed: list[Parsed]) -> Existing:
        """The stored rows with the import key of a row of this chunk (all their columns),
        and which of them the user may reach."""
        out = Existing()
        key = self.entity.import_key
        for p in parsed:
            p.key = self.key_of(p.cells)
        wanted = {p.key for p in parsed} - {None}
        if not key or not wanted:
            return out
        key_columns = [self.table.c[self.column_of(n)] for n in key]
        query = select(self.table).where(_among(key_columns, wanted, self.arrays))
        for row in self.session.execute(query).mappings():
            stored = dict(row)
            out.rows[stored["id"]] = stored
            out.by_key[tuple(stored[c.name] for c in key_columns)] = stored["id"]
        condition = scope_condition(self.entity, self.model, self.user)
        if condition is None or not out.rows:
            out.reachable = set(out.rows)
        else:
            ids = select(self.model.id).where(self.model.id.in_(list(out.rows)), condition)
            out.reachable = {r[0] for r in self.session.execute(ids)}
        return out

    def combos(self, merged: list[dict[str, Any]]) -> list[list[tuple[Any, ...] | None]]:
        """Per row of the chunk: its combination for each unique index (None: a blank)."""
        plans = [names for _ix, names, _headers in self.index_plans]
        return [[self.combo(values, names) for names in plans] for values in merged]

    def taken(self, combos: list[list[tuple[Any, ...] | None]]
              ) -> list[dict[tuple[Any, ...], int]]:
        """Per unique index: combinations of this chunk already stored -> their row id."""
        out = []
        for i, ix in enumerate(self.unique_sets):
            wanted = {row[i] for row in combos} - {None}
            cols = [self.table.c[c] for c in ix.fields]
            found: dict[tuple[Any, ...], int] = {}
            if wanted:
                query = select(self.table.c.id, *cols).where(
                    _among(cols, wanted, self.arrays), *partial_conditions(self.model, ix))
                found = {tuple(r[1:]): r[0] for r in self.session.execute(query)}
            out.append(found)
        return out

    # names, keys and combinations ------------------------------------------------------------
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
        """A row's value for a key part (references and the organisation by their id); the
        organisation is the 所属机构 cell when given, else the importer's own."""
        if name == ORG:
            org = values.get(ORG) or getattr(self.user, "org", None)
            return getattr(org, "id", org)
        return getattr(values.get(name), "id", values.get(name))

    def combo(self, values: dict[str, Any], names: list[str]) -> tuple[Any, ...] | None:
        combo = tuple(self.value_of(values, n) for n in names)
        return None if any(v is None for v in combo) else combo

    def key_of(self, values: dict[str, Any]) -> tuple[Any, ...] | None:
        if not self.entity.import_key:
            return None  # no natural key: every row is a new one
        return self.combo(values, list(self.entity.import_key))

    def key_text(self, values: dict[str, Any]) -> str:
        """The import key as people read it: 第十一批 / 11-001 / 沈阳市第一人民医院."""
        parts = []
        for name in self.entity.import_key:
            value = values.get(name) if name != ORG else (
                values.get(ORG) or getattr(self.user, "org", None))
            parts.append(str(value) if value is not None else "")
        return " / ".join(parts)

    # one row --------------------------------------------------------------------------------
    def target(self, row: Parsed, existing: Existing) -> dict[str, Any] | None:
        """The stored row the file's row updates (None: a new row), reported when it is not
        the importer's to change."""
        key = row.key  # set by existing_rows
        if key is None:
            return None
        if key in self.key_seen:
            row.errors.append(RowError(row.number, "", _("This key appears twice in the file.")))
        self.key_seen.add(key)
        match = existing.by_key.get(key)
        if match is None:
            return None
        stored = existing.rows[match]
        if match not in existing.reachable:
            row.errors.append(RowError(row.number, "", _(
                "The existing record with this key is not within your reach.")))
            return stored
        locked = self._locked(stored)
        if locked:
            row.errors.append(RowError(row.number, "", _(
                "Record %(key)s: %(reason)s", key=self.key_text(row.cells), reason=locked)))
        return stored

    def _locked(self, stored: dict[str, Any]) -> str | None:
        flow = self.entity.workflow
        if flow is None:
            return None
        return engine.lock_reason(self.entity, SimpleNamespace(**{
            flow.field: stored.get(flow.field)}), "edit")

    def written(self, row: Parsed, stored: dict[str, Any] | None) -> dict[str, Any]:
        """The cells this row writes: every cell of a new row; of an update, the non-blank
        ones (or every cell when blanks clear)."""
        if stored is None or self.clear_blanks:
            return dict(row.cells)
        return {k: v for k, v in row.cells.items() if not is_blank(v)}

    def merged(self, written: dict[str, Any], stored: dict[str, Any] | None
               ) -> dict[str, Any]:
        """The row as it will be: field name -> value (references and org as stored ids, or
        the rows the file names)."""
        values: dict[str, Any] = {}
        for name, column, default in self.stored_fields:
            if stored is not None:
                values[name] = stored.get(column)
            elif default is not None:
                values[name] = default
        if stored is not None and self.entity.org_scoped:
            values[ORG] = stored.get("org_id")
        values.update(written)
        return values

    def check(self, row: Parsed, written: dict[str, Any], merged: dict[str, Any],
              stored: dict[str, Any] | None) -> None:
        """Each written value by its field type; required and required_if on the row as it
        will be; the hooks (the reporting window of the row's batch)."""
        failed = {e.column for e in row.errors}
        # written as the default: not checked
        gone = set(hidden(self.entity, merged)) if self.any_visible_if else set()
        for key, header, f, column in self.checked:
            if header in failed or f.name in gone:
                continue
            if key in written:
                value = written[key]
                messages = field_errors(f, getattr(value, "id", value), stored=(
                    stored.get(column) if stored is not None else NEW))
            elif f.required and is_blank(merged.get(f.name)):
                messages = [_("This field is required.")]
            else:
                continue
            row.errors.extend(RowError(row.number, header, m) for m in messages)
        if self.any_row_rules:  # required_if, readonly_if, cascades: none, nothing to check
            by_key = {c.key: c for c in self.columns}
            before = ({f.name: stored.get(f.column) for f in self.entity.column_fields}
                      if stored is not None else defaults(self.entity))
            for name, messages in required_if_errors(self.entity, merged, before).items():
                header = by_key[name].header if name in by_key else name
                row.errors.extend(RowError(row.number, header, m) for m in messages)
        if (self.entity.hooks or self.entity.filled_by) and not row.errors:
            try:
                runtime.before_save(self.entity, self._as_row(merged, stored), self.user,
                                    self.session, files=False,
                                    written=self._changed(written, stored))
            except runtime.Denied as exc:
                row.errors.append(RowError(row.number, "", _(exc.reason, **exc.params)))

    def _changed(self, written: dict[str, Any], stored: dict[str, Any] | None) -> set[str]:
        """The fields the row writes with a value other than the stored one."""
        out = set()
        for name, value in written.items():
            if not self.entity.has_field(name):
                continue
            f = self.entity.field(name)
            before = stored.get(f.column) if stored is not None else None
            if getattr(value, "id", value) != before and not (
                    stored is None and is_blank(value)):
                out.add(name)
        return out

    def _as_row(self, merged: dict[str, Any], stored: dict[str, Any] | None) -> Any:
        """What the hooks read of a row: its organisation and referenced rows' ids."""
        attrs: dict[str, Any] = {}
        for f in self.entity.column_fields:
            value = merged.get(f.name)
            attrs[f.name] = value if hasattr(value, "id") else None
            attrs[f.column] = getattr(value, "id", value)
        org = merged.get(ORG)
        attrs["org"] = org if hasattr(org, "id") else None
        attrs["org_id"] = getattr(org, "id", org)
        return SimpleNamespace(**attrs)

    def unique(self, row: Parsed, merged: dict[str, Any], stored: dict[str, Any] | None,
               taken: list[dict[tuple[Any, ...], int]],
               combos: list[tuple[Any, ...] | None]) -> None:
        own = stored["id"] if stored is not None else None
        flow = self.entity.workflow
        state = SimpleNamespace(**{flow.field: (stored or {}).get(flow.field, flow.initial)}
                                ) if flow is not None else None
        for (ix, _names, headers), seen, found, combo in zip(self.index_plans, self.seen, taken,
                                                             combos, strict=True):
            if ix.where and not held_by(self.entity, ix, merged, state):
                continue
            if combo is None:
                continue
            if combo in seen:
                row.errors.append(RowError(row.number, headers, _("Appears twice in the file.")))
            seen.add(combo)
            if found.get(combo) not in (None, own):
                row.errors.append(RowError(row.number, headers,
                                           _("This value is already used by another record.")))

    def plan(self, row: Parsed, written: dict[str, Any], merged: dict[str, Any],
             stored: dict[str, Any] | None) -> Planned | None:
        """The columns to write (None: an update that changes nothing)."""
        values: dict[str, Any] = {}
        source = merged if stored is None else written
        for key, header, column, refers in self.written_columns:
            if key not in source:
                continue
            value = source[key]
            if column is None:  # the organisation
                org = value if value is not None else getattr(self.user, "org", None)
                if org is None and self.entity.scope is not None:
                    row.errors.append(RowError(row.number, header,
                                               _("Choose the organisation.")))
                    return None
                if value is not None or stored is None:
                    values["org_id"] = getattr(org, "id", None)
                    values["org_path"] = getattr(org, "path", None)
                continue
            values[column] = getattr(value, "id", value) if refers else value
        if self.any_visible_if:
            for name in hidden(self.entity, merged):  # visible_if false: saved as the default
                f = self.entity.field(name)
                values[f.column] = default_of(f)
        if stored is None:
            if ORG not in source and self.entity.scope is not None:
                org = getattr(self.user, "org", None)
                values["org_id"], values["org_path"] = (org.id, org.path) if org else (
                    None, None)
            for name, column, default in self.stored_fields:  # defaults the file left out
                if default is not None and values.get(column) is None and name not in source:
                    values[column] = default
            return Planned(values)
        changed = {c: v for c, v in values.items() if stored.get(c) != v}
        return Planned(changed, stored) if changed else None
