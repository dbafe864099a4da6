"""The field-type registry: one object per type (see base.py for what a type owns).

Every module of this package that defines a FieldType subclass with a `name` registers it;
adding a type is one new file here plus its tests (tests/generator/test_types.py checks that
every type implements every facet).
"""

from __future__ import annotations

import importlib
import pkgutil

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
    is_blank,
)

__all__ = ["BAD", "TYPES", "FieldType", "Invalid", "Joined", "Message", "N_", "Reader",
           "Render", "SchemaValue", "field_type", "is_blank"]


def _discover() -> dict[str, FieldType]:
    found: dict[str, FieldType] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("_") or info.name == "base":
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        for value in vars(module).values():
            if (isinstance(value, type) and issubclass(value, FieldType)
                    and value.__module__ == module.__name__ and "name" in vars(value)):
                found[value.name] = value()
    return found


TYPES: dict[str, FieldType] = _discover()
# The order the YAML reference lists them in (and error messages offer them in).
ORDER = ("string", "text", "integer", "decimal", "boolean", "date", "datetime", "enum",
         "reference", "user", "child", "file", "computed", "rollup", "deadline", "match",
         "match_row", "check_code", "timestamp")
TYPES = {name: TYPES[name] for name in ORDER if name in TYPES} | {
    name: kind for name, kind in TYPES.items() if name not in ORDER}


def field_type(name: str) -> FieldType:
    return TYPES[name]
