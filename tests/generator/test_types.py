"""The field-type registry: every type implements every facet, one parser serves every
door, and nothing outside the registry compares a type's name."""

from __future__ import annotations

import datetime as dt
import decimal
import re
from pathlib import Path
from typing import Any

import pytest

from generator.spec import EnumValue, Field, Label, Rollup
from generator.types import TYPES, FieldType, Invalid, Render

ROOT = Path(__file__).resolve().parents[2]
RENDER = Render("zh_CN", lambda msgid, **params: msgid % params if params else msgid)
ENUM = (EnumValue("domestic", Label("境内企业", "Domestic")),
        EnumValue("overseas", Label("境外企业", "Overseas")))

# type -> (Field arguments, raw values from several doors with the typed value each gives,
#          raw values every door refuses)
SAMPLES: dict[str, tuple[dict[str, Any], list[tuple[Any, Any]], list[Any]]] = {
    "string": ({"max": 5, "validators": ("mobile",)},
               [(" 13800138000 ", "13800138000"), (13800138000.0, "13800138000"),
                ("\t138 0013 8000", "13800138000")], [True, {"a": 1}, [1]]),
    "text": ({}, [("两行\n文字 ", "两行\n文字"), (12, "12")], [False, {}]),
    "integer": ({}, [("12", 12), (12.0, 12), (-3, -3), ("+4", 4), (decimal.Decimal("5"), 5)],
                ["1.5", "abc", True, 1.5, "١٢", "9" * 30, 2**63, "NaN"]),
    "decimal": ({"precision": 6, "scale": 2},
                [("1.25", decimal.Decimal("1.25")), (2, decimal.Decimal(2)),
                 (0.1, decimal.Decimal("0.1")), ("1e2", decimal.Decimal("1E+2"))],
                ["NaN", "sNaN", "Infinity", "-inf", "abc", True, [], "1" * 101]),
    "boolean": ({}, [(True, True), ("是", True), ("否", False), ("true", True), ("0", False),
                     (1, True)], ["maybe", 2, {}]),
    "date": ({}, [("2026-01-31", dt.date(2026, 1, 31)), ("2026/01/31", dt.date(2026, 1, 31)),
                  (dt.datetime(2026, 1, 31, 8), dt.date(2026, 1, 31))],
             ["2026-02-30", "31/01/2026", 20260131, True]),
    "datetime": ({}, [("2026-01-31 08:30:00", dt.datetime(2026, 1, 31, 8, 30)),
                      ("2026-01-31T08:30", dt.datetime(2026, 1, 31, 8, 30)),
                      ("2026-01-31T00:30:00+00:00", dt.datetime(2026, 1, 31, 8, 30)),
                      (dt.date(2026, 1, 31), dt.datetime(2026, 1, 31))],
                 ["2026-01-31 25:00", "now", 1.5]),
    "enum": ({"values": ENUM}, [("domestic", "domestic"), ("境外企业", "overseas"),
                                ("Overseas", "overseas")], ["alien", True, {}]),
    "reference": ({"to": "m.Target"}, [("12", 12), (12, 12)],
                  ["abc", True, -1, "0", 2**31, "99999999999999999999", 1.5]),
    "user": ({"roles": ("inspector",)}, [("12", 12), (12, 12), (12.0, 12)],
             [True, -1, "0", 0, 2**31, "99999999999999999999", 1.5, {}, []]),
    "child": ({"entity": "m.Line"}, [], []),
    "file": ({}, [], []),
    "computed": ({"expr": "a + 1", "format": "percent", "places": 1}, [], []),
    "deadline": ({"format": "working"}, [("2026-01-31", dt.date(2026, 1, 31))], ["abc"]),
    "rollup": ({"entity": "m.Line", "rollup": Rollup("sum", "parent", "points"), "scale": 1},
               [("1.5", decimal.Decimal("1.5"))], ["abc"]),
    "match": ({"values": (EnumValue("matched", Label("已匹配", "Matched")),
                          EnumValue("differs", Label("数量不符", "Quantities differ")))},
              [("matched", "matched"), ("数量不符", "differs")], ["lost", True]),
    "match_row": ({}, [("12", 12), (12, 12)], ["abc", 1.5]),
    "check_code": ({}, [("XAIA2XE9", "XAIA2XE9"), (" xaia2xe9 ", "XAIA2XE9"),
                        ("XAIA 2XE9", "XAIA2XE9")],
                   ["XAIA2XE", "XAIA2XE99", "核对码核对码核对码", True, 1.5, {}, "XAIA-XE9"]),
    "timestamp": ({}, [("2026-01-31 08:30:00", dt.datetime(2026, 1, 31, 8, 30))], ["now"]),
}
BLANKS = [None, "", "  ", "\t"]


def field_of(name: str) -> Field:
    return Field("f", name, Label("字段", "Field"), **SAMPLES[name][0])


def test_every_type_has_samples_here() -> None:
    assert set(TYPES) == set(SAMPLES)


@pytest.mark.parametrize("name", sorted(TYPES))
def test_every_type_implements_every_facet(name: str) -> None:
    kind = TYPES[name]
    f = field_of(name)
    assert isinstance(kind, FieldType) and kind.name == name and f.kind is kind
    assert all(isinstance(k, str) for k in kind.keys)
    columns = kind.columns(f, "target_table")
    assert bool(columns) == kind.stored  # a stored type has its column(s), the others none
    if kind.stored:
        assert columns[0][0] == kind.column_name(f)
    for facet in ("validate", "display", "cell", "text", "stored_value", "from_stored",
                  "template_example", "template_rules", "choices", "derived"):
        assert callable(getattr(kind, facet)), facet
    assert kind.display(f, None, RENDER) == ""
    assert kind.cell(f, None, RENDER) == ""
    assert kind.text(f, None) == ""
    assert isinstance(kind.template_rules(f, RENDER), list)
    assert kind.control is None or isinstance(kind.control, str)


@pytest.mark.parametrize("name", sorted(n for n, (_kw, good, _bad) in SAMPLES.items() if good))
def test_one_parser_for_every_door(name: str) -> None:
    f = field_of(name)
    kind = f.kind
    for blank in BLANKS:
        assert kind.parse(f, blank) is None
    for raw, expected in SAMPLES[name][1]:
        value = kind.parse(f, raw)
        assert value == expected and type(value) is type(expected), (raw, value)
        # what an input box shows reads back as the same value; JSON keeps it too
        assert kind.parse(f, kind.text(f, value)) == value
        if not kind.refers:  # a reference is stored with its row's text, loaded by the caller
            assert kind.from_stored(f, kind.stored_value(f, value)) == value
        assert isinstance(kind.display(f, value, RENDER), str)
    for raw in SAMPLES[name][2]:
        with pytest.raises(Invalid) as caught:
            kind.parse(f, raw)
        assert caught.value.message.msgid, raw


def test_validation_messages_are_msgids_with_placeholders() -> None:
    f = Field("p", "decimal", Label("单价", "Price"), min=decimal.Decimal(0), precision=6,
              scale=2)
    assert [m.msgid for m in f.kind.validate(f, decimal.Decimal("-1.234"))] == [
        "Must be at least %(min)s.", "At most %(places)s decimal places."]
    assert [m.msgid for m in f.kind.validate(f, decimal.Decimal("12345"))] == [
        "Too many digits: at most %(digits)s before the decimal point."]
    assert f.kind.validate(f, decimal.Decimal("1E+9"))  # exponents count as digits
    s = field_of("string")
    assert [m.msgid for m in s.kind.validate(s, "1234567")] == [
        "At most %(max)s characters.",
        "Not a valid mainland China mobile number (11 digits starting with 13 to 19)."]


def test_display_of_each_type() -> None:
    assert field_of("enum").kind.display(field_of("enum"), "overseas", RENDER) == "境外企业"
    assert field_of("boolean").kind.display(field_of("boolean"), False, RENDER) == "No"
    c = field_of("computed")
    assert c.kind.display(c, decimal.Decimal("0.256"), RENDER) == "25.6%"
    assert c.kind.cell(c, decimal.Decimal("0.25"), RENDER) == 0.25
    d = field_of("datetime")
    assert d.kind.display(d, dt.datetime(2026, 1, 2, 3, 4, 5, 678), RENDER) == \
        "2026-01-02 03:04:05"
    r = field_of("reference")
    assert r.kind.display(r, {"id": 3, "text": "某企业"}, RENDER) == "某企业"


# What a comparison of a field type's name looks like in code.
TYPE_COMPARISON = re.compile(
    r"""\.type\s*(==|!=|\bin\b|\bnot in\b)|type\s*==\s*["'](string|"""
    r"""text|integer|decimal|boolean|date|datetime|enum|reference|child|file|computed)["']""")


def test_check_codes_are_drawn_from_an_alphabet_without_look_alikes() -> None:
    from generator.types.check_code import ALPHABET, new_code

    codes = {new_code() for _ in range(2000)}
    assert len(codes) == 2000  # 31^8 codes: no two of a few thousand alike
    assert all(len(c) == 8 and set(c) <= set(ALPHABET) for c in codes)
    assert not set("01ILO") & set(ALPHABET)
    assert len(set("".join(codes))) == len(ALPHABET)  # every character is drawn


def test_only_the_registry_compares_type_names() -> None:
    offenders = []
    for folder in ("app", "generator"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            if "generator/types" in path.as_posix():
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                code = line.split("#")[0]
                if TYPE_COMPARISON.search(code) and "mimetype" not in code:
                    offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offenders == []


def test_a_dictionary_enum_is_named_by_its_entity_and_field(tmp_path: Path) -> None:
    """`dictionary: true` gives the field its 数据字典 key; anything but a boolean is refused;
    without the app's table its values are the YAML's, all offered."""
    from generator import check_path, load_spec
    from generator.types.enum import offered, values_of

    path = tmp_path / "entities.yaml"
    path.write_text("module: m\nentities:\n  A:\n    fields:\n"
                    "      k: {type: enum, dictionary: true, values: {a: 甲, b: 乙}}\n"
                    "      j: {type: enum, values: {a: 甲}}\n", encoding="utf-8")
    field = load_spec(str(path)).entity("m.A").field("k")
    assert field.dictionary == "m.A.k"
    assert load_spec(str(path)).entity("m.A").field("j").dictionary == ""
    assert [v.value for v in values_of(field)] == [v.value for v in offered(field)] == ["a", "b"]
    path.write_text("module: m\nentities:\n  A:\n    fields:\n"
                    "      k: {type: enum, dictionary: 'yes', values: {a: 甲}}\n",
                    encoding="utf-8")
    assert [str(p) for p in check_path(str(path))] == [
        "SCHEMA-E002 entities.yaml:5 entities.A.fields.k.dictionary: is text; expected yes/no "
        "(true or false)"]
