"""What string and text share: lengths, a regular expression, stripped input."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from generator.types.base import BAD, N_, FieldType, Invalid, Message, Reader, plain_text

if TYPE_CHECKING:
    from generator.spec import Field

MSG_TEXT = N_("Must be text.")
MSG_MIN_LENGTH = N_("At least %(min)s characters.")
MSG_MAX_LENGTH = N_("At most %(max)s characters.")
MSG_FORMAT = N_("Does not match the required format.")


class TextLike(FieldType):
    bounds = "length"
    value_allowed = "text"
    keeps_text_format = True
    cell_is_value = True
    search_control = "text"

    def read(self, reader: Reader, body: Any, path: str, kw: dict[str, Any]) -> None:
        if "regex" in body:
            pattern = body["regex"]
            if reader.expect(pattern, str, body.where("regex"), f"{path}.regex"):
                try:
                    re.compile(pattern)
                    kw["regex"] = pattern
                except re.error as exc:
                    reader.err("SCHEMA-E018", body.where("regex"), f"{path}.regex",
                               f"invalid regular expression: {exc}",
                               "a Python regular expression")
        if "regex_message" in body:
            kw["regex_message"] = reader.label(body, "regex_message", path, "")

    def json_schema(self, f: Field, reading: bool) -> dict[str, Any]:
        schema: dict[str, Any] = {"type": "string"}
        if self.max_length(f) is not None:
            schema["maxLength"] = self.max_length(f)
        if not reading and f.min:
            schema["minLength"] = int(f.min)
        if not reading and f.regex:
            schema["pattern"] = f"^(?:{f.regex})$"
        return schema

    def yaml_value(self, value: Any) -> Any:
        return value if isinstance(value, str) else BAD

    def parse(self, f: Field, raw: Any) -> Any:
        if raw is None:
            return None
        if isinstance(raw, bool) or not isinstance(raw, (str, int, float)):
            raise Invalid(MSG_TEXT)
        text = plain_text(raw)
        if text == "":
            return None
        for name in f.validators:
            from generator.identifiers import NORMALIZERS

            text = NORMALIZERS[name](text)
        return text

    def validate(self, f: Field, value: Any) -> list[Message]:
        errors: list[Message] = []
        length = len(value)
        if f.min is not None and length < f.min:
            errors.append(Message(MSG_MIN_LENGTH, {"min": f.min}))
        limit = self.max_length(f)
        if limit is not None and length > limit:
            errors.append(Message(MSG_MAX_LENGTH, {"max": limit}))
        if f.regex and not re.fullmatch(f.regex, value):
            errors.append(Message("", label=f.regex_message)
                          if f.regex_message else Message(MSG_FORMAT))
        return errors

    def template_rules(self, f: Field, render: Any) -> list[str]:
        limit = self.max_length(f)
        return [render.gettext(MSG_MAX_LENGTH, max=limit)] if limit else []
