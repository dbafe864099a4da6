"""Checks of the `user` field type (承办人) and of a state's `todo_for`: what they become and
every mistake with its place."""

from __future__ import annotations

from pathlib import Path

from generator import check_path, load_spec
from generator.types.user import Named

SCHEMA = """\
module: m
roles:
  county: {label: 区县级, level: county, user_class: regulator}
  inspector: {label: 执法人员, level: county, user_class: regulator}
workflows:
  flow:
    states:
      open: {label: 办理中, edit: true, todo_for: handler}
      done: 已办结
    transitions:
      finish: {from: open, to: done, roles: [inspector]}
entities:
  Case:
    scope: jurisdiction
    workflow: flow
    fields:
      code: {type: string, max: 20}
      handler: {type: user, roles: [inspector], label: {zh: 承办人}}
"""


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "entities.yaml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def problems_of(tmp_path: Path, text: str) -> list[str]:
    return [str(p) for p in check_path(write(tmp_path, text), {})]


def test_a_user_field_and_todo_for_become_these_spec_objects(tmp_path: Path) -> None:
    spec = load_spec(write(tmp_path, SCHEMA), {})
    case = spec.entity("m.Case")
    handler = case.field("handler")
    assert handler.roles == ("inspector",) and handler.kind.person
    assert handler.column == "handler" and not handler.kind.refers
    assert handler.kind.parse(handler, "nx_inspector") == Named("nx_inspector")
    assert isinstance(handler.kind.parse(handler, "nx_inspector"), Named)
    assert handler.kind.parse(handler, " 7 ") == 7
    flow = case.workflow
    assert flow is not None
    assert {s.key: s.todo_for for s in flow.states} == {"open": "handler", "done": None}


def test_every_mistake_is_reported_with_its_place(tmp_path: Path) -> None:
    text = (SCHEMA.replace("roles: [inspector], label", "roles: [alien], label")
            .replace("todo_for: handler", "todo_for: code"))
    assert problems_of(tmp_path, text) == [
        "SCHEMA-E019 entities.yaml:15 entities.Case.workflow: state 'open' is 待办 of the "
        "person in 'code', which is not a user field here; expected a field code: {type: "
        "user, roles: [...]}",
        "SCHEMA-E023 entities.yaml:18 entities.Case.fields.handler.roles: unknown role "
        "'alien'; expected one of county, inspector",
    ]
    assert problems_of(tmp_path, SCHEMA.replace("roles: [inspector], label", "roles: [], "
                                                "label")) == [
        "SCHEMA-E017 entities.yaml:18 entities.Case.fields.handler.roles: no roles are named; "
        "expected at least one role"]


def test_a_user_field_needs_roles_and_todo_for_a_name(tmp_path: Path) -> None:
    text = (SCHEMA.replace(", roles: [inspector], label", ", label")
            .replace("todo_for: handler", "todo_for: [handler]"))
    assert problems_of(tmp_path, text) == [
        "SCHEMA-E017 entities.yaml:8 workflows.flow.states.open.todo_for: ['handler'] is not "
        "allowed; expected the name of a `user` field",
        "SCHEMA-E004 entities.yaml:18 entities.Case.fields.handler: required key 'roles' is "
        "missing; expected a list of the roles whose accounts may be chosen",
    ]
