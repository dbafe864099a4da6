"""The checker never fails with a traceback, whatever the YAML, and reports each mistake
once, where it is."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator import check_path
from generator.problems import CODES
from tests.generator.mutations import mutants

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "schema" / "entities.yaml"
FEATURES = ROOT / "tests" / "data" / "schemas" / "features" / "ok.yaml"


def _write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "entities.yaml"
    path.write_text(text, encoding="utf-8")
    return str(path)


@pytest.mark.parametrize(("root", "count", "seed"), [(SHIPPED, 80, 11), (FEATURES, 80, 12)])
def test_mutated_schemas_give_problems_never_a_traceback(tmp_path: Path, root: Path,
                                                          count: int, seed: int) -> None:
    from app.hooks import CATALOGUE

    for path in mutants(root, tmp_path, count, seed):
        for problem in check_path(str(path), CATALOGUE):  # raises nothing
            assert problem.code in CODES
            assert problem.location.file != "?", str(problem)


def test_an_impossible_date_is_located_and_the_rest_still_checked(tmp_path: Path) -> None:
    path = _write(tmp_path, "module: m\nentities:\n  A:\n    fields:\n"
                            "      d: {type: date, min: 2026-02-30}\n"
                            "      n: {type: integr}\n")
    problems = [str(p) for p in check_path(path)]
    assert problems == [
        "SCHEMA-E029 entities.yaml:5 (value): '2026-02-30' is not a date that exists (day is "
        "out of range for month); expected a real date like 2026-02-28",
        "SCHEMA-E010 entities.yaml:6 entities.A.fields.n.type: unknown type 'integr'; expected "
        "one of string, text, integer, decimal, boolean, date, datetime, enum, reference, "
        "user, child, file, computed, rollup, deadline, match, match_row, check_code, "
        "timestamp"]


def test_yes_and_no_must_be_quoted(tmp_path: Path) -> None:
    path = _write(tmp_path, "module: m\nentities:\n  A:\n    fields:\n"
                            "      open: {type: enum, values: {yes: 公开, no: 不公开}}\n"
                            "      flag: {type: boolean, default: on}\n"
                            "      fine: {type: enum, values: {'yes': 是, 'no': 否}}\n")
    problems = [(p.code, p.location.line, p.message) for p in check_path(path)]
    assert problems == [("SCHEMA-E028", 5, "unquoted 'yes' is read as true"),
                        ("SCHEMA-E028", 5, "unquoted 'no' is read as false"),
                        ("SCHEMA-E028", 6, "unquoted 'on' is read as true")]


def test_enum_labels_are_distinct(tmp_path: Path) -> None:
    path = _write(tmp_path, "module: m\nentities:\n  A:\n    fields:\n"
                            "      k: {type: enum, values: {a: 甲, b: 甲}}\n")
    [problem] = check_path(path)
    assert str(problem) == ("SCHEMA-E012 entities.yaml:5 entities.A.fields.k.values.b: label "
                            "'甲' is also the label of 'a'; expected a label used once, so "
                            "people can tell the values apart")


def test_required_if_names_a_value_the_other_field_has(tmp_path: Path) -> None:
    path = _write(tmp_path, "module: m\nentities:\n  A:\n    fields:\n"
                            "      k: {type: enum, values: {a: 甲, b: 乙}}\n"
                            "      x: {type: string, required_if: {field: k, equals: c}}\n")
    [problem] = check_path(path)
    assert str(problem) == ("SCHEMA-E020 entities.yaml:6 entities.A.fields.x.required_if: "
                            "'c' is not one of the values of k; expected one of a, b")


def test_a_broken_definition_is_reported_once_not_again_where_used(tmp_path: Path) -> None:
    path = _write(tmp_path, """
roles:
  boss: {level: galaxy}
module: m
workflows:
  flow:
    states: {open: 开, done: 完}
    transitions:
      finish: {from: opn, to: done, roles: [boss]}
entities:
  A:
    workflow: flow
    fields:
      bad: {type: integr}
      ok: string
    list: [bad, ok]
    list_edit: {fields: [ok], transition: finish}
    permissions:
      boss: [list]
""")
    codes = [(p.code, p.path) for p in check_path(path)]
    assert codes == [("SCHEMA-E017", "roles.boss.level"),
                     ("SCHEMA-E027", "workflows.flow.transitions.finish"),
                     ("SCHEMA-E010", "entities.A.fields.bad.type")]


def test_a_transition_named_like_a_built_in_right_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, """
roles:
  boss: {level: national}
module: m
workflows:
  flow:
    states: {open: 开, done: 完}
    transitions:
      request_change: {from: open, to: done, roles: [boss]}
      export: {from: open, to: done, roles: [boss]}
entities:
  A:
    fields: {ok: string}
""")
    problems = [(p.code, p.location.line, p.path) for p in check_path(path)]
    assert problems == [
        ("SCHEMA-E005", 9, "workflows.flow.transitions.request_change"),
        ("SCHEMA-E005", 10, "workflows.flow.transitions.export")]
