"""The search form above the lists in a real browser, on the demo data set (`flask demo load`):
as ln_hospital1, 采购需求 finds 「他汀」 with one field and one click, 「tt」 (pinyin initials)
finds the same rows, the filter stays when sorting, 【重置】 shows everything again; as ln_reg,
产品绑定 is searched by the enterprise and by the product's name (seed 000 §5)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.conftest import shot
from tests.browser.demo_server import serve, sign_in

pytestmark = pytest.mark.browser
STATINS = {"阿托伐他汀钙片", "瑞舒伐他汀钙片", "辛伐他汀片"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: Any) -> Iterator[dict[str, Any]]:
    yield from serve(tmp_path_factory.mktemp("search"))


def _sign_in(page: Any, url: str, username: str) -> None:
    sign_in(page, url, username)


def _names(page: Any) -> set[str]:
    """The 品种名称 of the rows listed."""
    cells = page.locator("table.table tbody tr td").all_inner_texts()
    return {c.strip() for c in cells if re.fullmatch(r"[\u4e00-\u9fff]+(片|胶囊|颗粒)", c.strip())}


def _search(page: Any) -> None:
    with page.expect_navigation():
        page.locator("form.list-search button.search-submit").click()  # 【查询】
    page.wait_for_load_state("load")


def test_institution_finds_statins_with_one_field_and_one_click(server: dict[str, Any],
                                                                page: Any) -> None:
    url = server["url"]
    _sign_in(page, url, "ln_hospital1")
    page.goto(f"{url}/procurement/demand/list/")
    form = page.locator("form.list-search")
    for label in ("品种名称", "品规编号", "国采批次", "预采购量", "维护及审核状态", "查询", "重置"):
        assert label in form.inner_text(), label
    assert "开头是" not in page.content()
    shot(page, "30-search-form")
    page.fill("form.list-search input[name=_flt_0_item_name]", "他汀")
    _search(page)
    names = _names(page)
    assert names and names <= STATINS, names
    assert "_flt_0_item_name=" in page.url and "_flt_0_item_code" not in page.url  # blanks left out
    assert page.locator("form.list-search input[name=_flt_0_item_name]").input_value() == "他汀"
    shot(page, "31-search-statins")
    # sorting keeps the filter; the export link carries it
    with page.expect_navigation():
        page.locator("table.table th a", has_text="品规编号").first.click()
    assert _names(page) == names
    assert "_flt_0_item_name" in page.locator("a", has_text="导出 Excel").first.get_attribute(
        "href")
    # pinyin initials find the same rows
    page.fill("form.list-search input[name=_flt_0_item_name]", "tt")
    _search(page)
    assert _names(page) == names
    shot(page, "32-search-pinyin")
    with page.expect_navigation():
        page.locator("form.list-search a.search-reset").click()  # 【重置】
    assert "_flt_" not in page.url and len(_names(page)) > len(names)


def test_regulator_finds_an_enterprise_and_a_product_by_name(server: dict[str, Any],
                                                             page: Any) -> None:
    url = server["url"]
    _sign_in(page, url, "ln_reg")
    page.goto(f"{url}/binding/product_binding/list/")
    form = page.locator("form.list-search")
    assert "所属机构" in form.inner_text() and "进口产品" in form.inner_text()
    # the product picker: typing the drug's name finds it by 药品名称, not only 批准文号
    form.locator("label", has_text="进口产品").locator("xpath=..").locator(
        ".select2-selection").click()
    page.locator(".select2-search__field").fill("孟鲁司特")
    option = page.locator(".select2-results__option", has_text="孟鲁司特钠片")
    option.wait_for()
    page.locator(".select2-results__option.loading-results").wait_for(state="detached")
    assert page.locator(".select2-results__option").all_inner_texts() == [
        "国药准字HJ20170004（孟鲁司特钠片）"]
    shot(page, "33-search-product-picker")
    option.click()
    _search(page)
    rows = page.locator("table.table tbody tr").all_inner_texts()
    assert rows and all("国药准字HJ" in r for r in rows), rows
    shot(page, "34-search-bindings-by-product")


def test_national_summary_shows_one_batch_at_a_time(server: dict[str, Any], page: Any) -> None:
    url = server["url"]
    _sign_in(page, url, "lcb")
    page.goto(f"{url}/procurement/demand/summary/by_region/")
    select = page.locator("form.summary-period select[name=_period]")
    assert "第十一批" in select.locator("option:checked").inner_text()  # the newest batch
    assert "全部" not in select.inner_text()  # 各地报量汇总 never adds two batches together
    shot(page, "35-summary-by-region-open-batch")
    select.select_option(label="第十批国家组织药品集中采购")
    with page.expect_navigation():
        page.locator("form.summary-period button").click()
    assert "_period=" in page.url
    assert "第十批" in page.locator("form.summary-period option:checked").inner_text()
    shot(page, "36-summary-by-region-closed-batch")
