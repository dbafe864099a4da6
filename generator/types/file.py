"""`file`: one uploaded file, kept through the storage interface under a generated key;
the name it was uploaded under and its size sit beside it. `hook: upload_limit` checks
the content type, size and the organisation's quota."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from generator.types.base import FieldType, Reader, Render

if TYPE_CHECKING:
    from generator.spec import Field

NAME_MAX = 255


class FileType(FieldType):
    name = "file"
    keys = ("hook", "params")
    accepts_default = False
    orderable = False
    listed_by_default = False
    searchable = False
    groupable = False
    in_expressions = False
    in_api = False  # the API shows the uploaded name (<name>_name), read-only
    importable = False
    list_editable = False
    blank_text = True
    control = "file"
    uploads = True

    def read(self, reader: Reader, body: Any, path: str, kw: dict[str, Any]) -> None:
        if "hook" in body:
            kw["hook"] = reader.hook_ref(body.get("hook"), body.get("params") or {},
                                         body.where("hook"), f"{path}.hook", "field")
        elif "params" in body:
            reader.err("SCHEMA-E025", body.where("params"), f"{path}.params",
                       "'params' without a 'hook'", "hook: upload_limit with its params")

    def derived(self, name: str) -> tuple[str, ...]:
        return (f"{name}_name", f"{name}_size", f"{name}_file")

    def columns(self, f: Field, target_table: str | None) -> list[tuple[str, Any]]:
        from sqlalchemy import BigInteger, Column, Integer, String

        return [
            (f.name, Column(String(NAME_MAX), nullable=True)),  # storage key
            (f"{f.name}_name", Column(String(NAME_MAX), nullable=True)),  # as uploaded
            (f"{f.name}_size", Column(BigInteger().with_variant(Integer, "sqlite"),
                                      nullable=True)),
        ]

    def display(self, f: Field, value: Any, render: Render) -> str:
        if value is None:
            return ""
        return str(getattr(value, "name", value))
