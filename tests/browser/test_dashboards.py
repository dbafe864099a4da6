"""数据分析 in a real browser, as lcb (国家联采办) of the demo data: the dashboard draws its
charts with the vendored ECharts (no error under the strict CSP), a click on a province's bar
goes one level down with a breadcrumb, the table view replaces the chart, and the breadcrumb
leads back up."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.conftest import shot
from tests.browser.demo_server import serve, sign_in

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def demo(tmp_path_factory: Any) -> Iterator[dict[str, Any]]:
    yield from serve(tmp_path_factory.mktemp("dashboards"))


def _bar_of(page: Any, panel: str, category: str) -> tuple[float, float]:
    """Where the bar of `category` is drawn, in page coordinates (ECharts draws on a canvas)."""
    return page.evaluate(
        """([panel, category]) => {
             const box = document.querySelector('#' + panel + ' .dashboard-chart');
             const chart = echarts.getInstanceByDom(box);
             const data = JSON.parse(document.getElementById(panel + '-data').textContent);
             const index = data.categories.indexOf(category);
             const point = chart.convertToPixel({seriesIndex: 0}, [index, 0]);
             const rect = box.getBoundingClientRect();
             const value = data.series[0].data[index];
             const top = chart.convertToPixel({seriesIndex: 0}, [index, value]);
             return [rect.left + point[0], rect.top + (point[1] + top[1]) / 2];
           }""", [panel, category])


def test_lcb_drills_the_demand_down_from_the_country_to_a_city(demo: dict[str, Any],
                                                               page: Any) -> None:
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    sign_in(page, demo["url"], "lcb")
    assert page.locator(".admin-sidebar a", has_text="集采需求报量分析").count() == 1
    page.goto(f"{demo['url']}/analytics/procurement/")
    page.wait_for_selector(".dashboard-chart canvas")
    assert page.locator(".dashboard-crumbs li").all_inner_texts() == ["全国"]
    panel = page.locator(".dashboard-panel", has_text="审核通过率").get_attribute("id")
    data = page.evaluate(f"JSON.parse(document.getElementById('{panel}-data').textContent)")
    assert "辽宁省" in data["categories"]
    shot(page, "70-dashboard-national")

    x, y = _bar_of(page, panel, "辽宁省")
    with page.expect_navigation():
        page.mouse.click(x, y)
    page.wait_for_selector(".dashboard-chart canvas")
    assert page.locator(".dashboard-crumbs li").all_inner_texts() == ["全国", "辽宁省"]
    data = page.evaluate(f"JSON.parse(document.getElementById('{panel}-data').textContent)")
    assert "沈阳市" in data["categories"] and "辽宁省" not in data["categories"]
    shot(page, "71-dashboard-province")

    x, y = _bar_of(page, panel, "沈阳市")
    with page.expect_navigation():
        page.mouse.click(x, y)
    page.wait_for_selector(".dashboard-chart canvas")
    assert page.locator(".dashboard-crumbs li").all_inner_texts() == ["全国", "辽宁省", "沈阳市"]

    # the table beside the chart: 数据表 shows it in the chart's place
    toggle = page.locator(f"#{panel} .dashboard-toggle")
    toggle.click()
    table = page.locator(f"#{panel} .dashboard-table")
    assert table.is_visible() and not page.locator(f"#{panel} .dashboard-chart").is_visible()
    assert table.locator("thead th").all_inner_texts()[:2] == ["地区", "审核通过率"]
    assert table.locator("tfoot td").first.inner_text() == "合计"
    shot(page, "72-dashboard-city-table")
    assert toggle.inner_text().strip() == "图表"

    # back up through the breadcrumb
    with page.expect_navigation():
        page.locator(".dashboard-crumbs a", has_text="全国").click()
    assert page.locator(".dashboard-crumbs li").all_inner_texts() == ["全国"]
    assert not errors, errors


@pytest.mark.parametrize(("username", "key"), [("nmpa", "parties"), ("nmpa", "annual_reports"),
                                               ("ln_reg", "dossiers"), ("ln_province", "usage")])
def test_every_preset_dashboard_draws_its_charts(demo: dict[str, Any], page: Any,
                                                 username: str, key: str) -> None:
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    sign_in(page, demo["url"], username)
    page.goto(f"{demo['url']}/analytics/{key}/")
    charts = page.locator(".dashboard-chart")
    assert charts.count() > 0
    page.wait_for_function(f"document.querySelectorAll('.dashboard-chart canvas').length "
                           f"== {charts.count()}")
    shot(page, f"73-dashboard-{key}-{username}")
    assert not errors, errors
