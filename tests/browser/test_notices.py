"""通知公告 in a real browser on the demo data (issue 16): ln_reg writes a 重要通知 for 辽宁省 in
the rich text editor with a PDF attachment and publishes it; ln_hospital1, subscribed to
重要通知, finds the message in 消息中心 and opens the notice from it; an anonymous visitor
reads the public board and the notice without signing in; 订阅设置 keeps the ticks."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from app.demo.pdf import letter
from tests.browser.conftest import shot
from tests.browser.demo_server import serve, sign_in, submit

pytestmark = pytest.mark.browser
TITLE = "关于开展中药饮片质量专项抽检的通知"


def menu(page: Any, group: str, link: str) -> None:
    """Open `link` of the sidebar's `group` (opening the group first when it is closed)."""
    title = page.locator(".admin-menu-title", has_text=group)
    if title.get_attribute("aria-expanded") == "false":
        title.click()
    submit(page, page.locator(".admin-sidebar a", has_text=link))


@pytest.fixture(scope="module")
def server(tmp_path_factory: Any) -> Iterator[dict[str, Any]]:
    yield from serve(tmp_path_factory.mktemp("notices"))


def test_a_publisher_publishes_and_a_subscriber_is_told(server: dict[str, Any], page: Any,
                                                        tmp_path: Any) -> None:
    url = server["url"]
    sign_in(page, url, "ln_reg")
    menu(page, "服务门户", "通知公告")
    assert page.locator(".notices-table").inner_text().count("\t辽宁省\t") == 2  # 发布范围
    shot(page, "97-notices-publisher-list")
    submit(page, page.locator(".notice-add"))
    page.fill("input[name=title]", TITLE)
    page.select_option("select[name=category]", label="重要通知")
    assert page.locator("select[name=range_org] option").all_inner_texts() == ["辽宁省"]
    editor = page.locator(".notice-editor")
    editor.click()
    page.keyboard.type("各市局：请于本月底前完成抽检工作。")
    page.locator(".notice-tool-bold").click()
    page.keyboard.type("逾期未报的将予以通报。")
    pdf = tmp_path / "抽检方案.pdf"
    pdf.write_bytes(letter("抽检方案", ["抽检品种与数量见附表。"], ["辽宁省药品监督管理局"]))
    page.set_input_files("input[name=attachment]", str(pdf))
    shot(page, "98-notice-form")
    submit(page, page.locator(".notice-save"))
    assert "通知公告已保存" in page.locator(".alert").first.inner_text()
    bold = page.locator(".notice-body b, .notice-body strong")  # Chromium writes <b>
    assert bold.inner_text() == "逾期未报的将予以通报。"
    assert page.locator(".notice-state").inner_text() == "草稿"
    submit(page, page.locator(".notice-publish"))
    assert "通知公告已发布" in page.locator(".alert").first.inner_text()
    assert page.locator(".notice-attachment a").inner_text() == "抽检方案.pdf"
    shot(page, "99-notice-published")

    sign_in(page, url, "ln_hospital1")
    panel = page.locator(".workbench-notices")
    assert TITLE in panel.inner_text()
    shot(page, "100-workbench-notices")
    assert int(page.locator(".admin-messages .admin-unread").inner_text()) >= 1
    submit(page, page.locator(".admin-messages"))
    row = page.locator(".messages-table tr", has_text=TITLE)
    assert "通知公告：重要通知" in row.inner_text()
    shot(page, "101-subscriber-inbox")
    submit(page, row.locator("a"))
    assert page.locator(".notice-title").inner_text() == TITLE
    with page.expect_download() as download:
        page.locator(".notice-attachment a").click()
    assert download.value.suggested_filename == "抽检方案.pdf"
    shot(page, "102-subscriber-notice")


def test_anonymous_visitors_read_the_public_board(server: dict[str, Any], page: Any) -> None:
    url = server["url"]
    page.goto(f"{url}/logout/")
    page.goto(f"{url}/")
    assert page.locator(".workbench-notices .notice-line").count() >= 4
    page.goto(f"{url}/notices/")
    assert "/login/" not in page.url
    table = page.locator(".notices-table").inner_text()
    assert "四川省支持医药企业高质量发展的若干措施" in table
    assert "关于开展药品网络销售专项检查的通知" not in table  # a draft
    shot(page, "103-notices-anonymous")
    submit(page, page.locator(".notices-table a", has_text="关于进一步做好药品年度报告工作的通知"))
    assert page.locator(".notice-attachment a").inner_text() == "药品年度报告填报说明.pdf"
    assert page.locator(".notice-actions .notice-edit").count() == 0
    shot(page, "104-notice-anonymous")


def test_subscriptions_keep_the_ticks(server: dict[str, Any], page: Any) -> None:
    url = server["url"]
    sign_in(page, url, "sc_hospital1")
    menu(page, "服务门户", "订阅设置")
    page.locator(".subscription-policy").check()
    page.locator(".subscription-enterprise").check()
    submit(page, page.locator(".subscriptions-save"))
    assert "订阅设置已保存" in page.locator(".alert").first.inner_text()
    assert page.locator(".subscription-policy").is_checked()
    assert not page.locator(".subscription-important").is_checked()
    shot(page, "105-subscriptions")
