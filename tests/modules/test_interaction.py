"""政企互动 (seed 004 §二(八)) as its users meet it in 宁夏: the county issues a self-inspection
form to an enterprise of its region, which fills and submits it, is sent back with a reason and
passes on the second round; the city sends a written inquiry the enterprise answers with a file
within 10 working days; enterprises report their figures for each period the province opens, the
county confirms them, and the regulators follow who has reported; another enterprise, a
neighbouring county and another province see none of it (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import gc
import io
from typing import Any

import pytest

from tests.modules.conftest import flashes, login, make_pdf, rows
from tests.modules.nx_world import MAKER, PHARMACY, WHOLESALE, clear, dispose, make_world

ENTITIES = ("interaction.SelfInspection", "interaction.Inquiry", "interaction.DataReport",
            "interaction.ReportPeriod")
SELF = "/api/v1/self_inspection/"
INQUIRY = "/api/v1/inquiry/"
REPORT = "/api/v1/data_report/"


@pytest.fixture(scope="module")
def world(database_url: str, tmp_path_factory: Any) -> Any:
    made = make_world(database_url, tmp_path_factory.mktemp("files"))
    yield made
    dispose(made["app"])
    gc.collect()


@pytest.fixture
def app(world: dict[str, Any]) -> Any:
    return world["app"]


@pytest.fixture(autouse=True)
def fresh(app: Any) -> None:
    from sqlalchemy import delete

    from app.messages.models import Message

    clear(app, ENTITIES, delete(Message))


def inbox(app: Any, username: str) -> str:
    return flashes(login(app, username).get("/messages/").text)


def test_a_self_inspection_issued_filled_returned_and_approved(world: dict[str, Any]) -> None:
    from generator.working_days import due_date

    app = world["app"]
    county = login(app, "nx_county")
    # only an enterprise of the county's own region
    wrong = county.post(SELF, json={"title": "x", "requirements": "x",
                                    "org": world["orgs"][MAKER]})
    assert wrong.status_code == 422
    made = county.post(SELF, json={
        "title": "2026年药品经营质量管理规范自查", "org": world["orgs"][WHOLESALE],
        "requirements": "对照《药品经营质量管理规范》逐项自查，如实填写自查表。"})
    assert made.status_code == 201, made.json
    pk = made.json["id"]
    ent = login(app, "nx_wholesale")
    assert ent.get(f"{SELF}{pk}").status_code == 404  # a draft is the county's
    assert county.post(f"{SELF}{pk}/transition/issue", json={}).status_code == 200
    row = ent.get(f"{SELF}{pk}").json["result"]
    assert (row["state"], row["state_due"]) == (
        "issued", due_date(dt.date.today(), 15, "working").isoformat())
    assert "下发了企业自查表“2026年药品经营质量管理规范自查”" in inbox(app, "nx_wholesale")
    assert "企业自查" in ent.get("/").text
    for other in ("nx_pharmacy", "nx_xixia", "ln_reg"):
        assert login(app, other).get(f"{SELF}{pk}").status_code == 404, other
    # each side writes its own part
    assert ent.put(f"{SELF}{pk}", json={"requirements": "不查"}).status_code in (403, 422)
    assert county.put(f"{SELF}{pk}", json={"findings": "代填"}).status_code in (403, 422)
    refused = ent.post(f"{SELF}{pk}/transition/submit", json={})
    assert refused.status_code in (409, 422) and "自查情况" in str(refused.json)
    filled = ent.post(f"/interaction/self_inspection/edit/{pk}", data={
        "findings": "冷库温湿度记录存在缺失。", "problems": "1",
        "rectification": "已更换温湿度自动监测系统。",
        "filled_file": (io.BytesIO(make_pdf("自查表")), "自查表.pdf")})
    assert filled.status_code == 302, flashes(filled.text)[-600:]
    assert ent.post(f"{SELF}{pk}/transition/submit", json={}).status_code == 200
    assert county.post(f"/interaction/self_inspection/transition/send_back/{pk}",
                       data={"reason": "整改措施未附佐证材料"}).status_code == 302
    assert "被退回，原因：整改措施未附佐证材料" in inbox(app, "nx_wholesale")
    assert ent.put(f"{SELF}{pk}", json={"rectification": "已更换系统，附验收记录。"}
                   ).status_code == 200
    assert ent.post(f"{SELF}{pk}/transition/submit", json={}).status_code == 200
    assert ent.post(f"{SELF}{pk}/transition/approve", json={}).status_code == 403
    assert county.post(f"{SELF}{pk}/transition/approve", json={}).status_code == 200
    page = flashes(ent.get(f"/interaction/self_inspection/show/{pk}").text)
    assert "审核通过" in page and "补正历史" in page and "整改措施未附佐证材料" in page
    assert [r.state for r in rows(app, "interaction.SelfInspection")] == ["reviewed"]


def test_an_inquiry_answered_with_a_file(world: dict[str, Any]) -> None:
    from generator.working_days import due_date

    app = world["app"]
    city = login(app, "nx_city")
    made = city.post(INQUIRY, json={
        "letter_no": "银市监药函〔2026〕8号", "subject": "关于布洛芬缓释胶囊购进渠道的函询",
        "org": world["orgs"][PHARMACY]})
    assert made.status_code == 201, made.json
    pk = made.json["id"]
    refused = city.post(f"{INQUIRY}{pk}/transition/send", json={})
    assert refused.status_code in (409, 422) and "函询内容" in str(refused.json)
    assert city.put(f"{INQUIRY}{pk}", json={
        "content": "请说明2026年10月购进的布洛芬缓释胶囊（批号250612）的供货单位及票据。"}
    ).status_code == 200
    assert city.post(f"{INQUIRY}{pk}/transition/send", json={}).status_code == 200
    ent = login(app, "nx_pharmacy")
    row = ent.get(f"{INQUIRY}{pk}").json["result"]
    assert (row["state"], row["state_due"]) == (
        "sent", due_date(dt.date.today(), 10, "working").isoformat())
    assert "发出函询“关于布洛芬缓释胶囊购进渠道的函询”" in inbox(app, "nx_pharmacy")
    assert login(app, "nx_wholesale").get(f"{INQUIRY}{pk}").status_code == 404
    assert login(app, "ln_reg").get(f"{INQUIRY}{pk}").status_code == 404
    assert ent.put(f"{INQUIRY}{pk}", json={"subject": "改"}).status_code in (403, 422)
    # the written reply is a file: without it the reply is not sent
    assert ent.put(f"{INQUIRY}{pk}", json={"reply": "供货单位为宁夏凤城医药有限公司，票据附后。"}
                   ).status_code == 200
    missing = ent.post(f"{INQUIRY}{pk}/transition/reply", json={})
    assert missing.status_code in (409, 422) and "书面回复" in str(missing.json)
    uploaded = ent.post(f"/interaction/inquiry/edit/{pk}", data={
        "reply": "供货单位为宁夏凤城医药有限公司，票据附后。",
        "reply_file": (io.BytesIO(make_pdf("回复")), "书面回复.pdf")})
    assert uploaded.status_code == 302, flashes(uploaded.text)[-600:]
    assert ent.post(f"{INQUIRY}{pk}/transition/reply", json={}).status_code == 200
    assert "已回复函询“关于布洛芬缓释胶囊购进渠道的函询”" in inbox(app, "nx_city")
    assert city.post(f"{INQUIRY}{pk}/transition/close", json={}).status_code == 200
    shown = flashes(city.get(f"/interaction/inquiry/show/{pk}").text)
    assert "已办结" in shown and "书面回复.pdf" in shown


def test_enterprises_report_each_period_and_the_regulators_follow(
        world: dict[str, Any]) -> None:
    app = world["app"]
    reg = login(app, "nx_reg")
    made = reg.post("/api/v1/report_period/", json={
        "name": "2026年第三季度", "starts_on": "2026-07-01", "ends_on": "2026-09-30"})
    assert made.status_code == 201, made.json
    period = made.json["id"]
    assert login(app, "nx_county").post("/api/v1/report_period/", json={
        "name": "x", "starts_on": "2026-07-01", "ends_on": "2026-09-30"}).status_code == 403
    ent = login(app, "nx_wholesale")
    figures = {"period": period, "output_value": "0", "sales_value": "1260.50",
               "varieties": 420, "adverse_events": 3, "quality": "本季度未发生质量事故。"}
    filed = ent.post(REPORT, json=figures)
    assert filed.status_code == 201, filed.json
    pk = filed.json["id"]
    twice = ent.post(REPORT, json=figures)
    assert twice.status_code == 422
    county = login(app, "nx_county")
    assert county.get(f"{REPORT}{pk}").status_code == 404  # still a draft
    assert ent.post(f"{REPORT}{pk}/transition/submit", json={}).status_code == 200
    assert county.get(f"{REPORT}{pk}").json["result"]["sales_value"] == "1260.50"
    for other in ("nx_pharmacy", "nx_xixia", "ln_reg"):
        assert login(app, other).get(f"{REPORT}{pk}").status_code == 404, other
    assert ent.put(f"{REPORT}{pk}", json={"varieties": 1}).status_code == 409
    # who has reported: 兴庆区's two enterprises, one filed
    body = county.get(f"{REPORT}completeness?_period={period}&unfiled=1").json
    assert [u["name"] for u in body["units"]] == ["银川市兴庆区康民大药房"]
    page = flashes(county.get("/interaction/data_report/completeness/").text)
    assert "数据上报进度" in page and "康民大药房" in page
    assert county.post(f"{REPORT}{pk}/transition/accept", json={}).status_code == 200
    summary = reg.get(f"/api/v1/data_report/summary/by_region?_period={period}").json
    [city] = summary["rows"]
    assert (city["labels"]["org.city"], city["sums"]["sales_value"], city["count"]) == (
        "银川市", "1260.50", 1)
    assert login(app, "nx_county").get(
        "/interaction/data_report/summary/by_region/").status_code == 403
