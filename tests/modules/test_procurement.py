"""集采需求报量 (seed 002) through the generated screens, one step of the seed's order per test:
the national office publishes a batch and its 品规 catalogue, the province imports the 2020
volumes, the institution queries, fills, saves, uploads its 承诺函, 上报s, checks the results,
exports and withdraws (§4.2.2); county, city, province and the national office review level by
level; the national office sums the approved demand into 标的量计算基数 and drills down by
province.

Every test stands alone, in any order: the module's world (orgs, users, one batch and its
catalogue) is built once, `fresh` clears what a test leaves (demand, letters, settings,
windows, other batches), and a test reaches its step through the doors of the earlier ones
with the helpers `imported`, `saved`, `lettered`, `reported` and `approved`."""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import re
from typing import Any

import pytest
from openpyxl import load_workbook

from tests.modules.conftest import (
    HOSP1,
    HOSP2,
    HOSP_SC,
    add_row,
    flashes,
    login,
    make_pdf,
    open_window,
    rows,
    set_window,
)

BATCH = "第十一批国家组织药品集中采购"
ITEMS = [("11-001", "阿托伐他汀钙片", "10mg*7片", "按最小制剂单位填报"),
         ("11-002", "苯磺酸氨氯地平片", "5mg*28片", ""),
         ("11-003", "阿莫西林胶囊", "0.25g*24粒", ""),
         ("11-004", "二甲双胍缓释片", "0.5g*30片", "")]
DEMAND = "procurement.Demand"
HEADER = ["国采批次", "品规编号", "品种名称", "规格", "填报说明", "2020年采购量", "所属机构"]
CHAINS = (("ln_county", "county_approve", "county_ok"), ("ln_city", "city_approve", "city_ok"),
          ("ln_prov", "province_approve", "province_ok"),
          ("lcb", "national_approve", "national_ok"))


def _csv(rows_: list[list[Any]]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows_)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _import(client: Any, resource: str, content: bytes) -> Any:
    return client.post(f"/api/v1/{resource}/import",
                       data={"file": (io.BytesIO(content), "data.csv")},
                       content_type="multipart/form-data")


def _mine(app: Any, code: str) -> list[Any]:
    from app.security.models import Organisation

    with app.app_context():
        org = app.appbuilder.session.query(Organisation).filter_by(code=code).one().id
    return [r for r in rows(app, DEMAND) if r.org_id == org]


# -- the world every test starts from ------------------------------------------------------
@pytest.fixture(scope="module")
def app(world: dict[str, Any]) -> Any:
    return world["app"]


@pytest.fixture(scope="module")
def batch(app: Any) -> int:
    """The batch the national office published (its catalogue: `fresh`)."""
    return add_row(app, "procurement.Batch", name=BATCH, year=2026, baseline_year=2020)


@pytest.fixture(autouse=True)
def fresh(app: Any, batch: int) -> None:
    """What earlier tests left goes and the batch's catalogue is as published: each test
    builds its own state from the world. (The catalogue is rewritten because editing the batch
    through its form replaces the catalogue with the lines the form sends.)"""
    from sqlalchemy import delete

    from app.hooks.models import Window

    models = app.extensions["admin"].models
    catalogue = models["procurement.CatalogItem"]
    with app.app_context():
        session = app.appbuilder.session
        for name in (DEMAND, "procurement.CommitmentLetter", "procurement.ReviewSetting"):
            session.execute(delete(models[name]))
        session.execute(delete(Window))
        session.execute(delete(catalogue))
        session.execute(delete(models["procurement.Batch"]).where(
            models["procurement.Batch"].id != batch))
        session.add_all([catalogue(batch_id=batch, code=code, name=name, spec=spec, note=note)
                         for code, name, spec, note in ITEMS])
        session.commit()


# -- the earlier steps, through the same doors ---------------------------------------------
def volumes() -> list[list[Any]]:
    """The province's spreadsheet of 2020 volumes: every item for both Liaoning hospitals."""
    return [[BATCH, *item, 100 * (i + 1), org] for org in ("沈阳市第一人民医院", "和平区中心医院")
            for i, item in enumerate(ITEMS)]


def imported(app: Any, batch: int) -> None:
    """The province's import of the 2020 volumes, and Sichuan's own institution's row."""
    response = _import(login(app, "ln_prov"), "demand", _csv([HEADER] + volumes()))
    assert response.status_code == 200, response.text
    add_row(app, DEMAND, HOSP_SC, batch_id=batch, item_code="11-001",
            item_name="阿托伐他汀钙片", spec="10mg*7片", baseline=50, state="pending")


def saved(app: Any, batch: int) -> int:
    """Imported, the window open, and 预采购量 of three of the first hospital's four rows saved
    from the list; returns the window."""
    imported(app, batch)
    window = open_window(app)
    mine = _mine(app, HOSP1)
    data: dict[str, Any] = {"action": "list_edit", "rowid": [str(r.id) for r in mine[:3]]}
    for r, value in zip(mine[:3], ("150", "200", "80"), strict=True):
        data[f"edit-{r.id}-planned"] = value
    data[f"edit-{mine[0].id}-change_note"] = "门诊量增加"
    login(app, "ln_hosp1").post("/procurement/demand/action_post", data=data)
    assert [r.state for r in _mine(app, HOSP1)] == ["saved"] * 3 + ["pending"]
    return window


def lettered(app: Any, batch: int) -> None:
    """The first hospital's 承诺函 for the batch (the window must be open)."""
    response = login(app, "ln_hosp1").post("/procurement/commitment_letter/add", data={
        "batch": str(batch), "letter": (io.BytesIO(make_pdf()), "承诺函.pdf")},
        content_type="multipart/form-data")
    assert response.status_code == 302, flashes(response.text)[:500]


def reported(app: Any, batch: int) -> int:
    """Saved, the letter uploaded, everything filled 上报ed at once; returns the window."""
    window = saved(app, batch)
    lettered(app, batch)
    login(app, "ln_hosp1").post("/procurement/demand/transition_all/submit")
    assert [r.state for r in _mine(app, HOSP1)] == ["submitted"] * 3 + ["pending"]
    return window


def approved(app: Any, batch: int) -> int:
    """Reported, then approved by the county, the city, the province and the national office;
    returns the window."""
    window = reported(app, batch)
    pks = [str(r.id) for r in _mine(app, HOSP1) if r.state == "submitted"]
    for user, action, _target in CHAINS:
        login(app, user).post("/procurement/demand/action_post",
                              data={"action": action, "rowid": pks})
    assert [r.state for r in _mine(app, HOSP1)] == ["national_ok"] * 3 + ["pending"]
    return window


def test_national_office_publishes_a_batch_and_its_catalogue(app: Any, batch: int) -> None:
    """The next batch beside the world's (item codes are unique across batches)."""
    name = "第十二批国家组织药品集中采购"
    items = [("12" + code[2:], *rest) for code, *rest in ITEMS]
    lcb = login(app, "lcb")
    response = lcb.post("/api/v1/batch/", json={"name": name, "year": 2026,
                                                "baseline_year": 2020})
    assert response.status_code == 201, response.text
    new = response.json["id"]
    content = _csv([["国采批次", "品规编号", "品种名称（通用名）", "规格", "填报说明"]]
                   + [[name, *item] for item in items])
    response = _import(lcb, "catalog_item", content)
    assert response.status_code == 200, response.text
    assert len(rows(app, "procurement.CatalogItem", batch_id=new)) == len(items)
    assert len(rows(app, "procurement.CatalogItem", batch_id=batch)) == len(ITEMS)
    # an institution reads the catalogue but cannot change it
    hosp = login(app, "ln_hosp1")
    assert hosp.post("/api/v1/batch/", json={"name": "x", "year": 2026}).status_code == 403


def test_province_imports_the_2020_volumes_of_its_institutions(app: Any) -> None:
    header, body = HEADER, volumes()
    response = _import(login(app, "ln_prov"), "demand", _csv([header] + body))
    assert response.status_code == 200, response.text
    assert len(rows(app, DEMAND)) == 2 * len(ITEMS)
    assert {r.state for r in rows(app, DEMAND)} == {"pending"}
    # importing again updates (batch + 品规编号 + institution is the key), never duplicates
    body[0][5] = 120
    assert _import(login(app, "ln_prov"), "demand", _csv([header] + body)).status_code == 200
    assert len(rows(app, DEMAND)) == 2 * len(ITEMS)
    assert sorted(r.baseline for r in _mine(app, HOSP1))[:2] == [120, 200]
    # another province cannot write rows of Liaoning's institutions
    refused = _import(login(app, "sc_prov"), "demand", _csv([header] + body[:1]))
    assert refused.status_code == 422
    assert len(rows(app, DEMAND)) == 2 * len(ITEMS)


def test_institution_queries_the_catalogue_by_generic_name(app: Any, batch: int) -> None:
    imported(app, batch)
    hosp = login(app, "ln_hosp1")
    page = hosp.get("/procurement/catalog_item/list/?_flt_0_name=氨氯地平").text
    assert "11-002" in page and "11-001" not in page
    demand = hosp.get("/procurement/demand/list/").text
    for title in ("品规编号", "品种名称", "规格", "填报说明", "2020年采购量", "预采购量",
                  "增幅/降幅", "增幅降幅说明", "审核记录"):
        assert title in demand
    assert "未填报" in demand and "和平区中心医院" not in demand  # only its own rows
    assert "所属机构" not in demand  # exactly the seed's columns; reviewers see whose row it is
    reviewer = login(app, "ln_county").get("/procurement/demand/list/").text
    assert "所属机构" in reviewer
    assert "和平区中心医院" in reviewer and "沈阳市第一人民医院" in reviewer


def test_fill_and_save_outside_the_window_is_refused(app: Any, batch: int) -> None:
    imported(app, batch)
    mine = _mine(app, HOSP1)
    hosp = login(app, "ln_hosp1")
    data = {"action": "list_edit", "rowid": [str(mine[0].id)],
            f"edit-{mine[0].id}-planned": "150"}
    page = flashes(hosp.post("/procurement/demand/action_post", data=data,
                             follow_redirects=True).text)
    assert "上报未开放" in page
    assert rows(app, DEMAND, id=mine[0].id)[0].planned is None


def test_fill_and_save_moves_rows_to_saved(app: Any, batch: int) -> None:
    imported(app, batch)
    open_window(app)
    mine = _mine(app, HOSP1)
    hosp = login(app, "ln_hosp1")
    assert "剩余时间" in hosp.get("/procurement/demand/list/").text  # the window banner
    # a wrong value saves nothing and keeps what was typed
    data: dict[str, Any] = {"action": "list_edit", "rowid": [str(r.id) for r in mine[:3]]}
    for r, value in zip(mine[:3], ("150", "-5", "80"), strict=True):
        data[f"edit-{r.id}-planned"] = value
    data[f"edit-{mine[0].id}-change_note"] = "门诊量增加"
    page = hosp.post("/procurement/demand/action_post", data=data, follow_redirects=True).text
    assert "不能小于 0" in flashes(page) and 'value="-5"' in page and 'value="150"' in page
    assert all(r.planned is None for r in _mine(app, HOSP1))
    data[f"edit-{mine[1].id}-planned"] = "200"
    page = hosp.post("/procurement/demand/action_post", data=data, follow_redirects=True).text
    after = {r.id: r for r in _mine(app, HOSP1)}
    assert [after[r.id].planned for r in mine[:3]] == [150, 200, 80]
    assert [after[r.id].state for r in mine[:3]] == ["saved"] * 3
    assert after[mine[0].id].change_note == "门诊量增加"
    assert "已保存" in page
    # a row of another institution sent along is not touched
    other = _mine(app, HOSP2)[0]
    data = {"action": "list_edit", "rowid": [str(other.id)], f"edit-{other.id}-planned": "9"}
    hosp.post("/procurement/demand/action_post", data=data)
    assert rows(app, DEMAND, id=other.id)[0].planned is None


def test_report_needs_the_commitment_letter(app: Any, batch: int) -> None:
    saved(app, batch)
    hosp = login(app, "ln_hosp1")
    # offered disabled with the reason, not offered and then refused
    listed = hosp.get("/procurement/demand/list/").text
    assert 'action="/procurement/demand/transition_all/submit"' in listed
    form = listed.split('action="/procurement/demand/transition_all/submit"')[1].split("</form>")[0]
    assert "disabled" in form and "请先上传本批次的承诺函" in form
    assert "将上报 0 条" in form and "3 条不能办理（请先上传本批次的承诺函" in form
    assert 'data-action="submit"' not in listed  # 上报所选: disabled with the reason
    assert "请先上传本批次的承诺函" in listed.split("上报所选")[0].rsplit("<span", 1)[1]
    page = flashes(hosp.post("/procurement/demand/transition_all/submit",
                             follow_redirects=True).text)
    assert "请先上传本批次的承诺函" in page
    assert {r.state for r in _mine(app, HOSP1)} == {"saved", "pending"}


def test_template_download_and_exactly_one_pdf_letter(app: Any, batch: int) -> None:
    open_window(app)  # institutions upload inside the window
    hosp = login(app, "ln_hosp1")
    lcb = login(app, "lcb")
    response = lcb.post(f"/procurement/batch/edit/{batch}", data={
        "name": BATCH, "year": "2026", "baseline_year": "2020",
        "letter_template": (io.BytesIO(make_pdf("承诺函模板")), "承诺函模板.pdf")},
        content_type="multipart/form-data")
    assert response.status_code == 302, flashes(response.text)[:500]
    template = hosp.get(f"/procurement/batch/download/letter_template/{batch}")
    assert template.status_code == 200 and template.data.startswith(b"%PDF-")
    add = "/procurement/commitment_letter/add"
    two = hosp.post(add, data={"batch": str(batch), "letter": [
        (io.BytesIO(make_pdf()), "承诺函1.pdf"), (io.BytesIO(make_pdf()), "承诺函2.pdf")]},
        content_type="multipart/form-data")
    assert "只能上传 1 个文件" in flashes(two.text)
    fake = hosp.post(add, data={"batch": str(batch),
                                "letter": (io.BytesIO(b"<html>not a pdf</html>"), "承诺函.pdf")},
                     content_type="multipart/form-data")
    assert fake.status_code == 200 and not rows(app, "procurement.CommitmentLetter")
    good = hosp.post(add, data={"batch": str(batch),
                                "letter": (io.BytesIO(make_pdf()), "承诺函.pdf")},
                     content_type="multipart/form-data")
    assert good.status_code == 302, flashes(good.text)[:500]
    [letter] = rows(app, "procurement.CommitmentLetter")
    assert letter.letter_name == "承诺函.pdf"
    shown = hosp.get(f"/procurement/commitment_letter/download/letter/{letter.id}")
    assert shown.status_code == 200 and shown.data.startswith(b"%PDF-")
    # a second letter for the same batch is refused: one letter, replaced by a new upload
    again = hosp.post(add, data={"batch": str(batch),
                                 "letter": (io.BytesIO(make_pdf()), "另一份.pdf")},
                      content_type="multipart/form-data")
    assert again.status_code == 200 and len(rows(app, "procurement.CommitmentLetter")) == 1
    # the county sees the letter of its institution, Sichuan does not
    assert login(app, "ln_county").get(
        f"/procurement/commitment_letter/download/letter/{letter.id}").status_code == 200
    assert login(app, "sc_county").get(
        f"/procurement/commitment_letter/download/letter/{letter.id}").status_code == 404


def test_report_everything_at_once(app: Any, batch: int) -> None:
    saved(app, batch)
    lettered(app, batch)
    hosp = login(app, "ln_hosp1")
    page = flashes(hosp.post("/procurement/demand/transition_all/submit",
                             follow_redirects=True).text)
    assert "上报：已处理 3 条记录。" in page
    states = sorted(r.state for r in _mine(app, HOSP1))
    assert states == ["pending", "submitted", "submitted", "submitted"]  # unfilled stay
    assert {r.state for r in _mine(app, HOSP2)} == {"pending"}  # another institution's rows
    listed = hosp.get("/procurement/demand/list/").text
    assert "已上报" in listed
    # reported rows are locked
    locked = next(r for r in _mine(app, HOSP1) if r.state == "submitted")
    edit = hosp.post(f"/procurement/demand/edit/{locked.id}", data={"planned": "1"},
                     follow_redirects=True)
    assert "不能修改" in flashes(edit.text)


def test_results_search_export_and_withdraw(app: Any, batch: int) -> None:
    reported(app, batch)
    hosp = login(app, "ln_hosp1")
    found = hosp.get("/procurement/demand/list/?_flt_0_item_code=11-002").text
    assert "苯磺酸氨氯地平片" in found and "阿托伐他汀钙片" not in found
    by_state = hosp.get("/procurement/demand/list/?_flt_0_state=submitted").text
    assert by_state.count("已上报") >= 3 and "二甲双胍缓释片" not in by_state
    export = hosp.get("/procurement/demand/export/xlsx")
    assert export.status_code == 200
    sheet = load_workbook(io.BytesIO(export.data)).active
    values = list(sheet.values)
    assert "预采购量" in values[0] and len(values) == 1 + len(ITEMS)
    # withdraw one reported but unreviewed row, change it, report it again
    pk = next(r.id for r in _mine(app, HOSP1) if r.item_code == "11-003")
    page = hosp.post("/procurement/demand/action_post",
                     data={"action": "withdraw", "rowid": [str(pk)]}, follow_redirects=True)
    assert "撤回" in flashes(page.text)
    assert rows(app, DEMAND, id=pk)[0].state == "saved"
    hosp.post("/procurement/demand/action_post", data={
        "action": "list_edit", "rowid": [str(pk)], f"edit-{pk}-planned": "90"})
    assert rows(app, DEMAND, id=pk)[0].planned == 90
    hosp.post("/procurement/demand/transition_all/submit")
    assert rows(app, DEMAND, id=pk)[0].state == "submitted"


def test_review_up_the_chain_with_a_review_record(app: Any, batch: int) -> None:
    reported(app, batch)
    submitted = [r.id for r in _mine(app, HOSP1) if r.state == "submitted"]
    county = login(app, "ln_county")
    returned = submitted[0]
    page = county.post(f"/procurement/demand/transition/send_back/{returned}",
                       data={"reason": "预采购量明显偏高，请核实"}, follow_redirects=True)
    assert rows(app, DEMAND, id=returned)[0].state == "returned"
    # a returned row leaves the reviewers' lists until it is reported again
    assert f"/procurement/demand/show/{returned}" not in county.get(
        "/procurement/demand/list/").text
    assert county.get(f"/procurement/demand/show/{returned}").status_code == 404
    hosp = login(app, "ln_hosp1")
    assert "退回修改" in hosp.get("/procurement/demand/list/").text
    hosp.post("/procurement/demand/action_post", data={
        "action": "list_edit", "rowid": [str(returned)], f"edit-{returned}-planned": "100",
        f"edit-{returned}-change_note": "已核实"})
    hosp.post("/procurement/demand/transition_all/submit")
    assert rows(app, DEMAND, id=returned)[0].state == "submitted"
    for user, action, target in CHAINS:
        page = login(app, user).post("/procurement/demand/action_post", data={
            "action": action, "rowid": [str(pk) for pk in submitted]}, follow_redirects=True)
        assert [rows(app, DEMAND, id=pk)[0].state for pk in submitted] == [target] * 3, \
            flashes(page.text)[:400]
    log = rows(app, DEMAND, id=returned)[0].review_log
    assert "预采购量明显偏高，请核实" in log and "审核通过" in log
    # 保存, 上报, 退回, 上报 again and the four levels; saving a returned row moves nothing
    assert len(log.splitlines()) == 8
    page = login(app, "ln_hosp1").get("/procurement/demand/list/").text
    assert "国家联采办审核通过" in page and "预采购量明显偏高" in page  # 审核记录 in the list
    # a row not yet reviewed by the county cannot jump to the city
    pending = next(r.id for r in _mine(app, HOSP1) if r.state == "pending")
    login(app, "ln_city").post("/procurement/demand/action_post", data={
        "action": "city_approve", "rowid": [str(pending)]})
    assert rows(app, DEMAND, id=pending)[0].state == "pending"


def test_national_award_base_with_drill_down(app: Any, batch: int) -> None:
    approved(app, batch)
    lcb = login(app, "lcb")
    page = lcb.get("/procurement/demand/summary/base/").text
    assert "标的量计算基数" in page
    national = {r.item_code: r.planned for r in rows(app, DEMAND) if r.state == "national_ok"}
    for code, planned in national.items():
        assert code in page and str(planned) in page
    assert "11-004" not in page  # nothing approved for it
    # each row drills down into the provinces that asked for the item
    links = sorted(set(re.findall(
        r'href="(/procurement/demand/summary/base/\?[^"]*batch=[^"]+)"', page)))
    assert len(links) == len(national)
    drill = lcb.get(html.unescape(links[0])).text
    assert "辽宁省" in drill and "四川省" not in drill
    sheet = load_workbook(io.BytesIO(lcb.get("/procurement/demand/summary/base/export/xlsx"
                                             ).data)).active
    exported = {row[1]: row[4] for row in list(sheet.values)[1:] if row[1] in national}
    assert exported == national
    # views by region: both provinces for the national office, one for a province
    assert "辽宁省" in lcb.get("/procurement/demand/summary/by_region/").text
    province = login(app, "sc_prov").get("/procurement/demand/summary/by_region/")
    assert province.status_code == 200 and "辽宁省" not in province.text
    # the award base is the national office's alone
    assert login(app, "ln_prov").get("/procurement/demand/summary/base/").status_code == 403
    assert login(app, "ln_hosp1").get("/procurement/demand/summary/by_item/").status_code \
        == 403


def test_history_by_batch_and_closed_window(app: Any, batch: int) -> None:
    window = approved(app, batch)
    hosp = login(app, "ln_hosp1")
    page = hosp.get(f"/procurement/demand/list/?_flt_0_batch={batch}").text
    assert "国家联采办审核通过" in page
    assert hosp.get(f"/procurement/demand/export/csv?_flt_0_batch={batch}"
                    ).status_code == 200
    set_window(app, window, is_open=False)
    pending = next(r for r in _mine(app, HOSP1) if r.state == "pending")
    page = flashes(hosp.post("/procurement/demand/action_post", data={
        "action": "list_edit", "rowid": [str(pending.id)],
        f"edit-{pending.id}-planned": "5"}, follow_redirects=True).text)
    assert "上报已关闭" in page
    assert rows(app, DEMAND, id=pending.id)[0].planned is None
    from app.hooks.models import beijing_now

    set_window(app, window, is_open=True,
               closes_at=beijing_now() - dt.timedelta(hours=1))
    with app.app_context():  # a row saved in time, not yet reported when the window closed
        session = app.appbuilder.session
        row = session.get(app.extensions["admin"].models[DEMAND], pending.id)
        row.planned, row.state = 5, "saved"
        session.commit()
    assert "不在上报时间内" in flashes(hosp.post(
        "/procurement/demand/transition_all/submit", follow_redirects=True).text)
    assert rows(app, DEMAND, id=pending.id)[0].state == "saved"


def test_the_province_sets_its_review_mode(app: Any, batch: int) -> None:
    """Sichuan reviews at the province only: the county's step no longer applies there, while
    Liaoning (no setting: level by level) is unchanged."""
    saved(app, batch)
    [row] = _mine(app, HOSP_SC)
    with app.app_context():  # reported in time by the Sichuan hospital
        session = app.appbuilder.session
        demand = session.get(app.extensions["admin"].models[DEMAND], row.id)
        demand.planned, demand.state = 60, "submitted"
        session.commit()
    province = login(app, "sc_prov")
    response = province.post("/procurement/review_setting/add", data={
        "batch": str(batch), "review_mode": "province", "note": "本批次由省级直接审核"})
    assert response.status_code == 302, flashes(response.text)[-500:]
    # Liaoning cannot see nor change Sichuan's setting
    assert "本批次由省级直接审核" not in login(app, "ln_prov").get(
        "/procurement/review_setting/list/").text
    county = login(app, "sc_county")
    assert "审核通过并上报地市级" not in county.get(f"/procurement/demand/show/{row.id}").text
    page = flashes(county.post("/procurement/demand/action_post", data={
        "action": "county_approve", "rowid": [str(row.id)]}, follow_redirects=True).text)
    assert "审核方式为省级直接审核" in page
    assert rows(app, DEMAND, id=row.id)[0].state == "submitted"
    page = flashes(province.post("/procurement/demand/action_post", data={
        "action": "province_approve_direct", "rowid": [str(row.id)]},
        follow_redirects=True).text)
    assert rows(app, DEMAND, id=row.id)[0].state == "province_ok", page[-400:]
    # the direct step is not open where the mode is level by level
    ln_row = next(r for r in _mine(app, HOSP1) if r.state == "saved")
    with app.app_context():
        session = app.appbuilder.session
        session.get(app.extensions["admin"].models[DEMAND], ln_row.id).state = "submitted"
        session.commit()
    login(app, "ln_prov").post("/procurement/demand/action_post", data={
        "action": "province_approve_direct", "rowid": [str(ln_row.id)]})
    assert rows(app, DEMAND, id=ln_row.id)[0].state == "submitted"


# -- 002 §3.4 报量方式: who fills, set by the province per batch ---------------------------
def _org_id(app: Any, code: str) -> int:
    from app.security.models import Organisation

    with app.app_context():
        return int(app.appbuilder.session.query(Organisation).filter_by(code=code).one().id)


def _set_mode(app: Any, batch: int, report_mode: str, org: str | None = None) -> None:
    """The Liaoning province's 报量和审核方式设置 (for one institution when `org` is given)."""
    data = {"batch": str(batch), "report_mode": report_mode, "review_mode": "chain"}
    if org is not None:
        data["org"] = str(_org_id(app, org))
    response = login(app, "ln_prov").post("/procurement/review_setting/add", data=data)
    assert response.status_code == 302, flashes(response.text)[-500:]


def _list_save(client: Any, pks: list[int], planned: str) -> str:
    data: dict[str, Any] = {"action": "list_edit", "rowid": [str(pk) for pk in pks]}
    for pk in pks:
        data[f"edit-{pk}-planned"] = planned
    return flashes(client.post("/procurement/demand/action_post", data=data,
                               follow_redirects=True).text)


def test_002_3_4_report_mode_city_fills_for_a_small_institution(app: Any, batch: int) -> None:
    """The province lets the city fill 和平区中心医院's demand: the hospital only reads it,
    the city fills, saves and reports it (straight to the province's review), the first
    hospital still fills its own."""
    imported(app, batch)
    open_window(app)
    _set_mode(app, batch, "city", org=HOSP2)
    small, own = _mine(app, HOSP2), _mine(app, HOSP1)
    hosp2 = login(app, "ln_hosp2")
    # the list offers inputs only where the viewer fills
    assert f'name="edit-{small[0].id}-planned"' not in hosp2.get("/procurement/demand/list/").text
    listed = login(app, "ln_city").get("/procurement/demand/list/").text
    assert f'name="edit-{small[0].id}-planned"' in listed
    assert f'name="edit-{own[0].id}-planned"' not in listed
    page = _list_save(hosp2, [small[0].id], "10")
    assert "预采购量由地市级填报（报量方式：地市级代为填报）" in page
    refused = hosp2.put(f"/api/v1/demand/{small[0].id}", json={"planned": 10})
    assert refused.status_code == 422 and "由地市级填报" in refused.json["message"]
    assert rows(app, DEMAND, id=small[0].id)[0].planned is None
    city = login(app, "ln_city")
    assert "由医疗机构填报" in _list_save(city, [own[0].id], "10")  # the hospital's own
    _list_save(city, [r.id for r in small], "30")
    assert [(r.planned, r.state) for r in _mine(app, HOSP2)] == [(30, "saved")] * len(ITEMS)
    form = city.post(f"/procurement/demand/edit/{small[0].id}", data={"planned": "35"})
    assert form.status_code == 302 and rows(app, DEMAND, id=small[0].id)[0].planned == 35
    page = flashes(city.post("/procurement/demand/transition_all/report_city",
                             follow_redirects=True).text)
    assert "代为上报（地市级）：已处理 4 条记录。" in page
    assert {r.state for r in _mine(app, HOSP2)} == {"city_ok"}
    # the institution cannot report nor withdraw what the city filled; the province reviews
    hosp2.post("/procurement/demand/transition_all/submit")
    assert {r.state for r in _mine(app, HOSP2)} == {"city_ok"}
    login(app, "ln_prov").post("/procurement/demand/action_post", data={
        "action": "province_approve", "rowid": [str(r.id) for r in small]})
    assert {r.state for r in _mine(app, HOSP2)} == {"province_ok"}
    # the national office returns one to the filler, who corrects and reports it again
    lcb = login(app, "lcb")
    assert "退回代填单位修改" in lcb.get(f"/procurement/demand/show/{small[1].id}").text
    lcb.post(f"/procurement/demand/transition/send_back_filler/{small[1].id}",
             data={"reason": "请核实"})
    assert rows(app, DEMAND, id=small[1].id)[0].state == "saved"
    _list_save(city, [small[1].id], "25")
    city.post("/procurement/demand/transition_all/report_city")
    assert rows(app, DEMAND, id=small[1].id)[0].state == "city_ok"
    assert "请核实" in rows(app, DEMAND, id=small[1].id)[0].review_log
    # the first hospital (no setting of its own: the province's default) reports itself
    _list_save(login(app, "ln_hosp1"), [own[0].id], "12")
    assert rows(app, DEMAND, id=own[0].id)[0].state == "saved"


def test_002_3_4_report_mode_the_institution_is_offered_nothing_it_would_be_refused(
        app: Any, batch: int) -> None:
    """Filled by the province, the hospital's list has no inputs, no 保存, no 上报 buttons and
    no edit icons; its edit page is refused with the reason, the detail page stays."""
    saved(app, batch)
    lettered(app, batch)
    _set_mode(app, batch, "province")
    mine = _mine(app, HOSP1)
    hosp = login(app, "ln_hosp1")
    listed = hosp.get("/procurement/demand/list/").text
    assert "list-edit-save" not in listed and 'name="edit-' not in listed
    assert 'data-action="submit"' not in listed and "上报所选" not in listed
    assert "transition_all/submit" not in listed or "disabled" in listed.split(
        "transition_all/submit")[1].split("</form>")[0]
    assert f"/procurement/demand/edit/{mine[0].id}" not in listed
    assert f"/procurement/demand/show/{mine[0].id}" in listed
    refused = hosp.get(f"/procurement/demand/edit/{mine[0].id}", follow_redirects=True)
    assert "该记录没有您可以修改的字段。" in refused.text
    posted = hosp.post(f"/procurement/demand/edit/{mine[0].id}", data={"planned": "999"})
    assert posted.status_code == 302
    assert rows(app, DEMAND, id=mine[0].id)[0].planned == 150
    # the province fills: its edit page offers 预采购量
    prov = login(app, "ln_prov").get(f"/procurement/demand/edit/{mine[0].id}").text
    assert 'name="planned"' in prov and "disabled" not in prov.split('name="planned"')[1][:80]


def test_002_3_4_report_mode_province_fills_by_import_and_rest(app: Any, batch: int) -> None:
    """Filled by the province: its import and its REST calls write 预采购量, the institution's
    are refused, and the province's report goes to the national office."""
    imported(app, batch)
    open_window(app)
    header = HEADER + ["预采购量"]
    body = [row + [7] for row in volumes()]
    prov = login(app, "ln_prov")
    refused = _import(prov, "demand", _csv([header] + body))  # 报量方式: 医疗机构自行填报
    assert refused.status_code == 422
    assert "预采购量由医疗机构填报" in refused.json["errors"][0]["message"]
    assert all(r.planned is None for r in rows(app, DEMAND))
    assert _import(prov, "demand", _csv([HEADER] + volumes())).status_code == 200  # 2020量
    _set_mode(app, batch, "province")
    response = _import(prov, "demand", _csv([header] + body))
    assert response.status_code == 200, response.text
    mine = _mine(app, HOSP1)
    assert {r.planned for r in mine} == {7}
    assert prov.put(f"/api/v1/demand/{mine[0].id}", json={"planned": 8}).status_code == 200
    hosp = login(app, "ln_hosp1")
    assert hosp.put(f"/api/v1/demand/{mine[1].id}", json={"planned": 9}).status_code == 422
    fired = hosp.post(f"/api/v1/demand/{mine[1].id}/transition/save")
    assert fired.status_code == 409 and "增幅降幅说明由省级填报" in fired.json["message"]
    assert prov.post(f"/api/v1/demand/{mine[1].id}/transition/save").status_code == 200
    assert rows(app, DEMAND, id=mine[1].id)[0].state == "saved"
    prov.post("/procurement/demand/action_post", data={
        "action": "report_province", "rowid": [str(mine[1].id)]})
    assert rows(app, DEMAND, id=mine[1].id)[0].state == "province_ok"
    login(app, "lcb").post("/procurement/demand/action_post", data={
        "action": "national_approve", "rowid": [str(mine[1].id)]})
    assert rows(app, DEMAND, id=mine[1].id)[0].state == "national_ok"
    # Sichuan, without a setting, still fills its own
    assert login(app, "sc_prov").post(
        "/api/v1/demand/transition/report_province",
        json={"ids": [r.id for r in _mine(app, HOSP_SC)]}).json["done"] == []


def test_002_3_4_report_mode_default_keeps_the_institution_filling(app: Any,
                                                                   batch: int) -> None:
    """Without a setting the institution fills: the province's list editing of 预采购量 is
    refused, its import of the 2020 volumes is not, and the on-behalf steps do not apply."""
    saved(app, batch)
    mine = _mine(app, HOSP1)
    prov = login(app, "ln_prov")
    assert "由医疗机构填报" in _list_save(prov, [mine[3].id], "5")
    assert rows(app, DEMAND, id=mine[3].id)[0].planned is None
    page = flashes(login(app, "ln_city").post("/procurement/demand/action_post", data={
        "action": "report_city", "rowid": [str(mine[0].id)]}, follow_redirects=True).text)
    assert "报量方式为医疗机构自行填报" in page
    assert rows(app, DEMAND, id=mine[0].id)[0].state == "saved"


# -- 002 §3.4(5) and §4.2.2: 模板下载 and the 承诺函 on the 采购需求 page -------------------
def test_002_4_2_2_template_and_letter_on_the_demand_page(app: Any, batch: int) -> None:
    """The panel above the institution's list: the batch's template to download, its 承诺函
    not uploaded (a link to the form, the open batch chosen) or uploaded (a link to it); the
    letter's form offers only batches whose window is open; the list and its export carry
    the 国采批次 column."""
    from app.hooks.models import Window

    imported(app, batch)
    open_window(app)  # every batch ...
    closed = add_row(app, "procurement.Batch", name="第十批国家组织药品集中采购", year=2024)
    with app.app_context():  # ... but the tenth, whose own window is switched off
        session = app.appbuilder.session
        session.add(Window(window="procurement", batch=str(closed), is_open=False,
                           opens_at=dt.datetime(2024, 12, 2, 8),
                           closes_at=dt.datetime(2024, 12, 20, 17, 30)))
        session.commit()
    response = login(app, "lcb").post(f"/procurement/batch/edit/{batch}", data={
        "name": BATCH, "year": "2026", "baseline_year": "2020",
        "letter_template": (io.BytesIO(make_pdf("承诺函模板")), "承诺函模板.pdf")},
        content_type="multipart/form-data")
    assert response.status_code == 302, flashes(response.text)[:500]
    hosp = login(app, "ln_hosp1")
    page = hosp.get("/procurement/demand/list/").text
    panel = flashes(page[page.index("needs-panel"):page.index("needs-panel") + 3000])
    assert f"批次： {BATCH}" in panel and "模板下载： 承诺函模板.pdf" in panel
    assert "承诺函： 未上传" in panel and "第十批" not in panel
    assert f'href="/procurement/batch/download/letter_template/{batch}"' in page
    add = f"/procurement/commitment_letter/add?batch={batch}"
    assert f'href="{add}"' in page
    form = hosp.get(add).text
    assert f'<option value="{batch}" selected>{BATCH}</option>' in form
    assert f'<option value="{batch}" selected>' in hosp.get(
        "/procurement/commitment_letter/add").text  # the open batch, unasked
    offered = hosp.get("/procurement/commitment_letter/choices/batch").json["results"]
    assert [r["id"] for r in offered] == [batch]
    lettered(app, batch)
    [letter] = rows(app, "procurement.CommitmentLetter")
    page = hosp.get("/procurement/demand/list/").text
    panel = flashes(page[page.index("needs-panel"):page.index("needs-panel") + 3000])
    assert "承诺函： 已上传 承诺函.pdf" in panel and "未上传" not in panel
    assert f'href="/procurement/commitment_letter/download/letter/{letter.id}"' in page
    assert f'href="/procurement/commitment_letter/edit/{letter.id}"' in page
    # reviewers fill nothing: no panel; every batch stays theirs to pick
    county = login(app, "ln_county")
    assert "needs-panel" not in county.get("/procurement/demand/list/").text
    # the 国采批次 column, in the list and its export
    assert "国采批次" in page
    sheet = load_workbook(io.BytesIO(hosp.get("/procurement/demand/export/xlsx").data)).active
    header = list(sheet.values)[0]
    assert list(sheet.values)[1][header.index("国采批次")] == BATCH
