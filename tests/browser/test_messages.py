"""消息中心 and 填报进度 in a real browser on the demo data (issue 16's acceptance): as lcb,
填报进度 of 第十一批 shows the four demo hospitals with their state and drills 辽宁省 → 沈阳市 →
和平区; 催报 of 成都市锦江区中医医院 puts a message in sc_hospital2's inbox, whose next page
counts it in the top bar; ln_hospital2 reads the county's return of a row with the reason."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from app.demo.data import OPEN_BATCH
from app.demo.flows import RETURN_REASON
from tests.browser.conftest import shot
from tests.browser.demo_server import serve, sign_in, submit

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory: Any) -> Iterator[dict[str, Any]]:
    yield from serve(tmp_path_factory.mktemp("messages"))


def test_lcb_follows_the_filing_progress_and_reminds_a_hospital(server: dict[str, Any],
                                                                page: Any) -> None:
    url = server["url"]
    sign_in(page, url, "lcb")
    title = page.locator(".admin-menu-title", has_text="集采需求报量")
    if title.get_attribute("aria-expanded") == "false":  # more than three groups: closed
        title.click()
    submit(page, page.locator(".admin-sidebar a", has_text="填报进度"))
    assert page.locator("#completeness-period option:checked").inner_text() == OPEN_BATCH
    units = page.locator(".completeness-units tbody tr")
    assert units.count() == 4
    states = {units.nth(i).locator("td").nth(1).inner_text():
              units.nth(i).locator("td").nth(3).inner_text() for i in range(4)}
    assert states == {"沈阳市和平区第一人民医院": "未上报",
                      "沈阳市和平区中医院": "退回修改（1/50 条）",  # its returned row
                      "成都市锦江区第一人民医院": "未上报", "成都市锦江区中医医院": "未上报"}
    shot(page, "90-completeness-national")
    for region in ("辽宁省", "沈阳市", "和平区"):
        submit(page, page.locator(".completeness-table a", has_text=region))
    assert page.locator(".completeness-crumbs li.active").inner_text() == "和平区"
    assert page.locator(".completeness-table tbody tr").count() == 2
    shot(page, "91-completeness-county")
    submit(page, page.locator(".completeness-crumbs a", has_text="全国"))
    submit(page, page.locator(".nav-pills a", has_text="未上报单位"))
    row = page.locator(".completeness-units tr", has_text="成都市锦江区中医医院")
    row.locator("input[type=checkbox]").check()
    submit(page, page.locator(".completeness-remind-chosen"))
    assert "已向 1 个单位发送催报消息。" in page.locator(".alert").first.inner_text()
    shot(page, "92-completeness-reminded")

    sign_in(page, url, "sc_hospital2")
    badge = page.locator(".admin-messages .admin-unread")
    assert badge.inner_text() == "1"
    shot(page, "93-hospital-unread-badge")
    submit(page, page.locator(".admin-messages"))
    assert "催报提醒：采购需求" in page.locator(".messages-table").inner_text()
    shot(page, "94-hospital-inbox")
    submit(page, page.locator(".messages-table a", has_text="催报提醒"))
    assert "/procurement/demand/list/" in page.url


def test_the_institution_reads_why_its_row_was_returned(server: dict[str, Any],
                                                        page: Any) -> None:
    url = server["url"]
    sign_in(page, url, "ln_hospital2")
    assert page.locator(".admin-messages .admin-unread").inner_text() == "1"
    submit(page, page.locator(".admin-messages"))
    table = page.locator(".messages-table").inner_text()
    assert "采购需求：审核不通过（退回修改）" in table and RETURN_REASON in table
    shot(page, "95-institution-inbox-returned")
    submit(page, page.locator(".messages-table a", has_text="退回修改"))
    assert "/procurement/demand/show/" in page.url
    shot(page, "96-institution-returned-row")
    submit(page, page.locator(".admin-messages"))
    assert page.locator(".admin-messages .admin-unread").count() == 0
    assert page.locator(".messages-read-all").count() == 0


def test_nmpa_sees_a_returned_report_and_sends_an_overdue_reminder(server: dict[str, Any],
                                                                  page: Any) -> None:
    """年度报告填报进度 of 2025, past its due (30 April 2026): the returned report of 沈阳海纳
    reads 退回补正 and counts in 退回补正数; 催报 is offered as 逾期催报 and sent."""
    url = server["url"]
    sign_in(page, url, "nmpa")
    page.goto(f"{url}/annual_report/annual_report/completeness/")
    row = page.locator(".completeness-units tr", has_text="沈阳海纳医药有限公司")
    assert row.locator("td").nth(3).inner_text() == "退回补正"
    assert "退回补正数" in page.locator(".completeness-table thead").inner_text()
    assert page.locator(".completeness-remind-all").inner_text().strip() == (
        "全部逾期催报（所有逾期未报单位）")
    shot(page, "95-annual-completeness-overdue")
    submit(page, page.locator(".completeness-remind-all"))
    assert "已向 7 个单位发送逾期催报消息。" in page.locator(".alert").first.inner_text()
    shot(page, "96-annual-overdue-reminded")
