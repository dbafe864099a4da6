"""审计日志 as an auditor reads it: entries of every kind render on the list, the detail page
and in both exports (the whole file arrives); a save that changes nothing writes nothing;
imports read like form edits (the bundled schema, SQLite and PostgreSQL)."""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import json
import re
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from generator.identifiers import compose_uscc
from tests.conftest import (
    PASSWORD,
    ROOT,
    apply_schema,
    dispose,
    ensure_admin,
    make_app,
    seed_people,
    sign_in,
)

SCHEMA = ROOT / "schema" / "entities.yaml"
MAKER = compose_uscc("91", "210102", "E0000001")
AGENT = compose_uscc("91", "210102", "A0000001")
ORGS = {
    "210000": ("辽宁省", "province", None, None),
    "210100": ("沈阳市", "city", "210000", None),
    "210102": ("和平区", "county", "210100", None),
    MAKER: ("辽宁康华制药有限公司", "unit", "210102", "enterprise"),
    AGENT: ("辽宁远航医药有限公司", "unit", "210102", "enterprise"),
}
USERS = {"auditor": ("audit_admin", "CN", "admin"), "nat": ("national", "CN", "regulator"),
         "nmpa": ("nmpa_regulator", "CN", "regulator"),
         "ln_reg": ("province_regulator", "210000", "regulator"),
         "maker": ("legal_person", MAKER, "legal_person"),
         "agent": ("legal_person", AGENT, "legal_person")}
INFO = {"legal_person": "王建国", "contact": "李丽", "mobile": "13812345678",
        "address": "辽宁省沈阳市和平区南京北街1号"}
REPORT = {"year": 2025, "title": "2025年度药品年度报告", "production": "共生产片剂 3 个品种",
          "quality": "质量体系运行正常", "contact": "李丽", "mobile": "13812345678"}
ODD_REASON = "=HYPERLINK(\"http://example.com\",\"点此\")"
# What a page of the audit log must never show: Python values, JSON, column names.
RAW = ["None", "True", "False", "{'id'", '{"id"', "'text'", "certificate_size",
       "letter_template_size", "letter_template_name", "batch_id", "org_id", "granted",
       "withdrawn", "decision", "accepted", "[[", "[]", "Other:", "(blank)", "No. "]


def make_pdf() -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def form_values(page: str) -> dict[str, str]:
    """What the browser would post back from a form it was shown, unchanged."""
    values: dict[str, str] = {}
    for tag in re.findall(r"<input[^>]*>", page):
        name = re.search(r'name="([^"]+)"', tag)
        kind = re.search(r'type="([^"]+)"', tag)
        if name is None or (kind and kind.group(1) in ("file", "submit", "button")):
            continue
        if kind and kind.group(1) == "checkbox":
            if "checked" in tag:
                values[name.group(1)] = "y"
            continue
        value = re.search(r'value="([^"]*)"', tag)
        values[name.group(1)] = html.unescape(value.group(1)) if value else ""
    for name, text in re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', page,
                                 re.S):
        values[name] = re.sub(r"^\r?\n", "", html.unescape(text))  # as browsers do
    for name, body in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', page, re.S):
        chosen = re.search(r'<option[^>]*selected[^>]*value="([^"]*)"|'
                           r'<option[^>]*value="([^"]*)"[^>]*selected', body)
        values[name] = html.unescape(next(g for g in chosen.groups() if g is not None)) \
            if chosen else ""
    return values


def page_text(page: str) -> str:
    """The text a person reads in the page's main panel."""
    body = page[page.find('<div id="Home"'):] if '<div id="Home"' in page else page
    body = re.sub(r"<script.*?</script>", " ", body, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", body)))


def model(app: Any, name: str) -> Any:
    return app.extensions["admin"].models[name]


def add_row(app: Any, entity: str, org_code: str | None = None, /, **values: Any) -> int:
    from app.security.models import Organisation

    with app.app_context():
        session = app.appbuilder.session
        row = model(app, entity)(**values)
        if org_code is not None:
            row.org = session.query(Organisation).filter_by(code=org_code).one()
        session.add(row)
        session.commit()
        return int(row.id)


def audit(app: Any, **where: Any) -> list[Any]:
    from app.audit.models import AuditEntry

    with app.app_context():
        session = app.appbuilder.session
        session.expire_all()
        query = select(AuditEntry).filter_by(**where).order_by(AuditEntry.id)
        return list(session.execute(query).scalars())


def count_entries(app: Any) -> int:
    from app.audit.models import AuditEntry

    with app.app_context():
        return int(app.appbuilder.session.execute(
            select(func.count()).select_from(AuditEntry)).scalar())


def complete_info(app: Any, username: str, name: str, uscc: str, kind: str) -> None:
    response = sign_in(app, username).post("/basic/enterprise_info/add", data={
        **INFO, "name": name, "uscc": uscc, "kind": kind})
    assert response.status_code == 302, page_text(response.text)[-800:]


def import_csv(client: Any, resource: str, text: str) -> Any:
    data = {"file": (io.BytesIO(("\ufeff" + text).encode()), "目录.csv")}
    response = client.post(f"/api/v1/{resource}/import", data=data,
                           content_type="multipart/form-data")
    assert response.status_code == 200, response.json
    return response.json


@pytest.fixture(scope="module")
def world(database_url: str, tmp_path_factory: Any) -> Any:
    """One entry of every kind, each made through the door that makes it in real use."""
    from app.audit import trail
    from app.audit.models import AuditEntry

    app = make_app(database_url, SCHEMA, tmp_path_factory.mktemp("files"))
    apply_schema(app)  # the permission sync: {"granted": N, "withdrawn": 0}
    ensure_admin(app)
    with app.app_context():
        seed_people(app, ORGS, USERS, PASSWORD)
        app.appbuilder.session.commit()
    ids: dict[str, int] = {}
    # sign-ins, a failed one
    app.test_client().post("/login/", data={"username": "nat", "password": "wrong"})
    nat = sign_in(app, "nat")
    # create, edit with a file, delete (REST and forms)
    for key, name in (("first", "2025年第一批"), ("second", "2025年第二批"), ("gone", "作废批次")):
        response = nat.post("/api/v1/batch/", json={"name": name, "year": 2025})
        assert response.status_code == 201, response.json
        ids[key] = response.json["id"]
    edit = form_values(nat.get(f"/procurement/batch/edit/{ids['second']}").text)
    upload = (io.BytesIO(make_pdf()), "承诺函模板.pdf")
    response = nat.post(f"/procurement/batch/edit/{ids['second']}", data={
        **edit, "baseline_year": "2020", "letter_template": upload},
        content_type="multipart/form-data")
    assert response.status_code == 302, page_text(response.text)[-800:]
    assert nat.delete(f"/api/v1/batch/{ids['gone']}").status_code == 200
    # an import: its summary and one entry per row (created, then updated)
    import_csv(nat, "catalog_item", "品规编号,品种名称（通用名）,规格,国采批次\n"
                                    "P001,阿莫西林胶囊,0.25g,2025年第一批\n")
    import_csv(nat, "catalog_item", "品规编号,品种名称（通用名）,规格,国采批次\n"
                                    "P001,阿莫西林胶囊,0.5g,2025年第二批\n")
    # a transition with a reason; rows with dates, booleans and references
    product = add_row(app, "basic.Product", approval="国药准字HJ20150001", name="瑞舒伐他汀钙片",
                      holder="某持有人", imported=True,
                      approved_on=dt.date(2015, 3, 1))
    ids["binding"] = add_row(app, "binding.ProductBinding", AGENT, product_id=product,
                             state="bound")
    response = sign_in(app, "ln_reg").post(
        f"/api/v1/product_binding/{ids['binding']}/transition/unbind",
        json={"reason": "代理关系已终止"})
    assert response.status_code == 200, response.json
    # a change of rights (the user screen's shape), 变更 entries and odd ones
    with app.test_request_context():
        session = app.appbuilder.session
        user = app.appbuilder.sm.find_user(username="nat")
        trail.record(session, "permissions", user=user, changes={
            "user": ["agent", "agent"], "roles": [["legal_person"], ["legal_person", "agent"]],
            "modules": ["", "annual_report,export_dossier"]})
        trail.record(session, "change_request", entity="procurement.Batch",
                     record_id=ids["first"], user=user,
                     changes={"year": [2025, 2026], "instructions": [None, "按季度填报"]})
        trail.record(session, "change_decision", entity="procurement.Batch",
                     record_id=ids["first"], user=user, reason="同意",
                     changes={"decision": "accepted"})
        session.add(AuditEntry(action="edit", entity="procurement.Batch", record_id=ids["first"],
                               changes="not json", reason=ODD_REASON))
        session.add(AuditEntry(action="mystery", changes=json.dumps([1, "x", None])))
        session.add(AuditEntry(action="edit", entity="nowhere.Gone", record_id=7,
                               changes=json.dumps({"a": {"nested": True}, "b": 3})))
        session.commit()
    yield {"app": app, "ids": ids}
    dispose(app)


def test_every_kind_of_entry_renders_on_the_list_and_the_detail_page(world: Any) -> None:
    app = world["app"]
    entries = audit(app)
    kinds = {e.action for e in entries}
    assert kinds >= {"create", "edit", "delete", "transition", "import", "login",
                     "login_failed", "permissions", "change_request", "change_decision",
                     "mystery"}
    auditor = sign_in(app, "auditor")
    page = auditor.get("/security/audit/list/?psize_AuditLogView=100")
    assert page.status_code == 200
    text = page_text(page.text)
    assert "权限变更" in text and "登录失败" in text and "状态变更" in text and "导入" in text
    assert "国采批次" in text and "procurement.Batch" not in text
    for entry in entries:
        response = auditor.get(f"/security/audit/show/{entry.id}")
        assert response.status_code == 200, (entry.action, entry.changes)
        shown = page_text(response.text)
        assert not [raw for raw in RAW if raw in shown], (entry.action, shown)
    assert auditor.get("/security/audit/show/999999").status_code == 404
    assert auditor.get("/security/audit/show/abc").status_code == 404


def _show(world: Any, **where: Any) -> str:
    [entry] = audit(world["app"], **where)[:1]
    return page_text(sign_in(world["app"], "auditor").get(
        f"/security/audit/show/{entry.id}").text)


def test_entries_read_as_the_screens_show_them(world: Any) -> None:
    ids = world["ids"]
    sync = _show(world, action="permissions", username=None)
    assert "授予的权限" in sync and "收回的权限" in sync
    rights = _show(world, action="permissions", username="nat")
    assert "用户 agent" in rights and "企业法人、企业经办人" in rights
    assert "企业信息采集管理、出口药品档案" in rights
    upload = _show(world, action="edit", record_id=ids["second"])
    assert "承诺函模板 （空） 承诺函模板.pdf" in upload and "历史采购量年度 （空） 2020" in upload
    unbind = _show(world, action="transition")
    assert "流转操作 解绑" in unbind
    assert "已绑定 已解绑" in unbind and "代理关系已终止" in unbind
    assert "数据 产品绑定/解绑管理" in unbind
    product = _show(world, action="create", entity="basic.Product")
    assert "进口药品 （空） 是" in product and "批准日期 （空） 2015-03-01" in product
    summary = [e for e in audit(world["app"], action="import") if e.record_id is None][0]
    shown = page_text(sign_in(world["app"], "auditor").get(
        f"/security/audit/show/{summary.id}").text)
    assert "文件 目录.csv" in shown and "行数 1" in shown and "新增 1" in shown
    odd = _show(world, action="mystery")
    assert "操作 其他操作：mystery" in odd and "详细内容 1、x" in odd
    decision = _show(world, action="change_decision")
    assert "操作 变更审批" in decision and "原因 同意" in decision
    assert "审批结果 已通过" in decision


def read_csv(data: bytes) -> list[list[str]]:
    assert data.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def test_both_exports_hold_every_entry_whatever_its_shape(world: Any) -> None:
    app = world["app"]
    total = count_entries(app)
    auditor = sign_in(app, "auditor")
    total += 1  # the auditor's own sign-in
    lines = read_csv(auditor.get("/security/audit/export.csv").data)
    assert lines[0] == ["时间", "用户", "所属机构", "IP 地址", "操作", "数据", "记录编号",
                        "流转操作", "原因", "变更内容"]
    assert len(lines) - 1 == total
    assert lines[-1][4] == "权限变更" and "授予的权限：" in lines[-1][9]  # the oldest: the sync
    by_action = {line[4] for line in lines[1:]}
    assert {"新增", "修改", "删除", "状态变更", "导入", "登录", "登录失败", "权限变更",
            "申请变更", "变更审批", "其他操作：mystery"} <= by_action
    odd = next(line for line in lines if line[9] == "详细内容：not json")
    assert odd[8] == "'" + ODD_REASON  # user text never runs as a formula
    changes = "\n".join(line[9] for line in lines)
    assert "国采批次：2025年第一批 → 2025年第二批" in changes
    assert "规格：0.25g → 0.5g" in changes
    assert not [raw for raw in RAW if raw in changes]
    response = auditor.get("/security/audit/export.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert sheet.title == "审计日志" and rows[0][0] == "时间"
    assert len(rows) - 1 == total
    cell = next(c for r in sheet.iter_rows() for c in r if c.value == ODD_REASON)
    assert cell.data_type == "s"  # a string, not a formula


def test_exports_hold_what_the_list_filters(world: Any) -> None:
    app = world["app"]
    auditor = sign_in(app, "auditor")
    imports = audit(app, action="import")
    lines = read_csv(auditor.get("/security/audit/export.csv?_flt_0_action=import").data)
    assert len(lines) - 1 == len(imports) == 4  # two summaries, one entry per row
    assert {line[4] for line in lines[1:]} == {"导入"}
    book = load_workbook(io.BytesIO(auditor.get(
        "/security/audit/export.xlsx?_flt_0_action=import").data))
    assert len(list(book.worksheets[0].iter_rows())) - 1 == len(imports)
    assert sign_in(app, "nat").get("/security/audit/export.xlsx").status_code == 403


def test_an_import_update_records_reference_text_and_field_names(world: Any) -> None:
    app = world["app"]
    rows = [e for e in audit(app, action="import") if e.record_id is not None]
    created, updated = (json.loads(e.changes) for e in rows)
    first, second = world["ids"]["first"], world["ids"]["second"]
    assert created["batch"] == [None, {"id": first, "text": "2025年第一批"}]
    assert updated == {"batch": [{"id": first, "text": "2025年第一批"},
                                 {"id": second, "text": "2025年第二批"}],
                       "spec": ["0.25g", "0.5g"]}
    assert not {"batch_id", "code", "name"} & set(updated)  # unchanged values are left out
    page = page_text(sign_in(app, "nat").get(
        f"/procurement/catalog_item/show/{rows[0].record_id}").text)
    assert "国采批次：2025年第一批 → 2025年第二批" in page


def test_saving_an_unchanged_record_writes_nothing(world: Any) -> None:
    app, pk = world["app"], world["ids"]["first"]
    nat = sign_in(app, "nat")
    before = len(audit(app, entity="procurement.Batch", record_id=pk))
    form = form_values(nat.get(f"/procurement/batch/edit/{pk}").text)
    assert form["instructions"] == "" and form["baseline_year"] == ""  # stored as null
    assert nat.post(f"/procurement/batch/edit/{pk}", data=form).status_code == 302
    assert len(audit(app, entity="procurement.Batch", record_id=pk)) == before
    assert "（空） → （空）" not in page_text(nat.get(f"/procurement/batch/show/{pk}").text)


def test_blank_resaves_leave_the_correction_history_alone(world: Any) -> None:
    app = world["app"]
    complete_info(app, "maker", "辽宁康华制药有限公司", MAKER, "manufacturer")
    maker = sign_in(app, "maker")
    response = maker.post("/api/v1/annual_report/", json=REPORT)  # the other texts: null
    assert response.status_code == 201, response.json
    pk = response.json["id"]
    base = "/annual_report/annual_report"
    assert maker.post(f"/api/v1/annual_report/{pk}/transition/submit").status_code == 200
    assert sign_in(app, "ln_reg").post(f"/api/v1/annual_report/{pk}/transition/send_back",
                                       json={"reason": "质量管理情况过于简略"}).status_code == 200
    edits = len(audit(app, entity="annual_report.AnnualReport", action="edit"))
    form = form_values(maker.get(f"{base}/edit/{pk}").text)
    assert maker.post(f"{base}/edit/{pk}", data=form).status_code == 302  # unchanged
    assert len(audit(app, entity="annual_report.AnnualReport", action="edit")) == edits
    form = form_values(maker.get(f"{base}/edit/{pk}").text)
    assert maker.post(f"{base}/edit/{pk}", data={**form, "quality": "年度自检 2 次"}
                      ).status_code == 302
    assert maker.post(f"/api/v1/annual_report/{pk}/transition/submit").status_code == 200
    with app.app_context():
        from app.audit.history import correction_rounds

        entity = app.extensions["admin"].spec.entity("annual_report.AnnualReport")
        [round_] = correction_rounds(app.appbuilder.session, entity, pk)
    assert [(c.label, c.old, c.new) for c in round_.changes] == [
        ("质量管理情况", "质量体系运行正常", "年度自检 2 次")]


def test_binding_exports_to_xlsx_although_its_label_has_a_slash(world: Any) -> None:
    response = sign_in(world["app"], "nmpa").get("/binding/product_binding/export/xlsx")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["产品绑定解绑管理"]
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    assert len(rows) == 2 and "国药准字HJ20150001" in rows[1]  # the product by its display


def test_display_value_formats_like_the_screens(world: Any) -> None:
    from app.audit.render import display_value
    from generator.spec import Entity, EnumValue, Field, Label

    entity = Entity("Thing", "m", Label("物品", "Thing"), "m_thing", fields=(
        Field("at", "datetime", Label("时间", "At")), Field("on", "date", Label("日期", "On")),
        Field("ok", "boolean", Label("合格", "OK")),
        Field("kind", "enum", Label("类别", "Kind"), values=(EnumValue("a", Label("甲", "A")),)),
        Field("owner", "reference", Label("企业", "Owner"), to="m.Owner"),
        Field("amount", "decimal", Label("金额", "Amount"))), display="kind")
    with world["app"].test_request_context():
        shown = [display_value(entity, name, value) for name, value in [
            ("at", "2026-01-31 08:30:00.123456"), ("at", "2026-01-31T08:30:00"),
            ("on", "2026-01-31"), ("ok", False), ("ok", True), ("kind", "a"),
            ("owner", {"id": 3, "text": "甲公司"}), ("owner", None), ("amount", ""),
            ("amount", "-2.50"), ("amount", []), ("unknown", 2.0)]]
    assert shown == ["2026-01-31 08:30:00", "2026-01-31 08:30:00", "2026-01-31", "否", "是",
                     "甲", "甲公司", "", "", "-2.50", "", "2"]
