"""`check_code`: the 核对码 of an application (seed 003 ch. 4: 「XAIA0XE9」), the code a person
quotes on the phone or types into 办理进度 to find one application among many.

The database column's default draws it when the row is inserted, at every door (forms, the
REST API, imports, COPY of a bulk import: app/io/copy_rows.py runs column defaults too), from
`secrets`: 8 characters of an alphabet without the look-alikes 0/O, 1/I/L, so about 2^39
codes that cannot be guessed from a row's id or its neighbours. The column is unique; no door
writes it (forms leave it out, the REST API refuses it with 422, imports do not read it). It
is searched by exact match (typed in any case, with stray blanks), listed and exported as
text.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

from generator.types.base import N_, FieldType, Invalid, Reader, plain_text

if TYPE_CHECKING:
    from generator.spec import Field

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: read out and typed without doubt
LENGTH = 8
MSG_CODE = N_("A check code is 8 letters and digits.")


def new_code() -> str:
    """A fresh 核对码 (the column default of every check_code field)."""
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


class CheckCodeType(FieldType):
    name = "check_code"
    keys = ()
    kept = True  # the database draws it; no door writes it
    accepts_default = False
    importable = False
    list_editable = False
    groupable = False
    control = None
    search_control = "exact"
    search_default = True
    keeps_text_format = True
    cell_is_value = True

    def read(self, reader: Reader, body: Any, path: str, kw: dict[str, Any]) -> None:
        kw["unique"] = True

    def max_length(self, f: Field) -> int | None:
        return LENGTH

    def columns(self, f: Field, target_table: str | None) -> list[tuple[str, Any]]:
        from sqlalchemy import Column, String

        # unique: the field is (read above), so the checks give it its unique index
        return [(f.name, Column(String(LENGTH), nullable=True, default=new_code))]

    def parse(self, f: Field, raw: Any) -> Any:
        """What a person types to find a code: any case, blanks around it."""
        if raw is None:
            return None
        if isinstance(raw, bool) or not isinstance(raw, (str, int)):
            raise Invalid(MSG_CODE)
        text = plain_text(raw).replace(" ", "").upper()
        if text == "":
            return None
        if len(text) != LENGTH or not text.isascii() or not text.isalnum():
            raise Invalid(MSG_CODE)
        return text

    def json_schema(self, f: Field, reading: bool) -> dict[str, Any]:
        return {"type": "string", "minLength": LENGTH, "maxLength": LENGTH, "readOnly": True}

    def template_example(self, f: Field, render: Any) -> Any:
        return ""
