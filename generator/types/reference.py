"""`reference`: a row of another entity (`to`), chosen within the chooser's data range and
the field's `choices`; stored as the row's id in `<name>_id`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from generator.types.base import N_, ROW_ID_MAX, FieldType, Invalid, Reader, Render, plain_text

if TYPE_CHECKING:
    from generator.spec import Field

MSG_ID = N_("Must be the id of a record.")
MSG_MISSING = N_("The selected record does not exist.")
MSG_RULE = N_("The name of an existing record.")
ON_DELETE = ("restrict", "cascade", "set_null")
ON_DELETE_SQL = {"restrict": "RESTRICT", "cascade": "CASCADE", "set_null": "SET NULL"}


def row_id(raw: Any, message: str = MSG_ID) -> int | None:
    """A row id from any door: a whole number a row id can be, or Invalid."""
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, (int, str)):
        raise Invalid(message)
    text = plain_text(raw) if isinstance(raw, str) else str(raw)
    if text == "":
        return None
    if not (text.isascii() and text.isdigit()):
        raise Invalid(message)
    if len(text) > 10 or int(text) > ROW_ID_MAX or int(text) == 0:
        raise Invalid(MSG_MISSING)  # no row has it
    return int(text)


class ReferenceType(FieldType):
    name = "reference"
    keys = ("to", "on_delete", "choices", "depends_on")
    target_key = "to"  # the key naming another entity, resolved once all are known
    refers = True
    accepts_default = False
    orderable = False
    list_editable = False
    keeps_text_format = True
    control = "reference"
    form_value = "id"
    search_control = "reference"
    resolves_by_display = True  # spreadsheets name the row by its display text

    def read(self, reader: Reader, body: Any, path: str, kw: dict[str, Any]) -> None:
        on_delete = body.get("on_delete", "restrict")
        if on_delete not in ON_DELETE:
            reader.err("SCHEMA-E017", body.where("on_delete"), f"{path}.on_delete",
                       f"'{on_delete}' is not allowed", "one of " + ", ".join(ON_DELETE))
        else:
            kw["on_delete"] = on_delete

    def derived(self, name: str) -> tuple[str, ...]:
        return (f"{name}_id",)

    def column_name(self, f: Field) -> str:
        return f"{f.name}_id"

    def columns(self, f: Field, target_table: str | None) -> list[tuple[str, Any]]:
        from sqlalchemy import Column, ForeignKey, Integer

        fk = ForeignKey(f"{target_table}.id", ondelete=ON_DELETE_SQL[f.on_delete],
                        name=f"fk_{f.name}_{target_table}"[:63])
        return [(self.column_name(f), Column(Integer, fk, nullable=True))]

    def parse(self, f: Field, raw: Any) -> Any:
        return row_id(raw)

    def json_schema(self, f: Field, reading: bool) -> dict[str, Any]:
        # Sent as the row's id; read back as the row (FAB nests the referenced row).
        row_id = {"type": "integer", "minimum": 1, "maximum": ROW_ID_MAX}
        if not reading:
            return row_id
        return {"type": "object", "properties": {"id": row_id}, "required": ["id"]}

    def display(self, f: Field, value: Any, render: Render) -> str:
        if value is None:
            return ""
        if isinstance(value, dict):  # as the audit trail keeps it
            return str(value.get("text", "") or "")
        return str(value)

    def stored_value(self, f: Field, value: Any) -> Any:
        if value is None:
            return None
        return {"id": getattr(value, "id", None), "text": str(value)}

    def template_rules(self, f: Field, render: Render) -> list[str]:
        return [render.gettext(MSG_RULE)]
