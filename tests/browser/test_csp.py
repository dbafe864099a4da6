"""The Content-Security-Policy (app/security/headers.py) breaks no page: a real browser signs
in, opens a list, an add form with a searchable reference (select2) and a date picker, saves,
opens the detail page and the API's swagger page, and reports no CSP violation."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from werkzeug.serving import make_server

from tests.conftest import ADMIN_PASSWORD, apply_schema, ensure_admin, make_app

pytestmark = pytest.mark.browser

LISTEN = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
    window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline"));
});
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: Any) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("csp")
    app = make_app(f"sqlite:///{folder}/csp.db", tmp=folder, WTF_CSRF_ENABLED=True)
    apply_schema(app)
    ensure_admin(app)
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()


def test_no_page_reports_a_csp_violation(server: str, page: Any) -> None:
    messages: list[str] = []
    page.on("console", lambda message: messages.append(f"{message.type}: {message.text}"))
    page.on("pageerror", lambda error: messages.append(f"pageerror: {error}"))
    page.add_init_script(LISTEN)
    violations: list[str] = []

    def visit(path: str) -> None:
        page.goto(f"{server}{path}")
        page.wait_for_load_state()
        violations.extend(f"{path}: {v}" for v in page.evaluate("window.__csp"))

    visit("/login/")
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", ADMIN_PASSWORD)
    page.locator("form:not(.admin-search) [type=submit]").click()
    page.wait_for_url(f"{server}/")

    visit("/catalog/enterprise/add")
    page.fill("#name", "安全策略测试企业")
    page.fill("#uscc", "91350100M000100Y43")
    page.locator("#model_form [type=submit]").click()
    page.wait_for_url(f"{server}/catalog/enterprise/list/")
    visit("/catalog/enterprise/list/")
    assert "安全策略测试企业" in page.content()

    visit("/catalog/product/add")
    page.fill("#name", "阿莫西林胶囊")
    page.fill("#approval", "国药准字H20203001")
    page.locator("#enterprise + .select2 .select2-selection").click()
    page.locator(".select2-search__field").fill("安全")
    page.locator("li.select2-results__option", has_text="安全策略测试企业").click()
    page.locator("#approved_on").click()  # FAB's date picker opens
    page.locator(".datepicker, .bootstrap-datetimepicker-widget").first.wait_for()
    page.fill("#approved_on", "2024-01-02")
    page.keyboard.press("Escape")
    violations.extend(f"product form: {v}" for v in page.evaluate("window.__csp"))
    page.locator("#model_form [type=submit]").click()
    page.wait_for_url(f"{server}/catalog/product/list/")
    show = page.locator("a[href*='/catalog/product/show/']").first.get_attribute("href")
    visit(show)
    assert "阿莫西林胶囊" in page.content() and "安全策略测试企业" in page.content()

    visit("/swagger/v1")
    assert violations == []
    csp_messages = [m for m in messages if "Content Security Policy" in m]
    assert csp_messages == [], csp_messages
    page.locator(".opblock").first.wait_for()  # the API's operations were rendered
    assert page.evaluate("window.__csp") == []
    errors = [m for m in messages if m.startswith("pageerror")]
    assert errors == [], errors
