"""`enum`: one of the values the YAML lists, each with a Chinese (and English) label."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from generator.types.base import (
    BAD,
    N_,
    FieldType,
    Invalid,
    Joined,
    Message,
    Reader,
    Render,
    SchemaValue,
    plain_text,
)

if TYPE_CHECKING:
    from generator.spec import EnumValue, Field

MSG_NOT_ALLOWED = N_("Not one of the allowed values: %(values)s.")
MSG_ONE_OF = N_("One of: %(values)s")
MIN_WIDTH = 32


class EnumType(FieldType):
    name = "enum"
    keys = ("values",)
    value_allowed = "one of the enum values"
    search_default = True
    blank_text = True
    control = "select"
    list_input = "select"
    choices_fixed = True
    search_control = "choice"

    def json_schema(self, f: Field, reading: bool) -> dict[str, Any]:
        return {"type": "string", "enum": [v.value for v in f.values],
                "x-enum-labels": {v.value: v.label.zh for v in f.values}}

    def read(self, reader: Reader, body: Any, path: str, kw: dict[str, Any]) -> None:
        kw["values"] = read_values(reader, body, path)

    def yaml_value(self, value: Any) -> Any:
        return value if isinstance(value, str) else BAD

    def default_value(self, value: Any, kw: Any) -> Any:
        parsed = super().default_value(value, kw)
        values = [v.value for v in kw.get("values", ())]
        if values and parsed not in values:
            raise SchemaValue(f"'{parsed}' is not one of the values",
                              "one of " + ", ".join(values))
        return parsed

    def columns(self, f: Field, target_table: str | None) -> list[tuple[str, Any]]:
        from sqlalchemy import Column, String

        width = max([MIN_WIDTH] + [len(v.value) for v in f.values])
        return [(f.name, Column(String(width), nullable=True, default=f.default))]

    def parse(self, f: Field, raw: Any) -> Any:
        if raw is None:
            return None
        if isinstance(raw, bool) or not isinstance(raw, (str, int, float)):
            raise Invalid(MSG_NOT_ALLOWED, values=Joined(v.label for v in f.values))
        text = plain_text(raw)
        if text == "":
            return None
        for item in f.values:  # the stored value, or a label in either language
            if text in (item.value, item.label.zh, item.label.en):
                return item.value
        raise Invalid(MSG_NOT_ALLOWED, values=Joined(v.label for v in f.values))

    def validate(self, f: Field, value: Any) -> list[Message]:
        if value in [v.value for v in f.values]:
            return []
        return [Message(MSG_NOT_ALLOWED, {"values": Joined(v.label for v in f.values)})]

    def display(self, f: Field, value: Any, render: Render) -> str:
        return f.enum_label(value, render.locale)

    def choices(self, f: Field, render: Render) -> list[tuple[str, str]]:
        return [(v.value, v.label.get(render.locale)) for v in f.values]

    def template_example(self, f: Field, render: Render) -> Any:
        chosen = f.default if f.default is not None else f.values[0].value
        return f.enum_label(chosen, render.locale)

    def template_rules(self, f: Field, render: Render) -> list[str]:
        return [render.gettext(MSG_ONE_OF, values="、".join(
            v.label.get(render.locale) for v in f.values))]


def read_values(reader: Reader, body: Any, path: str) -> tuple[EnumValue, ...]:
    """`values: {key: label or {zh, en}}`: keys are the stored values, labels distinct."""
    from generator.spec import EnumValue, Label

    raw: Any = body.get("values")
    where = body.where("values")
    if raw is None:
        reader.err("SCHEMA-E012", body.where(), path, "an enum needs 'values'",
                   "a mapping of value -> label, e.g. {draft: 草稿}")
        return ()
    if not isinstance(raw, dict) or not raw:
        reader.err("SCHEMA-E012", where, f"{path}.values", f"is {reader.kind(raw)}",
                   "a non-empty mapping of value -> label, e.g. {draft: 草稿}")
        return ()
    out: list[EnumValue] = []
    seen: dict[str, str] = {}
    node: Any = raw  # a loader Node: it knows where each key is
    for value, label in node.items():
        at = f"{path}.values.{value}"
        if isinstance(label, str):
            item = EnumValue(value, Label(label, label))
        elif isinstance(label, dict):
            item = EnumValue(value, reader.label(node, value, f"{path}.values", value))
        else:
            reader.err("SCHEMA-E012", node.where(value), at, f"label is {reader.kind(label)}",
                       "text or {zh: ..., en: ...}")
            continue
        if item.label.zh in seen:
            reader.err("SCHEMA-E012", node.where(value), at,
                       f"label '{item.label.zh}' is also the label of '{seen[item.label.zh]}'",
                       "a label used once, so people can tell the values apart")
            continue
        seen[item.label.zh] = value
        out.append(item)
    return tuple(out)
