"""`flask demo load` on the bundled schema: what it creates, that a second run changes nothing,
and that a demo account signs in and sees its own rows only (SQLite and PostgreSQL)."""

from __future__ import annotations

import io
from collections import Counter
from typing import Any

import prison
import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from app.demo.data import ACCOUNTS, INSTITUTIONS, OPEN_BATCH, OPEN_ITEMS, PASSWORD, PAST_ITEMS
from tests.conftest import ROOT, apply_schema, make_app

SCHEMA = ROOT / "schema" / "entities.yaml"
ORG_SCOPED = ("basic.EnterpriseInfo", "procurement.Demand", "procurement.CommitmentLetter",
              "annual_report.AnnualReport", "annual_report.AnnualReportProduct",
              "export_dossier.ExportDossier", "binding.ProductBinding")


@pytest.fixture(scope="module")
def demo(database_url: str, tmp_path_factory: Any) -> Any:
    from app.cli import demo_cli

    app = make_app(database_url, SCHEMA, tmp_path_factory.mktemp("files"))
    apply_schema(app)
    result = app.test_cli_runner().invoke(demo_cli, ["load"])
    yield app, result
    with app.app_context():
        app.appbuilder.session.remove()
        app.appbuilder.session.get_bind().dispose()


def model(app: Any, name: str) -> Any:
    return app.extensions["admin"].models[name]


def states(app: Any, name: str, **where: Any) -> Counter[str]:
    target = model(app, name)
    with app.app_context():
        query = select(target.state).filter_by(**where)
        return Counter(app.appbuilder.session.execute(query).scalars())


def table_counts(app: Any) -> dict[str, int]:
    """Rows of every table (generated and Flask-AppBuilder's, the audit trail included)."""
    from flask_appbuilder import Model

    with app.app_context():
        session = app.appbuilder.session
        tables = [*app.extensions["admin"].metadata.sorted_tables,
                  *Model.metadata.sorted_tables]
        return {t.name: session.execute(select(func.count()).select_from(t)).scalar_one()
                for t in tables}


def test_the_first_run_says_what_it_made(demo: Any) -> None:
    _, result = demo
    assert result.exit_code == 0, result.output
    assert result.output.startswith("demo data loaded: divisions ")
    assert f"password {PASSWORD}" in result.output
    assert "ln_hospital1" in result.output and "沈阳市和平区第一人民医院" in result.output


def test_one_account_per_role_in_every_province(demo: Any) -> None:
    app, _ = demo
    from app.security.models import AppUser

    spec = app.extensions["admin"].spec
    classes = {r.key: r.user_class for r in spec.roles}
    with app.app_context():
        users = app.appbuilder.session.execute(select(AppUser)).unique().scalars().all()
        held = Counter(role.name for user in users for role in user.roles)
        assert {r.key for r in spec.roles} <= set(held)
        assert held == Counter(a.role for a in ACCOUNTS)
        assert held["institution"] == 4 and held["sys_admin"] == 5  # CN 辽 川 宁 京
        assert held["inspector"] == 2 and held["leader"] == 2
        for user in users:
            assert user.user_class == classes[user.roles[0].name], user.username
            assert user.org is not None
        by_name = {u.username: u for u in users}
        assert by_name["ln_agent"].modules == "export_dossier"
        assert not by_name["ln_agent"].module_allowed("annual_report")
        assert by_name["ln_hospital1"].org.path.startswith("/CN/210000/210100/210102/")
        assert by_name["sc_county"].org.code == "510104"


def test_procurement_batches_items_demand_and_states(demo: Any) -> None:
    app, _ = demo
    batch, item = model(app, "procurement.Batch"), model(app, "procurement.CatalogItem")
    demand = model(app, "procurement.Demand")
    with app.app_context():
        session = app.appbuilder.session
        current = session.execute(select(batch).where(batch.name == OPEN_BATCH)).scalar_one()
        items = session.execute(select(item.code).where(item.batch_id == current.id)
                                ).scalars().all()
        assert len(items) == len(OPEN_ITEMS) == 50 and "11-001" in items
        assert current.letter_template_name == "承诺函模板.pdf"
        count = session.execute(select(func.count()).select_from(demand).where(
            demand.batch_id == current.id)).scalar_one()
        assert count == len(INSTITUTIONS) * len(OPEN_ITEMS)
        returned = session.execute(select(demand).where(demand.state == "returned")
                                   ).scalar_one()
        assert "审核不通过（退回修改）：" in returned.review_log  # by the county, with a reason
        assert returned.review_log.count("\n") == 2  # saved, reported, returned
        assert returned.baseline > 0 and returned.planned > returned.baseline

        from app.hooks.models import Window, beijing_now

        windows = {w.batch: w for w in session.execute(select(Window).where(
            Window.window == "procurement")).unique().scalars()}
        now = beijing_now()
        assert windows[str(current.id)].is_open
        assert windows[str(current.id)].opens_at < now < windows[str(current.id)].closes_at
        assert len(windows) == 2 and not all(w.is_open for w in windows.values())
    open_states = states(app, "procurement.Demand", batch_id=current.id)
    assert {"pending", "saved", "submitted", "county_ok", "city_ok", "returned"} <= set(
        open_states)
    assert open_states["returned"] == 1 and open_states["pending"] > open_states["saved"]
    past = states(app, "procurement.Demand", state="national_ok")
    assert past["national_ok"] == len(INSTITUTIONS) * len(PAST_ITEMS)


def test_the_commitment_letter_is_a_stored_one_page_pdf(demo: Any) -> None:
    app, _ = demo
    letter = model(app, "procurement.CommitmentLetter")
    with app.app_context():
        row = app.appbuilder.session.execute(select(letter)).scalar_one()
        with app.extensions["admin"].storage.open(row.letter) as stored:
            data = stored.read()
        assert row.letter_name == "承诺函.pdf" and row.letter_size == len(data)
        assert row.org.name == "沈阳市和平区中医院"
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 1 and "承诺函" in reader.pages[0].extract_text()


def test_enterprise_modules(demo: Any) -> None:
    app, _ = demo
    from generator.identifiers import is_approval_number

    product = model(app, "basic.Product")
    with app.app_context():
        session = app.appbuilder.session
        products = session.execute(select(product)).scalars().all()
        assert len(products) >= 10 and all(is_approval_number(p.approval) for p in products)
        assert {p.approval.startswith("国药准字HJ") for p in products if p.imported} == {True}
        infos = session.execute(select(model(app, "basic.EnterpriseInfo"))).scalars().all()
        enterprises = [a for a in ACCOUNTS if a.role == "legal_person"]
        assert len(infos) == len(enterprises) - 1  # one enterprise meets the gates
        lines = session.execute(select(model(app, "annual_report.AnnualReportProduct"))
                                ).scalars().all()
        assert lines and all(line.product.imported for line in lines)
    assert states(app, "annual_report.AnnualReport") == Counter(
        draft=1, submitted=2, returned=1)
    assert states(app, "binding.ProductBinding")["unbound"] == 1
    assert states(app, "binding.ProductBinding")["bound"] >= 3
    assert states(app, "export_dossier.ExportDossier") == Counter(draft=1, submitted=1)


def test_rows_carry_their_organisation_and_path(demo: Any) -> None:
    app, _ = demo
    with app.app_context():
        session = app.appbuilder.session
        for name in ORG_SCOPED:
            for row in session.execute(select(model(app, name))).unique().scalars():
                assert row.org is not None and row.org_path == row.org.path, name


def test_a_second_run_changes_nothing(demo: Any) -> None:
    app, _ = demo
    from app.cli import demo_cli

    before = table_counts(app)
    result = app.test_cli_runner().invoke(demo_cli, ["load"])
    assert result.exit_code == 0, result.output
    assert "nothing changed" in result.output
    assert table_counts(app) == before


def _login(app: Any, username: str) -> Any:
    client = app.test_client()
    response = client.post("/login/", data={"username": username, "password": PASSWORD})
    assert response.headers.get("Location") == "/", response.text[:300]
    return client


def _count(client: Any, resource: str) -> int:
    response = client.get(f"/api/v1/{resource}/",
                          query_string={"q": prison.dumps({"page_size": 1})})
    assert response.status_code == 200, response.text
    return int(response.json["count"])


def test_a_demo_account_signs_in_and_sees_its_rows_only(demo: Any) -> None:
    app, _ = demo
    per_institution = len(OPEN_ITEMS) + len(PAST_ITEMS)
    assert _count(_login(app, "ln_hospital1"), "demand") == per_institution
    # the county sees both hospitals of 和平区, without the row returned to one of them
    assert _count(_login(app, "ln_county"), "demand") == 2 * per_institution - 1
    assert _count(_login(app, "sc_county"), "demand") == 2 * per_institution
    assert _count(_login(app, "lcb"), "demand") == 4 * per_institution - 1
    assert _count(_login(app, "ln_import"), "product_binding") == 4
    assert _count(_login(app, "sc_import"), "product_binding") == 2


def test_the_portal_s_person_and_enterprise_see_different_content(demo: Any) -> None:
    """bj_person (自然人) holds a unit of their own and reaches no enterprise module; bj_legal
    (企业法人) has its 企业信息 filled in (no gate)."""
    from app.security.models import AppUser

    app, _ = demo
    with app.app_context():
        person = app.appbuilder.session.execute(
            select(AppUser).filter_by(username="bj_person")).unique().scalar_one()
        assert (person.user_class, person.org.kind, person.org.level) == (
            "citizen", "person", "unit")
        assert person.org.parent.code == "110105"
    citizen, legal = _login(app, "bj_person"), _login(app, "bj_legal")
    assert citizen.get("/api/v1/enterprise_info/").status_code in (401, 403)
    assert _count(legal, "enterprise_info") == 1
    page = citizen.get("/").text
    assert "通知公告" in page and "企业信息" not in page


def test_the_portal_enterprise_follows_its_applications_in_every_state(demo: Any) -> None:
    """办理进度 of bj_legal as the seed's table: 6 在办 (待受理, 在办, 申请撤回), 4 历史; 撤回
    on the one awaiting acceptance, 申请撤回 on those in handling; bj_reg handles them."""
    import re

    app, _ = demo
    assert states(app, "bj_filing.ChangeConsultation") + states(
        app, "bj_filing.PsychotropicPlan") == Counter(
        pending=1, handling=3, withdraw_asked=2, withdrawn=1, refused=1, done=2)
    legal = _login(app, "bj_legal")
    page = legal.get("/progress/").text
    assert "在办申请(6)" in page and "历史申请(4)" in page
    assert "许可事项 <span class=\"progress-count\">(2)</span>" in page
    assert "服务事项 <span class=\"progress-count\">(8)</span>" in page
    rows = re.findall(r'data-code="(\w+)">.*?progress-state">([^<]+)<(.*?)</tr>', page, re.S)
    assert [(code, state) for code, state, _ in rows] == [
        ("XAJA5XE9", "待受理"), ("NK9QAWX6", "在办"), ("Y4MHTRX9", "在办"), ("3DVBN7KB", "在办"),
        ("QEMA9HPK", "申请撤回"), ("KMQ8XQZ3", "申请撤回")]
    actions = [re.findall(r'progress-action-(\w+)', rest) for _c, _s, rest in rows]
    assert actions == [["withdraw"], ["ask_withdraw"], ["ask_withdraw"], ["ask_withdraw"],
                       [], []]
    assert "workbench-progress" in legal.get("/").text
    assert _count(_login(app, "bj_reg"), "change_consultation") == 8


def test_the_readme_lists_every_demo_account_and_the_password() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### Demo accounts"):]
    section = section[:section.index("\n## ")]
    assert f"`{PASSWORD}`" in section
    for account in ACCOUNTS:
        assert f"| `{account.username}` |" in section, account.username


def test_the_demo_s_past_sign_ins_fill_the_usage_dashboard(demo: Any) -> None:
    """Five months of sign-ins per account (数据分析 → 绩效考核统计): 辽宁's province sees the
    sign-ins of 辽宁's accounts only, national those of both provinces, all in the past."""
    import datetime as dt

    from sqlalchemy import func, select

    from app.audit.models import AuditEntry
    from app.security.models import Organisation

    app, _ = demo
    with app.app_context():
        session = app.appbuilder.session
        liaoning = Organisation.path.like("/CN/210000/%")
        per_org = dict(session.execute(
            select(liaoning, func.count())
            .select_from(AuditEntry).join(Organisation, Organisation.id == AuditEntry.org_id)
            .where(AuditEntry.action == "login").group_by(liaoning)).all())
        demo_made = session.execute(select(func.max(AuditEntry.at)).where(
            AuditEntry.action == "login", AuditEntry.user_agent.is_(None))).scalar_one()
    assert demo_made.date() < dt.date.today().replace(day=1)  # the past months only
    before = {True: per_org.get(True, 0), False: per_org.get(False, 0)}
    page = _login(app, "ln_province").get("/analytics/usage/").text
    shown = int(page.split('card-value">')[1].split("<")[0].replace(",", ""))
    assert before[True] > 0 and before[False] > 0
    assert shown == before[True] + 1  # and ln_province's own sign-in just now


def test_the_ningxia_credit_demo(demo: Any) -> None:
    app, _ = demo
    # the pending ones: a 违法记录's and a 不符合 inspection's (日常监管)
    assert states(app, "credit.Deduction") == Counter({"approved": 1, "pending": 2})
    assert states(app, "credit.GradeAdjustment") == Counter({"proposed": 1})
    client = _login(app, "nx_wholesale")
    [own] = client.get("/api/v1/credit_profile/").json["result"]
    assert (own["deducted"], own["score"], own["grade"]) == ("20.0", "80.0", "B")
    assert _count(_login(app, "nx_city"), "credit_profile") == 3


def test_the_ningxia_sampling_demo(demo: Any) -> None:
    app, _ = demo
    assert states(app, "sampling.SamplingPlan") == Counter({"issued": 1, "draft": 1})
    assert states(app, "sampling.Sample") == Counter(
        {"sampled": 1, "testing": 1, "qualified": 1, "unqualified": 1})
    assert states(app, "sampling.Disposal") == Counter({"pending": 1})
    assert states(app, "sampling.Objection") == Counter({"filed": 1})
    county = _login(app, "nx_county")
    [own] = county.get("/api/v1/sampling_task/").json["result"]
    assert (own["planned"], own["sampled"], own["tested"], own["failed"]) == (5, "4", "2", "1")
    assert _count(county, "disposal") == 1
    assert _count(_login(app, "nx_wholesale"), "objection") == 1
    assert _count(_login(app, "nx_pharmacy"), "objection") == 0
    assert _count(_login(app, "ln_reg"), "sample") == 0
    assert _count(_login(app, "ln_county"), "sample") == 0


def test_the_ningxia_complaints_and_licences_demo(demo: Any) -> None:
    app, _ = demo
    assert states(app, "complaints.Complaint") == Counter(
        {"registered": 2, "transferred": 1, "replied": 1, "rejected": 1})
    assert states(app, "complaints.ComplaintCheck") == Counter({"assigned": 1})
    assert states(app, "approval.LicenceBackfill") == Counter(
        {"approved": 1, "submitted": 1, "returned": 1})
    # the check went to 兴庆区, where 宁夏凤城医药 is; the enterprise reads only its own
    assert _count(_login(app, "nx_county"), "complaint_check") == 1
    assert _count(_login(app, "nx_wholesale"), "complaint") == 1
    assert _count(_login(app, "nx_pharmacy"), "licence_backfill") == 1
    assert _count(_login(app, "ln_reg"), "complaint") == 0


def test_the_ningxia_interaction_demo(demo: Any) -> None:
    app, _ = demo
    assert states(app, "interaction.SelfInspection") == Counter({"issued": 1, "submitted": 1})
    assert states(app, "interaction.Inquiry") == Counter({"sent": 1})
    assert states(app, "interaction.DataReport") == Counter({"submitted": 1, "draft": 1})
    assert _count(_login(app, "nx_county"), "self_inspection") == 2
    assert _count(_login(app, "nx_county"), "data_report") == 1  # drafts are the enterprise's
    pharmacy = _login(app, "nx_pharmacy")
    assert (_count(pharmacy, "self_inspection"), _count(pharmacy, "inquiry")) == (1, 1)
    assert _count(_login(app, "nx_maker"), "data_report") == 1
    assert _count(_login(app, "ln_reg"), "self_inspection") == 0


def test_the_ningxia_supervision_demo(demo: Any) -> None:
    app, _ = demo
    assert states(app, "supervision.InspectionPlan") == Counter({"issued": 3})
    assert states(app, "supervision.InspectionTask") == Counter(
        {"pending": 1, "inspecting": 1, "reviewing": 1, "closed": 2})
    mine = _login(app, "nx_inspector").get("/api/v1/inspection_task/?todo=1").json
    assert sorted(r["task_no"] for r in mine["result"]) == ["YC-2026-001", "YC-2026-002"]
    helper = _login(app, "nx_inspector2").get("/api/v1/inspection_task/").json["result"]
    assert sorted(r["task_no"] for r in helper) == [
        "FX-2026-001", "YC-2026-002", "ZX-2026-001", "ZX-2026-002"]
    reviews = _login(app, "nx_city_leader").get("/api/v1/inspection_task/?todo=1").json
    assert [r["task_no"] for r in reviews["result"]] == ["ZX-2026-001"]
    [deduction] = [r for r in _login(app, "nx_city").get("/api/v1/deduction/").json["result"]
                   if r["ref_no"] == "JC-FX-2026-001"]
    assert (deduction["state"], deduction["points"], deduction["source"]) == (
        "pending", "5.0", "inspection")
    # the enterprise reads its two finished tasks
    own = _login(app, "nx_wholesale").get("/api/v1/inspection_task/").json["result"]
    assert sorted(r["task_no"] for r in own) == ["FX-2026-001", "ZX-2026-002"]


def test_the_ningxia_enforcement_demo(demo: Any) -> None:
    app, _ = demo
    assert states(app, "enforcement.Clue") == Counter({"registered": 1, "dismissed": 1,
                                                       "converted": 3})
    assert states(app, "enforcement.Case") == Counter({"filing": 1, "investigating": 1,
                                                       "decided": 1})
    assert states(app, "enforcement.SimpleCase") == Counter({"decided": 1})
    # 海军 handles the case under investigation and closes the decided one; the leader
    # approves the one in 立案审批
    assert _login(app, "nx_inspector").get("/api/v1/case/?todo=1").json["count"] == 2
    assert _login(app, "nx_inspector2").get("/api/v1/case/?todo=1").json["count"] == 1
    assert _login(app, "nx_leader").get("/api/v1/case/?todo=1").json["count"] == 1
    # 宁夏凤城医药 reads its decided case only, and its 行政处罚决定书
    client = _login(app, "nx_wholesale")
    [own] = client.get("/api/v1/case/").json["result"]
    assert own["fine"] == "100000.00" and "investigation" not in own
    document = client.get(f"/documents/enforcement/case/{own['id']}/decision.docx")
    assert document.status_code == 200


def test_the_beijing_training_demo(demo: Any) -> None:
    """药监网校: three courses, a bank of 48 questions (the third course's incomplete), and
    孙浩然's two papers: 药品管理法 passed with its credits, GSP not passed."""
    app, _ = demo
    with app.app_context():
        session = app.appbuilder.session
        courses = session.execute(select(func.count()).select_from(
            model(app, "training.Course"))).scalar_one()
        questions = Counter(session.execute(select(model(app, "training.Question").kind))
                            .scalars())
        attempts = session.execute(select(model(app, "training.ExamAttempt")).order_by(
            "started_at")).scalars().all()
        results = [(a.course.title, a.score, a.passed, a.credited, float(a.credits or 0),
                    a.person_name, a.id_no) for a in attempts]
    assert courses == 3 and sum(questions.values()) == 48
    assert questions == {"single": 24, "multiple": 12, "judge": 12}
    assert results == [
        ("《中华人民共和国药品管理法》解读", 89, True, True, 2.0, "孙浩然", "110105198803121236"),
        ("药品经营质量管理规范（GSP）实务", 43, False, False, 0.0, "孙浩然", "110105198803121236"),
    ]
    person = _login(app, "bj_person")
    assert _count(person, "exam_attempt") == 2
    assert person.get("/api/v1/question/").status_code in (401, 403)
    assert _count(_login(app, "bj_reg"), "exam_attempt") == 2
    assert _count(_login(app, "ln_legal"), "exam_attempt") == 0
    # 京康 reads them: 孙浩然 is in its 企业空间 → 人员管理 (visible_to_employer)
    assert _count(_login(app, "bj_legal"), "exam_attempt") == 2
    page = person.get("/training/course/exam/").text
    assert "89分，合格" in page and "题库尚未完善" in page
