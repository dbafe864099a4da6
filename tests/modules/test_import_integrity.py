"""The import door keeps the rules of every other door (seed 002: a province re-imports its
institutions' 2020 volumes): a row the workflow has locked is refused by its key and state,
a blank cell leaves what the hospital typed, a column missing from the file is left alone,
fields the importer may not edit are refused, and the reporting window of each row's batch
holds. Nothing is written when any row is refused."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from tests.modules.conftest import HOSP1, HOSP2, add_row, login, open_window, rows

DEMAND = "procurement.Demand"
HEADER = ["国采批次", "品规编号", "品种名称", "规格", "2020年采购量", "所属机构"]


def _csv(lines: list[list[Any]]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(lines)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _import(client: Any, lines: list[list[Any]], **query: str) -> Any:
    return client.post("/api/v1/demand/import", query_string=query,
                       data={"file": (io.BytesIO(_csv(lines)), "volumes.csv")},
                       content_type="multipart/form-data")


@pytest.fixture(scope="module")
def batch(world: dict[str, Any]) -> str:
    app = world["app"]
    open_window(app)
    name = "第十二批国家组织药品集中采购"
    add_row(app, "procurement.Batch", name=name, year=2026, baseline_year=2020)
    return name


def _demand(world: dict[str, Any], batch: str, code: str, org: str, **values: Any) -> int:
    app = world["app"]
    [target] = [b for b in rows(app, "procurement.Batch") if b.name == batch]
    return add_row(app, DEMAND, org, batch_id=target.id, item_code=code, item_name="某药",
                   spec="1片", **values)


def _row(world: dict[str, Any], pk: int) -> Any:
    [row] = [r for r in rows(world["app"], DEMAND) if r.id == pk]
    return row


def test_a_locked_row_is_refused_by_its_key_and_state(world: dict[str, Any],
                                                       batch: str) -> None:
    done = _demand(world, batch, "12-001", HOSP1, baseline=100, planned=90, state="national_ok")
    open_ = _demand(world, batch, "12-002", HOSP1, baseline=100, planned=80, state="saved")
    response = _import(login(world["app"], "ln_prov"), [
        HEADER, [batch, "12-001", "某药", "1片", 555, "沈阳市第一人民医院"],
        [batch, "12-002", "某药", "1片", 666, "沈阳市第一人民医院"]])
    assert response.status_code == 422
    [error] = response.json["errors"]
    assert error["row"] == 2
    assert error["message"] == (f"记录“{batch} / 12-001 / 沈阳市第一人民医院”："
                                "“国家联采办审核通过”状态的记录不能修改。")
    # nothing was written, the open row included
    assert _row(world, done).baseline == 100 and _row(world, open_).baseline == 100


def test_a_blank_cell_keeps_what_was_typed_unless_asked_to_clear(world: dict[str, Any],
                                                                  batch: str) -> None:
    # 填报说明 is the province's to write (预采购量 is the institution's under 报量方式 self)
    pk = _demand(world, batch, "12-003", HOSP2, baseline=100, planned=70, state="saved",
                 note="按盒填报")
    prov = login(world["app"], "ln_prov")
    header = [*HEADER, "填报说明"]
    line = [batch, "12-003", "某药", "1片", 120, "和平区中心医院", ""]
    response = _import(prov, [header, line])
    assert response.status_code == 200, response.text
    assert response.json["updated"] == 1
    row = _row(world, pk)
    assert (row.baseline, row.planned, row.note) == (120, 70, "按盒填报")
    again = _import(prov, [header, line])  # nothing to change: no write, no history
    assert again.json["unchanged"] == 1 and again.json["updated"] == 0
    cleared = _import(prov, [header, line], clear_blanks="1")
    assert cleared.status_code == 200, cleared.text
    row = _row(world, pk)
    assert (row.baseline, row.planned, row.note) == (120, 70, None)


def test_clearing_the_institutions_figures_is_refused_to_the_province(
        world: dict[str, Any], batch: str) -> None:
    pk = _demand(world, batch, "12-019", HOSP2, baseline=100, planned=70, state="saved",
                 change_note="扩容")
    header = [*HEADER, "预采购量", "增幅降幅说明"]
    line = [batch, "12-019", "某药", "1片", 100, "和平区中心医院", "", ""]
    response = _import(login(world["app"], "ln_prov"), [header, line], clear_blanks="1")
    assert response.status_code == 422
    [error] = response.json["errors"]
    assert error["message"] == ("预采购量、增幅降幅说明由医疗机构填报"
                                "（报量方式：医疗机构自行填报）。")
    row = _row(world, pk)
    assert (row.planned, row.change_note) == (70, "扩容")


def test_a_column_missing_from_the_file_is_left_alone(world: dict[str, Any],
                                                      batch: str) -> None:
    pk = _demand(world, batch, "12-004", HOSP1, baseline=100, planned=60, state="saved",
                 note="按盒填报")
    response = _import(login(world["app"], "ln_prov"), [
        ["国采批次", "品规编号", "所属机构", "2020年采购量"],
        [batch, "12-004", "沈阳市第一人民医院", 130]])
    assert response.status_code == 200, response.text
    row = _row(world, pk)
    assert (row.baseline, row.planned, row.note, row.item_name) == (130, 60, "按盒填报", "某药")
    assert row.row_version == 2  # the import is a change like any other


def test_columns_the_importer_may_not_edit_are_refused(world: dict[str, Any],
                                                       batch: str) -> None:
    response = _import(login(world["app"], "ln_prov"), [
        [*HEADER, "审核记录", "维护及审核状态"],
        [batch, "12-005", "某药", "1片", 1, "沈阳市第一人民医院", "伪造的记录", "已上报"]])
    assert response.status_code == 422
    assert [e["message"] for e in response.json["errors"]] == [
        "列“审核记录”不是您可以导入的字段。", "列“维护及审核状态”不是您可以导入的字段。"]
    assert not rows(world["app"], DEMAND, item_code="12-005")


def test_a_new_row_without_a_required_value_names_the_column(world: dict[str, Any],
                                                             batch: str) -> None:
    response = _import(login(world["app"], "ln_prov"), [
        ["国采批次", "品规编号", "所属机构", "2020年采购量"],
        [batch, "12-006", "沈阳市第一人民医院", 5]])
    assert response.status_code == 422
    assert {(e["column"], e["message"]) for e in response.json["errors"]} == {
        ("品种名称", "该字段是必填字段。"), ("规格", "该字段是必填字段。")}
