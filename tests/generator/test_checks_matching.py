"""`matching:` of an entity (进销存 关联匹配): every mistake reported at once as SCHEMA-E050,
located; a good one adds its two kept fields to the Spec."""

from __future__ import annotations

from pathlib import Path

from generator import check_path, load_spec

GOOD = """\
module: m
roles:
  firm: {label: 企业, level: unit}
schedules:
  - {name: again, label: 匹配, cron: "0 * * * *", action: match_records, params: {entity: Move}}
entities:
  Move:
    scope: jurisdiction
    fields:
      kind: {type: enum, values: {buy: 购进, sell: 销售}}
      code: string
      batch: string
      qty: integer
      party: string
    matching:
      side: {kind: sell}
      other: {kind: buy}
      counterparty: party
      keys: [code, batch]
      quantity: qty
      values: {missing_other: 对方未报}
    list: [code, match_state]
    filters: [match_state]
    permissions:
      firm: {actions: [list, show, add], scope: own}
"""

BROKEN = """\
module: m
roles:
  firm: {label: 企业, level: unit}
schedules:
  - {name: again, label: 匹配, cron: "0 * * * *", action: match_records, params: {entity: Plain}}
entities:
  Move:
    fields:
      kind: {type: enum, values: {buy: 购进, sell: 销售}}
      code: string
      qty: integer
      note: text
      match_state: string
      fake: {type: match}
    matching:
      side: {kind: sell}
      other: {kind: sell}
      counterparty: qty
      keys: [code, note, nope]
      quantity: code
      values: {lost: 丢失}
  Two:
    scope: jurisdiction
    fields:
      kind: {type: enum, values: {buy: 购进, sell: 销售}}
      party: string
    matching:
      side: {party: x}
      other: {kind: lend}
      counterparty: party
      keys: []
  Plain:
    fields:
      code: string
"""


def test_matching_adds_its_kept_fields(tmp_path: Path) -> None:
    path = tmp_path / "entities.yaml"
    path.write_text(GOOD, encoding="utf-8")
    spec = load_spec(str(path))
    move = spec.entity("m.Move")
    assert move.matching is not None
    assert (move.matching.keys, move.matching.quantity, move.matching.counterparty) == (
        ("code", "batch"), "qty", "party")
    state, row = move.field("match_state"), move.field("matched_id")
    assert (state.type, row.type) == ("match", "match_row")
    assert state.kind.kept and row.kind.kept and not state.kind.importable
    assert [(v.value, v.label.zh) for v in state.values] == [
        ("matched", "已匹配"), ("missing_other", "对方未报"), ("missing_side", "上游未报销售"),
        ("differs", "数量不符")]
    assert move.filter_columns == ("match_state",)


def test_every_matching_mistake_is_reported_where_it_is(tmp_path: Path) -> None:
    path = tmp_path / "entities.yaml"
    path.write_text(BROKEN, encoding="utf-8")
    got = [str(p) for p in check_path(str(path))]
    assert got == [
        'SCHEMA-E050 entities.yaml:5 schedules[0].params.entity: Plain has no matching; '
        'expected an entity with matching:',
        'SCHEMA-E017 entities.yaml:14 entities.Move.fields.fake.type: a match state is kept '
        "by the entity's matching; expected matching: on the entity",
        'SCHEMA-E050 entities.yaml:15 entities.Move.matching: matching pairs the rows of '
        'organisations, but the rows of this entity belong to none; expected scope: '
        'jurisdiction (or own, all) on the entity',
        'SCHEMA-E022 entities.yaml:15 entities.Move.matching.state: matching keeps its state '
        "in 'match_state', which is also a field; expected another name, or `state:` in "
        'matching',
        'SCHEMA-E050 entities.yaml:17 entities.Move.matching.other: both sides select the '
        'same rows; expected conditions that tell the two sides apart, e.g. {kind: purchase}',
        "SCHEMA-E050 entities.yaml:18 entities.Move.matching.counterparty: 'qty' is not a "
        "text field of Move; expected one of code, match_state: the other party's code",
        "SCHEMA-E050 entities.yaml:19 entities.Move.matching.keys: 'note' cannot be compared;"
        ' expected one of code, kind, match_state, qty',
        "SCHEMA-E050 entities.yaml:19 entities.Move.matching.keys: 'nope' cannot be compared;"
        ' expected one of code, kind, match_state, qty',
        "SCHEMA-E050 entities.yaml:20 entities.Move.matching.quantity: 'code' is not a number"
        ' field of Move; expected one of qty',
        "SCHEMA-E050 entities.yaml:21 entities.Move.matching.values.lost: 'lost' is not an "
        'outcome of matching; expected one of matched, missing_other, missing_side, differs',
        "SCHEMA-E050 entities.yaml:28 entities.Two.matching.side.party: 'party' is not an "
        'enum or yes/no field of Two; expected one of kind',
        "SCHEMA-E050 entities.yaml:29 entities.Two.matching.other.kind: 'lend' is not one of "
        'the values of kind; expected one of buy, sell',
        'SCHEMA-E050 entities.yaml:31 entities.Two.matching.keys: no key fields; expected one'
        ' or more fields equal on both rows, e.g. [drug_code, batch_no]',
    ]
