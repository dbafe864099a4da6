"""检验检测 (seed 004 §二(四)) as its users meet it in 宁夏: the province draws up an 抽检计划
and hands each region its share (抽检任务, held by the region); the county's inspectors sample
an enterprise of their region and send the sample; the province (自治区药品检验研究院) enters
the result with its test items; a 不合格 result opens a 核查处置 task in the enterprise's
region, due in 15 working days, and an 异议 the enterprise may file within 7 working days,
which the province decides with a reason; the plan's progress is counted per region; another
province and a neighbouring county see none of it (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import gc
import io
from typing import Any

import pytest

from tests.modules.conftest import flashes, login, make_pdf, rows
from tests.modules.nx_world import PHARMACY, WHOLESALE, clear, dispose, make_world

ENTITIES = ("sampling.Objection", "sampling.Disposal", "sampling.SampleItem",
            "sampling.Sample", "sampling.SamplingTask", "sampling.SamplingPlan")
RESULT = {"lab": "宁夏回族自治区药品检验研究院", "report_no": "NXYJ2026-0188",
          "reported_on": "2026-12-02"}


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


def plan(world: dict[str, Any], shares: dict[str, int] | None = None) -> tuple[int, dict[str, int]]:
    """The province's plan, issued, and a task for each region of `shares` (code: batches)."""
    reg = login(world["app"], "nx_reg")
    made = reg.post("/api/v1/sampling_plan/", json={
        "name": "2026年宁夏药品监督抽检计划", "year": 2026, "kind": "planned",
        "category": "drug", "basis": "按国家药监局年度抽检工作要求"})
    assert made.status_code == 201, made.json
    pk = int(made.json["id"])
    refused = reg.post(f"/api/v1/sampling_plan/{pk}/transition/issue", json={})
    assert refused.status_code in (409, 422) and "下达日期" in str(refused.json)
    assert reg.put(f"/api/v1/sampling_plan/{pk}", json={"issued_on": "2026-03-01"}
                   ).status_code == 200
    assert reg.post(f"/api/v1/sampling_plan/{pk}/transition/issue", json={}).status_code == 200
    tasks = {}
    names = {"640104": "兴庆区", "640105": "西夏区"}
    for code, planned in (shares or {"640104": 3, "640105": 2}).items():
        task = reg.post("/api/v1/sampling_task/", json={
            "title": f"2026年药品监督抽检（{names[code]}）", "plan": pk, "planned": planned,
            "due_on": "2026-11-30", "org": world["orgs"][code]})
        assert task.status_code == 201, task.json
        tasks[code] = int(task.json["id"])
    return pk, tasks


def sample(world: dict[str, Any], task: int, no: str = "YC2026-001", uscc: str = WHOLESALE,
           username: str = "nx_inspector") -> int:
    made = login(world["app"], username).post("/api/v1/sample/", json={
        "sample_no": no, "task": task, "enterprise": world["infos"][uscc],
        "product": "阿莫西林胶囊", "batch_no": "20251103", "spec": "0.25g×24粒",
        "quantity": "6盒", "sampled_on": "2026-11-20", "sampler": "nx_inspector",
        "co_sampler": "nx_inspector2"})
    assert made.status_code == 201, made.json
    return int(made.json["id"])


def examine(world: dict[str, Any], pk: int, verdict: str) -> Any:
    """送检, 受理检验, the result and its items, then 检验合格 / 检验不合格."""
    app = world["app"]
    assert login(app, "nx_inspector").post(f"/api/v1/sample/{pk}/transition/send",
                                           json={}).status_code == 200
    reg = login(app, "nx_reg")
    assert reg.post(f"/api/v1/sample/{pk}/transition/receive", json={}).status_code == 200
    conclusion = "经抽样检验，溶出度项目不符合规定。" if verdict == "disqualify" else "符合规定。"
    assert reg.put(f"/api/v1/sample/{pk}", json={**RESULT, "conclusion": conclusion}
                   ).status_code == 200
    for item, result, ok in (("性状", "符合规定", "conform"),
                             ("溶出度", "62%" if verdict == "disqualify" else "88%",
                              "nonconform" if verdict == "disqualify" else "conform")):
        line = reg.post("/api/v1/sample_item/", json={
            "sample": pk, "item": item, "standard": "《中国药典》2025年版", "result": result,
            "verdict": ok})
        assert line.status_code == 201, line.json
    return reg.post(f"/api/v1/sample/{pk}/transition/{verdict}", json={})


def test_the_plan_s_tasks_belong_to_their_regions(world: dict[str, Any]) -> None:
    app = world["app"]
    pk, tasks = plan(world)
    got = login(app, "nx_reg").get(f"/api/v1/sampling_plan/{pk}").json["result"]
    assert (got["state"], got["planned"], got["tasks"]) == ("issued", "5", "2")
    county = login(app, "nx_county")
    assert [t["id"] for t in county.get("/api/v1/sampling_task/").json["result"]] == [
        tasks["640104"]]
    assert county.get(f"/api/v1/sampling_task/{tasks['640105']}").status_code == 404
    assert county.post("/api/v1/sampling_task/", json={
        "title": "x", "plan": pk, "planned": 1}).status_code == 403
    assert len(login(app, "nx_city").get("/api/v1/sampling_task/").json["result"]) == 2
    assert login(app, "nx_xixia").get(f"/api/v1/sampling_task/{tasks['640104']}"
                                      ).status_code == 404
    page = login(app, "nx_inspector").get("/sampling/sampling_task/list/").text
    assert "2026年药品监督抽检（兴庆区）" in page and "西夏区）" not in page
    # the plan itself is the province's
    assert county.get(f"/api/v1/sampling_plan/{pk}").status_code in (403, 404)
    ln = login(app, "ln_reg")
    assert ln.get(f"/api/v1/sampling_plan/{pk}").status_code == 404
    assert ln.get("/api/v1/sampling_task/").json["count"] == 0


def test_the_inspector_samples_and_the_progress_counts_per_region(
        world: dict[str, Any]) -> None:
    app = world["app"]
    pk, tasks = plan(world)
    inspector = login(app, "nx_inspector")
    # the form, with the sampling record uploaded
    added = inspector.post("/sampling/sample/add", data={
        "sample_no": "YC2026-001", "task": str(tasks["640104"]),
        "enterprise": str(world["infos"][PHARMACY]), "product": "板蓝根颗粒",
        "batch_no": "2507021", "quantity": "10袋", "sampled_on": "2026-11-18",
        "voucher": (io.BytesIO(make_pdf("抽样单")), "抽样单.pdf")})
    assert added.status_code == 302, flashes(added.text)[-600:]
    [first] = rows(app, "sampling.Sample")
    assert (first.state, first.voucher_name) == ("sampled", "抽样单.pdf")
    # 送检 needs the sampler named
    refused = inspector.post(f"/api/v1/sample/{first.id}/transition/send", json={})
    assert refused.status_code in (409, 422) and "抽样人员" in str(refused.json)
    # the task of another region is not offered
    wrong = inspector.post("/api/v1/sample/", json={
        "sample_no": "YC2026-009", "task": tasks["640105"], "enterprise": world["infos"][WHOLESALE],
        "product": "x", "batch_no": "1", "quantity": "1盒", "sampled_on": "2026-11-18"})
    assert wrong.status_code == 422
    sample(world, tasks["640104"], no="YC2026-002")
    task = inspector.get(f"/api/v1/sampling_task/{tasks['640104']}").json["result"]
    assert (task["planned"], task["sampled"], task["tested"]) == (3, "2", "0")
    assert abs(float(task["progress"]) - 2 / 3) < 1e-6
    assert "66.7%" in flashes(inspector.get("/sampling/sampling_task/list/").text)
    # 抽检进度: one plan at a time, per city, then per county
    reg = login(app, "nx_reg")
    summary = reg.get(f"/api/v1/sampling_task/summary/progress_by_region?_period={pk}")
    assert summary.status_code == 200, summary.text
    [city] = summary.json["rows"]
    assert city["labels"] == {"org.city": "银川市"}
    assert {k: str(v) for k, v in city["sums"].items()} == {
        "planned": "5", "sampled": "2", "tested": "0", "failed": "0"}
    county = reg.get(f"/api/v1/sampling_task/summary/progress_by_region?_period={pk}"
                     f"&org.city={city['values']['org.city']}").json
    assert {r["labels"]["org"]: str(r["sums"]["sampled"]) for r in county["rows"]} == {
        "兴庆区": "2", "西夏区": "0"}
    page = flashes(reg.get(f"/sampling/sampling_task/summary/progress_by_region/?_period={pk}"
                           ).text)
    assert "抽检进度" in page and "计划批次" in page and "已抽样批次" in page
    assert login(app, "nx_county").get(
        "/sampling/sampling_task/summary/progress_by_region/").status_code == 403
    # another county and another province see no sample
    assert login(app, "nx_xixia").get(f"/api/v1/sample/{first.id}").status_code == 404
    assert login(app, "nx_xixia").get("/api/v1/sample/").json["count"] == 0
    assert login(app, "ln_reg").get("/api/v1/sample/").json["count"] == 0
    assert login(app, "nx_wholesale").get("/api/v1/sample/").status_code in (403, 404)


def test_a_failure_opens_a_disposal_in_the_enterprise_s_region(world: dict[str, Any]) -> None:
    from generator.working_days import due_date

    app = world["app"]
    _pk, tasks = plan(world)
    pk = sample(world, tasks["640104"])
    # the county does not write the result
    assert login(app, "nx_inspector").put(f"/api/v1/sample/{pk}", json=RESULT
                                          ).status_code in (403, 422)
    moved = examine(world, pk, "disqualify")
    assert moved.status_code == 200, moved.json
    shown = flashes(login(app, "nx_county").get(f"/sampling/sample/show/{pk}").text)
    assert "不合格" in shown and "溶出度" in shown and "不符合规定" in shown
    [disposal] = rows(app, "sampling.Disposal")
    with app.app_context():
        from app.security.models import Organisation

        assert app.appbuilder.session.get(Organisation, disposal.org_id).code == WHOLESALE
    assert (disposal.state, disposal.sample_no, disposal.batch_no, disposal.report_no) == (
        "pending", "YC2026-001", "20251103", "NXYJ2026-0188")
    assert disposal.state_due == due_date(dt.date.today(), 15, "working")
    county = login(app, "nx_county")
    assert "核查处置" in county.get("/").text
    assert [d["id"] for d in county.get("/api/v1/disposal/?todo=1").json["result"]] == [
        disposal.id]
    for other in ("nx_xixia", "ln_reg"):
        assert login(app, other).get(f"/api/v1/disposal/{disposal.id}").status_code == 404
    assert login(app, "nx_reg").post(f"/api/v1/disposal/{disposal.id}/transition/finish",
                                     json={}).status_code == 403
    inspector = login(app, "nx_inspector")
    assert inspector.put(f"/api/v1/disposal/{disposal.id}", json={"report_no": "改"}
                         ).status_code in (403, 422)
    assert inspector.post(f"/api/v1/disposal/{disposal.id}/transition/finish",
                          json={}).status_code in (409, 422)
    assert inspector.put(f"/api/v1/disposal/{disposal.id}", json={
        "measure": "recall", "handler": "nx_inspector",
        "result": "已责令企业召回该批次产品共 320 盒，并对企业立案调查。"}).status_code == 200
    assert inspector.post(f"/api/v1/disposal/{disposal.id}/transition/finish",
                          json={}).status_code == 200
    page = flashes(login(app, "nx_reg").get(f"/sampling/disposal/show/{disposal.id}").text)
    assert "已处置" in page and "责令召回" in page
    task = county.get(f"/api/v1/sampling_task/{tasks['640104']}").json["result"]
    assert (task["sampled"], task["tested"], task["failed"]) == ("1", "1", "1")


def test_a_pass_opens_nothing(world: dict[str, Any]) -> None:
    app = world["app"]
    _pk, tasks = plan(world)
    pk = sample(world, tasks["640104"])
    assert examine(world, pk, "qualify").status_code == 200
    assert rows(app, "sampling.Sample")[0].state == "qualified"
    assert not rows(app, "sampling.Disposal") and not rows(app, "sampling.Objection")


def test_the_enterprise_objects_and_the_province_decides(world: dict[str, Any]) -> None:
    from generator.working_days import due_date

    app = world["app"]
    _pk, tasks = plan(world)
    assert examine(world, sample(world, tasks["640104"]), "disqualify").status_code == 200
    [objection] = rows(app, "sampling.Objection")
    assert (objection.state, objection.state_due) == (
        "open", due_date(dt.date.today(), 7, "working"))
    ent = login(app, "nx_wholesale")
    assert "异议处理" in ent.get("/").text
    [listed] = ent.get("/api/v1/objection/").json["result"]
    assert (listed["sample_no"], listed["conclusion"]) == (
        "YC2026-001", "经抽样检验，溶出度项目不符合规定。")
    assert login(app, "nx_pharmacy").get(f"/api/v1/objection/{objection.id}").status_code == 404
    assert login(app, "ln_reg").get(f"/api/v1/objection/{objection.id}").status_code == 404
    assert ent.put(f"/api/v1/objection/{objection.id}", json={"conclusion": "合格"}
                   ).status_code in (403, 422)
    refused = ent.post(f"/api/v1/objection/{objection.id}/transition/raise_objection", json={})
    assert refused.status_code in (409, 422) and "异议理由" in str(refused.json)
    assert ent.put(f"/api/v1/objection/{objection.id}", json={
        "grounds": "该批次留样经第三方检测溶出度符合规定，申请复检。"}).status_code == 200
    assert ent.post(f"/api/v1/objection/{objection.id}/transition/raise_objection",
                    json={}).status_code == 200
    # the county reads it, only the province decides, with a reason
    county = login(app, "nx_county")
    assert county.post(f"/api/v1/objection/{objection.id}/transition/uphold",
                       json={"reason": "x"}).status_code == 403
    reg = login(app, "nx_reg")
    blank = reg.post(f"/sampling/objection/transition/uphold/{objection.id}",
                     data={"reason": " "}, follow_redirects=True)
    assert "请填写原因" in flashes(blank.text)
    page = reg.post(f"/sampling/objection/transition/uphold/{objection.id}",
                    data={"reason": "复检结果溶出度仍不符合规定"}, follow_redirects=True)
    assert "维持原检验结论" in flashes(page.text)
    assert rows(app, "sampling.Objection")[0].state == "upheld"
    inbox = flashes(ent.get("/messages/").text)
    assert "维持原检验结论" in inbox and "复检结果溶出度仍不符合规定" in inbox
    assert "复检结果溶出度仍不符合规定" not in flashes(login(app, "nx_pharmacy").get(
        "/messages/").text)
