"""信用管理 (seed 004 (六)) as its users meet it in 宁夏: the province keeps the 扣分标准 and a
信用档案 per enterprise; a 违法记录 opens a 扣分记录 for review with its standard's points; the
approval moves the profile's score and grade at once (the deductions name the enterprise, the
profile sums those of its enterprise); the grade of the year is set by the year-end schedule;
the city proposes a grade adjustment with a reason, the province approves it and the profile
shows it; the enterprise reads its own profile and confirmed deductions, nothing else, and
another province nothing at all (SQLite and PostgreSQL)."""

from __future__ import annotations

import gc
from typing import Any

import pytest

from tests.modules.conftest import flashes, login, rows
from tests.modules.nx_world import MAKER, PHARMACY, WHOLESALE, clear, dispose, make_world

PROFILES = "/credit/credit_profile"
ENTITIES = ("credit.GradeAdjustment", "credit.Deduction", "credit.IllegalRecord",
            "credit.CreditProfile", "credit.DeductionStandard")


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
    clear(app, ENTITIES)


def standards(app: Any) -> dict[str, int]:
    """The province's catalogue: one standard of each category."""
    reg = login(app, "nx_reg")
    ids = {}
    for code, name, category, points in (
            ("RC-01", "温湿度监测记录不全", "inspection", "5"),
            ("WF-01", "销售劣药", "illegal", "20")):
        response = reg.post("/api/v1/deduction_standard/", json={
            "code": code, "name": name, "category": category, "points": points})
        assert response.status_code == 201, response.json
        ids[code] = response.json["id"]
    return ids


def profile(world: dict[str, Any], uscc: str) -> int:
    """The province opens the enterprise's 信用档案 on the add form, held by the enterprise."""
    response = login(world["app"], "nx_reg").post(f"{PROFILES}/add", data={
        "enterprise": str(world["infos"][uscc]), "base_score": "100",
        "org": str(world["orgs"][uscc])})
    assert response.status_code == 302, flashes(response.text)[-600:]
    [row] = rows(world["app"], "credit.CreditProfile", enterprise_id=world["infos"][uscc])
    return int(row.id)


def violation(world: dict[str, Any], username: str, standard: int, no: str = "宁药监罚〔2026〕1号",
              uscc: str = WHOLESALE) -> Any:
    return login(world["app"], username).post("/api/v1/illegal_record/", json={
        "source_no": no, "enterprise": world["infos"][uscc], "standard": standard,
        "decided_on": "2026-03-02", "facts": "销售劣药阿莫西林胶囊 20 盒"})


def seen(client: Any, pk: int) -> dict[str, Any]:
    response = client.get(f"/api/v1/credit_profile/{pk}")
    assert response.status_code == 200, response.text
    return dict(response.json["result"])


def test_one_profile_per_enterprise_read_by_its_region_and_itself(world: dict[str, Any]) -> None:
    app = world["app"]
    own, other = profile(world, WHOLESALE), profile(world, PHARMACY)
    again = login(app, "nx_reg").post(f"{PROFILES}/add", data={
        "enterprise": str(world["infos"][WHOLESALE]), "org": str(world["orgs"][WHOLESALE])})
    assert again.status_code == 200 and len(rows(app, "credit.CreditProfile")) == 2
    for username in ("nx_reg", "nx_city", "nx_county", "nx_inspector", "nx_leader"):
        page = login(app, username).get(f"{PROFILES}/list/").text
        assert "宁夏凤城医药有限公司" in page and "银川市兴庆区康民大药房" in page, username
    shown = login(app, "nx_wholesale").get(f"{PROFILES}/show/{own}")
    assert shown.status_code == 200 and "信用分" in shown.text and "100.0" in shown.text
    ent = login(app, "nx_wholesale")
    assert "银川市兴庆区康民大药房" not in ent.get(f"{PROFILES}/list/").text
    assert ent.get(f"{PROFILES}/show/{other}").status_code == 404
    assert ent.get(f"/api/v1/credit_profile/{other}").status_code == 404
    assert [r["id"] for r in ent.get("/api/v1/credit_profile/").json["result"]] == [own]
    assert ent.put(f"/api/v1/credit_profile/{own}", json={"base_score": 200}).status_code == 403
    assert ent.get(f"{PROFILES}/edit/{own}").status_code == 403
    # another province, and the city's neighbour county, reach none of it
    assert login(app, "ln_reg").get(f"{PROFILES}/show/{own}").status_code == 404
    assert login(app, "ln_reg").get("/api/v1/credit_profile/").json["count"] == 0
    assert login(app, "nx_xixia").get(f"{PROFILES}/show/{own}").status_code == 404


def test_the_province_keeps_the_standards(app: Any) -> None:
    ids = standards(app)
    city = login(app, "nx_city")
    assert "销售劣药" in city.get("/credit/deduction_standard/list/").text
    assert city.post("/api/v1/deduction_standard/", json={
        "code": "X", "name": "x", "category": "illegal", "points": "1"}).status_code == 403
    assert city.put(f"/api/v1/deduction_standard/{ids['WF-01']}",
                    json={"points": "1"}).status_code == 403


def test_a_violation_opens_a_deduction_and_its_approval_moves_score_and_grade(
        world: dict[str, Any]) -> None:
    from app.audit.models import AuditEntry

    app, ids = world["app"], standards(world["app"])
    own = profile(world, WHOLESALE)
    # a standard of the other category is not offered for a violation
    wrong = violation(world, "nx_county", ids["RC-01"])
    assert wrong.status_code == 422 and "请选择违法记录类的扣分标准" in str(wrong.json)
    made = violation(world, "nx_county", ids["WF-01"])
    assert made.status_code == 201, made.json
    [deduction] = rows(app, "credit.Deduction")
    assert (deduction.state, deduction.ref_no, str(deduction.points), deduction.source,
            deduction.year, deduction.uscc) == ("pending", "WF-宁药监罚〔2026〕1号", "20.0",
                                                "illegal", 2026, WHOLESALE)
    with app.app_context():
        entry = app.appbuilder.session.query(AuditEntry).filter_by(
            entity="credit.Deduction", record_id=deduction.id, action="create").one()
        assert entry.username == "nx_county" and "违法记录生成扣分记录" in entry.reason
    ent = login(app, "nx_wholesale")
    # pending: neither counted nor shown to the enterprise
    assert seen(ent, own)["deducted"] == "0.0"
    assert ent.get(f"/credit/deduction/show/{deduction.id}").status_code == 404
    city = login(app, "nx_city")
    page = city.post(f"/credit/deduction/transition/approve/{deduction.id}",
                     follow_redirects=True)
    assert "审核通过" in flashes(page.text)
    got = seen(ent, own)
    assert (got["deducted"], got["deductions"], got["score"], got["grade"]) == (
        "20.0", "1", "80.0", "B")
    assert "20.0" in ent.get(f"/credit/deduction/show/{deduction.id}").text
    assert "WF-宁药监罚" not in login(app, "nx_pharmacy").get("/credit/deduction/list/").text
    assert login(app, "ln_reg").get(f"/credit/deduction/show/{deduction.id}").status_code == 404


def test_a_rejected_deduction_counts_nothing(world: dict[str, Any]) -> None:
    app, ids = world["app"], standards(world["app"])
    own = profile(world, WHOLESALE)
    violation(world, "nx_city", ids["WF-01"])
    [deduction] = rows(app, "credit.Deduction")
    reg = login(app, "nx_reg")
    blank = reg.post(f"/credit/deduction/transition/reject/{deduction.id}",
                     data={"reason": " "}, follow_redirects=True)
    assert "请填写原因" in flashes(blank.text)
    reg.post(f"/credit/deduction/transition/reject/{deduction.id}",
             data={"reason": "处罚决定已撤销"})
    assert rows(app, "credit.Deduction")[0].state == "rejected"
    assert seen(reg, own)["deducted"] == "0.0"
    # an inspector reads deductions but reviews none
    refused = login(app, "nx_inspector").post(
        f"/api/v1/deduction/{deduction.id}/transition/approve", json={})
    assert refused.status_code in (403, 404)


def test_a_profile_opened_after_its_deductions_counts_them(world: dict[str, Any]) -> None:
    app, ids = world["app"], standards(world["app"])
    violation(world, "nx_reg", ids["WF-01"], uscc=MAKER)
    [deduction] = rows(app, "credit.Deduction")
    login(app, "nx_reg").post(f"/api/v1/deduction/{deduction.id}/transition/approve", json={})
    own = profile(world, MAKER)
    assert seen(login(app, "nx_maker"), own)["score"] == "80.0"


def test_year_end_grades_by_schedule(world: dict[str, Any]) -> None:
    from app.jobs.actions import update_where

    app, ids = world["app"], standards(world["app"])
    own, other = profile(world, WHOLESALE), profile(world, PHARMACY)
    for no in ("宁药监罚〔2026〕1号", "宁药监罚〔2026〕2号"):
        violation(world, "nx_reg", ids["WF-01"], no=no)
    reg = login(app, "nx_reg")
    for row in rows(app, "credit.Deduction"):
        reg.post(f"/api/v1/deduction/{row.id}/transition/approve", json={})
    schedule = next(s for m in app.extensions["admin"].spec.modules for s in m.schedules
                    if s.name == "year_end_grades")
    with app.test_request_context():
        counts = update_where(app.appbuilder.session, dict(schedule.params))
        app.appbuilder.session.commit()
    assert counts
    assert (seen(reg, own)["year_grade"], seen(reg, other)["year_grade"]) == ("C", "A")
    assert "C级" in login(app, "nx_wholesale").get(f"{PROFILES}/show/{own}").text


def test_the_city_adjusts_a_grade_with_a_reason_and_the_province_approves(
        world: dict[str, Any]) -> None:
    from app.audit.models import AuditEntry

    app = world["app"]
    own = profile(world, WHOLESALE)
    city = login(app, "nx_city")
    empty = city.post("/credit/grade_adjustment/add", data={"profile": str(own), "grade": "B"})
    assert empty.status_code == 200 and not rows(app, "credit.GradeAdjustment")
    response = city.post("/credit/grade_adjustment/add", data={
        "profile": str(own), "grade": "B", "reason": "近一年内两次飞行检查发现冷链管理问题"})
    assert response.status_code == 302, flashes(response.text)[-600:]
    [adjustment] = rows(app, "credit.GradeAdjustment")
    assert adjustment.state == "proposed"
    # the city cannot approve its own proposal; the province can
    assert city.post(f"/api/v1/grade_adjustment/{adjustment.id}/transition/approve",
                     json={}).status_code in (403, 404)
    assert seen(city, own)["adjusted_grade"] is None
    page = login(app, "nx_reg").post(
        f"/credit/grade_adjustment/transition/approve/{adjustment.id}", follow_redirects=True)
    assert "批准调整" in flashes(page.text)
    got = seen(login(app, "nx_wholesale"), own)
    assert (got["adjusted_grade"], got["adjust_reason"]) == (
        "B", "近一年内两次飞行检查发现冷链管理问题")
    shown = login(app, "nx_wholesale").get(f"{PROFILES}/show/{own}").text
    assert "调整后信用等级" in shown and "B级" in shown
    with app.app_context():
        entry = app.appbuilder.session.query(AuditEntry).filter_by(
            entity="credit.CreditProfile", record_id=own, action="edit").one()
        assert entry.username == "nx_reg" and "批准调整后更新信用档案" in entry.reason
    # the province's own edit form does not change what the review set
    assert login(app, "nx_reg").put(f"/api/v1/credit_profile/{own}",
                                    json={"adjusted_grade": "A"}).status_code in (400, 422)
