"""`progress:` of an entity (办理进度) and its two field types: every mistake reported at
once, located (SCHEMA-E051 the kind and the entity, E052 the fields, E053 the states); a good
one reaches the Spec, and no door may write a check_code or a timestamp."""

from __future__ import annotations

from pathlib import Path

from generator import check_path, load_spec

FLOW = """\
workflows:
  flow:
    initial: pending
    states: {pending: 待受理, handling: 在办, withdrawn: 已撤回, done: 办结}
    transitions:
      withdraw: {label: 撤回, from: pending, to: withdrawn, roles: [firm]}
"""
GOOD = """\
module: m
roles:
  firm: {label: 企业, level: unit}
""" + FLOW + """\
entities:
  Plan:
    scope: jurisdiction
    workflow: flow
    fields:
      code: {type: check_code, label: 核对码}
      at: {type: timestamp, label: 提交时间}
      product: string
      kind: {type: enum, values: {a: 甲类, b: 乙类}}
    search: [code]
    progress:
      category: licence
      submitted: at
      product: product
      item: kind
      open: [pending, handling]
      history: [withdrawn, done]
    permissions:
      firm: {actions: [list, show, add], scope: own}
"""

BROKEN = """\
module: m
roles:
  firm: {label: 企业, level: unit}
""" + FLOW + """\
entities:
  Plan:
    workflow: flow
    fields:
      year: integer
      note: text
      code: {type: check_code, unique: false}
    progress:
      category: permit
      submitted: year
      product: note
      item: nope
      open: [pending, waiting]
      history: [pending, done]
  Bare:
    scope: own
    fields:
      at: timestamp
    progress: {category: report, submitted: at, open: [], history: []}
"""


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "entities.yaml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_a_good_progress_reaches_the_spec(tmp_path: Path) -> None:
    entity = load_spec(write(tmp_path, GOOD)).entity("m.Plan")
    progress = entity.progress
    assert progress is not None
    assert (progress.category, progress.code, progress.submitted, progress.product,
            progress.item_field, progress.open, progress.history) == (
        "licence", "code", "at", "product", "kind", ("pending", "handling"),
        ("withdrawn", "done"))
    code, at = entity.field("code"), entity.field("at")
    assert code.unique and at.index
    assert [i.name for i in entity.indexes] == ["uq_m_plan_code", "ix_m_plan_at"]
    assert code.kind.kept and at.kind.kept  # no door writes them
    assert code.kind.control is None and not code.kind.importable
    assert not at.kind.importable and at.kind.control is None


def test_every_mistake_of_progress_at_once(tmp_path: Path) -> None:
    assert [str(p) for p in check_path(write(tmp_path, BROKEN))] == [
        "SCHEMA-E011 entities.yaml:16 entities.Plan.fields.code.unique: 'unique' does not "
        "apply to a check_code field; expected one of type, label, help, index",
        "SCHEMA-E051 entities.yaml:17 entities.Plan.progress: applications belong to the "
        "organisation that filed them; expected an entity with scope",
        "SCHEMA-E051 entities.yaml:18 entities.Plan.progress.category: 'permit' is not a kind "
        "of application; expected one of licence, service, report, testing",
        "SCHEMA-E052 entities.yaml:19 entities.Plan.progress.submitted: 'year' is not a date, "
        "datetime or timestamp field of Plan; expected one of (none)",
        "SCHEMA-E052 entities.yaml:20 entities.Plan.progress.product: 'note' is not a string "
        "field of Plan; expected one of (none)",
        "SCHEMA-E052 entities.yaml:21 entities.Plan.progress.item: 'nope' is not a string or "
        "enum field of Plan; expected one of (none)",
        "SCHEMA-E053 entities.yaml:22 entities.Plan.progress.open: unknown state 'waiting' of "
        "workflow flow; expected one of pending, handling, withdrawn, done",
        "SCHEMA-E053 entities.yaml:23 entities.Plan.progress.history: 'pending' is in open "
        "too; expected each state in open (在办) or history (历史), not both",
        "SCHEMA-E052 entities.yaml:28 entities.Bare.progress: an application is found by its "
        "核对码: the entity has no check_code field; expected a field of type check_code (and "
        "`code: <field>` when there are several)",
        "SCHEMA-E053 entities.yaml:28 entities.Bare.progress: an application moves through "
        "states (在办, 历史); expected an entity with a workflow",
    ]
