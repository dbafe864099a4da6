"""`boolean`: 是 or 否."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from generator.types.base import BAD, N_, FieldType, Invalid, Render, plain_text

if TYPE_CHECKING:
    from generator.spec import Field

MSG_BOOLEAN = N_("Must be true or false.")
MSG_YES, MSG_NO = N_("Yes"), N_("No")
MSG_RULE = N_("是 or 否.")
TRUE_WORDS = frozenset({"是", "true", "1", "y", "yes", "√", "✓", "on"})
FALSE_WORDS = frozenset({"否", "false", "0", "n", "no", "off"})


class BooleanType(FieldType):
    name = "boolean"
    summable = False
    control = "checkbox"
    form_value = "bool"
    list_input = "select"
    choices_fixed = True
    search_control = "choice"

    def columns(self, f: Field, target_table: str | None) -> list[tuple[str, Any]]:
        from sqlalchemy import Boolean, Column

        return [(f.name, Column(Boolean, nullable=True, default=f.default))]

    value_allowed = "true or false"

    def yaml_value(self, value: Any) -> Any:
        return value if isinstance(value, bool) else BAD  # YAML's own true / false

    def parse(self, f: Field, raw: Any) -> Any:
        if raw is None or isinstance(raw, bool):
            return raw
        if isinstance(raw, (int, float)) and raw in (0, 1):
            return bool(raw)
        if isinstance(raw, str):
            text = plain_text(raw).lower()
            if text == "":
                return None
            if text in TRUE_WORDS:
                return True
            if text in FALSE_WORDS:
                return False
        raise Invalid(MSG_BOOLEAN)

    def json_schema(self, f: Field, reading: bool) -> dict[str, Any]:
        return {"type": "boolean"}

    def display(self, f: Field, value: Any, render: Render) -> str:
        if value is None:
            return ""
        return render.gettext(MSG_YES) if value else render.gettext(MSG_NO)

    def text(self, f: Field, value: Any) -> str:
        return "" if value is None else ("true" if value else "false")

    def choices(self, f: Field, render: Render, keep: Any = None,
                every: bool = False) -> list[tuple[str, str]]:
        return [("true", render.gettext(MSG_YES)), ("false", render.gettext(MSG_NO))]

    def template_example(self, f: Field, render: Render) -> Any:
        return "是"

    def template_rules(self, f: Field, render: Render) -> list[str]:
        return [render.gettext(MSG_RULE)]
