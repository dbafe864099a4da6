"""Checks of the keys the home page reads: a transition's `todo` and a module's `landing`,
what they become and every mistake with its place."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from app.hooks import CATALOGUE  # the landing's `window` reads the window_deadline hook
from generator import check_path, load_spec
from generator.problems import Problem
from generator.spec import Label, Landing, LandingChoice, Spec

SCHEMA = """\
module: m
roles:
  unit: {label: 单位, level: unit, user_class: institution}
  boss: {label: 上级, level: province, user_class: regulator}
workflows:
  flow:
    states: {saved: 已保存, sent: 已上报}
    transitions:
      send: {from: saved, to: sent, roles: [unit]}
      back: {from: sent, to: saved, roles: [unit], todo: false}
      judge: {from: sent, to: saved, roles: [boss], todo: true}
landing:
  title: {zh: 请选择, en: Choose}
  user_classes: [institution]
  choices:
    now:
      label: {zh: 新批次报量, en: New}
      help: 开放中的批次
      icon: fa-pencil
      entity: Row
      window: open
    past: {label: 历史报量查询, entity: m.Row, window: closed}
    plain: {label: 批次, entity: Batch}
entities:
  Batch:
    fields: {name: string}
  Row:
    scope: own
    workflow: flow
    hooks:
      window_deadline: {window: w, batch_field: batch}
    fields:
      batch: {type: reference, to: Batch}
      qty: integer
"""


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "entities.yaml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def spec_of(path: str) -> Spec:
    return load_spec(path, CATALOGUE)


def problems_of(path: str) -> list[Any]:
    found: list[Problem] = check_path(path, CATALOGUE)
    return [str(p) for p in found]


def test_todo_and_landing_become_these_spec_objects(tmp_path: Path) -> None:
    spec = spec_of(write(tmp_path, SCHEMA))
    flow = spec.entity("m.Row").workflow
    assert flow is not None
    assert {t.key: t.todo for t in flow.transitions} == {"send": True, "back": False,
                                                         "judge": True}
    assert spec.module("m").landing == Landing(
        Label("请选择", "Choose"),
        (LandingChoice("now", Label("新批次报量", "New"), "m.Row",
                       Label("开放中的批次", "开放中的批次"), "fa-pencil", "open"),
         LandingChoice("past", Label("历史报量查询", "历史报量查询"), "m.Row", None,
                       "fa-arrow-right", "closed"),
         LandingChoice("plain", Label("批次", "批次"), "m.Batch")),
        ("institution",))


def test_a_module_without_landing_has_none(tmp_path: Path) -> None:
    text = SCHEMA.split("landing:")[0] + "entities:" + SCHEMA.split("entities:", 1)[1]
    assert spec_of(write(tmp_path, text)).module("m").landing is None


def test_every_mistake_is_reported_with_its_place(tmp_path: Path) -> None:
    text = (SCHEMA
            .replace("todo: false}", "todo: no please}")
            .replace("user_classes: [institution]", "user_classes: [alien]\n  colour: red")
            .replace("      window: open", "      window: soon")
            .replace("{label: 历史报量查询, entity: m.Row, window: closed}",
                     "{label: 历史报量查询, entity: Nope}")
            .replace("{label: 批次, entity: Batch}", "{label: 批次, entity: Batch, window: open}")
            + "\n")
    problems = problems_of(write(tmp_path, text))
    assert problems == [
        "SCHEMA-E002 entities.yaml:10 workflows.flow.transitions.back.todo: is text; expected "
        "yes/no (true or false)",
        "SCHEMA-E017 entities.yaml:14 landing.user_classes: 'alien' is not allowed; expected "
        "one of regulator, legal_person, agent, institution, admin, citizen",
        "SCHEMA-E003 entities.yaml:15 landing.colour: unknown key 'colour'; expected one of "
        "title, user_classes, choices",
        "SCHEMA-E017 entities.yaml:22 landing.choices.now.window: 'soon' is not allowed; "
        "expected one of open, closed",
        "SCHEMA-E013 entities.yaml:23 landing.choices.past.entity: unknown entity 'Nope'; "
        "expected one of m.Batch, m.Row",
        "SCHEMA-E025 entities.yaml:24 landing.choices.plain.window: 'Batch' has no reporting "
        "window by batch; expected an entity with hooks: {window_deadline: {window: …, "
        "batch_field: …}}",
    ]


def test_a_landing_needs_choices_with_label_and_entity(tmp_path: Path) -> None:
    empty = SCHEMA.split("landing:")[0] + "landing: {choices: {}}\nentities:" + \
        SCHEMA.split("entities:", 1)[1]
    assert problems_of(write(tmp_path, empty)) == [
        "SCHEMA-E004 entities.yaml:12 landing.choices: a landing needs at least one choice; "
        "expected a mapping of name -> choice"]
    missing = SCHEMA.replace("{label: 批次, entity: Batch}", "{icon: fa-flag}")
    assert problems_of(write(tmp_path, missing)) == [
        "SCHEMA-E004 entities.yaml:23 landing.choices.plain: required key 'label' is missing; "
        "expected a 'label' entry",
        "SCHEMA-E004 entities.yaml:23 landing.choices.plain: required key 'entity' is missing; "
        "expected a 'entity' entry",
    ]
