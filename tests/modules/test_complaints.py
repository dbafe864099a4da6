"""投诉举报 (seed 004) as the 宁夏 users walk it: the province registers a complaint, accepts it
within 5 working days and transfers it, which opens a check task in the reported enterprise's
region (兴庆区, not 石嘴山市); the county checks it, the province answers within 60 working days;
an enterprise files its own complaint, reads only its own and the answer, and is told when it
is not accepted, with the reason (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from tests.modules.conftest import flashes, login, rows
from tests.modules.ningxia import MAKER, PHARMACY, info_id, nx_world  # noqa: F401

API = "/api/v1/complaint/"
CHECKS = "/api/v1/complaint_check/"
ENTITIES = ("complaints.ComplaintCheck", "complaints.Complaint")
COMPLAINT = {"title": "康民大药房销售过期药品", "kind": "report", "channel": "phone",
             "received_on": dt.date.today().isoformat(), "complainant": "刘女士",
             "phone": "0951-12331", "reported_name": "银川市兴庆区康民大药房",
             "content": "12月1日购买的布洛芬缓释胶囊已过有效期。"}


@pytest.fixture(autouse=True)
def fresh(nx: Any) -> None:
    from sqlalchemy import delete

    from app.audit.models import AuditEntry

    with nx.app_context():
        session = nx.appbuilder.session
        for name in ENTITIES:
            session.execute(delete(nx.extensions["admin"].models[name]))
        session.execute(delete(AuditEntry).where(AuditEntry.entity.in_(ENTITIES)))
        session.commit()


def registered(app: Any, **values: Any) -> int:
    made = login(app, "nx_reg").post(API, json={**COMPLAINT, **values})
    assert made.status_code == 201, made.json
    return int(made.json["id"])


def test_registration_is_due_for_acceptance_in_5_working_days(nx: Any) -> None:
    from generator.working_days import due_date

    pk = registered(nx)
    province = login(nx, "nx_reg")
    row = province.get(f"{API}{pk}").json["result"]
    assert (row["state"], row["state_due"]) == (
        "registered", due_date(dt.date.today(), 5, "working").isoformat())
    page = flashes(province.get("/complaints/complaint/list/").text)
    assert "待受理" in page and "剩余" in page
    assert "投诉举报登记" in province.get("/").text  # 待办
    accepted = province.post(f"{API}{pk}/transition/accept", json={})
    assert accepted.status_code == 200, accepted.json
    row = province.get(f"{API}{pk}").json["result"]
    assert row["state_due"] == due_date(dt.date.today(), 60, "working").isoformat()
    assert province.post(f"{API}{pk}/transition/reply", json={}).status_code in (409, 422)
    assert province.put(f"{API}{pk}", json={"reply": "经核查，已责令下架并立案调查。"}
                        ).status_code == 200
    assert province.post(f"{API}{pk}/transition/reply", json={}).status_code == 200
    row = province.get(f"{API}{pk}").json["result"]
    assert (row["state"], row["state_due"]) == ("replied", None)
    assert "答复办结" in row["log"]


def test_transfer_opens_a_check_in_the_reported_enterprise_s_region(nx: Any) -> None:
    pk = registered(nx)
    province = login(nx, "nx_reg")
    refused = province.post(f"{API}{pk}/transition/transfer", json={})
    assert refused.status_code in (409, 422) and "监管相对人" in str(refused.json)
    assert province.put(f"{API}{pk}", json={"enterprise": info_id(nx, PHARMACY)}
                        ).status_code == 200
    assert province.post(f"{API}{pk}/transition/transfer", json={}).status_code == 200
    [check] = rows(nx, "complaints.ComplaintCheck")
    with nx.app_context():
        from app.security.models import Organisation

        org = nx.appbuilder.session.get(Organisation, check.org_id)
        assert org.code == PHARMACY  # the reported enterprise's, under 兴庆区
    assert (check.state, check.title, check.content) == (
        "assigned", COMPLAINT["title"], COMPLAINT["content"])
    county = login(nx, "nx_county")
    assert "转办核查" in county.get("/").text
    listed = county.get(f"{CHECKS}?todo=1").json["result"]
    assert [c["id"] for c in listed] == [check.id]
    # 石嘴山 neither sees nor checks it; the province reads it, does not check it
    szs = login(nx, "szs_county")
    assert szs.get(f"{CHECKS}{check.id}").status_code == 404
    assert szs.post(f"{CHECKS}{check.id}/transition/finish", json={}).status_code == 404
    assert province.post(f"{CHECKS}{check.id}/transition/finish", json={}).status_code == 403
    assert county.put(f"{CHECKS}{check.id}", json={"title": "改"}).status_code in (403, 422)
    inspector = login(nx, "nx_inspector")
    assert inspector.put(f"{CHECKS}{check.id}", json={
        "finding": "founded", "result": "现场发现过期布洛芬缓释胶囊3盒，已扣押。"}
    ).status_code == 200
    assert inspector.post(f"{CHECKS}{check.id}/transition/finish", json={}).status_code == 200
    seen = province.get(f"{CHECKS}{check.id}").json["result"]
    assert (seen["state"], seen["finding"]) == ("checked", "founded")
    page = flashes(province.get(f"/complaints/complaint_check/show/{check.id}").text)
    assert "属实" in page and "已扣押" in page


def test_the_enterprise_files_its_own_and_reads_only_its_own(nx: Any) -> None:
    other = registered(nx)
    maker = login(nx, "maker")
    filed = maker.post("/complaints/complaint/add", data={
        **COMPLAINT, "title": "某公司冒用我公司批准文号", "channel": "enterprise",
        "reported_name": "宁夏某医药公司", "complainant": "李明远"})
    assert filed.status_code == 302, flashes(filed.text)[-600:]
    mine = next(r for r in rows(nx, "complaints.Complaint") if r.id != other)
    listed = maker.get(API).json["result"]
    assert [r["id"] for r in listed] == [mine.id]
    assert maker.get(f"{API}{other}").status_code == 404
    assert "康民大药房销售过期药品" not in maker.get("/complaints/complaint/list/").text
    assert login(nx, "pharmacy").get(f"{API}{mine.id}").status_code == 404
    # it cannot link a party, answer or move its own complaint
    assert maker.put(f"{API}{mine.id}", json={"reply": "已办结"}).status_code in (403, 422)
    assert maker.post(f"{API}{mine.id}/transition/accept", json={}).status_code == 403
    assert login(nx, "maker").get(CHECKS).status_code in (403, 404)
    # its county accepts or refuses it; refused, the enterprise is told why
    county = login(nx, "nx_county")
    assert county.post(f"/complaints/complaint/transition/reject/{mine.id}",
                       data={"reason": "不属于药品监管部门职责范围"}).status_code == 302
    inbox = flashes(maker.get("/messages/").text)
    assert "不予受理" in inbox and "不属于药品监管部门职责范围" in inbox
    assert maker.get(f"{API}{mine.id}").json["result"]["state"] == "rejected"
    assert maker.delete(f"{API}{mine.id}").status_code == 409


def test_an_answer_reaches_the_enterprise_that_filed(nx: Any) -> None:
    maker = login(nx, "maker")
    made = maker.post(API, json={**COMPLAINT, "title": "假冒本公司产品", "channel": "enterprise",
                                 "reported_name": "不明经营者"})
    assert made.status_code == 201, made.json
    pk = made.json["id"]
    city = login(nx, "nx_city")
    assert city.post(f"{API}{pk}/transition/accept", json={}).status_code == 200
    assert city.put(f"{API}{pk}", json={"reply": "已立案调查，感谢反映。"}).status_code == 200
    assert city.post(f"{API}{pk}/transition/reply", json={}).status_code == 200
    assert maker.get(f"{API}{pk}").json["result"]["reply"] == "已立案调查，感谢反映。"
    assert "已答复：已立案调查" in flashes(maker.get("/messages/").text)
    _ = MAKER
