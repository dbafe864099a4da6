"""注册账号 in a real browser: an enterprise of 朝阳区 fills the form from the login page, types
a wrong 身份证号 and finds everything else still there, sends it, keeps the application
number; 北京's system administrator approves it on 注册审核; the new legal person signs in
and sees its unit and 退出 in the top bar."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.app.identity.world import APPLICANT_PASSWORD, PASSWORD, build, valid_form
from tests.browser.conftest import shot
from tests.browser.demo_server import CAPTCHA, submit
from tests.conftest import dispose
from tests.demo_world import serve as serve_app

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory: Any) -> Iterator[dict[str, Any]]:
    folder = tmp_path_factory.mktemp("registration")
    app = build(f"sqlite:///{folder}/identity.db", folder, WTF_CSRF_ENABLED=True,
                ADMIN_CAPTCHA_FIXED=CAPTCHA,
                ADMIN_PASSWORD_POLICY={"captcha": True, "change_first_login": False,
                                       "not_username": False})
    served = serve_app(app)
    try:
        yield {"url": next(served), "app": app}
    finally:
        served.close()
        dispose(app)


def sign_in(page: Any, url: str, username: str, password: str) -> None:
    page.goto(f"{url}/logout/")
    page.goto(f"{url}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.fill("input[name=captcha]", CAPTCHA)
    submit(page, page.locator("form:not(.admin-search) [type=submit]").first)
    assert "/login/" not in page.url, page.content()[:2000]


def test_an_enterprise_registers_and_the_province_approves(server: dict[str, Any],
                                                           page: Any) -> None:
    url = server["url"]
    page.goto(f"{url}/login/")
    submit(page, page.locator("a", has_text="注册账号"))
    assert "/register/" in page.url
    form = valid_form(id_no="110105198001011230")
    for name in ("uscc", "name", "legal_person", "id_no", "contact", "mobile", "email",
                 "username", "password", "confirm"):
        page.fill(f"input[name={name}]", form[name])
    page.select_option("select[name=region]", "110105")
    page.fill("input[name=captcha]", CAPTCHA)
    shot(page, "registration-01-form")
    submit(page, page.locator("button[type=submit]", has_text="提交注册申请"))
    assert "不是有效的居民身份证号码" in page.locator(".has-error").first.inner_text()
    assert page.input_value("input[name=name]") == form["name"]
    assert page.input_value("input[name=password]") == APPLICANT_PASSWORD
    assert page.input_value("select[name=region]") == "110105"
    shot(page, "registration-02-refused")
    page.fill("input[name=id_no]", valid_form()["id_no"])
    page.fill("input[name=captcha]", CAPTCHA)
    submit(page, page.locator("button[type=submit]", has_text="提交注册申请"))
    assert "注册申请已提交" in page.content()
    number = page.locator(".registration-number").inner_text()
    shot(page, "registration-03-sent")

    sign_in(page, url, "bj_admin", PASSWORD)
    page.goto(f"{url}/system/registrations/")
    assert form["name"] in page.content()
    shot(page, "registration-04-review-list")
    submit(page, page.locator("a", has_text=number))
    shot(page, "registration-05-review-show")
    submit(page, page.locator("button[value=approve]"))
    assert "已通过" in page.locator(".alert").first.inner_text()

    sign_in(page, url, form["username"], APPLICANT_PASSWORD)
    top = page.locator(".admin-topbar-right").inner_text()
    assert form["name"] in top and "赵新元" in top and "退出" in top
    shot(page, "registration-06-signed-in")
    page.goto(f"{url}/register/status")
    page.fill("input[name=number]", number)
    page.fill("input[name=mobile]", form["mobile"])
    submit(page, page.locator("button", has_text="查询"))
    assert "已通过" in page.content()
    shot(page, "registration-07-status")
