"""Import templates generated from the schema: headers, drop-downs, an example row and the
instructions, in Chinese; and the error report of an import that did not pass."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from app.io.columns import Column
from app.labels import current_locale
from generator.identifiers import uscc_check_char
from generator.spec import Entity

REQUIRED_FILL = PatternFill("solid", fgColor="FCE4D6")
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
MAX_ROWS = 100_000  # rows the drop-downs cover


def _example(column: Column) -> Any:
    f = column.field
    if f is None:
        return ""  # the organisation: the user's own when left empty
    if f.default is not None:
        if f.type == "enum":
            return f.enum_label(f.default, current_locale())
        return f.default
    if f.type == "enum":
        return f.values[0].label.get(current_locale())
    if "uscc" in f.validators:
        return "91350100M000100Y4" + uscc_check_char("91350100M000100Y4")
    if "mobile" in f.validators:
        return "13800138000"
    if "id_card" in f.validators:
        return "11010519491231002X"
    if "approval_number" in f.validators:
        return "国药准字H20203001"
    return {"integer": max(0, int(f.min or 0)) + 100, "decimal": 12.5, "boolean": "是",
            "date": dt.date(2026, 1, 31), "datetime": dt.datetime(2026, 1, 31, 8, 30),
            "reference": "", "string": "", "text": ""}.get(f.type, "")


def _rule(column: Column) -> str:
    f = column.field
    if f is None:
        return _("Code or name of an organisation within your jurisdiction; empty: your own.")
    parts = []
    if f.type == "enum":
        parts.append(_("One of: %(values)s", values="、".join(
            v.label.get(current_locale()) for v in f.values)))
    if f.type == "reference":
        parts.append(_("The name of an existing record."))
    if f.type in ("date", "datetime"):
        parts.append(_("Date like 2026-01-31."))
    if f.type == "boolean":
        parts.append(_("是 or 否."))
    if f.type in ("string", "text") and f.max_length:
        parts.append(_("At most %(max)s characters.", max=f.max_length))
    if f.type in ("integer", "decimal") and (f.min is not None or f.max is not None):
        parts.append(_("From %(min)s to %(max)s.", min=f.min if f.min is not None else "-∞",
                       max=f.max if f.max is not None else "∞"))
    if f.validators:
        parts.append(_("Checked: %(names)s", names="、".join(f.validators)))
    if f.help:
        parts.append(f.help.get(current_locale()))
    return " ".join(parts)


def build_template(entity: Entity, cols: list[Column]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = _("Data")
    for index, column in enumerate(cols, start=1):
        header = f"{column.header}*" if column.required else column.header
        cell = sheet.cell(row=1, column=index, value=header)
        cell.font = Font(bold=True, color="C00000" if column.required else "000000")
        cell.fill = REQUIRED_FILL if column.required else HEADER_FILL
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = max(12, len(column.header) * 2 + 6)
        if column.kind in ("string", "text", "reference", "org"):
            for row in sheet.iter_rows(min_row=2, max_row=2, min_col=index, max_col=index):
                row[0].number_format = "@"  # codes stay text
        if column.kind == "enum":
            labels = ",".join(v.label.get(current_locale()) for v in column.field.values)
            rule = DataValidation(type="list", formula1=f'"{labels}"', allow_blank=True,
                                  showErrorMessage=True, errorTitle=_("Not allowed"),
                                  error=_("Choose a value from the list."))
            rule.add(f"{letter}2:{letter}{MAX_ROWS}")
            sheet.add_data_validation(rule)
        if column.kind == "boolean":
            rule = DataValidation(type="list", formula1='"是,否"', allow_blank=True)
            rule.add(f"{letter}2:{letter}{MAX_ROWS}")
            sheet.add_data_validation(rule)
    sheet.freeze_panes = "A2"
    notes = book.create_sheet(_("Instructions"))
    notes.append([_("How to fill in this template")])
    notes["A1"].font = Font(bold=True, size=14)
    notes.append([_("Fill the sheet %(sheet)s from row 2. Columns marked * are required. "
                    "Every row is checked before anything is saved; if one row is wrong, "
                    "nothing is imported and every wrong row is listed.", sheet=_("Data"))])
    if entity.import_key:
        notes.append([_("Rows whose %(key)s matches an existing record update it.",
                        key="、".join(entity.field(n).label.get(current_locale())
                                     if n != "org" else _("Organisation")
                                     for n in entity.import_key))])
    notes.append([])
    notes.append([_("Column"), _("Required"), _("Rules"), _("Example")])
    for cell in notes[notes.max_row]:
        cell.font = Font(bold=True)
    for column in cols:
        example = _example(column)
        if isinstance(example, dt.datetime):
            example = example.strftime("%Y-%m-%d %H:%M")
        elif isinstance(example, dt.date):
            example = example.isoformat()
        notes.append([column.header, _("Yes") if column.required else "", _rule(column),
                      str(example)])
    for sheet_ in (sheet, notes):
        for line in sheet_.iter_rows():
            for cell in line:
                as_text(cell)
    notes.column_dimensions["A"].width = 24
    notes.column_dimensions["B"].width = 8
    notes.column_dimensions["C"].width = 80
    notes.column_dimensions["D"].width = 24
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def as_text(cell: Any) -> Any:
    """Text stays text: openpyxl would otherwise store a value starting with = as a formula."""
    if isinstance(cell.value, str):
        cell.data_type = "s"
    return cell


def build_error_report(errors: list[Any]) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("Errors"))
    sheet.append([_("Row"), _("Column"), _("Problem")])
    for error in errors:  # the columns and messages quote what the file held
        sheet.append([as_text(WriteOnlyCell(sheet, value=v))
                      for v in (error.row, error.column, error.message)])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
