"""The medical institution's §4.2.2 flow of seed 002 in a real browser, in Chinese: sign in with
the captcha, change the initial password, fill and save the demand, upload the 承诺函, 上报
everything, see 已上报, 撤回 one row."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

from tests.browser.conftest import shot as _shot
from tests.conftest import apply_schema, ensure_admin, make_app, seed_people
from tests.modules.conftest import HOSP1, ORGS, PASSWORD, SCHEMA, USERS, make_pdf

pytestmark = pytest.mark.browser
CAPTCHA = "K7PX"
NEW_PASSWORD = "Yk#2026demand"
ITEMS = [("11-001", "阿托伐他汀钙片", "10mg*7片", 1200),
         ("11-002", "苯磺酸氨氯地平片", "5mg*28片", 800),
         ("11-003", "阿莫西林胶囊", "0.25g*24粒", 3000)]


@pytest.fixture(scope="module")
def server(tmp_path_factory: Any) -> Iterator[dict[str, Any]]:
    from app.hooks.models import Window, beijing_now

    folder = tmp_path_factory.mktemp("browser")
    app = make_app(f"sqlite:///{folder}/flow.db", SCHEMA, tmp=folder, WTF_CSRF_ENABLED=True,
                   ADMIN_CAPTCHA_FIXED=CAPTCHA,
                   ADMIN_PASSWORD_POLICY={"captcha": True, "change_first_login": True,
                                          "not_username": False})
    apply_schema(app)
    ensure_admin(app)
    with app.app_context():
        session = app.appbuilder.session
        orgs = seed_people(app, ORGS, USERS, PASSWORD)
        for user in session.query(app.appbuilder.sm.user_model):
            user.must_change_password = user.username != "admin"
        models = app.extensions["admin"].models
        batch = models["procurement.Batch"](name="第十一批国家组织药品集中采购", year=2026)
        session.add(batch)
        for code, name, spec, baseline in ITEMS:
            session.add(models["procurement.Demand"](
                batch=batch, item_code=code, item_name=name, spec=spec, baseline=baseline,
                org=orgs[HOSP1]))
        now = beijing_now()
        session.add(Window(window="procurement", opens_at=now - dt.timedelta(days=1),
                           closes_at=now + dt.timedelta(days=10, hours=3), is_open=True))
        session.commit()
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield {"url": f"http://127.0.0.1:{httpd.server_port}", "app": app, "folder": folder}
    httpd.shutdown()


def _states(server: dict[str, Any]) -> dict[str, str]:
    app = server["app"]
    with app.app_context():
        session = app.appbuilder.session
        session.expire_all()
        return {r.item_code: r.state
                for r in session.query(app.extensions["admin"].models["procurement.Demand"])}


def _row_button(page: Any, code: str, label: str) -> None:
    """The transition's button on the row, then 确定 in its dialog."""
    page.locator("tr", has_text=code).locator("button.row-transition", has_text=label).click()
    dialog = page.locator("#row-transition-modal")
    dialog.wait_for(state="visible")
    assert code in dialog.inner_text()  # the dialog names the row
    _submit(page, dialog.locator("button.row-transition-ok"))


def _submit(page: Any, locator: Any) -> None:
    """Click something that posts a form and wait for the page it leads to."""
    with page.expect_navigation():
        locator.click()
    page.wait_for_load_state("load")


def test_institution_fills_saves_uploads_reports_and_withdraws(server: dict[str, Any],
                                                              page: Any,
                                                              tmp_path: Path) -> None:
    url = server["url"]
    page.goto(f"{url}/login/")
    assert "验证码" in page.content()
    page.fill("input[name=username]", "ln_hosp1")
    page.fill("input[name=password]", PASSWORD)
    page.fill("input[name=captcha]", CAPTCHA)
    _shot(page, "10-procurement-login")
    _submit(page, page.locator("form:not(.admin-search) [type=submit]"))
    # the initial password must be changed before anything else
    assert "resetmypassword" in page.url, page.url
    page.fill("input[name=old_password]", PASSWORD)
    page.fill("input[name=password]", NEW_PASSWORD)
    page.fill("input[name=conf_password]", NEW_PASSWORD)
    _shot(page, "11-change-password")
    _submit(page, page.locator("form:not(.admin-search) [type=submit]"))
    assert "resetmypassword" not in page.url

    page.goto(f"{url}/procurement/demand/list/")
    content = page.content()
    for text in ("上报开关状态", "可操作时间范围", "剩余时间", "品规编号", "2020年采购量",
                 "审核记录", "维护及审核状态", "未填报"):
        assert text in content, text
    # fill 预采购量 and 增幅降幅说明 in the list, then 保存 the selected rows
    rows = {code: page.locator("tr", has_text=code) for code, *_ in ITEMS}
    rows["11-001"].locator("input[name$='-planned']").fill("1500")
    rows["11-001"].locator("input[name$='-change_note']").fill("门诊量增长")
    rows["11-002"].locator("input[name$='-planned']").fill("600")
    _shot(page, "12-demand-filled")
    _submit(page, page.locator("button.list-edit-save", has_text="保存"))  # 【保存】
    assert "已保存" in page.content()
    assert _states(server) == {"11-001": "saved", "11-002": "saved", "11-003": "pending"}
    assert "25.00%" in page.content()  # 增幅/降幅 of 1200 -> 1500
    _shot(page, "13-demand-saved")

    # 上报 before the letter: 全部上报 is offered disabled, its tooltip saying why
    page.locator("span.transition-all-refused", has_text="上报").hover()
    page.locator(".tooltip.in", has_text="请先上传本批次的承诺函").wait_for()
    page.mouse.move(0, 0)
    # the first tooltip fades out before the next one is looked for (both carry the same text)
    page.locator(".tooltip").first.wait_for(state="detached")
    # the row's 上报 is offered disabled, its tooltip saying why
    page.locator("tr", has_text="11-001").locator(".row-transition-refused-wrap",
                                                  has_text="上报").hover()
    page.locator(".tooltip.in", has_text="请先上传本批次的承诺函").wait_for()
    _shot(page, "13b-demand-refused")

    # download the template, upload one PDF letter
    page.goto(f"{url}/procurement/commitment_letter/add")
    page.locator("#batch + .select2 .select2-selection").click()
    page.locator("li.select2-results__option", has_text="第十一批").click()
    letter = tmp_path / "承诺函.pdf"
    letter.write_bytes(make_pdf())
    page.set_input_files("input[name=letter]", str(letter))
    _shot(page, "14-letter-form")
    _submit(page, page.locator("#model_form [type=submit]"))
    assert "承诺函.pdf" in page.content()
    _shot(page, "15-letter-list")

    # 上报 everything at once: it says first how many rows it reports and leaves
    page.goto(f"{url}/procurement/demand/list/")
    asked: list[str] = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    _submit(page, page.locator("form.transition-all button", has_text="上报"))
    assert asked == ["将上报 2 条；1 条未填报，不会上报。确定吗？"], asked
    assert "已上报" in page.content()
    assert _states(server) == {"11-001": "submitted", "11-002": "submitted",
                               "11-003": "pending"}
    _shot(page, "16-demand-reported")

    # 撤回 one reported row that nobody reviewed yet: its button, then the confirmation
    row = page.locator("tr", has_text="11-002")
    assert row.locator("a[href*='/procurement/demand/edit/']").count() == 0  # locked: no edit
    _shot(page, "16b-demand-row-buttons")
    _row_button(page, "11-002", "撤回")
    assert "/procurement/demand/list/" in page.url
    page.locator(".alert", has_text="撤回").wait_for()
    assert _states(server)["11-002"] == "saved"
    _shot(page, "17-demand-withdrawn")


def test_002_4_2_2_template_download_and_letter_on_the_demand_page(server: dict[str, Any],
                                                                   page: Any,
                                                                   tmp_path: Path) -> None:
    """【模板下载】 and the batch's 承诺函 on the 采购需求 page itself: not uploaded, then uploaded
    from the panel's link (the form has the open batch chosen), shown with a link."""
    import io

    app = server["app"]
    with app.app_context():  # the national office attached the letter template to the batch
        session = app.appbuilder.session
        batch = session.query(app.extensions["admin"].models["procurement.Batch"]).one()
        key, size = app.extensions["admin"].storage.save(io.BytesIO(make_pdf("承诺函模板")),
                                                         "承诺函模板.pdf")
        batch.letter_template, batch.letter_template_name = key, "承诺函模板.pdf"
        batch.letter_template_size = size
        session.commit()
    context = page.context.browser.new_context(viewport={"width": 1600, "height": 900},
                                               locale="zh-CN", accept_downloads=True)
    own = context.new_page()
    url = server["url"]
    own.goto(f"{url}/login/")
    own.fill("input[name=username]", "ln_hosp2")
    own.fill("input[name=password]", PASSWORD)
    own.fill("input[name=captcha]", CAPTCHA)
    _submit(own, own.locator("form:not(.admin-search) [type=submit]"))
    own.fill("input[name=old_password]", PASSWORD)
    own.fill("input[name=password]", NEW_PASSWORD)
    own.fill("input[name=conf_password]", NEW_PASSWORD)
    _submit(own, own.locator("form:not(.admin-search) [type=submit]"))

    own.goto(f"{url}/procurement/demand/list/")
    panel = own.locator(".needs-panel")
    assert "模板下载" in panel.inner_text() and "未上传" in panel.inner_text()
    _shot(own, "18-demand-panel-no-letter")
    with own.expect_download() as download:
        panel.locator("a.template-download", has_text="承诺函模板.pdf").click()
    saved = tmp_path / "template.pdf"
    download.value.save_as(saved)
    assert saved.read_bytes().startswith(b"%PDF-")
    # 【上传承诺函】: the form comes with the open batch chosen
    _submit(own, panel.locator("a.needed-add", has_text="上传承诺函"))
    assert "第十一批" in own.locator("#batch + .select2").inner_text()
    letter = tmp_path / "本院承诺函.pdf"
    letter.write_bytes(make_pdf())
    own.set_input_files("input[name=letter]", str(letter))
    _submit(own, own.locator("#model_form [type=submit]"))
    own.goto(f"{url}/procurement/demand/list/")
    panel = own.locator(".needs-panel")
    assert "已上传" in panel.inner_text() and "未上传" not in panel.inner_text()
    _shot(own, "19-demand-panel-letter")
    with own.expect_download() as download:
        panel.locator("a.needed-file", has_text="本院承诺函.pdf").click()
    download.value.save_as(tmp_path / "letter.pdf")
    assert (tmp_path / "letter.pdf").read_bytes().startswith(b"%PDF-")
    context.close()
