"""A real browser (Debian's headless Chromium through Playwright) walks the main flow."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from werkzeug.serving import make_server

from tests.browser.conftest import shot as _shot
from tests.conftest import ADMIN_PASSWORD, apply_schema, ensure_admin, make_app

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory: Any) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("browser")
    app = make_app(f"sqlite:///{folder}/browser.db", tmp=folder, WTF_CSRF_ENABLED=True)
    apply_schema(app)
    ensure_admin(app)
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()


def test_login_list_add_and_see_it_listed(server: str, page: Any) -> None:
    page.goto(f"{server}/login/")
    assert "登录" in page.content()
    _shot(page, "01-login")
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", ADMIN_PASSWORD)
    page.locator("form:not(.admin-search) [type=submit]").click()
    page.wait_for_url(f"{server}/")
    _shot(page, "02-home")

    page.goto(f"{server}/catalog/enterprise/list/")
    assert "企业列表" in page.content()
    page.goto(f"{server}/catalog/enterprise/add")
    page.fill("#name", "浏览器测试企业")
    page.fill("#uscc", "91350100M000100Y43")
    page.fill("#mobile", "13800138000")
    # a mistake first: the form comes back in Chinese with what was typed
    page.fill("#legal_id", "123")
    page.locator("#model_form [type=submit]").click()
    page.wait_for_load_state()
    assert "身份证" in page.content()
    assert page.input_value("#name") == "浏览器测试企业"
    _shot(page, "03-add-error")
    page.fill("#legal_id", "11010519491231002X")
    page.locator("#model_form [type=submit]").click()
    page.wait_for_url(f"{server}/catalog/enterprise/list/")
    assert "浏览器测试企业" in page.content()
    _shot(page, "04-list")

    # a reference picked through the search box, which asks the server page by page
    page.goto(f"{server}/catalog/product/add")
    page.fill("#name", "阿莫西林胶囊")
    page.fill("#approval", "国药准字H20203001")
    page.locator("#enterprise + .select2 .select2-selection").click()
    page.locator(".select2-search__field").fill("浏览器")
    page.locator("li.select2-results__option", has_text="浏览器测试企业").click()
    _shot(page, "05-product-form")
    page.locator("#model_form [type=submit]").click()
    page.wait_for_url(f"{server}/catalog/product/list/")
    assert "阿莫西林胶囊" in page.content()
    _shot(page, "06-product-list")
