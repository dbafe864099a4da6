"""Checks of a transition's `notify:` (消息中心): what it becomes and every mistake with its
place."""

from __future__ import annotations

from pathlib import Path

from app.hooks import CATALOGUE
from generator import check_path, load_spec
from generator.spec import Label, Notify

SCHEMA = """\
module: m
roles:
  unit: {label: 单位, level: unit, user_class: institution}
  boss: {label: 上级, level: province, user_class: regulator}
workflows:
  flow:
    states: {saved: 已保存, sent: 已上报, back: 退回}
    transitions:
      send:
        from: [saved, back]
        to: sent
        roles: [unit]
        notify: [{to: next, message: "{org}上报了{qty}"}]
      judge:
        from: sent
        to: back
        roles: [boss]
        reason: true
        notify:
          - {to: org, roles: [unit], message: {zh: "退回：{reason}（{qty}）", en: "Back: {reason}"}}
          - {to: actor, of: send, message: "{actor}退回了"}
entities:
  Row:
    scope: own
    workflow: flow
    fields:
      qty: integer
"""


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "entities.yaml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_notify_becomes_these_spec_objects(tmp_path: Path) -> None:
    flow = load_spec(write(tmp_path, SCHEMA), CATALOGUE).entity("m.Row").workflow
    assert flow is not None
    assert {t.key: t.notify for t in flow.transitions} == {
        "send": (Notify("next", Label("{org}上报了{qty}", "{org}上报了{qty}")),),
        "judge": (Notify("org", Label("退回：{reason}（{qty}）", "Back: {reason}"), ("unit",)),
                  Notify("actor", Label("{actor}退回了", "{actor}退回了"), (), "send"))}


def test_every_mistake_is_reported_with_its_place(tmp_path: Path) -> None:
    text = (SCHEMA.replace("to: next,", "to: everybody,")
            .replace("roles: [unit], message", "roles: [alien], message")
            .replace("（{qty}）", "（{amount}）")
            .replace("of: send", "of: fly")
            + "  Other: {fields: {n: integer}}\n")
    text = text.replace("{to: actor, of: fly, message: \"{actor}退回了\"}",
                        "{to: actor, message: \"{actor}退回了\", colour: red}")
    problems = [str(p) for p in check_path(write(tmp_path, text), CATALOGUE)]
    assert problems == [
        "SCHEMA-E017 entities.yaml:13 workflows.flow.transitions.send.notify[0].to: "
        "'everybody' is not allowed; expected one of org, next, actor",
        "SCHEMA-E023 entities.yaml:20 workflows.flow.transitions.judge.notify[0].roles: "
        "unknown role 'alien'; expected one of boss, unit",
        "SCHEMA-E003 entities.yaml:21 workflows.flow.transitions.judge.notify[1].colour: "
        "unknown key 'colour'; expected one of to, roles, of, message",
        "SCHEMA-E004 entities.yaml:21 workflows.flow.transitions.judge.notify[1]: required key "
        "'of' is missing; expected the transition whose actor is told: of: <transition>",
        "SCHEMA-E019 entities.yaml:25 workflows.flow.transitions.judge.notify[0].message: the "
        "message names '{amount}', which entities.Row does not have; expected one of action, "
        "actor, org, qty, reason",
    ]


def test_of_names_a_transition_of_the_workflow(tmp_path: Path) -> None:
    problems = [str(p) for p in check_path(write(tmp_path, SCHEMA.replace("of: send", "of: fly")),
                                           CATALOGUE)]
    assert problems == [
        "SCHEMA-E027 entities.yaml:19 workflows.flow.transitions.judge.notify[1].of: unknown "
        "transition 'fly'; expected one of judge, send"]
