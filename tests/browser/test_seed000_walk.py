"""Seed 000 §4-§6 in a real browser, on the demo data, in Chinese, as the manual's people do it:
the 辽宁 system administrator adds a regulator, gives it modules, 注销s it; a regulator changes
its password from the user menu (§4); 辽宁省局 finds an enterprise's bound products and 解绑s
one with a reason (§5); it returns a submitted annual report (【退回补正】 on the row, the list
shown after), the enterprise corrects and 提交s it again, and the regulator reads 补正历史 (§6)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from tests.browser.conftest import shot
from tests.browser.demo_server import serve, sign_in, submit

pytestmark = pytest.mark.browser
NEW_PASSWORD = "Ln#2026walk"
REPORT = "辽宁康瑞制药有限公司2024年度药品年度报告"


@pytest.fixture(scope="module")
def server(tmp_path_factory: Any) -> Iterator[dict[str, Any]]:
    yield from serve(tmp_path_factory.mktemp("walk000"))


def _row(page: Any, text: str) -> Any:
    return page.locator("table tbody tr", has_text=text).first


def _select2(page: Any, field: str, text: str) -> None:
    page.locator(f"#{field} + .select2 .select2-selection").click()
    search = page.locator(".select2-container--open .select2-search__field")
    if search.count():
        search.fill(text)
    page.locator("li.select2-results__option", has_text=text).first.click()


def _fire_on_row(page: Any, row_text: str, label: str, reason: str | None = None) -> None:
    """A transition's button on the list row, its dialog (with the reason), 确定."""
    _row(page, row_text).locator("button.row-transition", has_text=label).click()
    dialog = page.locator("#row-transition-modal")
    dialog.wait_for(state="visible")
    if reason is not None:
        dialog.locator("textarea[name=reason]").fill(reason)
    submit(page, dialog.locator("button.row-transition-ok"))


def _user(server: dict[str, Any], username: str) -> Any:
    from app.security.models import AppUser

    app = server["app"]
    with app.app_context():
        session = app.appbuilder.session
        session.expire_all()
        return session.execute(select(AppUser).where(AppUser.username == username)).scalar_one()


def test_000_4_the_province_administrator_adds_assigns_and_deactivates(server: Any,
                                                                      page: Any) -> None:
    url = server["url"]
    sign_in(page, url, "ln_admin")
    page.goto(f"{url}/system/users/list/")
    assert "ln_reg" in page.content() and "sc_reg" not in page.content()  # 辽宁 only
    submit(page, page.locator("a[href*='/system/users/add']").first)  # 【新建】
    page.fill("input[name=username]", "ln_reg_zhao")
    page.fill("input[name=first_name]", "赵敏")
    page.fill("input[name=email]", "zhaomin@ln.example")
    _select2(page, "org", "辽宁省")
    _select2(page, "user_class", "监管人员")
    page.get_by_role("checkbox", name="省局监管人员", exact=True).check()
    page.get_by_role("checkbox", name="企业信息采集管理", exact=True).check()
    page.fill("input[name=password]", "Zm#2026reg")
    page.fill("input[name=conf_password]", "Zm#2026reg")
    shot(page, "000-4-2-1-new-regulator")
    submit(page, page.locator("form:not(.admin-search) [type=submit]", has_text="保存"))
    assert "赵敏" in page.content(), page.content()[:3000]
    added = _user(server, "ln_reg_zhao")
    assert added.user_class == "regulator" and added.modules == "annual_report"

    # §4.2.2 分配权限: 修改, tick another module (功能选择), 保存
    submit(page, _row(page, "ln_reg_zhao").locator("a[href*='/system/users/edit/']"))
    page.get_by_role("checkbox", name="产品绑定/解绑管理", exact=True).check()
    submit(page, page.locator("form:not(.admin-search) [type=submit]", has_text="保存"))
    assert set(_user(server, "ln_reg_zhao").modules.split(",")) == {"annual_report", "binding"}

    # §4.2.4 注销: the button on the row, then the confirmation
    page.goto(f"{url}/system/users/list/")
    page.once("dialog", lambda dialog: dialog.accept())
    submit(page, _row(page, "ln_reg_zhao").locator("button", has_text="注销"))
    assert _user(server, "ln_reg_zhao").active is False
    assert "启用" in _row(page, "ln_reg_zhao").inner_text()
    shot(page, "000-4-2-4-deactivated")


def test_000_4_2_5_a_regulator_changes_its_password_from_the_user_menu(server: Any,
                                                                      page: Any) -> None:
    from app.demo.data import PASSWORD

    url = server["url"]
    sign_in(page, url, "sc_reg")
    page.goto(f"{url}/")
    page.locator(".admin-user a.dropdown-toggle").first.click()  # the top bar's user menu
    submit(page, page.locator(".admin-user .dropdown-menu a", has_text="修改密码").first)
    page.fill("input[name=old_password]", PASSWORD)
    page.fill("input[name=password]", NEW_PASSWORD)
    page.fill("input[name=conf_password]", NEW_PASSWORD)
    shot(page, "000-4-2-5-change-password")
    submit(page, page.locator("form:not(.admin-search) [type=submit]").first)
    sign_in(page, url, "sc_reg", NEW_PASSWORD)


def test_000_5_the_regulator_unbinds_a_product_of_an_enterprise(server: Any, page: Any) -> None:
    url = server["url"]
    sign_in(page, url, "ln_reg")
    page.goto(f"{url}/binding/product_binding/list/")
    assert "沈阳海纳医药有限公司" in page.content()
    assert "成都安进医药科技有限公司" not in page.content()  # 四川's bindings are not 辽宁's
    shot(page, "000-5-1-bindings")
    product = "国药准字HJ20150001"  # 瑞舒伐他汀钙片 of Nordica Pharma AB
    _fire_on_row(page, product, "解绑", "境外持有人授权已到期，凭证明申请解绑。")
    assert "/binding/product_binding/list/" in page.url
    assert "解绑" in page.locator(".alert").first.inner_text()
    row = _row(page, product)
    assert "已解绑" in row.inner_text()
    assert row.locator("button.row-transition").count() == 0  # nothing left to fire on it
    shot(page, "000-5-4-unbound")


def test_000_6_return_for_correction_resubmit_and_history(server: Any, page: Any) -> None:
    url = server["url"]
    sign_in(page, url, "ln_reg")
    page.goto(f"{url}/annual_report/annual_report/list/")
    assert REPORT in page.content()
    shot(page, "000-6-1-1-reports")
    _row(page, REPORT).locator("button.row-transition", has_text="退回补正").click()
    page.locator("#row-transition-modal").wait_for(state="visible")
    shot(page, "000-6-1-2-return-dialog")
    page.locator("#row-transition-modal button[data-dismiss=modal]").last.click()
    page.locator("#row-transition-modal").wait_for(state="hidden")
    _fire_on_row(page, REPORT, "退回补正", "质量管理部分缺少年度自检情况，请补充后重新提交。")
    assert "/annual_report/annual_report/list/" in page.url  # the list, not a 404
    assert "退回补正：已处理 1 条记录" in page.locator(".alert").first.inner_text()
    assert page.locator("table tbody tr", has_text=REPORT).count() == 0  # 监管端不再显示该条数据
    shot(page, "000-6-1-2-returned")

    # the enterprise corrects and 提交s it again
    sign_in(page, url, "ln_legal")
    page.goto(f"{url}/annual_report/annual_report/list/")
    assert "退回补正" in _row(page, REPORT).inner_text()
    submit(page, _row(page, REPORT).locator("a[href*='/annual_report/annual_report/edit/']"))
    page.fill("textarea[name=quality]",
              "质量管理体系运行正常，已补充年度自检情况：共自检 4 次，均合格。")
    submit(page, page.locator("form:not(.admin-search) [type=submit]", has_text="保存"))
    page.goto(f"{url}/annual_report/annual_report/list/")
    _fire_on_row(page, REPORT, "提交")

    # the regulator sees it again and reads 补正历史
    sign_in(page, url, "ln_reg")
    page.goto(f"{url}/annual_report/annual_report/list/")
    submit(page, _row(page, REPORT).locator("a[href*='/annual_report/annual_report/show/']"))
    content = page.content()
    assert "补正历史" in content
    assert "已补充年度自检情况" in content and "质量管理部分缺少年度自检情况" in content
    shot(page, "000-6-1-4-history")
