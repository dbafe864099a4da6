"""Streaming exports: csv (UTF-8 with BOM) and xlsx (constant memory), any number of rows.

Rows come from a query that already carries the user's scope and filters (the list's own
query); they are fetched in batches, so memory stays flat whatever the row count.
"""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import io
import os
import re
import tempfile
from collections.abc import Iterable, Iterator
from typing import Any

from flask_babel import gettext as _

from app.io.columns import Column, cell

BATCH = 2000
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def disposition(name: str, fallback: str = "export") -> str:
    """Content-Disposition of a download named `name` (app/security/headers.py)."""
    from app.security.headers import content_disposition

    return content_disposition(name, fallback)


# Cells a spreadsheet would run as a formula (OWASP "CSV Injection"); tab and CR because
# spreadsheets drop them before looking at the next character.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
SHEET_NAME_MAX = 31  # UTF-16 code units, as Excel counts


def neutralise(text: str) -> str:
    """User text for a CSV cell: a leading single quote when it could start a formula."""
    return "'" + text if text.startswith(FORMULA_START) else text


def csv_text(value: Any) -> str:
    """One CSV cell: numbers stay numbers (a negative amount is not text), text is
    neutralised, dates read YYYY-MM-DD."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return neutralise(str(value))
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (int, float, decimal.Decimal)):
        return str(value)
    text = neutralise(str(value))
    # Excel turns long digit strings (ID card numbers, codes) into numbers and drops digits
    # past the 15th; a leading tab keeps them text, and imports strip it again.
    if len(text) >= 12 and text.isdigit():
        return "\t" + text
    return text


def csv_lines(headers: Iterable[str], lines: Iterable[Iterable[Any]]) -> Iterator[bytes]:
    """A CSV file (UTF-8 with BOM, for Excel) one line at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([csv_text(h) for h in headers])
    yield "\ufeff".encode() + buffer.getvalue().encode("utf-8")
    for line in lines:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([csv_text(v) for v in line])
        yield buffer.getvalue().encode("utf-8")


def column_lines(columns: list[Column], rows: Iterable[Any]) -> Iterator[list[Any]]:
    """An entity's rows as lines of cells, one per column."""
    return ([cell(c, row) for c in columns] for row in rows)


def percent_columns(columns: list[Column]) -> list[int]:
    """The columns an xlsx export formats as percentages."""
    return [i for i, c in enumerate(columns) if c.field is not None and c.percent]


def sheet_name(name: str) -> str:
    """A worksheet name Excel accepts: none of []:*?/\\, at most 31 characters, not empty,
    no apostrophe at either end, not the reserved "History"."""
    text = SHEET_NAME_FORBIDDEN.sub("", name).strip().strip("'")
    while len(text.encode("utf-16-le", "surrogatepass")) // 2 > SHEET_NAME_MAX:
        text = text[:-1]
    text = text.strip().strip("'")
    if not text or text.lower() == "history":
        return _("Data")
    return text


def write_lines_xlsx(headers: list[str], lines: Iterable[Iterable[Any]], title: str,
                     percent: Iterable[int] = ()) -> str:
    """Write a table to a temporary xlsx file (constant memory) and return its path; the caller
    removes it. Text is always written as text, never as a formula or a link."""
    import xlsxwriter  # on first use: a start-up writes no workbook

    handle, path = tempfile.mkstemp(suffix=".xlsx")
    os.close(handle)
    book = xlsxwriter.Workbook(path, {"constant_memory": True, "strings_to_numbers": False,
                                      "strings_to_formulas": False, "strings_to_urls": False})
    sheet = book.add_worksheet(sheet_name(title))
    bold = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    date = book.add_format({"num_format": "yyyy-mm-dd"})
    stamp = book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    percent_format = book.add_format({"num_format": "0.0%"})
    text = book.add_format({"num_format": "@"})
    percents = set(percent)
    for index, header in enumerate(headers):
        sheet.write_string(0, index, header, bold)
        sheet.set_column(index, index, max(10, min(40, len(header) * 2 + 4)))
    sheet.freeze_panes(1, 0)
    for number, line in enumerate(lines, start=1):
        for index, value in enumerate(line):
            if value == "" or value is None:
                continue
            if isinstance(value, dt.datetime):
                sheet.write_datetime(number, index, value, stamp)
            elif isinstance(value, dt.date):
                sheet.write_datetime(number, index, dt.datetime.combine(value, dt.time()), date)
            elif isinstance(value, bool):
                sheet.write_string(number, index, str(value), text)
            elif isinstance(value, (int, float, decimal.Decimal)):
                sheet.write_number(number, index, float(value),
                                   percent_format if index in percents else None)
            else:
                sheet.write_string(number, index, str(value), text)
    book.close()
    return path


def batched(query: Any) -> Iterator[Any]:
    """ORM rows in batches (server-side where the database allows)."""
    yield from query.yield_per(BATCH)
