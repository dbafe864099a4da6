"""`favourites`, `tabs` and `searchable` of an entity (事项清单, 全局搜索): every mistake reported
at once (SCHEMA-E054, E055, E056), located; good ones reach the Spec."""

from __future__ import annotations

from pathlib import Path

from generator import check_path, load_spec

GOOD = """\
module: m
roles:
  firm: {label: 企业, level: unit}
entities:
  Item:
    fields:
      kind: {type: enum, values: {a: 许可事项, b: 服务事项}}
      name: string
      about: text
      online: boolean
    favourites: true
    tabs: kind
    searchable: {title: name, text: [about, name]}
    permissions:
      firm: [list, show]
  Other:
    fields:
      open: boolean
    tabs: open
"""

BROKEN = """\
module: m
entities:
  Item:
    fields:
      kind: {type: enum, values: {a: 许可事项}}
      name: string
      about: text
      count: integer
    favourites: "yes please"
    tabs: name
    searchable: {title: about, text: [count, nope], words: 3}
  Two:
    fields:
      count: integer
    tabs: [count]
    searchable: {text: [count]}
  Three:
    fields:
      name: string
    searchable: name
"""


def test_good_keys_reach_the_spec(tmp_path: Path) -> None:
    path = tmp_path / "entities.yaml"
    path.write_text(GOOD, encoding="utf-8")
    spec = load_spec(str(path))
    item, other = spec.entity("m.Item"), spec.entity("m.Other")
    assert (item.favourites, item.tabs) == (True, "kind")
    assert item.searchable is not None
    assert (item.searchable.title, item.searchable.text) == ("name", ("about", "name"))
    assert item.searchable.fields == ("name", "about")
    assert "name" in item.initials_fields  # the title is found by its pinyin initials
    assert (other.favourites, other.tabs, other.searchable) == (False, "open", None)


def test_every_mistake_is_reported_where_it_is(tmp_path: Path) -> None:
    path = tmp_path / "entities.yaml"
    path.write_text(BROKEN, encoding="utf-8")
    got = [str(p) for p in check_path(str(path))]
    assert got == [
        "SCHEMA-E054 entities.yaml:9 entities.Item.favourites: 'yes please' is not yes/no; "
        "expected true (a star on each row) or false",
        "SCHEMA-E055 entities.yaml:10 entities.Item.tabs: 'name' is not a field of Item with "
        "a fixed list of values; expected one of kind",
        "SCHEMA-E003 entities.yaml:11 entities.Item.searchable.words: unknown key 'words'; "
        "expected one of title, text",
        "SCHEMA-E056 entities.yaml:11 entities.Item.searchable.title: 'about' is not a string "
        "field of Item; expected one of name",
        "SCHEMA-E056 entities.yaml:11 entities.Item.searchable.text: 'count' is not a string "
        "or text field of Item; expected one of about, name",
        "SCHEMA-E056 entities.yaml:11 entities.Item.searchable.text: 'nope' is not a string "
        "or text field of Item; expected one of about, name",
        "SCHEMA-E055 entities.yaml:15 entities.Two.tabs: a list is not a field of Two "
        "with a fixed list of values; expected one of (no enum or yes/no field)",
        "SCHEMA-E004 entities.yaml:16 entities.Two.searchable: required key 'title' is "
        "missing; expected a 'title' entry",
        "SCHEMA-E056 entities.yaml:16 entities.Two.searchable.text: 'count' is not a string "
        "or text field of Two; expected one of (no string or text field)",
        "SCHEMA-E002 entities.yaml:20 entities.Three.searchable: is text; expected a mapping",
    ]
