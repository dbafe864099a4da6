"""日常监管 (seed 004 §二(二)) as its users meet it in 宁夏: 兴庆区 drafts a 检查计划, 银川市
下达 it; a 检查任务 of the plan names the enterprise inspected (the task is held by that
enterprise, so 兴庆区, 银川市 and the province see it, 西夏区 and another province do not) and
its 承办人, whose 待办 it is alone; the inspector fills the checklist lines, a photo and the
conclusion and submits; the 分管领导 returns it with a reason or approves it, and a task
approved as 不符合 opens a 扣分记录 of 信用管理 for review with its standard's points, which
moves the enterprise's 信用分 once the city approves it; the enterprise reads its own finished
tasks, nothing else (SQLite and PostgreSQL)."""

from __future__ import annotations

import gc
import io
from typing import Any

import pytest

from tests.modules.conftest import flashes, login, rows
from tests.modules.nx_world import PHARMACY, WHOLESALE, clear, dispose, make_world

PLANS = "/supervision/inspection_plan"
TASKS = "/supervision/inspection_task"
API = "/api/v1/inspection_task/"
ENTITIES = ("supervision.ChecklistLine", "supervision.InspectionTask",
            "supervision.InspectionPlan", "credit.Deduction", "credit.CreditProfile",
            "credit.DeductionStandard")


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


def png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (8, 8), "green").save(out, "PNG")
    return out.getvalue()


def user_id(app: Any, username: str) -> int:
    with app.app_context():
        return int(app.appbuilder.sm.find_user(username=username).id)


def standard(app: Any) -> int:
    response = login(app, "nx_reg").post("/api/v1/deduction_standard/", json={
        "code": "RC-01", "name": "温湿度监测记录不全", "category": "inspection", "points": "5"})
    assert response.status_code == 201, response.json
    return int(response.json["id"])


def plan(app: Any, kind: str = "routine", issue: bool = True) -> int:
    """兴庆区 drafts the plan; 银川市 issues it."""
    response = login(app, "nx_county").post(f"{PLANS}/add", data={
        "title": "2026年兴庆区药品经营企业日常检查", "kind": kind, "year": "2026",
        "starts_on": "2026-03-01", "ends_on": "2026-11-30", "description": "覆盖辖区零售药店"})
    assert response.status_code == 302, flashes(response.text)[-600:]
    row = rows(app, "supervision.InspectionPlan")[-1]
    if issue:
        page = login(app, "nx_city").post(f"{PLANS}/transition/issue/{row.id}",
                                          follow_redirects=True)
        assert "下达" in flashes(page.text)
    return int(row.id)


def task(world: dict[str, Any], plan_id: int, no: str = "XQ-2026-001",
         uscc: str = WHOLESALE, handler: str = "nx_inspector") -> int:
    """The county assigns the task on the add form."""
    app = world["app"]
    response = login(app, "nx_county").post(f"{TASKS}/add", data={
        "task_no": no, "plan": str(plan_id), "title": "凤城医药日常检查",
        "enterprise": str(world["infos"][uscc]), "handler": str(user_id(app, handler)),
        "planned_on": "2026-04-10"})
    assert response.status_code == 302, flashes(response.text)[-600:]
    [row] = rows(app, "supervision.InspectionTask", task_no=no)
    return int(row.id)


def inspected(app: Any, pk: int, conclusion: str, standard_id: int | None = None,
              rectification: str = "") -> Any:
    """The handler's edit form: two checklist lines, a photo and the conclusion."""
    data = {
        "inspected_on": "2026-04-10", "conclusion": conclusion,
        "rectification": rectification,
        "standard": "" if standard_id is None else str(standard_id),
        "lines-0-item": "温湿度监测", "lines-0-content": "查阅阴凉库温湿度记录",
        "lines-0-result": "fail", "lines-0-problem": "3月份记录缺失12天",
        "lines-1-item": "人员资质", "lines-1-content": "核对执业药师注册证",
        "lines-1-result": "pass",
        "photo1": (io.BytesIO(png()), "阴凉库.png"),
    }
    return login(app, "nx_inspector").post(f"{TASKS}/edit/{pk}", data=data,
                                           content_type="multipart/form-data")


def test_plans_are_drafted_by_the_county_and_issued_by_the_city(app: Any) -> None:
    pk = plan(app, issue=False)
    county = login(app, "nx_county")
    refused = county.post(f"/api/v1/inspection_plan/{pk}/transition/issue", json={})
    assert refused.status_code in (403, 404)
    for username in ("nx_city", "nx_reg", "nx_leader", "nx_inspector"):
        assert login(app, username).get(f"{PLANS}/show/{pk}").status_code == 200, username
    for username in ("ln_reg", "nx_xixia", "nx_wholesale"):
        assert login(app, username).get(f"{PLANS}/show/{pk}").status_code in (403, 404)
    assert login(app, "nx_city").post(f"/api/v1/inspection_plan/{pk}/transition/issue",
                                      json={}).status_code == 200
    assert rows(app, "supervision.InspectionPlan")[0].state == "issued"
    # issued: fixed
    assert county.put(f"/api/v1/inspection_plan/{pk}", json={"year": 2025}).status_code == 409


def test_a_task_belongs_to_the_enterprise_and_waits_for_its_handler(
        world: dict[str, Any]) -> None:
    app = world["app"]
    draft = plan(app, issue=False)
    refused = login(app, "nx_county").post(API, json={
        "task_no": "XQ-X", "plan": draft, "title": "x", "enterprise": world["infos"][WHOLESALE],
        "handler": user_id(app, "nx_inspector")})
    assert refused.status_code == 422 and "请选择已下达的检查计划" in str(refused.json)
    pk = task(world, plan(app, kind="special"))
    [row] = rows(app, "supervision.InspectionTask")
    assert (row.state, row.org_id) == ("pending", world["orgs"][WHOLESALE])
    assert row.state_due is not None
    # the organisation is the enterprise's at every door: the API takes no other
    moved = login(app, "nx_county").put(f"{API}{pk}", json={"org": world["orgs"]["640104"]})
    assert moved.status_code == 422
    repointed = login(app, "nx_reg").put(f"{API}{pk}", json={
        "enterprise": world["infos"][PHARMACY]})
    assert repointed.status_code == 200, repointed.json
    assert rows(app, "supervision.InspectionTask")[0].org_id == world["orgs"][PHARMACY]
    login(app, "nx_reg").put(f"{API}{pk}", json={"enterprise": world["infos"][WHOLESALE]})
    # 待办: the handler's alone
    mine = login(app, "nx_inspector").get(f"{API}?todo=1").json
    assert [r["id"] for r in mine["result"]] == [pk]
    assert "检查任务" in login(app, "nx_inspector").get("/").text
    assert login(app, "nx_inspector2").get(f"{API}?todo=1").json["count"] == 0
    # 兴庆区's county, city and province read it; 西夏区, 辽宁, another inspector and the
    # enterprise (not yet) do not
    for username in ("nx_county", "nx_city", "nx_reg", "nx_county_leader", "nx_inspector"):
        assert login(app, username).get(f"{TASKS}/show/{pk}").status_code == 200, username
    for username in ("nx_xixia", "ln_reg", "nx_inspector2", "nx_wholesale", "nx_pharmacy"):
        assert login(app, username).get(f"{TASKS}/show/{pk}").status_code == 404, username
        assert login(app, username).get(API).json.get("count", 0) == 0, username


def test_inspect_return_approve_and_the_deduction_moves_the_score(
        world: dict[str, Any]) -> None:
    app = world["app"]
    points = standard(app)
    login(app, "nx_reg").post("/credit/credit_profile/add", data={
        "enterprise": str(world["infos"][WHOLESALE]), "base_score": "100",
        "org": str(world["orgs"][WHOLESALE])})
    pk = task(world, plan(app, kind="flight"))
    inspector = login(app, "nx_inspector")
    # the planned part is fixed for the inspector
    assert inspector.put(f"{API}{pk}", json={"title": "改"}).status_code in (403, 422)
    page = inspector.post(f"{TASKS}/transition/start/{pk}", follow_redirects=True)
    assert "开始检查" in flashes(page.text)
    # 不符合 needs the 整改要求 and a 扣分标准
    blank = inspected(app, pk, "fail")
    assert blank.status_code == 200 and "此项为必填项" in flashes(blank.text)
    saved = inspected(app, pk, "fail", points, "15日内完善温湿度监测记录并提交整改报告")
    assert saved.status_code == 302, flashes(saved.text)[-600:]
    lines = rows(app, "supervision.ChecklistLine")
    assert [(line.item, line.result) for line in lines] == [("温湿度监测", "fail"),
                                                             ("人员资质", "pass")]
    [row] = rows(app, "supervision.InspectionTask")
    assert row.photo1_name == "阴凉库.png" and row.org_id == world["orgs"][WHOLESALE]
    assert inspector.post(f"{API}{pk}/transition/submit", json={}).status_code == 200
    # the leader returns it with the reason; the handler is told
    leader = login(app, "nx_county_leader")
    assert leader.post(f"{API}{pk}/transition/send_back", json={}).status_code in (409, 422)
    assert leader.post(f"{API}{pk}/transition/send_back",
                       json={"reason": "照片不清晰，请补拍"}).status_code == 200
    assert rows(app, "supervision.InspectionTask")[0].state == "inspecting"
    assert "照片不清晰，请补拍" in flashes(inspector.get("/messages/").text)
    assert inspector.post(f"{API}{pk}/transition/submit", json={}).status_code == 200
    assert inspector.post(f"{API}{pk}/transition/approve", json={}).status_code in (403, 404)
    page = leader.post(f"{TASKS}/transition/approve/{pk}", follow_redirects=True)
    assert "审核通过" in flashes(page.text)
    [row] = rows(app, "supervision.InspectionTask")
    assert row.state == "closed" and "退回重新检查：照片不清晰" in row.log
    [deduction] = rows(app, "credit.Deduction")
    assert (deduction.state, deduction.ref_no, str(deduction.points), deduction.source,
            deduction.year, deduction.uscc, deduction.standard_id) == (
        "pending", "JC-XQ-2026-001", "5.0", "inspection", 2026, WHOLESALE, points)
    # the city reviews it, and the 信用分 moves
    assert login(app, "nx_city").post(f"/api/v1/deduction/{deduction.id}/transition/approve",
                                      json={}).status_code == 200
    ent = login(app, "nx_wholesale")
    [profile] = ent.get("/api/v1/credit_profile/").json["result"]
    assert (profile["deducted"], profile["score"]) == ("5.0", "95.0")
    # the enterprise reads its finished task, read-only, and was told
    shown = ent.get(f"{TASKS}/show/{pk}")
    assert shown.status_code == 200 and "不符合" in shown.text and "温湿度监测" in shown.text
    assert "15日内完善温湿度监测记录" in shown.text and "办理记录" not in shown.text
    assert ent.get(f"{TASKS}/edit/{pk}").status_code == 403
    assert ent.put(f"{API}{pk}", json={"conclusion": "pass"}).status_code == 403
    assert "检查结论：不符合" in flashes(ent.get("/messages/").text)
    other = login(app, "nx_pharmacy")
    assert other.get(f"{TASKS}/show/{pk}").status_code == 404
    assert other.get(API).json["count"] == 0


def test_a_task_that_passes_opens_no_deduction(world: dict[str, Any]) -> None:
    app = world["app"]
    pk = task(world, plan(app), uscc=PHARMACY, handler="nx_inspector2")
    assert login(app, "nx_inspector").post(f"{API}{pk}/transition/start",
                                           json={}).status_code == 404
    helper = login(app, "nx_inspector2")
    assert [r["id"] for r in helper.get(API).json["result"]] == [pk]
    assert login(app, "nx_inspector").get(API).json["count"] == 0
    assert helper.post(f"{API}{pk}/transition/start", json={}).status_code == 200
    assert helper.put(f"{API}{pk}", json={"inspected_on": "2026-05-06",
                                          "conclusion": "pass"}).status_code == 200
    assert helper.post(f"{API}{pk}/transition/submit", json={}).status_code == 200
    assert login(app, "nx_leader").post(f"{API}{pk}/transition/approve",
                                        json={}).status_code == 200
    assert rows(app, "supervision.InspectionTask")[0].state == "closed"
    assert rows(app, "credit.Deduction") == []
    plans = login(app, "nx_city").get("/api/v1/inspection_plan/").json["result"]
    assert [(p["tasks"], p["closed_tasks"]) for p in plans] == [("1", "1")]
