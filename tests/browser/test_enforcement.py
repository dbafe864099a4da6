"""稽查执法 in a real browser on the demo data: 海军 (nx_inspector) writes the 核查情况 of the clue
of 康民大药房 and turns it into a 案源; the province's leader (nx_leader) refuses to file a case
in 立案审批, typing the reason into the dialog, and extends the time limit of another by 30
days; 海军 records his investigation of the case he
handles and ends it (调查终结), then downloads its 立案审批表, a Word file holding its number."""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.conftest import shot
from tests.browser.demo_server import serve, sign_in, submit

pytestmark = pytest.mark.browser
REFUSAL = "违法行为轻微并及时改正，没有造成危害后果，依法不予行政处罚。"


@pytest.fixture(scope="module")
def server(tmp_path_factory: Any) -> Iterator[dict[str, Any]]:
    yield from serve(tmp_path_factory.mktemp("enforcement"))


def row_of(server: dict[str, Any], name: str, **where: Any) -> Any:
    app = server["app"]
    with app.app_context():
        session = app.appbuilder.session
        session.expire_all()
        return session.query(app.extensions["admin"].models[name]).filter_by(**where).one()


def press(page: Any, label: str, reason: str | None = None) -> None:
    """The transition's button on the detail page, the reason if it asks for one, 确定."""
    page.locator(".record-transitions button.row-transition", has_text=label).click()
    dialog = page.locator("#row-transition-modal")
    dialog.wait_for(state="visible")
    if reason is not None:
        dialog.locator("textarea[name=reason]").fill(reason)
    submit(page, dialog.locator("button.row-transition-ok"))


def test_an_inspector_and_the_leader_move_cases_on_the_screens(server: dict[str, Any],
                                                               page: Any, tmp_path: Any) -> None:
    from docx import Document as Docx

    url = server["url"]
    sign_in(page, url, "nx_inspector")
    clue = row_of(server, "enforcement.Clue", clue_no="XS-2026-001")
    page.goto(f"{url}/enforcement/clue/edit/{clue.id}")
    page.fill("textarea[name=check_result]",
              "夜间暗访确认执业药师不在岗，店员销售头孢克肟分散片 2 盒。")
    submit(page, page.locator("#model_form [type=submit]"))
    page.goto(f"{url}/enforcement/clue/show/{clue.id}")
    shot(page, "enforcement-01-clue")
    press(page, "转为案源")
    assert "转为案源" in page.locator(".alert").first.inner_text()
    assert row_of(server, "enforcement.Clue", clue_no="XS-2026-001").state == "converted"
    made = row_of(server, "enforcement.Case", case_no="AY-XS-2026-001")
    assert made.state == "source" and made.uscc.startswith("92640104")  # 康民大药房

    sign_in(page, url, "nx_leader")
    waiting = row_of(server, "enforcement.Case", case_no="AY-XS-2026-004")
    page.goto(f"{url}/enforcement/case/show/{waiting.id}")
    assert "立案审批" in page.locator("body").inner_text()
    press(page, "不予立案", REFUSAL)
    shot(page, "enforcement-02-refused")
    assert row_of(server, "enforcement.Case", id=waiting.id).state == "not_filed"
    assert REFUSAL in page.locator("body").inner_text()  # the history and 办理记录 say why
    # 第六十四条: the leader extends the time limit of a case in 调查取证 by 30 days
    handled = row_of(server, "enforcement.Case", case_no="AY-XS-2026-005")
    page.goto(f"{url}/enforcement/case/show/{handled.id}")
    press(page, "批准延长办案期限", "需等待检验机构出具复检报告。")
    shot(page, "enforcement-02b-extended")
    extended = row_of(server, "enforcement.Case", id=handled.id)
    assert extended.state == "extended"
    assert extended.state_due == handled.state_due + dt.timedelta(days=30)
    body = page.locator("body").inner_text()
    assert "延期调查" in body and extended.state_due.isoformat() in body
    assert page.locator("button.row-transition", has_text="批准延长办案期限").count() == 0

    sign_in(page, url, "nx_inspector")
    page.goto(f"{url}/enforcement/case/edit/{handled.id}")
    page.fill("textarea[name=investigation]",
              "调取购进票据及付款记录，询问当事人法定代表人，"
              "确认从无证个人处购进头孢克肟分散片 50 盒。")
    submit(page, page.locator("#model_form [type=submit]"))
    page.goto(f"{url}/enforcement/case/show/{handled.id}")
    assert "头孢克肟分散片" in page.locator("body").inner_text()  # its 查封扣押 line
    press(page, "调查终结")
    shot(page, "enforcement-03-investigated")
    assert row_of(server, "enforcement.Case", id=handled.id).state == "reviewing"
    panel = page.locator(".record-documents")
    assert "立案审批表" in panel.inner_text()
    with page.expect_download() as download:
        panel.locator(".document-links", has_text="立案审批表").locator(
            "a", has_text="下载Word").click()
    saved = tmp_path / "filing.docx"
    download.value.save_as(saved)
    text = "\n".join(p.text for p in Docx(io.BytesIO(saved.read_bytes())).paragraphs)
    year = dt.date.today().year
    assert re.search(rf"宁药监立〔{year}〕\d+号", text), text
    assert "AY-XS-2026-005" in text and "海军" in text
