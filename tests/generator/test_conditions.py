"""Cascading choices and conditional fields in the generator: every mistake located with its
code, and the expression trees the form's script evaluates (generator/builders/conditions.py)."""

from __future__ import annotations

from generator import check_path, load_spec
from generator.builders.conditions import form_conditions, tree
from tests.conftest import SCHEMAS


def test_each_mistake_is_reported_where_it_is() -> None:
    problems = [str(p) for p in check_path(str(SCHEMAS / "conditional_bad" / "entities.yaml"))]
    at = "entities.yaml"
    assert problems == [
        f"SCHEMA-E019 {at}:18 entities.A.fields.c.depends_on.field: 'nope' is not another "
        "reference of A; expected one of d, p, v, x, y",
        f"SCHEMA-E032 {at}:19 entities.A.fields.d.depends_on.match: 'parent' is not a "
        "reference of R to V (what v holds); expected one of (none)",
        f"SCHEMA-E031 {at}:21 entities.A.fields.x.depends_on: fields depend on each other in "
        "a circle; expected a chain such as province -> city -> county",
        f"SCHEMA-E031 {at}:22 entities.A.fields.y.depends_on: fields depend on each other in "
        "a circle; expected a chain such as province -> city -> county",
        f"SCHEMA-E031 {at}:23 entities.A.fields.k.visible_if: fields are shown only when each "
        "other is shown; expected a visible_if that does not lead back to its own field",
        f"SCHEMA-E031 {at}:24 entities.A.fields.k2.visible_if: fields are shown only when each "
        "other is shown; expected a visible_if that does not lead back to its own field",
        f"SCHEMA-E011 {at}:25 entities.A.fields.s.required: 'required' does not apply to a "
        "field shown only when visible_if holds; expected required_if (a hidden field is "
        "never required)",
        f"SCHEMA-E015 {at}:26 entities.A.fields.t.readonly_if: Unknown name 'unknown'; "
        "expected field names: c, d, e, e2, k, k2, p, s, t, u, v, w, x, y",
        f"SCHEMA-E015 {at}:27 entities.A.fields.u.required_if: Syntax error: invalid syntax "
        "(column 0); expected numbers, 'text', True/False/None, field names, unary + - not, "
        "binary + - * / // %, comparisons == != < <= > >= (and 'is None' / 'is not None'), "
        "and/or, 'a if c else b'",
        f"SCHEMA-E002 {at}:28 entities.A.fields.w.visible_if: is a number; expected text",
        f"SCHEMA-E020 {at}:29 entities.A.fields.e.choices_by.map.x: 'x' is not a integer of "
        "w; expected a whole number",
        f"SCHEMA-E020 {at}:29 entities.A.fields.e.choices_by.map.1: c not among the values of "
        "e; expected some of a, b",
        f"SCHEMA-E019 {at}:30 entities.A.fields.e2.choices_by.field: unknown field 'none'; "
        "expected one of c, d, e, k, k2, p, s, t, u, v, w, x, y",
    ]


def test_the_form_gets_trees_of_the_rules_and_the_enum_cascades() -> None:
    entity = load_spec(str(SCHEMAS / "conditional" / "entities.yaml")).entity("cond.Report")
    conditions = form_conditions(entity)
    overseas = ["cmp", ["=="], ["name", "kind"], [["const", "overseas"]]]
    assert conditions.rules == {
        "agent": {"visible_if": overseas, "required_if": overseas},
        "reason": {"required_if": ["and", [
            ["cmp", ["isnot"], ["name", "quantity"], [["const", None]]],
            ["cmp", [">"], ["name", "quantity"], [["const", 100]]]]]},
        "amount": {"readonly_if": ["name", "locked"]},
    }
    assert conditions.values == {"kind": "text", "locked": "bool", "quantity": "number"}
    assert conditions.options == {"dosage": {"field": "kind", "map": [
        ["domestic", ["tablet", "capsule"]], ["overseas", ["injection"]]]}}
    assert tree("not (a + 1 if b else round(c, 2))") == ["not", ["if", ["name", "b"], [
        "bin", "+", ["name", "a"], ["const", 1]], ["call", "round", [["name", "c"],
                                                                   ["const", 2]]]]]


def test_the_form_gets_the_rules_of_its_child_lines() -> None:
    spec = load_spec(str(SCHEMAS / "conditional" / "entities.yaml"))
    entity = spec.entity("cond.Report")
    assert form_conditions(entity).lines == {}  # without the spec: the entity alone
    lines = form_conditions(entity, spec).as_json()["lines"]
    assert list(lines) == ["lines"]
    assert lines["lines"]["rules"] == {
        "licence": {"visible_if": ["cmp", ["=="], ["name", "origin"], [["const", "imported"]]]},
        "note": {"required_if": ["and", [
            ["cmp", ["isnot"], ["name", "qty"], [["const", None]]],
            ["cmp", [">"], ["name", "qty"], [["const", 100]]]]]},
        "price": {"readonly_if": ["name", "fixed"]},
    }
    assert lines["lines"]["values"] == {"fixed": "bool", "origin": "text", "qty": "number"}
