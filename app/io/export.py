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
import tempfile
from collections.abc import Iterable, Iterator
from typing import Any

import xlsxwriter

from app.io.columns import Column, cell

BATCH = 2000


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value)
    # Excel turns long digit strings (ID card numbers, codes) into numbers and drops digits
    # past the 15th; a leading tab keeps them text, and imports strip it again.
    if len(text) >= 12 and text.isdigit():
        return "\t" + text
    return text


def csv_chunks(columns: list[Column], rows: Iterable[Any]) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([c.header for c in columns])
    yield "\ufeff".encode() + buffer.getvalue().encode("utf-8")
    for row in rows:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([_text(cell(c, row)) for c in columns])
        yield buffer.getvalue().encode("utf-8")


def write_xlsx(columns: list[Column], rows: Iterable[Any], sheet_name: str) -> str:
    """Write to a temporary file (constant memory) and return its path; the caller removes it."""
    handle, path = tempfile.mkstemp(suffix=".xlsx")
    os.close(handle)
    book = xlsxwriter.Workbook(path, {"constant_memory": True, "strings_to_numbers": False,
                                      "strings_to_formulas": False, "strings_to_urls": False})
    sheet = book.add_worksheet(sheet_name[:31])
    bold = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    date = book.add_format({"num_format": "yyyy-mm-dd"})
    stamp = book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    percent = book.add_format({"num_format": "0.0%"})
    text = book.add_format({"num_format": "@"})
    for index, column in enumerate(columns):
        sheet.write_string(0, index, column.header, bold)
        sheet.set_column(index, index, max(10, min(40, len(column.header) * 2 + 4)))
    sheet.freeze_panes(1, 0)
    for number, row in enumerate(rows, start=1):
        for index, column in enumerate(columns):
            value = cell(column, row)
            if value == "" or value is None:
                continue
            if isinstance(value, dt.datetime):
                sheet.write_datetime(number, index, value, stamp)
            elif isinstance(value, dt.date):
                sheet.write_datetime(number, index, dt.datetime.combine(value, dt.time()), date)
            elif isinstance(value, bool):
                sheet.write_string(number, index, str(value), text)
            elif isinstance(value, (int, float, decimal.Decimal)):
                fmt = percent if column.percent else None
                sheet.write_number(number, index, float(value), fmt)
            else:
                sheet.write_string(number, index, str(value), text)
    book.close()
    return path


def batched(query: Any) -> Iterator[Any]:
    """ORM rows in batches (server-side where the database allows)."""
    yield from query.yield_per(BATCH)
