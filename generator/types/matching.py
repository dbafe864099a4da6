"""`match` and `match_row`: what the entity's `matching:` found for a row (药品追溯: does the
downstream purchase answer this sale), kept by the app. The checks add both to every entity
with `matching:` (`match_state`, `matched_id` unless the YAML names them); no door writes them.
The state is listed, filtered, sorted, counted by dashboards and exported like an enum; the
row is the id of the row on the other side it was paired with."""

from __future__ import annotations

from typing import Any

from generator.types.base import Reader
from generator.types.enum import EnumType
from generator.types.integer import IntegerType


class MatchType(EnumType):
    name = "match"
    keys = ()  # type: ignore[assignment]
    kept = True
    accepts_default = False
    importable = False
    list_editable = False
    control = None  # type: ignore[assignment]
    search_default = False

    def read(self, reader: Reader, body: Any, path: str, kw: dict[str, Any]) -> None:
        reader.err("SCHEMA-E017", body.where("type"), f"{path}.type", "a match state is kept "
                   "by the entity's matching", "matching: on the entity")


class MatchRowType(IntegerType):
    name = "match_row"
    keys = ()  # type: ignore[assignment]
    kept = True
    accepts_default = False
    importable = False
    list_editable = False
    control = None
    listed_by_default = False

    def read(self, reader: Reader, body: Any, path: str, kw: dict[str, Any]) -> None:
        reader.err("SCHEMA-E017", body.where("type"), f"{path}.type", "a matched row is kept "
                   "by the entity's matching", "matching: on the entity")

    def template_example(self, f: Any, render: Any) -> Any:
        return ""
