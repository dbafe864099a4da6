"""Checks of `time_limit` on states and `extend` on transitions (延长期限): what a correct
schema becomes, and every mistake with its place."""

from __future__ import annotations

from pathlib import Path

from generator import check_path, load_spec
from generator.spec import TimeLimit

SCHEMA = """\
module: m
roles:
  unit: {label: 执法人员, level: unit, user_class: regulator}
  boss: {label: 分管领导, level: unit, user_class: regulator}
workflows:
  flow:
    states:
      open: {label: 调查取证, time_limit: {days: 90, calendar: calendar}}
      longer: {label: 延期调查, time_limit: {days: 30, calendar: calendar}}
      done: 已结案
    transitions:
      extend: {from: open, to: longer, roles: [boss], reason: true, todo: false, extend: true}
      finish: {from: [open, longer], to: done, roles: [unit]}
entities:
  Case:
    workflow: flow
    fields: {title: string}
"""


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "entities.yaml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_an_extension_and_its_limits_become_these_spec_objects(tmp_path: Path) -> None:
    flow = load_spec(write(tmp_path, SCHEMA)).entity("m.Case").workflow
    assert flow is not None and flow.due_field == "state_due"
    assert [s.time_limit for s in flow.states] == [
        TimeLimit(90, "calendar"), TimeLimit(30, "calendar"), None]
    extend, finish = flow.transition("extend"), flow.transition("finish")
    assert extend is not None and extend.extend and not extend.todo
    assert finish is not None and not finish.extend


def test_an_extension_needs_a_limit_at_both_ends(tmp_path: Path) -> None:
    bad = SCHEMA.replace("to: longer, roles: [boss]", "to: done, roles: [boss]").replace(
        "finish: {from: [open, longer]", "finish: {from: [longer, done]").replace(
        "      extend:", "      again: {from: done, to: longer, roles: [boss], extend: true}\n"
        "      extend:")
    problems = [str(p) for p in check_path(write(tmp_path, bad))]
    assert problems == [
        "SCHEMA-E027 entities.yaml:12 workflows.flow.transitions.again.extend: state 'done' "
        "has no due date to extend; expected `from` states with a time_limit, or no extend",
        "SCHEMA-E027 entities.yaml:13 workflows.flow.transitions.extend.extend: state 'done' "
        "has no time_limit to extend by; expected a `to` state with a time_limit, or no "
        "extend",
    ]
