"""Checks of `dashboards:` (数据分析): what a good one becomes, and every mistake with its
place, its stable code and what is allowed."""

from __future__ import annotations

from pathlib import Path

from app.hooks import CATALOGUE
from generator import check_path, load_spec
from generator.spec import Label
from generator.spec_dashboards import Chart, Indicator

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
entities:
  Batch:
    fields: {name: string}
  Row:
    scope: jurisdiction
    workflow: flow
    fields:
      batch: {type: reference, to: Batch}
      qty: integer
      day: date
      note: text
    permissions:
      boss: [list, show]
dashboards:
  board:
    label: {zh: 报量分析, en: Demand}
    roles: [boss]
    indicators:
      rows: {label: 记录数, entity: Row, by: [region]}
      sent: {label: 已上报数, entity: Row, where: "state == 'sent' and qty > 0", by: [region]}
      rate: {label: 上报率, measure: ratio, of: [sent, rows]}
      qty: {label: 数量, entity: m.Row, measure: sum, field: qty, by: [region, batch]}
      monthly: {label: 每月, entity: Row, by: [day.month]}
      units: {label: 单位数, source: organisations, where: "level == 'unit'"}
    charts:
      - {indicator: units, type: number}
      - {indicator: rate, type: bar, title: {zh: 各地上报率}}
      - {indicator: monthly, type: line}
"""


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "entities.yaml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def problems_of(tmp_path: Path, text: str) -> list[str]:
    return [str(p) for p in check_path(write(tmp_path, text), CATALOGUE)]


def test_a_dashboard_becomes_these_spec_objects(tmp_path: Path) -> None:
    spec = load_spec(write(tmp_path, SCHEMA), CATALOGUE)
    (board,) = spec.dashboards
    assert (board.key, board.label, board.roles) == ("board", Label("报量分析", "Demand"),
                                                      ("boss",))
    assert board.indicators == (
        Indicator("rows", Label("记录数", "记录数"), "m.Row", None, by=("region",)),
        Indicator("sent", Label("已上报数", "已上报数"), "m.Row", None,
                  where="state == 'sent' and qty > 0", by=("region",)),
        Indicator("rate", Label("上报率", "上报率"), None, None, "ratio", by=("region",),
                  of=("sent", "rows")),
        Indicator("qty", Label("数量", "数量"), "m.Row", None, "sum", "qty",
                  by=("region", "batch")),
        Indicator("monthly", Label("每月", "每月"), "m.Row", None, by=("day.month",)),
        Indicator("units", Label("单位数", "单位数"), None, "organisations",
                  where="level == 'unit'"),
    )
    assert board.charts == (Chart("units", "number"),
                            Chart("rate", "bar", Label("各地上报率", "各地上报率")),
                            Chart("monthly", "line"))
    assert board.indicator("sent").reads == frozenset({"state", "qty"})


def test_every_mistake_is_reported_with_its_place(tmp_path: Path) -> None:
    broken = SCHEMA.split("dashboards:")[0] + """\
dashboards:
  Board: {label: 坏, roles: [boss], indicators: {}, charts: []}
  board:
    label: 报量分析
    roles: [bos]
    colour: red
    indicators:
      a: {label: A, entity: Rwo}
      b: {label: B, entity: Row, source: audit}
      c: {label: C, source: nothing}
      d: {label: D, entity: Row, measure: sum}
      e: {label: E, entity: Row, measure: sum, field: note}
      f: {label: F, entity: Row, field: qty}
      g: {label: G, entity: Row, where: "qyt > 1"}
      h: {label: H, entity: Row, where: "round(qty) > 1"}
      i: {label: I, entity: Row, by: [region, batch, state]}
      j: {label: J, entity: Row, by: [qty.month, note]}
      k: {label: K, entity: Batch, by: [region]}
      l: {label: L, measure: ratio, of: [i, k]}
      n: {label: N, measure: ratio, of: [k, j]}  # both broken above: nothing more to say
      o: {label: O, entity: Row, measure: median}
    charts:
      - {indicator: zz, type: bar}
      - {indicator: k, type: pie}
      - {indicator: f, type: donut}
      - {type: bar}
"""
    assert problems_of(tmp_path, broken) == [
        "SCHEMA-E005 entities.yaml:24 dashboards.Board: dashboard name 'Board' is not allowed; "
        "expected lower-case letters, digits and _ starting with a letter",
        "SCHEMA-E023 entities.yaml:27 dashboards.board.roles: unknown role 'bos'; "
        "expected one of boss, unit",
        "SCHEMA-E003 entities.yaml:28 dashboards.board.colour: unknown key 'colour'; expected "
        "one of label, icon, order, help, roles, indicators, charts",
        "SCHEMA-E013 entities.yaml:30 dashboards.board.indicators.a.entity: unknown entity "
        "'Rwo'; expected one of m.Batch, m.Row",
        "SCHEMA-E048 entities.yaml:31 dashboards.board.indicators.b.source: an indicator "
        "counts either an entity or a source; expected 'entity' or 'source'",
        "SCHEMA-E048 entities.yaml:32 dashboards.board.indicators.c.source: unknown source "
        "'nothing'; expected one of audit, organisations",
        "SCHEMA-E048 entities.yaml:33 dashboards.board.indicators.d: a sum needs a 'field'; "
        "expected field: an integer or decimal field",
        "SCHEMA-E019 entities.yaml:34 dashboards.board.indicators.e.field: 'note' is not a "
        "field that can be summed; expected one of qty",
        "SCHEMA-E048 entities.yaml:35 dashboards.board.indicators.f.field: a count sums no "
        "field; expected measure: sum, or no 'field'",
        "SCHEMA-E015 entities.yaml:36 dashboards.board.indicators.g.where: Unknown name "
        "'qyt'.; expected Field names: batch, day, note, qty, state.",
        "SCHEMA-E015 entities.yaml:37 dashboards.board.indicators.h.where: 'round(qty)' "
        "cannot be counted in SQL; expected field names, numbers, 'text', True/False/None, "
        "+ - * /, comparisons == != < <= > >= (is None / is not None), and/or/not",
        "SCHEMA-E048 entities.yaml:38 dashboards.board.indicators.i.by: 3 dimensions; "
        "expected at most 2: the region and/or one period or category",
        "SCHEMA-E048 entities.yaml:39 dashboards.board.indicators.j.by: 'qty.month' is not a "
        "period of a date; expected region, a field (batch, day, qty, state), or "
        "<date field>.year / .month",
        "SCHEMA-E048 entities.yaml:39 dashboards.board.indicators.j.by: unknown dimension "
        "'note'; expected region, a field (batch, day, qty, state), or <date field>.year / "
        ".month",
        "SCHEMA-E048 entities.yaml:40 dashboards.board.indicators.k.by: the rows of this "
        "entity belong to no organisation; expected a field, or an entity with 'scope'",
        "SCHEMA-E048 entities.yaml:41 dashboards.board.indicators.l.of: 'i' is grouped by "
        "[region, batch] and 'k' by []; expected two indicators grouped by the same dimensions",
        "SCHEMA-E017 entities.yaml:43 dashboards.board.indicators.o.measure: 'median' is not "
        "allowed; expected one of count, sum, ratio",
        "SCHEMA-E049 entities.yaml:45 dashboards.board.charts[0].indicator: unknown indicator "
        "'zz'; expected one of a, b, c, d, e, f, g, h, i, j, k, l, n, o",
        "SCHEMA-E049 entities.yaml:46 dashboards.board.charts[1].type: a pie chart needs an "
        "indicator grouped by something; expected an indicator with 'by', or type: number",
        "SCHEMA-E017 entities.yaml:47 dashboards.board.charts[2].type: 'donut' is not "
        "allowed; expected one of bar, line, pie, number, table",
        "SCHEMA-E004 entities.yaml:48 dashboards.board.charts[3]: required key 'indicator' is "
        "missing; expected a 'indicator' entry",
    ]


def test_the_bundled_schema_has_at_least_twenty_preset_indicators() -> None:
    spec = load_spec(str(Path(__file__).resolve().parents[2] / "schema" / "entities.yaml"),
                     CATALOGUE)
    indicators = [i for d in spec.dashboards for i in d.indicators]
    assert len(indicators) >= 20
    assert {i.entity or i.source for i in indicators} >= {
        "basic.EnterpriseInfo", "basic.Product", "annual_report.AnnualReport",
        "export_dossier.ExportDossier", "procurement.Demand", "organisations", "audit"}
