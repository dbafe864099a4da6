"""Import templates generated from the schema: headers, drop-downs, an example row and the
instructions, in Chinese; and the error report of an import that did not pass.

openpyxl is imported when a workbook is made: loading it is a good part of a start-up that
serves no spreadsheet."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from flask_babel import gettext as _

from app.io.columns import Column
from app.labels import current_locale, render
from generator.spec import Entity

REQUIRED_FILL = "FCE4D6"  # header of a required column
HEADER_FILL = "DDEBF7"
MAX_ROWS = 100_000  # rows the drop-downs cover


def _example(column: Column) -> Any:
    f = column.field
    if f is None:
        return ""  # the organisation: the user's own when left empty
    if f.default is not None:
        return f.kind.cell(f, f.default, render())
    return f.kind.template_example(f, render())


def _rule(column: Column) -> str:
    f = column.field
    if f is None:
        return _("Code or name of an organisation within your jurisdiction; empty: your own.")
    parts = f.kind.template_rules(f, render())
    if f.validators:
        parts.append(_("Checked: %(names)s", names="、".join(f.validators)))
    if f.help:
        parts.append(f.help.get(current_locale()))
    return " ".join(parts)


def build_template(entity: Entity, cols: list[Column]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    fills = {True: PatternFill("solid", fgColor=REQUIRED_FILL),
             False: PatternFill("solid", fgColor=HEADER_FILL)}
    book = Workbook()
    sheet = book.active
    sheet.title = _("Data")
    for index, column in enumerate(cols, start=1):
        header = f"{column.header}*" if column.required else column.header
        cell = sheet.cell(row=1, column=index, value=header)
        cell.font = Font(bold=True, color="C00000" if column.required else "000000")
        cell.fill = fills[column.required]
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = max(12, len(column.header) * 2 + 6)
        if column.text_format:
            for row in sheet.iter_rows(min_row=2, max_row=2, min_col=index, max_col=index):
                row[0].number_format = "@"  # codes stay text
        choices = column.field.kind.choices(column.field, render()) if column.field else []
        if choices:  # a drop-down of the labels
            labels = ",".join(label for _value, label in choices)
            rule = DataValidation(type="list", formula1=f'"{labels}"', allow_blank=True,
                                  showErrorMessage=True, errorTitle=_("Not allowed"),
                                  error=_("Choose a value from the list."))
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
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("Errors"))
    sheet.append([_("Row"), _("Column"), _("Problem")])
    for error in errors:  # the columns and messages quote what the file held
        sheet.append([as_text(WriteOnlyCell(sheet, value=v))
                      for v in (error.row, error.column, error.message)])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
