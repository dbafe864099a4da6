"""The security administrator in a real browser: 在线用户, 强退 through its confirmation (the
nonce'd script under the CSP), and the 登录日志 that records it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from werkzeug.serving import make_server

from tests.app.test_online_users import CHROME, ORGS, SCHEMA, USERS
from tests.browser.conftest import shot
from tests.conftest import PASSWORD, apply_schema, ensure_admin, make_app, seed_people

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def served(tmp_path_factory: Any) -> Iterator[tuple[str, Any]]:
    folder = tmp_path_factory.mktemp("browser")
    app = make_app(f"sqlite:///{folder}/online.db", schema=SCHEMA, tmp=folder,
                   WTF_CSRF_ENABLED=True)
    apply_schema(app)
    ensure_admin(app)
    with app.app_context():
        seed_people(app, ORGS, USERS, PASSWORD)
        app.appbuilder.sm.find_user(username="maker").first_name = "王建国"
        app.appbuilder.session.commit()
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}", app
    httpd.shutdown()


def enterprise_client(app: Any) -> Any:
    """王建国 signed in elsewhere (another browser, another address)."""
    client = app.test_client()
    page = client.get("/login/").text
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    response = client.post("/login/", data={"username": "maker", "password": PASSWORD,
                                            "csrf_token": token},
                           headers={"User-Agent": CHROME, "X-Forwarded-For": "10.8.8.8"})
    assert response.headers["Location"] == "/"
    return client


def test_online_users_force_sign_out_and_the_login_log(served: tuple[str, Any],
                                                       page: Any) -> None:
    server, app = served
    maker = enterprise_client(app)
    page.goto(f"{server}/login/")
    page.fill("input[name=username]", "sec")
    page.fill("input[name=password]", PASSWORD)
    page.locator("form:not(.admin-search) [type=submit]").click()
    page.wait_for_url(f"{server}/")
    page.goto(f"{server}/security/online/")
    row = page.locator("tr", has_text="王建国（maker）")
    assert "Chrome 120 / Windows 10" in row.inner_text()
    assert "当前会话" in page.locator("tr", has_text="sec").first.inner_text()
    shot(page, "online-users")
    asked: list[str] = []

    def accept(dialog: Any) -> None:
        asked.append(dialog.message)
        dialog.accept()

    page.on("dialog", accept)
    row.locator("button", has_text="强退").click()
    page.wait_for_load_state()
    assert asked == ["确定强退 王建国（maker） 吗？其须重新登录。"]
    assert "已强退 王建国（maker） 的会话" in page.content()
    assert page.locator("tr", has_text="王建国（maker）").count() == 0
    refused = maker.get("/annual/annual_report/list/")
    assert refused.status_code == 302 and "/login/" in refused.headers["Location"]
    page.goto(f"{server}/security/login-log/")
    first = page.locator("tbody tr").first.inner_text()
    assert "maker" in first and "退出登录" in first and "强退" in first
    shot(page, "login-log")
