"""The frame in a real browser at the sizes the users have: 1366×768 and 1920×1080 screens, a
10-inch tablet upright (800×1280) and on its side (1280×800). The sidebar sits beside the page
or, on the upright tablet, opens over it; groups and the whole menu collapse and stay so after
a reload; the user menu holds 个人信息, 修改密码 and 退出; nothing overlaps or is cut off.
Screenshots: artifacts/layout-*.png."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from app.demo.data import PASSWORD
from tests.browser.conftest import CHROMIUM, SHOTS
from tests.conftest import dispose
from tests.demo_world import demo_app
from tests.demo_world import serve as serve_app

pytestmark = pytest.mark.browser
SIZES = {"1366x768": (1366, 768), "1920x1080": (1920, 1080), "tablet-portrait": (800, 1280),
         "tablet-landscape": (1280, 800)}
LISTEN = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
    window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline"));
});
"""
# Elements whose text must be whole: a cut-off one scrolls inside itself.
WHOLE = (".admin-brand span, .admin-org span, .admin-user-name, .admin-menu a > span, "
         ".admin-crumbs li")


@pytest.fixture(scope="module")
def server(tmp_path_factory: Any) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("layout")
    app = demo_app(f"sqlite:///{folder}/demo.db", folder, WTF_CSRF_ENABLED=True,
                   ADMIN_PASSWORD_POLICY={"captcha": False})
    yield from serve_app(app)
    dispose(app)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--lang=zh-CN"])
        yield chromium
        chromium.close()


def _signed_in(browser: Any, server: str, size: str, username: str) -> Any:
    width, height = SIZES[size]
    context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
    page = context.new_page()
    page.add_init_script(LISTEN)
    page.goto(f"{server}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form:not(.admin-search) [type=submit]").click()
    page.wait_for_url(f"{server}/")
    return page


def shot(page: Any, name: str) -> None:
    """What the screen shows (the frame is fixed: a full-page picture would misplace it)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"))


def _box(page: Any, selector: str) -> dict[str, float]:
    box = page.locator(selector).first.bounding_box()
    assert box is not None, selector
    return box


def _sound(page: Any) -> None:
    """No horizontal scrolling of the page, no text cut off, no CSP violation."""
    width = page.evaluate("document.documentElement.scrollWidth")
    wide = page.evaluate("""Array.from(document.querySelectorAll('body *'))
        .filter(e => e.getBoundingClientRect().right > window.innerWidth + 0.5)
        .slice(0, 5).map(e => e.outerHTML.slice(0, 300))""")
    assert width <= page.viewport_size["width"], wide
    cut = page.evaluate(f"""Array.from(document.querySelectorAll({WHOLE!r}))
        .filter(e => e.offsetParent && e.scrollWidth > e.clientWidth + 1)
        .map(e => e.textContent.trim())""")
    assert cut == []
    assert page.evaluate("window.__csp") == []


@pytest.mark.parametrize("size", ["1366x768", "1920x1080", "tablet-landscape"])
def test_wide_screens_show_the_sidebar_beside_the_page(browser: Any, server: str,
                                                       size: str) -> None:
    page = _signed_in(browser, server, size, "ln_hospital1")
    page.goto(f"{server}/procurement/demand/list/")
    side, main = _box(page, ".admin-sidebar"), _box(page, ".admin-main .admin-page")
    assert side["x"] == 0 and side["width"] > 150
    assert main["x"] >= side["x"] + side["width"]  # the page starts where the menu ends
    top = _box(page, ".admin-topbar")
    assert top["width"] == page.viewport_size["width"] and side["y"] >= top["height"]
    active = page.locator(".admin-submenu li.active a")
    assert active.inner_text().strip() == "采购需求" and active.is_visible()
    assert page.locator(".admin-crumbs li").all_inner_texts() == [
        "首页", "集采需求报量", "采购需求"]
    assert page.locator(".admin-org").inner_text().strip() == "沈阳市和平区第一人民医院"
    _sound(page)
    shot(page, f"layout-{size}-demand-list")
    page.goto(f"{server}/")
    _sound(page)
    shot(page, f"layout-{size}-home")
    page.context.close()


def test_many_menus_fit_and_scroll_inside_the_sidebar(browser: Any, server: str) -> None:
    page = _signed_in(browser, server, "1366x768", "ln_reg")
    groups = page.locator(".admin-menu-group .admin-menu-title")
    assert groups.all_inner_texts() == [
        "服务门户", "业务办理", "业务申报", "药监网校", "基础数据", "企业空间", "企业信息采集管理",
        "出口药品档案", "产品绑定/解绑管理", "行政审批", "日常监管", "投诉举报", "信用管理",
        "稽查执法", "检验检测", "政企互动", "药品追溯", "帮助中心", "数据分析", "上报时间管理"]
    for i in range(groups.count()):  # open them all
        if groups.nth(i).get_attribute("aria-expanded") == "false":
            groups.nth(i).click()
    _sound(page)
    shot(page, "layout-1366x768-regulator-menu")
    page.goto(f"{server}/annual_report/annual_report/list/")
    assert page.locator(".admin-crumbs li").all_inner_texts() == [
        "首页", "企业信息采集管理", "年度报告采集"]
    _sound(page)
    shot(page, "layout-1366x768-annual-report-list")
    page.context.close()


def test_groups_and_the_whole_menu_collapse_and_are_remembered(browser: Any,
                                                               server: str) -> None:
    page = _signed_in(browser, server, "1366x768", "ln_hospital1")
    group = page.locator(".admin-menu-group[data-group=procurement]")
    assert "open" in group.get_attribute("class")
    link = group.locator(".admin-submenu a", has_text="国采批次")
    assert link.is_visible()
    group.locator(".admin-menu-title").click()
    assert not link.is_visible()
    page.reload()
    assert not page.locator(".admin-submenu a", has_text="国采批次").is_visible()
    # the current page's group opens whatever was remembered
    page.goto(f"{server}/procurement/demand/list/")
    assert page.locator(".admin-submenu a", has_text="国采批次").is_visible()

    page.locator(".admin-sidebar-mini").click()
    page.wait_for_timeout(300)  # the width's transition
    mini = _box(page, ".admin-sidebar")
    assert mini["width"] < 80
    assert _box(page, ".admin-main .admin-page")["x"] >= mini["width"]
    shot(page, "layout-1366x768-menu-collapsed")
    page.reload()
    page.wait_for_timeout(300)
    assert _box(page, ".admin-sidebar")["width"] < 80
    page.locator(".admin-menu-group[data-group=procurement] .admin-menu-title").click()
    page.wait_for_timeout(300)
    assert _box(page, ".admin-sidebar")["width"] > 150  # a group's icon opens the menu again
    _sound(page)
    page.context.close()


def test_an_upright_tablet_opens_the_menu_over_the_page(browser: Any, server: str) -> None:
    page = _signed_in(browser, server, "tablet-portrait", "ln_reg")
    page.goto(f"{server}/annual_report/annual_report/list/")
    side = _box(page, ".admin-sidebar")
    assert side["x"] + side["width"] <= 0  # out of sight
    assert _box(page, ".admin-main .admin-page")["x"] == 0
    _sound(page)
    shot(page, "layout-tablet-portrait-annual-report-list")
    page.locator(".admin-sidebar-toggle").click()
    page.wait_for_timeout(300)
    assert _box(page, ".admin-sidebar")["x"] == 0
    assert page.locator(".admin-backdrop").is_visible()
    shot(page, "layout-tablet-portrait-menu-open")
    page.mouse.click(760, 600)  # beside the menu: it closes
    page.wait_for_timeout(300)
    side = _box(page, ".admin-sidebar")
    assert side["x"] + side["width"] <= 0
    page.locator(".admin-sidebar-toggle").click()
    page.locator(".admin-menu-title", has_text="出口药品档案").click()  # a closed group
    page.locator(".admin-submenu a", has_text="出口药品档案信息").click()
    page.wait_for_url(f"{server}/export_dossier/export_dossier/list/")
    side = _box(page, ".admin-sidebar")
    assert side["x"] + side["width"] <= 0  # a new page starts with the menu closed
    _sound(page)
    page.context.close()


def test_a_wide_list_scrolls_sideways_on_an_upright_tablet(browser: Any, server: str) -> None:
    page = _signed_in(browser, server, "tablet-portrait", "ln_hospital1")
    page.goto(f"{server}/procurement/demand/list/")
    headers = page.locator(".table-responsive > .table > thead > tr > th")
    widths = [box["width"] for box in (headers.nth(i).bounding_box()
                                       for i in range(2, headers.count())) if box]
    assert widths and min(widths) >= 60  # 「维护及审核状态」 is not one character per line
    assert headers.first.evaluate(  # it scrolls inside its box
        "e => { const box = e.closest('.table-responsive');"
        " return box.scrollWidth > box.clientWidth; }")
    shot(page, "layout-tablet-portrait-demand-list")
    _sound(page)
    page.context.close()


@pytest.mark.parametrize("size", ["1366x768", "tablet-portrait"])
def test_the_user_menu_holds_profile_password_and_sign_out(browser: Any, server: str,
                                                          size: str) -> None:
    page = _signed_in(browser, server, size, "ln_hospital1")
    page.locator(".admin-user a.dropdown-toggle").click()
    items = page.locator(".admin-user .dropdown-menu a")
    assert [t.strip() for t in items.all_inner_texts()] == [
        "个人信息", "修改密码", "导入/导出任务", "退出"]
    menu = _box(page, ".admin-user .dropdown-menu")
    assert menu["x"] >= 0 and menu["x"] + menu["width"] <= page.viewport_size["width"]
    shot(page, f"layout-{size}-user-menu")
    items.nth(1).click()
    page.wait_for_load_state()
    assert page.title().startswith("修改密码 - ")
    assert page.locator(".admin-crumbs li").all_inner_texts() == ["首页", "修改密码"]
    page.locator(".admin-user a.dropdown-toggle").click()
    page.locator(".admin-user .dropdown-menu a", has_text="退出").click()
    page.wait_for_url(f"{server}/")
    assert page.locator(".admin-sidebar").count() == 0
    page.goto(f"{server}/login/")
    _sound(page)
    shot(page, f"layout-{size}-login")
    page.context.close()


def test_the_administrator_sees_the_system_menus(browser: Any, server: str) -> None:
    page = _signed_in(browser, server, "1920x1080", "sysadmin")
    assert page.locator(".admin-menu-group .admin-menu-title").all_inner_texts() == [
        "服务门户", "帮助中心", "系统管理", "安全", "上报时间管理"]
    page.locator(".admin-menu-title", has_text="系统管理").click()  # four groups start closed
    page.locator(".admin-submenu a", has_text="用户管理").click()
    page.wait_for_load_state()
    assert page.locator(".admin-submenu li.active a").inner_text().strip() == "用户管理"
    assert page.locator(".admin-crumbs li").all_inner_texts() == ["首页", "系统管理", "用户管理"]
    _sound(page)
    shot(page, "layout-1920x1080-users")
    page.context.close()
