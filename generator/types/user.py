"""`user`: a person's account (承办人), chosen among the active accounts holding one of the
field's `roles` within the chooser's jurisdiction; stored as the account's id in a column
of the field's name and shown as the person's name.

Which accounts may be chosen needs the database and the signed-in person, so the app checks
it at every door (app/people.py); this type reads the value: an account's id, or (from a
spreadsheet or a JSON body) the account's user name or the person's name, resolved there.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from generator.types.base import N_, ROW_ID_MAX, FieldType, Invalid, Reader, Render, plain_text

if TYPE_CHECKING:
    from generator.spec import Field

MSG_PERSON = N_("Must be a person's account.")
MSG_RULE = N_("The user name or the name of a person who may be chosen.")


class Named(str):
    """A person named by text (user name or name), not yet resolved to an account."""

    __slots__ = ()


class UserType(FieldType):
    name = "user"
    keys = ("roles",)
    accepts_default = False
    orderable = False
    list_editable = False
    keeps_text_format = True
    person = True
    control = "person"
    form_value = "id"
    search_control = "choice"

    def read(self, reader: Reader, body: Any, path: str, kw: dict[str, Any]) -> None:
        if "roles" not in body:
            reader.err("SCHEMA-E004", body.where(), path, "required key 'roles' is missing",
                       "a list of the roles whose accounts may be chosen")
            return
        roles = [r for r, at in reader.names(body, "roles", path)
                 if reader.known_role(r, at, f"{path}.roles")]
        if body.get("roles") == []:
            reader.err("SCHEMA-E017", body.where("roles"), f"{path}.roles",
                       "no roles are named", "at least one role")
        kw["roles"] = tuple(dict.fromkeys(roles))

    def columns(self, f: Field, target_table: str | None) -> list[tuple[str, Any]]:
        """`target_table`: the accounts' table; generator/models.py adds the foreign key to
        the account model it is given (FAB's table lives in FAB's metadata)."""
        from sqlalchemy import Column, Integer

        return [(f.name, Column(Integer, nullable=True))]

    def parse(self, f: Field, raw: Any) -> Any:
        if raw is None:
            return None
        if isinstance(raw, bool) or not isinstance(raw, (int, str, float)):
            raise Invalid(MSG_PERSON)
        if isinstance(raw, float):
            if not raw.is_integer():
                raise Invalid(MSG_PERSON)
            raw = int(raw)
        if isinstance(raw, int):
            if not 0 < raw <= ROW_ID_MAX:
                raise Invalid(MSG_PERSON)
            return raw
        text = plain_text(raw)
        if text == "":
            return None
        if text.isascii() and text.isdigit():
            if len(text) > 10 or not 0 < int(text) <= ROW_ID_MAX:
                raise Invalid(MSG_PERSON)
            return int(text)
        return Named(text)

    def display(self, f: Field, value: Any, render: Render) -> str:
        if value is None:
            return ""
        if isinstance(value, dict):  # as the audit trail keeps it
            return str(value.get("text", "") or "")
        if isinstance(value, int) and render.person is not None:
            return render.person(value)
        return str(value)

    def stored_value(self, f: Field, value: Any) -> Any:
        return value

    def json_schema(self, f: Field, reading: bool) -> dict[str, Any]:
        as_id = {"type": "integer", "minimum": 1, "maximum": ROW_ID_MAX}
        if reading:
            return as_id
        return {"oneOf": [as_id, {"type": "string", "minLength": 1}]}

    def template_example(self, f: Field, render: Render) -> Any:
        return ""

    def template_rules(self, f: Field, render: Render) -> list[str]:
        return [render.gettext(MSG_RULE)]
