"""工作台 in a real browser, as ln_hospital1 of the demo data: 【重置】 on the login form clears
what was typed (seed 002 §4.2.1.3), the home page shows the landing choice (§4.2.1.2), the
待办 and the window's time left, and each leads to the list it promises."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from app.demo.data import OPEN_BATCH, PASSWORD
from tests.browser.conftest import shot
from tests.demo_world import demo_app
from tests.demo_world import serve as serve_app

pytestmark = pytest.mark.browser
CAPTCHA = "K7PX"


@pytest.fixture(scope="module")
def server(tmp_path_factory: Any) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("workbench")
    app = demo_app(f"sqlite:///{folder}/demo.db", folder, WTF_CSRF_ENABLED=True,
                   ADMIN_CAPTCHA_FIXED=CAPTCHA,
                   ADMIN_PASSWORD_POLICY={"captcha": True, "change_first_login": False})
    yield from serve_app(app)


def _go(page: Any, locator: Any) -> None:
    with page.expect_navigation():
        locator.click()
    page.wait_for_load_state("load")


def test_hospital_resets_the_login_then_works_from_its_workbench(server: str,
                                                                 page: Any) -> None:
    page.goto(f"{server}/login/")
    page.fill("input[name=username]", "ln_hospital1")
    page.fill("input[name=password]", "wrong")
    page.fill("input[name=captcha]", "ABCD")
    shot(page, "40-workbench-login-typed")
    page.locator("#login-reset", has_text="重置").click()  # 【重置】
    assert [page.input_value(f"input[name={n}]") for n in ("username", "password", "captcha")
            ] == ["", "", ""]
    shot(page, "41-workbench-login-reset")
    page.fill("input[name=username]", "ln_hospital1")
    page.fill("input[name=password]", PASSWORD)
    page.fill("input[name=captcha]", CAPTCHA)
    _go(page, page.locator("form:not(.admin-search) [type=submit]"))
    assert page.url.rstrip("/") == server, page.url

    # the home page: the choice after sign-in, 待办 and the time left of the open batch
    assert page.locator(".workbench-landing").inner_text().count("新批次报量") == 1
    assert "历史报量查询" in page.locator(".workbench-landing").inner_text()
    todo = page.locator(".workbench-todo .todo-item", has_text="采购需求")
    assert todo.locator(".todo-count").inner_text() == "50"
    window = page.locator(".workbench-windows .window-line", has_text=OPEN_BATCH)
    assert re.fullmatch(r"剩余 (29|30) 天", window.locator(".window-left").inner_text())
    shot(page, "42-workbench-home")

    # 待办 -> exactly the rows waiting (the open batch's 50, on one page of 50)
    _go(page, todo)
    assert "仅列出等待您处理的记录。" in page.content()
    assert page.locator("a[href*='/show/']").count() >= 50
    assert "10-001" not in page.content()
    shot(page, "43-workbench-todo-list")

    # 历史报量查询: the closed 第十批, without inputs
    page.goto(server + "/")
    _go(page, page.locator("a.landing-choice", has_text="历史报量查询"))
    content = page.content()
    assert "仅列出上报已结束的批次的记录（只读）。" in content
    assert "10-001" in content and "11-001" not in content
    assert page.locator("input[name$='-planned']").count() == 0
    shot(page, "44-workbench-history")

    # 新批次报量: the open 第十一批, 预采购量 typed into the list
    page.goto(server + "/")
    _go(page, page.locator("a.landing-choice", has_text="新批次报量"))
    assert "11-001" in page.content() and "10-001" not in page.content()
    assert page.locator("input[name$='-planned']").count() > 0
    shot(page, "45-workbench-new-batch")


def test_county_sees_the_rows_to_review(server: str, page: Any) -> None:
    """The county's 待办: the rows reported to it, and its list of exactly those."""
    page.context.clear_cookies()
    page.goto(f"{server}/login/")
    page.fill("input[name=username]", "ln_county")
    page.fill("input[name=password]", PASSWORD)
    page.fill("input[name=captcha]", CAPTCHA)
    _go(page, page.locator("form:not(.admin-search) [type=submit]"))
    assert page.locator(".workbench-landing").count() == 0  # the institutions' choice
    todo = page.locator(".workbench-todo .todo-item", has_text="采购需求")
    assert todo.locator(".todo-count").inner_text() == "29"
    shot(page, "46-workbench-county-home")
    _go(page, todo)
    assert "仅列出等待您处理的记录。" in page.content()
    assert page.locator("tr", has_text="已上报").count() >= 29
    assert page.locator("tr", has_text="区县级审核通过").count() == 0
    shot(page, "47-workbench-county-todo")
