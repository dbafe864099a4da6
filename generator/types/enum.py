"""`enum`: one of the values the YAML lists, each with a Chinese (and English) label.

With `dictionary: true` the YAML's values are only the seed: system administrators edit
them at runtime (数据字典: add, relabel, reorder, disable). The values then come from a
`Dictionary` source the app installs (app/system/dictionary.py, the table and its version
check); without one (the generator, its tests) they are the YAML's. A disabled value stays
valid and readable on the rows holding it, but no door offers or accepts it as new input
(`new_value_errors`, `choices`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

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
MSG_DISABLED = N_("「%(label)s」 is no longer in use; choose one of: %(values)s.")
MSG_ONE_OF = N_("One of: %(values)s")
MIN_WIDTH = 32


class Dictionary(Protocol):
    """Where the runtime values of a `dictionary: true` field come from."""

    def values(self, f: Field) -> tuple[EnumValue, ...] | None:
        """Every value in order, disabled ones too; None: the YAML's."""


_SOURCES: list[Dictionary] = []


def use_dictionary(source: Dictionary) -> None:
    """Install the runtime source (once per process; it finds the current app itself)."""
    if not any(s is source for s in _SOURCES):
        _SOURCES.append(source)


def values_of(f: Field) -> tuple[EnumValue, ...]:
    """The field's values now: the dictionary's for a dictionary field, else the YAML's."""
    if f.dictionary:
        for source in _SOURCES:
            found = source.values(f)
            if found is not None:
                return found
    return f.values


def offered(f: Field) -> tuple[EnumValue, ...]:
    return tuple(v for v in values_of(f) if v.enabled)


def value_width(f: Field) -> int:
    """How long a stored value may be: the column's width."""
    return max([MIN_WIDTH] + [len(v.value) for v in f.values])


class EnumType(FieldType):
    name = "enum"
    # choices_by: generator/checks/fields.py (it names another field)
    keys = ("values", "dictionary", "choices_by")
    value_allowed = "one of the enum values"
    search_default = True
    blank_text = True
    control = "select"
    list_input = "select"
    choices_fixed = True
    search_control = "choice"

    def json_schema(self, f: Field, reading: bool) -> dict[str, Any]:
        shown = values_of(f) if reading else offered(f)
        return {"type": "string", "enum": [v.value for v in shown],
                "x-enum-labels": {v.value: v.label.zh for v in shown}}

    def read(self, reader: Reader, body: Any, path: str, kw: dict[str, Any]) -> None:
        kw["values"] = read_values(reader, body, path)
        if "dictionary" in body and reader.expect(body["dictionary"], bool,
                                                  body.where("dictionary"),
                                                  f"{path}.dictionary"):
            # the key is the entity's and the field's (generator/checks/drafts.py)
            kw["dictionary"] = "yes" if body["dictionary"] else ""

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

        return [(f.name, Column(String(value_width(f)), nullable=True, default=f.default))]

    def parse(self, f: Field, raw: Any) -> Any:
        if raw is None:
            return None
        if isinstance(raw, bool) or not isinstance(raw, (str, int, float)):
            raise Invalid(MSG_NOT_ALLOWED, values=Joined(v.label for v in offered(f)))
        text = plain_text(raw)
        if text == "":
            return None
        for item in values_of(f):  # the stored value, or a label in either language
            if text in (item.value, item.label.zh, item.label.en):
                return item.value
        raise Invalid(MSG_NOT_ALLOWED, values=Joined(v.label for v in offered(f)))

    def validate(self, f: Field, value: Any) -> list[Message]:
        if value in [v.value for v in values_of(f)]:
            return []
        return [Message(MSG_NOT_ALLOWED, {"values": Joined(v.label for v in offered(f))})]

    def new_value_errors(self, f: Field, value: Any) -> list[Message]:
        for item in values_of(f):
            if item.value == value and not item.enabled:
                return [Message(MSG_DISABLED, {"label": item.label.zh, "values": Joined(
                    v.label for v in offered(f))})]
        return []

    def display(self, f: Field, value: Any, render: Render) -> str:
        for item in values_of(f):
            if item.value == value:
                return item.label.get(render.locale)
        return "" if value is None else str(value)

    def choices(self, f: Field, render: Render, keep: Any = None,
                every: bool = False) -> list[tuple[str, str]]:
        return [(v.value, v.label.get(render.locale)) for v in values_of(f)
                if every or v.enabled or v.value == keep]

    def template_example(self, f: Field, render: Render) -> Any:
        shown = offered(f)
        chosen = f.default if f.default is not None else (shown[0].value if shown else "")
        return self.display(f, chosen, render)

    def template_rules(self, f: Field, render: Render) -> list[str]:
        return [render.gettext(MSG_ONE_OF, values="、".join(
            v.label.get(render.locale) for v in offered(f)))]
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
