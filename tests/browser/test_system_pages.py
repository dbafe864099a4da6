"""The system administrator in a real browser: 系统管理 → 数据字典 (relabel, add, disable; a
used value's 删除 offered disabled, saying why) and 参数设置 (系统名称), then the clerk's form
offering what the dictionary now holds. Screenshots in artifacts/."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from werkzeug.serving import make_server

from tests.app.system.test_dictionary import ORGS, SCHEMA, UNIT, USERS
from tests.browser.conftest import shot
from tests.conftest import PASSWORD, apply_schema, ensure_admin, make_app, seed_people

pytestmark = pytest.mark.browser
ENGLISH = ["Data dictionary", "Dictionary", "Label", "Parameter", "Normal", "Disabled", "None",
           "True", "False", "System title"]


@pytest.fixture(scope="module")
def served(tmp_path_factory: Any) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("browser")
    app = make_app(f"sqlite:///{folder}/system.db", schema=SCHEMA, tmp=folder,
                   WTF_CSRF_ENABLED=True)
    apply_schema(app)
    ensure_admin(app)
    with app.app_context():
        orgs = seed_people(app, ORGS, USERS, PASSWORD)
        firm = app.extensions["admin"].models["reg.Firm"]
        app.appbuilder.session.add(firm(name="康华制药", kind="overseas", org=orgs[UNIT]))
        app.appbuilder.session.commit()
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()


def sign_in(page: Any, server: str, username: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{server}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form:not(.admin-search) [type=submit]").click()
    page.wait_for_url(f"{server}/")


def no_english(page: Any) -> None:
    text = page.locator("main").inner_text()
    for word in ENGLISH:
        assert word not in text, word


def test_dictionary_and_settings_walk(served: str, page: Any) -> None:
    server = served
    sign_in(page, server, "sys")
    page.locator(".admin-sidebar, nav").get_by_text("数据字典").first.click()
    page.wait_for_url(f"{server}/system/dictionary/")
    assert "企业类型" in page.locator("main").inner_text()
    no_english(page)
    shot(page, "dictionary_list")
    page.get_by_text("字典数据").first.click()
    page.wait_for_url("**/reg.Firm.kind/")
    row = page.locator("tr[data-value=domestic]")
    row.locator("input[name=label_zh]").fill("国内企业")
    row.locator(".dictionary-save").click()
    page.wait_for_load_state()
    assert "已保存取值" in page.locator("main").inner_text()
    page.fill("#add_value", "hmt")
    page.fill("#add_label_zh", "港澳台企业")
    page.locator(".dictionary-add [type=submit]").click()
    page.wait_for_load_state()
    assert "已新增取值" in page.locator("main").inner_text()
    # a value in use: 删除 is offered disabled, saying why (the server refuses it anyway)
    assert page.locator("tr[data-value=overseas] .dictionary-delete").is_disabled()
    assert page.locator("tr[data-value=overseas] .dictionary-delete-refused"
                        ).get_attribute("title") == "已被使用：请改为停用"
    assert page.locator("tr[data-value=hmt] .dictionary-delete").is_enabled()  # unused
    row = page.locator("tr[data-value=overseas]")
    row.locator("select[name=enabled]").select_option("0")
    row.locator(".dictionary-save").click()
    page.wait_for_load_state()
    no_english(page)
    shot(page, "dictionary_values")
    page.goto(f"{server}/system/settings/")
    no_english(page)
    page.fill("#setting_system_title", "药品监管信息采集平台")
    page.locator(".settings-form [type=submit]").click()
    page.wait_for_load_state()
    assert "已保存" in page.locator("main").inner_text()
    assert "药品监管信息采集平台" in page.content()
    shot(page, "settings")
    sign_in(page, server, "clerk")
    page.goto(f"{server}/reg/firm/add")
    options = page.locator("select[name=kind] option").all_inner_texts()
    assert "国内企业" in options and "港澳台企业" in options and "境外企业" not in options
    shot(page, "dictionary_form")
    page.goto(f"{server}/reg/firm/list/")
    assert "境外企业" in page.locator("main").inner_text()  # kept on the row that holds it
