"""事项清单, 收藏 and 全局搜索 (seed 003 ch. 3) in a real browser, zh-CN, as 钱家豪 (bj_legal) of
the demo data: the tabs with their counts, a star on a row, 已收藏, 我的收藏 on the 工作台, and
the search box of the top bar finding items (pinyin initials too) and notices, words marked."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.conftest import shot
from tests.browser.demo_server import serve, sign_in, submit

pytestmark = pytest.mark.browser
LIST = "/bj_portal/service_item/list/"


@pytest.fixture(scope="module")
def server(tmp_path_factory: Any) -> Iterator[dict[str, Any]]:
    yield from serve(tmp_path_factory.mktemp("catalogue"))


def test_the_catalogue_with_tabs_stars_and_favourites(server: dict[str, Any],
                                                      page: Any) -> None:
    url = server["url"]
    sign_in(page, url, "bj_legal")
    page.goto(f"{url}{LIST}")
    tabs = page.locator("ul.list-tabs li")
    assert tabs.all_inner_texts() == ["全部 (30)", "许可事项 (10)", "服务事项 (8)", "数据报送 (7)",
                                      "检验检测 (5)"]
    shot(page, "b1-catalogue-list")
    submit(page, tabs.nth(4).locator("a"))  # 检验检测
    assert page.locator("ul.list-tabs li.active").inner_text() == "检验检测 (5)"
    row = page.locator("tr", has_text="药品委托检验")
    assert row.locator("button.favourite-star").get_attribute("aria-pressed") == "false"
    submit(page, row.locator("button.favourite-star"))
    assert "检验检测 (5)" in page.locator("ul.list-tabs li.active").inner_text()  # kept
    assert "已收藏" in page.locator(".alert").first.inner_text()
    row = page.locator("tr", has_text="药品委托检验")
    assert row.locator("button.favourite-star").get_attribute("aria-pressed") == "true"
    shot(page, "b2-catalogue-starred")
    page.goto(f"{url}{LIST}")
    submit(page, page.locator("a.list-favourites", has_text="已收藏"))
    assert page.locator("ul.list-tabs li").first.inner_text() == "全部 (4)"
    shot(page, "b3-catalogue-favourites-only")
    page.goto(f"{url}/")
    favourites = page.locator(".workbench-favourites .favourite-line").all_inner_texts()
    assert [t.split(" ", 1)[1].strip() for t in favourites] == [
        "药品委托检验", "药品上市后变更沟通", "药品经营许可证（批发）核发", "药品生产许可证核发"]
    shot(page, "b4-workbench-favourites")
    submit(page, page.locator(".workbench-favourites .favourite-line").first)
    assert "药品委托检验" in page.content()
    # unstar it again from the list: the 工作台 no longer lists it
    page.goto(f"{url}{LIST}?favourites=1")
    submit(page, page.locator("tr", has_text="药品委托检验").locator("button.favourite-star"))
    assert "已取消收藏" in page.locator(".alert").first.inner_text()
    page.goto(f"{url}/")
    assert len(page.locator(".workbench-favourites .favourite-line").all()) == 3


def test_the_search_box_of_the_top_bar(server: dict[str, Any], page: Any) -> None:
    url = server["url"]
    sign_in(page, url, "bj_legal")
    page.goto(f"{url}{LIST}")
    page.fill(".admin-search input[name=q]", "年度报告")
    submit(page, page.locator(".admin-search button"))
    assert page.locator(".search-group").count() == 2
    assert page.locator(".search-group .panel-heading strong").all_inner_texts() == [
        "事项清单", "通知公告"]
    assert page.locator(".search-group mark").first.inner_text() == "年度报告"
    shot(page, "b5-search-words")
    page.fill(".global-search-input", "ypsc")
    submit(page, page.locator(".global-search button[type=submit]"))
    titles = page.locator(".search-title").all_inner_texts()
    assert titles == ["药品生产许可证核发", "药品生产许可证变更"]
    assert page.locator(".search-title mark").first.inner_text() == "药品生产"
    shot(page, "b6-search-initials")
    submit(page, page.locator(".search-hit").first)
    assert "药品生产许可证核发" in page.content() and "/show/" in page.url
