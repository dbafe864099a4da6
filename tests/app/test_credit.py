"""The 信用管理, 日常监管 and 稽查执法 of seed 004 written in YAML only
(tests/data/schemas/credit): a failed inspection opens a deduction for review with its
standard's points, its approval moves the score and the grade at once, a complaint opens an
inspection task, a case past the time limit of its state is flagged overdue, and the
enterprise reads its own 信用档案, held by the regulator's region, at every reading door and
writes it at none (SQLite and PostgreSQL)."""

from __future__ import annotations

import gc
import re
from typing import Any

import pytest

from tests.conftest import PASSWORD, SCHEMAS, apply_schema, dispose, make_app, seed_people, sign_in

SCHEMA = SCHEMAS / "credit" / "entities.yaml"
ENT_A, ENT_B = "91350100M000100Y43", "91110000600037341L"
ORGS = {"640000": ("宁夏回族自治区", "province", None, None),
        ENT_A: ("银川甲药业", "unit", "640000", "enterprise"),
        ENT_B: ("石嘴山乙药业", "unit", "640000", "enterprise")}
USERS = {"nx": ("province", "640000"), "ent": ("enterprise", ENT_A, "legal_person")}


@pytest.fixture(scope="module")
def world(database_url: str, tmp_path_factory: Any) -> Any:
    app = make_app(database_url, SCHEMA, tmp_path_factory.mktemp("files"))
    apply_schema(app)
    with app.app_context():
        seed_people(app, ORGS, USERS, PASSWORD)
        app.appbuilder.session.commit()
    regulator = sign_in(app, "nx")
    profiles = {}
    for name, uscc in (("银川甲药业", ENT_A), ("石嘴山乙药业", ENT_B)):
        response = regulator.post("/api/v1/credit_profile/", json={"name": name, "uscc": uscc})
        assert response.status_code == 201, response.json
        profiles[uscc] = response.json["id"]
    yield {"app": app, "regulator": regulator, "ent": sign_in(app, "ent"),
           "profiles": profiles}
    dispose(app)
    gc.collect()  # the app's cycles go now, not in the middle of a later import


def test_the_enterprise_reads_its_own_profile_only(world: dict[str, Any]) -> None:
    ent, own, other = world["ent"], world["profiles"][ENT_A], world["profiles"][ENT_B]
    listed = ent.get("/api/v1/credit_profile/").json["result"]
    assert [r["uscc"] for r in listed] == [ENT_A]
    page = ent.get("/credit/credit_profile/list/")
    assert "银川甲药业" in page.text and "石嘴山乙药业" not in page.text
    shown = ent.get(f"/credit/credit_profile/show/{own}")
    assert shown.status_code == 200 and "信用等级" in shown.text
    assert ent.get(f"/api/v1/credit_profile/{own}").json["result"]["grade"] == "A"
    assert ent.get(f"/api/v1/credit_profile/{other}").status_code == 404
    assert ent.get(f"/credit/credit_profile/show/{other}").status_code == 404


def test_the_enterprise_writes_its_profile_at_no_door(world: dict[str, Any]) -> None:
    ent, own = world["ent"], world["profiles"][ENT_A]
    assert ent.put(f"/api/v1/credit_profile/{own}", json={"name": "改名"}).status_code == 403
    assert ent.delete(f"/api/v1/credit_profile/{own}").status_code == 403
    assert ent.get(f"/credit/credit_profile/edit/{own}").status_code == 403
    assert ent.post(f"/credit/credit_profile/delete/{own}").status_code == 403
    name = world["regulator"].get(f"/api/v1/credit_profile/{own}").json["result"]["name"]
    assert name == "银川甲药业"


def test_a_failed_inspection_opens_a_deduction_and_its_approval_moves_the_grade(
        world: dict[str, Any]) -> None:
    from app.audit.models import AuditEntry

    regulator, own = world["regulator"], world["profiles"][ENT_A]
    standard = regulator.post("/api/v1/deduction_standard/", json={
        "code": "GSP-01", "name": "温湿度监测记录不全", "points": "15"}).json["id"]
    inspection = regulator.post("/api/v1/inspection/", json={
        "code": "JC2026-01", "profile": own, "standard": standard,
        "finding": "冷库温度记录缺失三天"}).json["id"]
    response = regulator.post(f"/api/v1/inspection/{inspection}/transition/fail", json={})
    assert response.status_code == 200, response.json
    found = regulator.get(
        "/api/v1/deduction/?q=(filters:!((col:ref_no,opr:eq,value:JC-JC2026-01)))")
    [deduction] = found.json["result"]
    assert (deduction["state"], deduction["points"], deduction["profile"]["id"],
            deduction["note"]) == ("pending", "15.0", own, "冷库温度记录缺失三天")
    with world["app"].app_context():
        entry = world["app"].appbuilder.session.query(AuditEntry).filter_by(
            entity="credit.Deduction", record_id=deduction["id"], action="create").one()
        assert (entry.username, entry.reason) == (
            "nx", "由自动规则“检查不合格生成扣分记录”代nx执行")
    assert world["ent"].get(f"/api/v1/credit_profile/{own}").json["result"]["grade"] == "A"
    response = regulator.post(f"/api/v1/deduction/{deduction['id']}/transition/approve", json={})
    assert response.status_code == 200, response.json
    seen = world["ent"].get(f"/api/v1/credit_profile/{own}").json["result"]
    assert (seen["deducted"], seen["score"], seen["grade"]) == ("15.0", "85.0", "B")


def test_a_complaint_opens_an_inspection_task(world: dict[str, Any]) -> None:
    regulator = world["regulator"]
    response = regulator.post("/api/v1/complaint/", json={
        "code": "C-01", "profile": world["profiles"][ENT_B], "content": "销售过期药品"})
    assert response.status_code == 201, response.json
    found = regulator.get("/api/v1/inspection/?q=(filters:!((col:code,opr:eq,value:TS-C-01)))")
    [task] = found.json["result"]
    assert (task["state"], task["finding"], task["profile"]["id"]) == (
        "open", "销售过期药品", world["profiles"][ENT_B])


def test_a_case_past_its_time_limit_is_flagged_overdue(world: dict[str, Any]) -> None:
    import datetime as dt

    from sqlalchemy import text

    from generator.working_days import due_date

    regulator, today = world["regulator"], dt.date.today()
    made = regulator.post("/api/v1/case/", json={
        "code": "宁药监罚-01", "profile": world["profiles"][ENT_A], "fine": "5000"})
    assert made.status_code == 201, made.json
    pk = made.json["id"]
    first = regulator.get(f"/api/v1/case/{pk}").json["result"]["state_due"]
    assert first == due_date(today, 15, "working").isoformat()
    page = regulator.get("/credit/case/list/")
    assert "办理期限" in page.text and "剩余" in page.text and "超期" not in page.text
    assert regulator.put(f"/api/v1/case/{pk}", json={"state_due": "2030-01-01"}
                         ).status_code == 422
    with world["app"].app_context():  # twenty days later, nobody decided
        session = world["app"].appbuilder.session
        session.execute(text("UPDATE credit_case SET state_due = :d WHERE id = :i"),
                        {"d": today - dt.timedelta(days=3), "i": pk})
        session.commit()
    page = regulator.get("/credit/case/list/")
    assert "超期3天" in page.text
    late = regulator.get(f"/credit/case/list/?_flt_1_state_due={today - dt.timedelta(days=1)}")
    assert "宁药监罚-01" in late.text
    assert "其中1件已超期" in regulator.get("/").text  # the 待办 of the 工作台
    only = regulator.get("/credit/case/list/?todo=1&overdue=1")
    assert "宁药监罚-01" in only.text
    assert regulator.post(f"/api/v1/case/{pk}/transition/decide", json={}).status_code == 200
    due = regulator.get(f"/api/v1/case/{pk}").json["result"]["state_due"]
    assert due == due_date(today, 7, "working").isoformat()
    assert regulator.post(f"/api/v1/case/{pk}/transition/close", json={}).status_code == 200
    assert regulator.get(f"/api/v1/case/{pk}").json["result"]["state_due"] is None


def decided_case(world: dict[str, Any], code: str) -> int:
    regulator = world["regulator"]
    made = regulator.post("/api/v1/case/", json={
        "code": code, "profile": world["profiles"][ENT_A], "facts": "销售劣药", "fine": "8000"})
    assert made.status_code == 201, made.json
    return int(made.json["id"])


def test_the_decision_downloads_as_docx_and_pdf_with_its_number(world: dict[str, Any]) -> None:
    import datetime as dt
    import io

    from docx import Document as Docx

    from app.audit.models import AuditEntry

    regulator, year = world["regulator"], dt.date.today().year
    first, second = decided_case(world, "宁药监罚-02"), decided_case(world, "宁药监罚-03")
    url = "/documents/credit/case/{}/decision.{}"
    assert regulator.get(url.format(first, "docx")).status_code == 403  # not decided yet
    for item, value in (("过期阿莫西林胶囊", "1200"), ("劣药布洛芬片", "300.5")):
        line = regulator.post("/api/v1/case_item/", json={"case": first, "item": item,
                                                          "value": value})
        assert line.status_code == 201, line.json
    assert "下载Word" not in regulator.get(f"/credit/case/show/{first}").text
    for pk in (first, second):
        assert regulator.post(f"/api/v1/case/{pk}/transition/decide", json={}).status_code == 200
    page = regulator.get(f"/credit/case/show/{first}").text
    assert "行政处罚决定书：" in page and f'href="{url.format(first, "pdf")}"' in page
    texts = []
    for pk in (first, second, first):
        response = regulator.get(url.format(pk, "docx"))
        assert response.status_code == 200
        texts.append([p.text for p in Docx(io.BytesIO(response.data)).paragraphs])
    one, two = f"宁药监罚〔{year}〕1号", f"宁药监罚〔{year}〕2号"
    assert texts[0][1:5] == ["行政处罚决定书", one, "当事人：银川甲药业", "违法事实：销售劣药"]
    assert texts[0][5] == "罚款金额：8000.00元" and texts[2] == texts[0]
    assert texts[1][2] == two
    filled = Docx(io.BytesIO(regulator.get(url.format(first, "docx")).data))
    assert [[c.text for c in r.cells] for r in filled.tables[0].rows] == [
        ["违法物品", "货值（元）"], ["过期阿莫西林胶囊", "1200.00"], ["劣药布洛芬片", "300.50"]]
    pdf = regulator.get(url.format(second, "pdf"))
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    from pypdf import PdfReader

    assert PdfReader(io.BytesIO(pdf.data)).metadata.title == f"行政处罚决定书（{two}）"
    assert world["ent"].get(url.format(first, "pdf")).status_code == 404  # not in its range
    with world["app"].app_context():
        entries = world["app"].appbuilder.session.query(AuditEntry).filter_by(
            entity="credit.Case", record_id=first, action="document").all()
        assert [(e.username, e.reason) for e in entries] == [("nx", one)] * 3


def test_numbers_are_unique_when_generated_at_once(world: dict[str, Any]) -> None:
    import threading

    from sqlalchemy.orm import Session

    from app.documents import number_of

    app = world["app"]
    with app.app_context():
        admin = app.extensions["admin"]
        entity = admin.spec.entity("credit.Case")
        document = entity.document("decision")
        engine = admin.session.get_bind()
        numbers: list[str] = []
        start = threading.Barrier(4)

        def generate(record_id: int) -> None:
            with Session(engine) as session:
                start.wait()
                numbers.append(number_of(session, entity, document, record_id))
                session.commit()

        threads = [threading.Thread(target=generate, args=(9000 + i,)) for i in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    assert len(numbers) == 4 and len(set(numbers)) == 4


def test_the_year_end_schedule_sets_every_grade(world: dict[str, Any]) -> None:
    import datetime as dt

    from sqlalchemy import select

    from app.jobs import scheduler
    from app.jobs.models import ScheduleRun

    app, regulator = world["app"], world["regulator"]
    eve = dt.datetime(dt.date.today().year, 12, 31, 1, 0, 5)
    assert len(scheduler.tick(app, eve)) == 1
    grades = {r["uscc"]: r["year_grade"]
              for r in regulator.get("/api/v1/credit_profile/").json["result"]}
    assert grades == {ENT_A: "B", ENT_B: "A"}  # 85 points and 100 points
    with app.app_context():
        run = app.appbuilder.session.execute(select(ScheduleRun)).scalar_one()
        assert (run.schedule, run.state) == ("credit.year_end_grades", "done")
        assert '"Rows updated": 2' in run.counts
    assert scheduler.tick(app, eve) == []  # once


def test_imported_complaints_open_their_inspections_too(world: dict[str, Any]) -> None:
    import io

    regulator = world["regulator"]
    body = "举报编号,被举报企业,举报内容\nC-11,银川甲药业,无证经营\nC-12,石嘴山乙药业,虚假宣传\n"
    response = regulator.post("/api/v1/complaint/import", data={
        "file": (io.BytesIO(body.encode("utf-8-sig")), "c.csv")},
        content_type="multipart/form-data")
    assert response.status_code == 200, response.json
    tasks = {r["code"]: r["finding"] for r in regulator.get(
        "/api/v1/inspection/?q=(filters:!((col:code,opr:sw,value:TS-C-1)))").json["result"]}
    assert tasks == {"TS-C-11": "无证经营", "TS-C-12": "虚假宣传"}


def test_the_people_who_may_move_a_case_are_reminded_before_its_limit_lapses(
        world: dict[str, Any]) -> None:
    import datetime as dt

    from sqlalchemy import event, select, text

    from app.jobs.actions import remind_time_limits
    from app.messages.models import Message
    from app.security.models import AppUser

    app, regulator, today = world["app"], world["regulator"], dt.date.today()
    ids = {}
    for code in ("宁药监罚-21", "宁药监罚-22", "宁药监罚-23"):
        made = regulator.post("/api/v1/case/", json={
            "code": code, "profile": world["profiles"][ENT_A], "fine": "100"})
        assert made.status_code == 201, made.json
        ids[code] = made.json["id"]
    with app.app_context():
        session = app.appbuilder.session
        for code, due in (("宁药监罚-21", today + dt.timedelta(days=1)),  # due tomorrow
                          ("宁药监罚-22", today - dt.timedelta(days=1))):  # already overdue
            session.execute(text("UPDATE credit_case SET state_due = :d WHERE id = :i"),
                            {"d": due, "i": ids[code]})
        session.commit()
        # 宁药监罚-23 is due in 15 working days: not yet
        assert remind_time_limits(session, {"days": 2}) == {"People reminded": 1}
        nx = session.execute(select(AppUser).filter_by(username="nx")).scalar_one()
        told = session.execute(select(Message).where(Message.kind == "time_limit")
                               ).scalars().all()
        assert [(m.user_id, m.record_id) for m in told] == [(nx.id, ids["宁药监罚-21"])]
        assert told[0].title == "办理期限提醒：稽查案件"
        assert told[0].body.startswith("宁药监罚-21（已立案）办理期限：")
        assert (today + dt.timedelta(days=1)).isoformat() + "（剩余" in told[0].body
        # once a day: the schedule running again tells nobody again
        assert remind_time_limits(session, {"days": 2}) == {"People reminded": 0}
        # who was told today is read in one statement, however many rows are due
        session.execute(text("UPDATE credit_case SET state_due = :d WHERE id = :i"),
                        {"d": today + dt.timedelta(days=2), "i": ids["宁药监罚-23"]})
        session.commit()
        seen: list[str] = []

        def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            seen.append(statement)

        engine = session.get_bind()
        event.listen(engine, "before_cursor_execute", record)
        try:
            assert remind_time_limits(session, {"days": 2}) == {"People reminded": 1}
        finally:
            event.remove(engine, "before_cursor_execute", record)
        assert len([s for s in seen if s.lstrip().upper().startswith("SELECT")
                    and re.search(r"\bFROM msg_message\b", s)]) == 1, seen
        session.commit()
    assert "办理期限提醒：稽查案件" in regulator.get("/messages/").text
    assert "办理期限提醒" not in world["ent"].get("/messages/").text
