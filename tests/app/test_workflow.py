"""The five-level review chain of seed 002: every transition rule, locks, batches, concurrency,
补正历史 and the audit trail (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from tests.conftest import (
    ADMIN_PASSWORD,
    SCHEMAS,
    apply_schema,
    ensure_admin,
    make_app,
    seed_people,
)

SCHEMA = SCHEMAS / "workflow" / "entities.yaml"
PASSWORD = "Pass@12345"
HOSPITAL, OTHER_HOSPITAL = "91350100M000100Y43", "12100000400000624D"
FAR_HOSPITAL = "91110000600037341L"
ORGS = {
    "350000": ("福建省", "province", None, None),
    "350100": ("福州市", "city", "350000", None),
    "350102": ("鼓楼区", "county", "350100", None),
    HOSPITAL: ("福州甲医院", "unit", "350102", "institution"),
    OTHER_HOSPITAL: ("福州乙医院", "unit", "350102", "institution"),
    "440000": ("广东省", "province", None, None),
    "440103": ("荔湾区", "county", "440000", None),
    FAR_HOSPITAL: ("广州丙医院", "unit", "440103", "institution"),
}
USERS = {"nat": ("national", "CN"), "fj": ("province", "350000"), "fz": ("city", "350100"),
         "gl": ("county", "350102"), "hosp": ("institution", HOSPITAL),
         "hosp2": ("institution", OTHER_HOSPITAL), "lw": ("county", "440103"),
         "far": ("institution", FAR_HOSPITAL)}
FIRED: list[int] = []  # every successful transition of this module, for the audit count


@pytest.fixture(scope="module")
def app(database_url: str, tmp_path_factory: Any) -> Any:

    application = make_app(database_url, SCHEMA, tmp_path_factory.mktemp("files"))
    apply_schema(application)
    ensure_admin(application)
    with application.app_context():
        session = application.appbuilder.session
        seed_people(application, ORGS, USERS, PASSWORD)
        session.commit()
    FIRED.clear()
    return application


def login(app: Any, username: str) -> Any:
    client = app.test_client()
    password = ADMIN_PASSWORD if username == "admin" else PASSWORD
    response = client.post("/login/", data={"username": username, "password": password})
    assert response.headers["Location"] == "/"
    return client


def new_demand(app: Any, username: str = "hosp", planned: int | None = 10) -> int:
    response = login(app, username).post("/api/v1/demand/", json={
        "item": "P001", "baseline": 100, "planned": planned})
    assert response.status_code == 201, response.text
    return response.json["id"]


def state(app: Any, pk: int) -> str:
    with app.app_context():
        model = app.extensions["admin"].models["procurement.Demand"]
        session = app.appbuilder.session
        session.expire_all()
        return session.get(model, pk).state


def fire(app: Any, username: str, pk: int, key: str, reason: str | None = None,
         expect: int = 200) -> Any:
    body = {"reason": reason} if reason is not None else {}
    response = login(app, username).post(f"/api/v1/demand/{pk}/transition/{key}", json=body)
    assert response.status_code == expect, (key, username, response.text)
    if response.status_code == 200:
        FIRED.append(pk)
    return response


def test_the_whole_chain_one_level_after_the_other(app: Any) -> None:
    pk = new_demand(app)
    assert state(app, pk) == "saved"
    for username, key, target in [("hosp", "submit", "submitted"),
                                  ("gl", "county_approve", "county_ok"),
                                  ("fz", "city_approve", "city_ok"),
                                  ("fj", "province_approve", "province_ok"),
                                  ("nat", "national_confirm", "national_ok")]:
        fire(app, username, pk, key)
        assert state(app, pk) == target
    page = login(app, "nat").get(f"/procurement/demand/show/{pk}").text
    assert "国家已确认" in page and "区县审核通过" in page  # state label and history
    with app.app_context():
        from app.audit.history import history

        entity = app.extensions["admin"].spec.entity("procurement.Demand")
        created = history(app.appbuilder.session, entity, pk)[0]
    assert ("所属机构", "", "福州甲医院") in [(c.label, c.old, c.new) for c in created.changes]


@pytest.mark.parametrize("username,key", [
    ("gl", "submit"),  # a county does not submit for a hospital
    ("hosp", "county_approve"),  # a hospital does not review
    ("fz", "county_approve"),  # wrong level: the city acts after the county
    ("fj", "city_approve"),
])
def test_roles_that_may_not_fire_get_403(app: Any, username: str, key: str) -> None:
    pk = new_demand(app)
    fire(app, "hosp", pk, "submit")
    fire(app, username, pk, key, expect=403)
    assert state(app, pk) == "submitted"


def test_wrong_state_and_missing_reason_and_required_fields(app: Any) -> None:
    pk = new_demand(app)
    response = fire(app, "gl", pk, "county_approve", expect=409)  # still only saved
    assert "当前为“已保存”" in response.json["message"]
    empty = new_demand(app, planned=None)
    response = fire(app, "hosp", empty, "submit", expect=409)
    assert "预采购量" in response.json["message"]
    fire(app, "hosp", pk, "submit")
    assert "请填写原因" in fire(app, "gl", pk, "send_back", expect=409).json["message"]
    assert "请填写原因" in fire(app, "gl", pk, "send_back", reason="  ",
                               expect=409).json["message"]
    fire(app, "hosp", pk, "submit", expect=409)  # a double click: already submitted
    assert state(app, pk) == "submitted"


def test_outside_jurisdiction_looks_like_missing(app: Any) -> None:
    pk = new_demand(app)
    fire(app, "hosp", pk, "submit")
    fire(app, "lw", pk, "county_approve", expect=404)  # a county of another province
    assert state(app, pk) == "submitted"


def test_submitted_rows_are_locked_for_edit_and_delete(app: Any) -> None:
    pk = new_demand(app)
    client = login(app, "hosp")
    assert client.put(f"/api/v1/demand/{pk}", json={"planned": 11}).status_code == 200
    fire(app, "hosp", pk, "submit")
    response = client.put(f"/api/v1/demand/{pk}", json={"planned": 12})
    assert response.status_code == 409 and "已上报" in response.json["message"]
    assert client.delete(f"/api/v1/demand/{pk}").status_code == 409
    page = client.get(f"/procurement/demand/edit/{pk}", follow_redirects=True).text
    assert "不能修改" in page
    page = client.post(f"/procurement/demand/delete/{pk}", follow_redirects=True).text
    assert "不能删除" in page
    assert state(app, pk) == "submitted"


def test_batch_submit_and_withdraw_only_unreviewed(app: Any) -> None:
    ids = [new_demand(app) for _ in range(3)]
    client = login(app, "hosp")
    response = client.post("/api/v1/demand/transition/submit", json={"ids": ids})
    assert sorted(response.json["done"]) == sorted(ids)
    FIRED.extend(ids)
    fire(app, "gl", ids[0], "county_approve")
    response = client.post("/procurement/demand/action_post", data={
        "action": "withdraw", "rowid": [str(i) for i in ids]})
    assert response.status_code == 302
    FIRED.extend(ids[1:])
    assert [state(app, i) for i in ids] == ["county_ok", "saved", "saved"]
    assert client.post("/api/v1/demand/transition/send_back",
                       json={"ids": ids}).status_code == 404  # needs a reason: never batch


def test_concurrent_reviewers_one_wins(app: Any) -> None:
    pk = new_demand(app)
    fire(app, "hosp", pk, "submit")
    clients = [login(app, "gl") for _ in range(2)]
    barrier = threading.Barrier(2)
    codes: list[int] = []

    def review(client: Any) -> None:
        barrier.wait()
        codes.append(client.post(f"/api/v1/demand/{pk}/transition/county_approve",
                                 json={}).status_code)

    threads = [threading.Thread(target=review, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(codes) == [200, 409]
    FIRED.append(pk)
    assert state(app, pk) == "county_ok"


def test_concurrent_edits_the_second_is_refused(app: Any) -> None:
    pk = new_demand(app)
    first, second = login(app, "hosp"), login(app, "hosp")
    version = first.get(f"/api/v1/demand/{pk}").json["result"]["row_version"]
    assert first.put(f"/api/v1/demand/{pk}", json={"planned": 20,
                                                     "row_version": version}).status_code == 200
    stale = second.put(f"/api/v1/demand/{pk}", json={"planned": 30, "row_version": version})
    assert stale.status_code == 409 and "他人" in stale.json["message"]
    form = second.post(f"/procurement/demand/edit/{pk}", data={
        "item": "P001", "planned": "40", "row_version": str(version)})
    assert form.status_code == 200 and "他人" in form.text and 'value="40"' in form.text
    assert login(app, "hosp").get(f"/api/v1/demand/{pk}").json["result"]["planned"] == 20


def test_correction_rounds_and_hidden_while_returned(app: Any) -> None:
    pk = new_demand(app)
    hosp = login(app, "hosp")
    fire(app, "hosp", pk, "submit")
    fire(app, "gl", pk, "send_back", reason="预采购量偏高，请核实")
    assert pk not in login(app, "gl").get("/api/v1/demand/").json["ids"]
    assert login(app, "gl").get(f"/api/v1/demand/{pk}").status_code == 404
    assert hosp.put(f"/api/v1/demand/{pk}", json={"planned": 8}).status_code == 200
    fire(app, "hosp", pk, "submit")
    assert pk in login(app, "gl").get("/api/v1/demand/").json["ids"]
    fire(app, "gl", pk, "county_approve")
    fire(app, "fz", pk, "send_back", reason="2020年采购量有误")
    assert hosp.put(f"/api/v1/demand/{pk}", json={"baseline": 90, "planned": 9}).status_code \
        == 200
    fire(app, "hosp", pk, "submit")
    page = login(app, "gl").get(f"/procurement/demand/show/{pk}").text
    assert page.count("第") >= 2 and "补正历史" in page
    assert "预采购量偏高，请核实" in page and "2020年采购量有误" in page
    assert "10 → 8" in page.replace("\n", "") or ">10<" in page
    with app.app_context():
        from app.audit.history import correction_rounds

        entity = app.extensions["admin"].spec.entity("procurement.Demand")
        rounds = correction_rounds(app.appbuilder.session, entity, pk)
    assert [(r.reason, [(c.label, c.old, c.new) for c in r.changes]) for r in rounds] == [
        ("预采购量偏高，请核实", [("预采购量", "10", "8")]),
        ("2020年采购量有误", [("2020年采购量", "100", "90"), ("预采购量", "8", "9")]),
    ]
    assert all(r.resubmitted_at is not None for r in rounds)
    assert "预采购量偏高" in hosp.get(f"/procurement/demand/show/{pk}").text  # both sides


def test_every_state_change_is_in_the_audit_log(app: Any) -> None:
    from sqlalchemy import func, select

    from app.audit.models import AuditEntry

    with app.app_context():
        session = app.appbuilder.session
        count = session.execute(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "transition")).scalar()
        entries = session.execute(select(AuditEntry).where(
            AuditEntry.action == "transition")).scalars().all()
    assert count == len(FIRED)
    assert all('"state": [' in e.changes and e.username for e in entries)


def test_audit_log_page_for_the_audit_administrator(app: Any) -> None:
    client = login(app, "admin")
    page = client.get("/security/audit/list/")
    assert page.status_code == 200 and "审计日志" in page.text and "状态变更" in page.text
    export = client.get("/security/audit/export.csv?_flt_0_action=transition")
    assert export.status_code == 200 and export.data.startswith("\ufeff".encode())
    lines = export.data.decode("utf-8-sig").splitlines()
    assert len(lines) - 1 == len(FIRED) and all("状态变更" in line for line in lines[1:])
    assert login(app, "gl").get("/security/audit/list/").status_code == 403
    with app.app_context():
        from sqlalchemy import select

        from app.audit.models import AuditEntry

        actions = set(app.appbuilder.session.execute(select(AuditEntry.action)).scalars())
    assert {"create", "edit", "transition", "login", "permissions"} <= actions


def test_change_after_submission_waits_for_acceptance(app: Any) -> None:
    pk = new_demand(app)
    for username, key in [("hosp", "submit"), ("gl", "county_approve"), ("fz", "city_approve"),
                          ("fj", "province_approve"), ("nat", "national_confirm")]:
        fire(app, username, pk, key)
    hosp = login(app, "hosp")
    assert hosp.put(f"/api/v1/demand/{pk}", json={"planned": 99}).status_code == 409
    assert "申请变更" in hosp.get(f"/procurement/demand/show/{pk}").text
    response = hosp.post(f"/procurement/demand/change/{pk}", data={
        "item": "P001", "baseline": "100", "planned": "99"})
    assert response.status_code == 302
    assert hosp.get(f"/api/v1/demand/{pk}").json["result"]["planned"] == 10  # still in force
    province = login(app, "fj")
    page = province.get(f"/procurement/demand/show/{pk}").text
    assert "变更申请" in page and "接受" in page
    with app.app_context():
        from app.workflow.changes import pending

        entity = app.extensions["admin"].spec.entity("procurement.Demand")
        [change] = pending(app.appbuilder.session, entity, pk)
        change_id = change.id
    assert login(app, "gl").post(f"/procurement/demand/change/decide/{change_id}", data={
        "decision": "accept"}).status_code == 403  # a county does not decide
    assert province.post(f"/procurement/demand/change/decide/{change_id}", data={
        "decision": "accept"}).status_code == 302
    assert hosp.get(f"/api/v1/demand/{pk}").json["result"]["planned"] == 99
    hosp.post(f"/procurement/demand/change/{pk}", data={"item": "P001", "baseline": "100",
                                                        "planned": "5"})
    with app.app_context():
        [change] = pending(app.appbuilder.session, entity, pk)
        change_id = change.id
    province.post(f"/procurement/demand/change/decide/{change_id}", data={
        "decision": "reject", "reason": "无依据"})
    assert hosp.get(f"/api/v1/demand/{pk}").json["result"]["planned"] == 99
    assert login(app, "gl").get(f"/procurement/demand/change/{pk}").status_code == 403
