"""`string`: one line of text, 255 characters unless `max` says otherwise; identifier
validators (统一社会信用代码, 身份证号, 批准文号, 手机号) normalise and check it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from generator.types._text import TextLike
from generator.types.base import Message, Reader

if TYPE_CHECKING:
    from generator.spec import Field

DEFAULT_MAX = 255


class StringType(TextLike):
    name = "string"
    keys = ("min", "max", "regex", "regex_message", "validators")
    search_default = True
    display_default = True
    blank_text = True
    initials = True  # one line: its pinyin initials are stored when it is searched

    def read(self, reader: Reader, body: Any, path: str, kw: dict[str, Any]) -> None:
        super().read(reader, body, path, kw)
        if "validators" in body:
            kw["validators"] = _validators(reader, body, path)

    def derived(self, name: str) -> tuple[str, ...]:
        return (f"{name}_initials",)

    def max_length(self, f: Field) -> int | None:
        return int(f.max) if f.max is not None else DEFAULT_MAX

    def columns(self, f: Field, target_table: str | None) -> list[tuple[str, Any]]:
        from sqlalchemy import Column, String

        return [(f.name, Column(String(self.max_length(f)), nullable=True,
                                default=f.default))]

    def validate(self, f: Field, value: Any) -> list[Message]:
        from generator.identifiers import VALIDATORS

        errors = super().validate(f, value)
        for name in f.validators:
            predicate, message = VALIDATORS[name]
            if not predicate(value):
                errors.append(Message(message))
        return errors

    def template_example(self, f: Field, render: Any) -> Any:
        from generator.identifiers import uscc_check_char

        examples = {"uscc": "91350100M000100Y4" + uscc_check_char("91350100M000100Y4"),
                    "mobile": "13800138000", "id_card": "11010519491231002X",
                    "approval_number": "国药准字H20203001"}
        return next((examples[v] for v in f.validators if v in examples), "")


def _validators(reader: Reader, body: Any, path: str) -> tuple[str, ...]:
    from generator.identifiers import VALIDATORS

    raw = body["validators"]
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list):
        reader.expect(raw, list, body.where("validators"), f"{path}.validators")
        return ()
    out = []
    for i, name in enumerate(raw):
        where = raw.where(i) if hasattr(raw, "where") else body.where("validators")
        if not reader.expect(name, str, where, f"{path}.validators[{i}]"):
            continue  # a mapping or a list is no validator's name (and cannot be looked up)
        if name not in VALIDATORS:
            reader.err("SCHEMA-E016", where, f"{path}.validators[{i}]",
                       f"unknown validator '{name}'",
                       "one of " + ", ".join(sorted(VALIDATORS)))
        else:
            out.append(name)
    return tuple(out)
