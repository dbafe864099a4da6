"""The rows of an entity export as one Core select of exactly the visible columns.

The list's own query (scope, filters, search, order) keeps its WHERE and ORDER BY; only what
it selects changes: the columns of the export, references and the organisation by name
through outer joins on aliases. No ORM objects are built. Two ways out:

- `lines`: tuples from a server-side cursor (both databases), each cell as
  app.io.columns.cell gives it for the ORM row: stored values as they are, enum and
  boolean labels looked up once per value, files by their name, computed fields evaluated.
- `csv_chunks` (PostgreSQL): `COPY (SELECT <one CSV line per row>) TO STDOUT`; the database
  formats every cell exactly as app.io.export.csv_text and Python's csv writer would
  (neutralised formulas, long digit strings kept text, minimal quoting, CRLF), so the bytes
  are those of csv_lines without a Python call per cell.

`plan` answers None where a column cannot be read this way (a reference named by something
that is not a stored column, a computed field reading a reference): app.io.export's ORM
stream serves those exports, and tests compare both streams byte for byte.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from app.io.columns import ORG, Column
from app.io.export import BATCH, FORMULA_START, csv_lines, csv_text
from generator.expr import compile_expr
from generator.types import Render

CHUNK = 1 << 16  # bytes handed on at a time by the COPY stream
Convert = Callable[[Sequence[Any]], Any]


def _digit_class() -> str:
    """A regular-expression class of every character str.isdigit() accepts (full-width and
    other scripts' digits too), so the database keeps the same cells text as csv_text."""
    ranges: list[list[int]] = []
    for code in range(sys.maxunicode + 1):
        if chr(code).isdigit():
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1][1] = code
            else:
                ranges.append([code, code])
    return "".join(chr(a) if a == b else f"{chr(a)}-{chr(b)}" for a, b in ranges)


LONG_DIGITS = f"^[{_digit_class()}]{{12,}}$"
NEEDS_QUOTES = '[,"\r\n]'  # what Python's csv writer quotes (QUOTE_MINIMAL, CRLF lines)


@dataclass
class Part:
    """How one export column is read: the value in its slot of the row (`convert`: from the
    whole row, None: as selected) and, for COPY, its CSV field in SQL (None: not in SQL)."""

    expr: Any
    convert: Convert | None = None
    csv: Any = None
    extra: list[Any] = field(default_factory=list)  # selected after the columns' slots


@dataclass
class Plan:
    model: type
    parts: list[Part]
    joins: list[tuple[Any, Any]]  # (alias, on clause) outer-joined to the entity's table
    headers: list[str]

    @property
    def copyable(self) -> bool:
        return all(p.csv is not None for p in self.parts)

    def _select(self, query: Any, selected: list[Any], limit: int | None) -> Any:
        """The list's statement (its WHERE, joins and ORDER BY) selecting `selected`."""
        out = query.statement.with_only_columns(*selected, maintain_column_froms=False)
        for alias, on in self.joins:
            out = out.outerjoin_from(self.model, alias, on)
        return out.limit(limit) if limit else out

    def lines(self, query: Any, limit: int | None = None) -> Iterator[Sequence[Any]]:
        """The rows as lines of cells (the ORM stream's values, app.io.export.column_lines)."""
        selected = [p.expr for p in self.parts]
        converts: list[tuple[int, Convert]] = []
        width = len(selected)
        for index, part in enumerate(self.parts):
            if part.extra:
                slots = list(range(width, width + len(part.extra)))
                selected += part.extra
                width += len(part.extra)
                assert part.convert is not None
                converts.append((index, _sliced(part.convert, index, slots)))
            elif part.convert is not None:
                converts.append((index, part.convert))
        n = len(self.parts)
        rows = query.session.execute(self._select(query, selected, limit),
                                     execution_options={"yield_per": BATCH})
        if not converts and width == n:
            yield from rows
            return
        for row in rows:
            line = list(row[:n])
            for index, convert in converts:
                line[index] = convert(row)
            yield line

    def csv_chunks(self, query: Any, limit: int | None = None,
                   progress: Callable[[int], None] | None = None) -> Iterator[bytes]:
        """The CSV file (PostgreSQL, `copyable`): the header line by csv_lines, the rows by
        COPY, handed on in chunks of about CHUNK bytes."""
        import psycopg

        yield next(csv_lines(self.headers, ()))
        # flat, not a || b || c: a nested tree as deep as the columns are many
        line: Any = sa.func.concat_ws(",", *(p.csv for p in self.parts), type_=sa.Text)
        if len(self.parts) == 1:  # Python's csv writer quotes a line of one empty field
            line = sa.case((line == "", '""'), else_=line)
        statement = self._select(query, [sa.type_coerce(line, sa.Text).label("line")], limit)
        session = query.session
        compiled = statement.compile(dialect=session.get_bind().dialect,
                                       compile_kwargs={"render_postcompile": True})
        driver = session.connection().connection.driver_connection
        rows = 0
        with psycopg.ClientCursor(driver) as cursor, cursor.copy(
                f"COPY ({compiled.string}) TO STDOUT", compiled.params) as copy:
            pending: list[Any] = []
            size = 0
            for data in copy:
                pending.append(data)
                size += len(data)
                if size >= CHUNK:
                    block = b"".join(pending)
                    pending, size = [], 0
                    rows += block.count(b"\n")
                    if progress is not None:
                        progress(rows)
                    yield _text_to_csv(block)
            if pending:
                block = b"".join(pending)
                rows += block.count(b"\n")
                yield _text_to_csv(block)
        if progress is not None:
            progress(rows)


# COPY's text format escapes these (and the backslash); it never sends a NUL (text cannot
# hold one), so NUL stands in for an escaped backslash while the others are undone.
UNESCAPE = ((b"\\n", b"\n"), (b"\\r", b"\r"), (b"\\t", b"\t"), (b"\\b", b"\b"), (b"\\f", b"\f"),
            (b"\\v", b"\v"))


def _text_to_csv(block: bytes) -> bytes:
    """COPY's text format back to the CSV lines: a raw newline only ends a row (CRLF, as
    Python's csv writer ends them); control characters and backslashes come escaped."""
    block = block.replace(b"\n", b"\r\n")
    if b"\\" in block:
        block = block.replace(b"\\\\", b"\0")
        for escaped, char in UNESCAPE:
            block = block.replace(escaped, char)
        block = block.replace(b"\0", b"\\")
    return block


def _sliced(convert: Convert, index: int, slots: list[int]) -> Convert:
    def read(row: Sequence[Any]) -> Any:
        return convert([row[index], *(row[s] for s in slots)])

    return read


# -- CSV cells in SQL ----------------------------------------------------------------------

def _matches(text: Any, pattern: str) -> Any:
    return text.op("~", is_comparison=True)(pattern)


def _quoted(text: Any) -> Any:
    doubled = sa.func.replace(text, '"', '""', type_=sa.Text)
    return sa.case((_matches(text, NEEDS_QUOTES), '"' + doubled + '"'), else_=text)


def sql_text(value: Any) -> Any:
    """csv_text of a text column (NULL: blank), quoted as the csv writer quotes."""
    text = sa.type_coerce(value, sa.Text)
    return sa.func.coalesce(sa.case(
        (_matches(text, LONG_DIGITS), "\t" + text),
        (sa.func.left(text, 1, type_=sa.Text).in_(FORMULA_START), _quoted("'" + text)),
        else_=_quoted(text)), "", type_=sa.Text)


def _python_field(value: Any) -> str:
    """One CSV field as csv_lines writes it (values fixed in the schema: labels)."""
    text = csv_text(value)
    if any(c in text for c in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def _plain_sql(column: Any) -> Any:
    """csv_text of a column of a stored value, by its SQL type; None: not formatted in SQL."""
    kind = column.type
    if isinstance(kind, sa.Boolean):
        return None
    if isinstance(kind, sa.String):
        return sql_text(column)
    if isinstance(kind, sa.Integer):
        return sa.func.coalesce(sa.cast(column, sa.Text), "", type_=sa.Text)
    if isinstance(kind, sa.Float):
        return None
    if isinstance(kind, sa.Numeric):
        # str(Decimal) writes 1E-7 below six places; numeric's text never does
        scale = kind.scale
        return sa.func.coalesce(sa.cast(column, sa.Text), "", type_=sa.Text) if (
            scale is not None and 0 <= scale <= 6) else None
    if isinstance(kind, sa.DateTime):
        return _to_char(column, "YYYY-MM-DD HH24:MI:SS")
    if isinstance(kind, sa.Date):
        return _to_char(column, "YYYY-MM-DD")
    return None


def _to_char(column: Any, pattern: str) -> Any:
    return sa.func.coalesce(sa.func.to_char(column, pattern, type_=sa.Text), "", type_=sa.Text)


def _display_sql(column: Any) -> Any:
    """csv_text of str() of a column (a reference names its row by str of its display)."""
    kind = column.type
    if isinstance(kind, sa.String):
        return sql_text(column)
    if isinstance(kind, sa.Integer) and not isinstance(kind, sa.Boolean):
        return sql_text(sa.cast(column, sa.Text))
    return None


# -- the plan ------------------------------------------------------------------------------

def _looked_up(f: Any, index: int, render: Render) -> Convert:
    """A fixed-list value (enum, boolean) read once per value, not once per row."""
    seen: dict[Any, Any] = {}
    kind = f.kind

    def convert(row: Sequence[Any]) -> Any:
        value = row[index]
        try:
            return seen[value]
        except KeyError:
            seen[value] = out = kind.cell(f, value, render)
            return out

    return convert


def _choices_sql(f: Any, column: Any, render: Render) -> Any:
    if not isinstance(column.type, (sa.String, sa.Boolean)):
        return None
    whens = []
    for text, _label in f.kind.choices(f, render, every=True):
        value = f.kind.parse(f, text)
        whens.append((column == sa.literal(value, column.type),
                      _python_field(f.kind.cell(f, value, render))))
    if isinstance(column.type, sa.Boolean):
        return sa.case(*whens, else_="") if whens else None
    return sa.case(*whens, else_=sql_text(column)) if whens else sql_text(column)


def _reference(f: Any, model: type, joins: list[tuple[Any, Any]], index: int) -> Part | None:
    target: Any = sa.inspect(model).relationships[f.name].mapper.class_
    entity = getattr(target, "__entity__", None)
    if entity is None or not entity.has_field(entity.display):
        return None
    shown = entity.field(entity.display)
    if not shown.is_column or shown.kind.refers or shown.kind.uploads:
        return None
    alias = aliased(target)
    joins.append((alias, alias.id == getattr(model, f.column)))
    column = getattr(alias, shown.column)
    # str() of the row names it (generator/models.py); text is already its own str()
    convert = None if isinstance(column.type, sa.String) else _bound(_str_or_blank, index)
    return Part(column, convert=convert, csv=_display_sql(column))


def _str_or_blank(value: Any) -> str:
    return "" if value is None else str(value)


def _bound(convert: Callable[[Any], Any], index: int) -> Convert:
    def read(row: Sequence[Any]) -> Any:
        return convert(row[index])

    return read


def _by_type(f: Any, render: Render) -> Callable[[Any], Any]:
    def cell(value: Any) -> Any:
        return f.kind.cell(f, value, render)

    return cell


def _file(f: Any, model: type) -> Part:
    key, name = getattr(model, f.name), getattr(model, f"{f.name}_name")

    def convert(values: Sequence[Any]) -> Any:
        stored, original = values
        return "" if not stored else str(original or stored)

    shown = sa.func.coalesce(sa.func.nullif(name, "", type_=sa.Text), key, type_=sa.Text)
    csv = sa.case((sa.func.coalesce(key, "", type_=sa.Text) == "", ""), else_=sql_text(shown))
    return Part(key, convert=convert, csv=csv, extra=[name])


def _computed(f: Any, entity: Any, model: type, render: Render) -> Part | None:
    readable = [x.name for x in entity.fields if x.is_column and x.kind.in_expressions]
    expression = compile_expr(f.expr or "", readable)
    names = sorted(expression.names)
    if any(entity.field(n).kind.refers for n in names):
        return None  # the ORM hands the expression a row of the other entity
    columns = [getattr(model, n) for n in names]
    kind = f.kind

    def convert(values: Sequence[Any]) -> Any:
        value = expression.evaluate(dict(zip(names, values[1:], strict=True)))
        return kind.cell(f, value, render)

    return Part(sa.literal(None), convert=convert, extra=columns)


def plan(entity: Any, model: type, columns: list[Column], render: Render) -> Plan | None:
    """How to read `columns` of `entity` with one select; None: only the ORM stream can."""
    parts: list[Part] = []
    joins: list[tuple[Any, Any]] = []
    for index, c in enumerate(columns):
        part: Part | None
        if c.key == ORG:
            org: Any = aliased(sa.inspect(model).relationships["org"].mapper.class_)
            joins.append((org, org.id == model.org_id))  # type: ignore[attr-defined]
            part = Part(org.name, csv=sql_text(org.name))
        else:
            f = c.field
            assert f is not None
            kind = f.kind
            if kind.refers:
                part = _reference(f, model, joins, index)
            elif kind.uploads:
                part = _file(f, model)
            elif f.expr is not None:
                part = _computed(f, entity, model, render)
            elif not f.is_column or not hasattr(model, f.name):
                part = None
            else:
                column = getattr(model, f.name)
                if kind.choices_fixed:
                    part = Part(column, convert=_looked_up(f, index, render),
                                csv=_choices_sql(f, column, render))
                elif kind.cell_is_value:
                    part = Part(column, csv=_plain_sql(column))
                else:  # read per row by the type (a deadline's days left)
                    part = Part(column, convert=_bound(_by_type(f, render), index))
        if part is None:
            return None
        parts.append(part)
    return Plan(model, parts, joins, [c.header for c in columns])
