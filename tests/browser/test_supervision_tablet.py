"""日常监管 on the inspector's 10-inch tablet (seed 004: 现场检查 on an Android tablet), on its side
(1280×800) and upright (800×1280), touch, zh-CN: 海军 (nx_inspector) opens a task from his
待办, 开始检查, fills the checklist lines, uploads a photo, the conclusion, saves and 提交审核.
The page never scrolls sideways and the inputs are large enough to touch. Screenshots:
artifacts/supervision-tablet-*.png."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from typing import Any

import pytest

from app.demo.data import PASSWORD
from tests.browser.conftest import CHROMIUM, SHOTS
from tests.conftest import dispose
from tests.demo_world import demo_app
from tests.demo_world import serve as serve_app

pytestmark = pytest.mark.browser
SIZES = {"landscape": (1280, 800), "portrait": (800, 1280)}
# the demo's two tasks of 海军: one still 待检查, one he is checking already
TASKS = {"landscape": "YC-2026-001", "portrait": "YC-2026-002"}
TOUCH = 40  # px: the smallest input a finger hits reliably


@pytest.fixture(scope="module")
def server(tmp_path_factory: Any) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("tablet")
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


def png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (64, 48), "steelblue").save(out, "PNG")
    return out.getvalue()


def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    """What the screen shows (the frame is fixed: a full-page picture would misplace it)."""
    page.screenshot(path=str(SHOTS / f"supervision-tablet-{name}.png"))


def no_sideways_scroll(page: Any) -> None:
    wide = page.evaluate("""Array.from(document.querySelectorAll('body *'))
        .filter(e => e.getBoundingClientRect().right > window.innerWidth + 0.5
                     && !e.closest('.table-responsive'))
        .slice(0, 5).map(e => e.outerHTML.slice(0, 200))""")
    width = page.evaluate("document.scrollingElement.scrollWidth")
    assert width <= page.evaluate("window.innerWidth"), wide


def small_inputs(page: Any) -> list[str]:
    """The visible inputs of the form shorter than a finger (name and height)."""
    return list(page.evaluate(f"""Array.from(document.querySelectorAll(
            '#model_form input:not([type=hidden]):not([type=checkbox]):not([type=file]),'
            + ' #model_form select, #model_form textarea, #model_form .select2-selection'))
        .filter(e => e.offsetParent && !e.classList.contains('select2-hidden-accessible')
                     && e.getBoundingClientRect().height < {TOUCH})
        .map(e => (e.name || e.className) + ' ' + e.getBoundingClientRect().height)"""))


@pytest.mark.parametrize("size", sorted(SIZES))
def test_the_inspector_checks_on_a_tablet(browser: Any, server: str, size: str) -> None:
    width, height = SIZES[size]
    context = browser.new_context(viewport={"width": width, "height": height},
                                  locale="zh-CN", has_touch=True)
    page = context.new_page()
    page.goto(f"{server}/login/")
    page.fill("input[name=username]", "nx_inspector")
    page.fill("input[name=password]", PASSWORD)
    page.locator("form:not(.admin-search) [type=submit]").click()
    page.wait_for_url(f"{server}/")
    # 待办 → 检查任务 → the task
    page.locator("a.todo-item", has_text="检查任务").click()
    page.wait_for_url(re.compile(r".*/supervision/inspection_task/list/\?todo=1"))
    no_sideways_scroll(page)
    shot(page, f"{size}-todo")
    row = page.locator("tr", has_text=TASKS[size])
    row.locator("a[href*='/show/']").first.click()
    page.wait_for_url(re.compile(r".*/show/\d+"))
    pk = int(page.url.rsplit("/", 1)[1])
    if page.locator("button.row-transition[data-key=start]").count():
        page.locator("button.row-transition[data-key=start]").tap()
        page.locator(".row-transition-ok").tap()
        page.locator(".alert", has_text="开始检查").wait_for()
    no_sideways_scroll(page)
    page.goto(f"{server}/supervision/inspection_task/edit/{pk}")
    # the checklist: the lines there are, then as many as it takes
    lines = page.locator(".child-lines > table > tbody > tr")
    while lines.count() < 3:
        page.locator(".child-lines .child-add").tap()
    for i, (item, result) in enumerate((("购进验收", "pass"), ("储存养护", "fail"),
                                        ("人员资质", "na"))):
        page.fill(f"input[name='lines-{i}-item']", item)
        page.fill(f"input[name='lines-{i}-content']", f"现场检查{item}情况")
        page.select_option(f"select[name='lines-{i}-result']", result)
    page.fill("input[name='lines-1-problem']", "冷藏柜温度记录缺失2天")
    page.set_input_files("input[name=photo1]", files=[
        {"name": "现场照片.png", "mimeType": "image/png", "buffer": png()}])
    page.select_option("select[name=conclusion]", "basic")
    page.fill("textarea[name=rectification]", "10日内补齐冷藏柜温度记录并提交整改报告。")
    day = page.locator("input[name=inspected_on]")
    day.tap()  # the date picker opens under a finger: the 10th of the month shown
    page.locator(".datepicker-days td.day:not(.old):not(.new)", has_text="10").first.tap()
    assert re.fullmatch(r"\d{4}-\d\d-10", day.input_value()), day.input_value()
    no_sideways_scroll(page)
    assert small_inputs(page) == []
    page.locator(".child-lines").scroll_into_view_if_needed()
    shot(page, f"{size}-form")
    page.locator("#model_form [type=submit]").tap()
    page.locator(".alert", has_text="修改已保存").wait_for()
    page.goto(f"{server}/supervision/inspection_task/show/{pk}")
    text = page.locator(".admin-page").inner_text()
    assert "现场照片.png" in text and "冷藏柜温度记录缺失2天" in text and "基本符合" in text
    page.locator("button.row-transition[data-key=submit]").tap()
    page.locator(".row-transition-ok").tap()
    page.locator(".alert", has_text="提交审核").wait_for()
    assert "待审核" in page.locator(".admin-page").inner_text()
    no_sideways_scroll(page)
    shot(page, f"{size}-submitted")
    context.close()
