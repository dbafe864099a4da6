"""稽查执法 (seed 004 §二(三)) as its users meet it in 宁夏: an inspector registers a 线索 and
checks it within 15 working days (the leader may extend them, or decide not to file, with a
reason); the clue turns into a 案源; the leader approves 立案, the 承办人 investigates within 90
days (his 待办, not the 协办人's), the county reviews and notifies the party, a 听证 is held when
asked for, the leader approves the 处罚决定 and the case is closed; 简易程序 takes the short way;
the 立案审批表 and 行政处罚决定书 download with a number kept for good; the party sees nothing
before the decision, other regions nothing at all (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import gc
import io
from typing import Any

import pytest

from tests.modules.conftest import flashes, login, rows
from tests.modules.nx_world import PHARMACY, WHOLESALE, clear, dispose, make_world

CLUES, CASES, SIMPLE = "/api/v1/clue/", "/api/v1/case/", "/api/v1/simple_case/"
ENTITIES = ("enforcement.Seizure", "enforcement.Case", "enforcement.Clue",
            "enforcement.SimpleCase")


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

    from app.documents import DocumentNumber

    clear(app, ENTITIES, delete(DocumentNumber).where(DocumentNumber.entity.in_(ENTITIES)))


def due(days: int, calendar: str, extended_by: int = 0) -> str:
    from generator.working_days import due_date

    day = due_date(dt.date.today(), days, calendar)
    return (due_date(day, extended_by, calendar) if extended_by else day).isoformat()


def fire(client: Any, resource: str, pk: int, name: str, reason: str | None = None) -> Any:
    return client.post(f"/api/v1/{resource}/{pk}/transition/{name}",
                       json={} if reason is None else {"reason": reason})


def clue(world: dict[str, Any], no: str = "XS-2026-001", uscc: str = WHOLESALE,
         username: str = "nx_inspector") -> int:
    made = login(world["app"], username).post(CLUES, json={
        "clue_no": no, "title": "涉嫌销售劣药阿莫西林胶囊", "source": "complaint",
        "enterprise": world["infos"][uscc], "found_on": dt.date.today().isoformat(),
        "content": "群众举报该企业销售的阿莫西林胶囊外观异常。"})
    assert made.status_code == 201, made.json
    return int(made.json["id"])


def case_from_clue(world: dict[str, Any], no: str = "XS-2026-001", uscc: str = WHOLESALE) -> int:
    inspector = login(world["app"], "nx_inspector")
    pk = clue(world, no, uscc)
    assert inspector.put(f"{CLUES}{pk}", json={
        "check_result": "现场核查库存阿莫西林胶囊 20 盒，批号 20251103，已抽样送检。"}
    ).status_code == 200
    assert fire(inspector, "clue", pk, "to_case").status_code == 200
    [case] = rows(world["app"], "enforcement.Case", case_no=f"AY-{no}")
    return int(case.id)


def filed(world: dict[str, Any], no: str = "XS-2026-001") -> int:
    """A case the county leader has filed, in 调查取证 with nx_inspector as its 承办人."""
    app, pk = world["app"], case_from_clue(world, no)
    inspector = login(app, "nx_inspector")
    assert inspector.put(f"{CASES}{pk}", json={
        "handler": "nx_inspector", "co_handler": "nx_inspector2"}).status_code == 200
    assert fire(inspector, "case", pk, "propose").status_code == 200
    assert fire(login(app, "nx_county_leader"), "case", pk, "approve_filing").status_code == 200
    return pk


def decided(world: dict[str, Any], no: str = "XS-2026-001") -> int:
    app, pk = world["app"], filed(world, no)
    inspector, county = login(app, "nx_inspector"), login(app, "nx_county")
    assert inspector.put(f"{CASES}{pk}", json={"investigation": "检验报告确认溶出度不合格。"}
                         ).status_code == 200
    assert fire(inspector, "case", pk, "finish_investigation").status_code == 200
    assert county.put(f"{CASES}{pk}", json={
        "review_opinion": "事实清楚，证据确凿。", "penalty": "没收劣药，罚款", "fine": "30000",
        "basis": "《中华人民共和国药品管理法》第一百一十七条"}).status_code == 200
    assert fire(county, "case", pk, "notify_party").status_code == 200
    assert fire(county, "case", pk, "no_hearing").status_code == 200
    assert fire(login(app, "nx_county_leader"), "case", pk, "approve_decision"
                ).status_code == 200
    return pk


def case_row(app: Any, pk: int) -> Any:
    [row] = rows(app, "enforcement.Case", id=pk)
    return row


def test_a_clue_is_checked_within_15_working_days_and_turns_into_a_case(
        world: dict[str, Any]) -> None:
    app = world["app"]
    pk = clue(world)
    [row] = rows(app, "enforcement.Clue")
    assert (row.state, row.state_due.isoformat()) == ("registered", due(15, "working"))
    inspector, leader = login(app, "nx_inspector"), login(app, "nx_county_leader")
    # 第十八条: only the leader extends the check, with a reason
    assert fire(inspector, "clue", pk, "extend", "需要检验").status_code == 403
    blank = leader.post(f"/enforcement/clue/transition/extend/{pk}", data={"reason": " "},
                        follow_redirects=True)
    assert "请填写原因" in flashes(blank.text)
    assert fire(leader, "clue", pk, "extend", "样品检验周期较长").status_code == 200
    [row] = rows(app, "enforcement.Clue")
    # 延长十五个工作日: counted on from the first limit, not from today
    assert (row.state, row.state_due.isoformat()) == ("extended", due(15, "working", 15))
    assert "样品检验周期较长" in row.log
    # 转为案源 needs the check's result
    assert fire(inspector, "clue", pk, "to_case").status_code in (409, 422)
    inspector.put(f"{CLUES}{pk}", json={"check_result": "现场核查属实。"})
    assert fire(inspector, "clue", pk, "to_case").status_code == 200
    [case] = rows(app, "enforcement.Case")
    assert (case.case_no, case.state, case.title, case.source, case.uscc, case.facts,
            case.clue_no, case.enterprise_id) == (
        "AY-XS-2026-001", "source", "涉嫌销售劣药阿莫西林胶囊", "complaint", WHOLESALE,
        "现场核查属实。", "XS-2026-001", world["infos"][WHOLESALE])
    assert case.org.code == "640104"


def test_the_leader_decides_not_to_file_a_clue_with_a_reason(world: dict[str, Any]) -> None:
    app = world["app"]
    pk = clue(world)
    assert fire(login(app, "nx_inspector"), "clue", pk, "dismiss", "证据不足").status_code == 403
    assert fire(login(app, "nx_leader"), "clue", pk, "dismiss").status_code in (400, 409, 422)
    assert fire(login(app, "nx_leader"), "clue", pk, "dismiss", "违法事实不成立").status_code == 200
    [row] = rows(app, "enforcement.Clue")
    assert (row.state, row.state_due) == ("dismissed", None)
    assert not rows(app, "enforcement.Case")


def test_the_ordinary_procedure_with_leader_approvals_time_limits_and_a_hearing(
        world: dict[str, Any]) -> None:
    app = world["app"]
    pk = case_from_clue(world)
    inspector, county = login(app, "nx_inspector"), login(app, "nx_county")
    leader = login(app, "nx_county_leader")
    # 提请立案 needs the 承办人; the 承办人 must be an inspector of the range
    assert fire(inspector, "case", pk, "propose").status_code in (409, 422)
    wrong = inspector.put(f"{CASES}{pk}", json={"handler": "nx_county"})
    assert wrong.status_code == 422 and "没有可选的人员" in str(wrong.json)
    assert inspector.put(f"{CASES}{pk}", json={
        "handler": "nx_inspector", "co_handler": "nx_inspector2"}).status_code == 200
    assert fire(inspector, "case", pk, "propose").status_code == 200
    assert case_row(app, pk).state == "filing"
    # only a leader approves 立案
    assert fire(inspector, "case", pk, "approve_filing").status_code == 403
    assert fire(county, "case", pk, "approve_filing").status_code == 403
    assert leader.get(f"{CASES}?todo=1").json["count"] == 1
    page = leader.post(f"/enforcement/case/transition/approve_filing/{pk}", follow_redirects=True)
    assert "批准立案" in flashes(page.text)
    row = case_row(app, pk)
    # 第六十四条: 九十日内作出处理决定 (calendar days)
    assert (row.state, row.state_due.isoformat()) == ("investigating", due(90, "calendar"))
    # 调查取证 waits for the 承办人 only
    assert inspector.get(f"{CASES}?todo=1").json["count"] == 1
    assert login(app, "nx_inspector2").get(f"{CASES}?todo=1").json["count"] == 0
    assert login(app, "nx_inspector2").get(f"{CASES}?mine=1").json["count"] == 1
    for item, quantity in (("阿莫西林胶囊（批号20251103）", "20盒"), ("板蓝根颗粒", "5袋")):
        line = inspector.post("/api/v1/seizure/", json={
            "case": pk, "measure": "detain", "item": item, "quantity": quantity,
            "place": "宁夏凤城医药有限公司仓库", "seized_on": dt.date.today().isoformat()})
        assert line.status_code == 201, line.json
    assert fire(inspector, "case", pk, "finish_investigation").status_code in (409, 422)
    inspector.put(f"{CASES}{pk}", json={"investigation": "检验报告确认溶出度不合格。"})
    assert fire(inspector, "case", pk, "finish_investigation").status_code == 200
    # 案件核审: sent back once, then reviewed and the party notified
    assert fire(county, "case", pk, "return_investigation", "证据链不完整").status_code == 200
    assert fire(inspector, "case", pk, "finish_investigation").status_code == 200
    county.put(f"{CASES}{pk}", json={"review_opinion": "事实清楚，证据确凿。",
                                     "penalty": "没收劣药，罚款", "fine": "30000",
                                     "basis": "《中华人民共和国药品管理法》第一百一十七条"})
    assert fire(county, "case", pk, "notify_party").status_code == 200
    row = case_row(app, pk)
    assert (row.state, row.state_due.isoformat()) == ("notified", due(7, "calendar"))
    # 听证 when the party asks for one
    assert fire(county, "case", pk, "request_hearing").status_code == 200
    assert fire(county, "case", pk, "finish_hearing").status_code in (409, 422)
    county.put(f"{CASES}{pk}", json={"hearing_record": "当事人对违法事实无异议，请求从轻处罚。"})
    assert fire(county, "case", pk, "finish_hearing").status_code == 200
    assert case_row(app, pk).state == "deciding"
    # the leader refuses with a reason, the case goes back; then approves
    assert fire(inspector, "case", pk, "approve_decision").status_code == 403
    refused = leader.post(f"/enforcement/case/transition/refuse_decision/{pk}",
                          data={"reason": " "}, follow_redirects=True)
    assert "请填写原因" in flashes(refused.text)
    assert fire(leader, "case", pk, "refuse_decision", "罚款幅度需重新核定").status_code == 200
    assert case_row(app, pk).state == "investigating"
    assert fire(inspector, "case", pk, "finish_investigation").status_code == 200
    assert fire(county, "case", pk, "notify_party").status_code == 200
    assert fire(county, "case", pk, "no_hearing").status_code == 200
    assert fire(leader, "case", pk, "approve_decision").status_code == 200
    row = case_row(app, pk)
    assert (row.state, row.state_due.isoformat()) == ("decided", due(7, "calendar"))
    assert fire(inspector, "case", pk, "close").status_code in (409, 422)
    inspector.put(f"{CASES}{pk}", json={"execution": "罚没款已于规定期限内缴清。"})
    assert fire(inspector, "case", pk, "close").status_code == 200
    row = case_row(app, pk)
    assert (row.state, row.state_due) == ("closed", None)
    for step in ("提请立案", "批准立案", "退回补充调查：证据链不完整", "当事人要求听证",
                 "退回重新调查：罚款幅度需重新核定", "批准处罚决定", "结案归档"):
        assert step in row.log, step
    assert "nx_inspector2" in inspector.get(f"/enforcement/case/show/{pk}").text  # 协办人


def test_the_leader_extends_the_time_limit_once_by_30_days(world: dict[str, Any]) -> None:
    from sqlalchemy import select

    from app.messages.models import Message

    app, pk = world["app"], filed(world)
    inspector, leader = login(app, "nx_inspector"), login(app, "nx_county_leader")
    # 第六十四条: 经负责人批准可以延长三十日; only the leader, with a reason
    assert fire(inspector, "case", pk, "extend_case", "案情复杂").status_code == 403
    assert fire(leader, "case", pk, "extend_case").status_code in (409, 422)
    assert fire(leader, "case", pk, "extend_case", "需等待检验机构复检结果").status_code == 200
    row = case_row(app, pk)
    assert (row.state, row.state_due.isoformat()) == ("extended", due(90, "calendar", 30))
    assert "批准延长办案期限：需等待检验机构复检结果" in row.log
    # once: 延期调查 is not extended again
    assert fire(leader, "case", pk, "extend_case", "再次延长").status_code in (409, 422)
    assert case_row(app, pk).state_due.isoformat() == due(90, "calendar", 30)
    # the 承办人 is told, and it is still his 待办; the investigation goes on from here
    with app.app_context():
        told = app.appbuilder.session.execute(select(Message.body).where(
            Message.entity == "enforcement.Case", Message.record_id == pk,
            Message.body.contains("延长三十日"))).scalars().all()
    assert told and "需等待检验机构复检结果" in told[0]
    assert inspector.get(f"{CASES}?todo=1").json["count"] == 1
    assert inspector.put(f"{CASES}{pk}", json={"investigation": "复检确认不合格。"}
                         ).status_code == 200
    assert fire(inspector, "case", pk, "finish_investigation").status_code == 200
    assert case_row(app, pk).state == "reviewing"


def test_an_overdue_case_is_extended_from_the_day_its_limit_fell(
        world: dict[str, Any]) -> None:
    from sqlalchemy import update

    app, pk = world["app"], filed(world)
    fell = dt.date.today() - dt.timedelta(days=3)
    model = app.extensions["admin"].models["enforcement.Case"]
    with app.app_context():
        session = app.appbuilder.session
        session.execute(update(model).where(model.id == pk).values(state_due=fell))
        session.commit()
    assert fire(login(app, "nx_county_leader"), "case", pk, "extend_case", "补充鉴定"
                ).status_code == 200
    assert case_row(app, pk).state_due == fell + dt.timedelta(days=30)


def test_the_leader_refuses_filing_with_a_reason_and_the_proposer_is_told(
        world: dict[str, Any]) -> None:
    from app.messages.models import Message

    app, pk = world["app"], case_from_clue(world)
    inspector = login(app, "nx_inspector")
    inspector.put(f"{CASES}{pk}", json={"handler": "nx_inspector"})
    assert fire(inspector, "case", pk, "propose").status_code == 200
    leader = login(app, "nx_leader")  # the province's leader reaches the county's cases too
    assert fire(leader, "case", pk, "refuse_filing").status_code in (400, 409, 422)
    refused = fire(leader, "case", pk, "refuse_filing", "不属于本局管辖")
    assert refused.status_code == 200, refused.json
    assert case_row(app, pk).state == "not_filed"
    with app.app_context():
        texts = [m.body for m in app.appbuilder.session.query(Message)]
    assert any("不予立案，原因：不属于本局管辖" in t for t in texts), texts


def test_the_summary_procedure_decides_on_the_spot(world: dict[str, Any]) -> None:
    app = world["app"]
    inspector = login(app, "nx_inspector")
    made = inspector.post(SIMPLE, json={
        "case_no": "JY-2026-001", "enterprise": world["infos"][PHARMACY], "uscc": PHARMACY,
        "place": "银川市兴庆区康民大药房", "facts": "执业药师不在岗销售处方药。",
        "basis": "《药品经营质量管理规范》", "penalty": "fine", "fine": "3500"})
    assert made.status_code == 422 and "fine" in made.json["message"]  # 三千元以下
    made = inspector.post(SIMPLE, json={
        "case_no": "JY-2026-001", "enterprise": world["infos"][PHARMACY], "uscc": PHARMACY,
        "place": "银川市兴庆区康民大药房", "facts": "执业药师不在岗销售处方药。",
        "basis": "《药品经营质量管理规范》", "penalty": "fine", "fine": "2000",
        "handler": "nx_inspector"})
    assert made.status_code == 201, made.json
    pk = int(made.json["id"])
    pharmacy = login(app, "nx_pharmacy")
    assert pharmacy.get(f"{SIMPLE}{pk}").status_code == 404
    # 两名执法人员
    assert fire(inspector, "simple_case", pk, "decide_on_spot").status_code in (409, 422)
    inspector.put(f"{SIMPLE}{pk}", json={"co_handler": "nx_inspector2"})
    assert fire(login(app, "nx_county"), "simple_case", pk, "decide_on_spot").status_code == 403
    assert fire(inspector, "simple_case", pk, "decide_on_spot").status_code == 200
    [row] = rows(app, "enforcement.SimpleCase")
    assert (row.state, row.state_due.isoformat()) == ("decided", due(2, "working"))
    assert pharmacy.get(f"{SIMPLE}{pk}").status_code == 200
    url = f"/documents/enforcement/simple_case/{pk}/on_spot.docx"
    assert "宁药监简罚〔" in docx_text(pharmacy.get(url))
    assert fire(inspector, "simple_case", pk, "close").status_code == 200
    assert rows(app, "enforcement.SimpleCase")[0].state == "closed"


def docx_text(response: Any) -> str:
    from docx import Document as Docx

    assert response.status_code == 200, response.status_code
    parsed = Docx(io.BytesIO(response.data))
    return "\n".join([p.text for p in parsed.paragraphs]
                     + [c.text for t in parsed.tables for r in t.rows for c in r.cells])


def test_documents_are_numbered_once_and_only_in_range(world: dict[str, Any]) -> None:
    app, year = world["app"], dt.date.today().year
    first = filed(world)
    second = case_from_clue(world, "XS-2026-002")
    inspector = login(app, "nx_inspector")
    url = "/documents/enforcement/case/{}/{}.docx"
    assert inspector.get(url.format(second, "filing_form")).status_code == 403  # 案源登记
    one = docx_text(inspector.get(url.format(first, "filing_form")))
    assert f"宁药监立〔{year}〕1号" in one and "立案审批表" in one and "承办人：nx_inspector" in one
    inspector.put(f"{CASES}{second}", json={"handler": "nx_inspector"})
    fire(inspector, "case", second, "propose")
    assert f"宁药监立〔{year}〕2号" in docx_text(inspector.get(url.format(second, "filing_form")))
    again = docx_text(login(app, "nx_county_leader").get(url.format(first, "filing_form")))
    assert f"宁药监立〔{year}〕1号" in again and f"〔{year}〕2号" not in again
    assert inspector.get(url.format(first, "decision")).status_code == 403  # not decided
    for username in ("ln_reg", "nx_xixia", "nx_wholesale", "nx_pharmacy"):
        got = login(app, username).get(url.format(first, "filing_form"))
        assert got.status_code == 404, username
    pdf = inspector.get(f"/documents/enforcement/case/{first}/filing_form.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"


def test_the_party_sees_its_case_only_from_the_decision_on(world: dict[str, Any]) -> None:
    app, year = world["app"], dt.date.today().year
    early = case_from_clue(world, "XS-2026-003")
    pk = decided(world)
    wholesale, pharmacy = login(app, "nx_wholesale"), login(app, "nx_pharmacy")
    listed = wholesale.get(CASES).json
    assert [r["id"] for r in listed["result"]] == [pk]
    assert wholesale.get(f"{CASES}{early}").status_code == 404
    assert wholesale.get(f"/enforcement/case/show/{early}").status_code == 404
    shown = wholesale.get(f"/enforcement/case/show/{pk}").text
    assert "《中华人民共和国药品管理法》第一百一十七条" in shown
    assert "检验报告确认溶出度不合格" not in shown and "事实清楚，证据确凿" not in shown
    assert wholesale.put(f"{CASES}{pk}", json={"fine": "1"}).status_code in (403, 404)
    assert fire(wholesale, "case", pk, "close").status_code in (403, 404)
    text = docx_text(wholesale.get(f"/documents/enforcement/case/{pk}/decision.docx"))
    assert f"宁药监罚〔{year}〕1号" in text and "30000.00" in text
    assert pharmacy.get(f"{CASES}{pk}").status_code == 404
    assert pharmacy.get(CASES).json["count"] == 0
    # enterprises never reach the clues
    assert wholesale.get(CLUES).status_code in (403, 404)
    assert wholesale.get("/enforcement/clue/list/").status_code in (302, 403, 404)


def test_the_regions_see_their_own_cases(world: dict[str, Any]) -> None:
    app = world["app"]
    pk = case_from_clue(world)
    for username in ("nx_reg", "nx_city", "nx_county", "nx_inspector", "nx_leader",
                     "nx_city_leader", "nx_county_leader"):
        page = login(app, username).get("/enforcement/case/list/")
        assert page.status_code == 200 and "AY-XS-2026-001" in page.text, username
    for username in ("ln_reg", "nx_xixia"):
        client = login(app, username)
        assert client.get(f"{CASES}{pk}").status_code == 404, username
        assert client.get(CLUES).json["count"] == 0, username
    # the leader approves and reads, but registers nothing
    assert login(app, "nx_leader").post(CLUES, json={
        "clue_no": "XS-X", "title": "x", "source": "other", "enterprise": world["infos"][PHARMACY],
        "found_on": "2026-01-05", "content": "x"}).status_code == 403
