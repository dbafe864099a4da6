"""帮助文档 and 意见反馈 (seed 000 §7.3 and §8, seed 001 §3 and §4): each bundled module's
operation manual downloads from the module's pages as a PDF, for the people who reach the
module; feedback is stored, audited and listed for the system administrators of the sender's
region."""

from __future__ import annotations

import io
from typing import Any
from urllib.parse import unquote

import pytest
from pypdf import PdfReader

from tests.modules.conftest import flashes, login


@pytest.fixture(scope="module")
def app(world: dict[str, Any]) -> Any:
    return world["app"]


def _text(data: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


@pytest.mark.parametrize("module,label,section", [
    ("procurement", "集采需求报量", "报量方式和审核方式"),
    ("annual_report", "企业信息采集管理", "退回补正"),
    ("export_dossier", "出口药品档案", "变更"),
    ("binding", "产品绑定/解绑管理", "产品解绑"),
    ("enforcement", "稽查执法", "立案审批"),
])
def test_000_8_every_bundled_module_ships_its_manual(app: Any, module: str, label: str,
                                                     section: str) -> None:
    spec = app.extensions["admin"].spec
    assert next(m for m in spec.modules if m.key == module).manual is not None
    data = login(app, "admin").get(f"/help/manual/{module}")
    assert data.status_code == 200 and data.mimetype == "application/pdf"
    name = label.replace("/", "_")  # a file name has no slash
    assert f"{name}操作手册.pdf" in unquote(data.headers["Content-Disposition"])
    text = _text(data.data)
    assert label.split("/")[0] in text and section in text


def test_000_7_3_the_manual_downloads_from_the_module_pages(app: Any) -> None:
    hosp = login(app, "ln_hosp1")
    page = hosp.get("/procurement/demand/list/").text
    assert 'href="/help/manual/procurement"' in page
    assert "帮助文档（集采需求报量操作手册，PDF）" in flashes(page)
    assert 'href="/help/manual/procurement"' in hosp.get("/procurement/commitment_letter/add").text
    manual = hosp.get("/help/manual/procurement")
    assert manual.status_code == 200 and manual.data.startswith(b"%PDF-")
    assert "医疗机构" in _text(manual.data)
    # 帮助文档 lists the manuals of the modules the person reaches, and only those
    listed = hosp.get("/help/").text
    assert "集采需求报量操作手册" in listed and "出口药品档案操作手册" not in listed
    assert hosp.get("/help/manual/export_dossier").status_code == 404
    assert hosp.get("/help/manual/nothing").status_code == 404
    assert app.test_client().get("/help/manual/procurement").status_code == 302  # sign in
    legal = login(app, "maker_legal")
    assert legal.get("/help/manual/export_dossier").status_code == 200
    assert "出口药品档案操作手册" in legal.get("/help/").text


def test_001_4_feedback_reaches_the_administrators(app: Any) -> None:
    from app.audit.models import AuditEntry
    from app.help.models import Feedback

    hosp = login(app, "ln_hosp1")
    form = hosp.get("/help/feedback?module=procurement").text
    assert '<option selected value="procurement">' in form or \
        '<option value="procurement" selected>' in form
    assert 'value="annual_report"' not in form  # only the modules the sender reaches
    empty = hosp.post("/help/feedback", data={"category": "problem", "content": ""})
    assert empty.status_code == 200
    sent = hosp.post("/help/feedback", data={
        "category": "problem", "module": "procurement", "content": "上传承诺函时提示文件过大",
        "contact": "024-12345678"}, follow_redirects=True)
    assert "感谢您的反馈" in flashes(sent.text)
    login(app, "sc_hosp").post("/help/feedback", data={
        "category": "suggestion", "module": "", "content": "希望增加批量导出"})
    with app.app_context():
        session = app.appbuilder.session
        rows = session.query(Feedback).order_by(Feedback.id).all()
        assert [(r.username, r.category, r.module) for r in rows][-2:] == [
            ("ln_hosp1", "problem", "procurement"), ("sc_hosp", "suggestion", None)]
        entry = session.query(AuditEntry).filter_by(action="feedback").order_by(
            AuditEntry.id.desc()).first()
        assert entry is not None and entry.username == "sc_hosp"
    # the system administrator of 辽宁 reads 辽宁's feedback; the built-in one reads all
    page = flashes(login(app, "ln_sys").get("/system/feedback/").text)
    assert "上传承诺函时提示文件过大" in page and "问题" in page and "集采需求报量" in page
    assert "希望增加批量导出" not in page
    assert "希望增加批量导出" in login(app, "admin").get("/system/feedback/").text
    # others do not
    for username in ("ln_prov", "ln_hosp1", "ln_reg"):
        assert login(app, username).get("/system/feedback/").status_code == 403
    # the audit log names the entry in Chinese
    log = flashes(login(app, "admin").get("/security/audit/list/").text)
    assert "提交意见反馈" in log
