"""各地报量汇总 and the other summaries of 采购需求 show one 国采批次 at a time (summary
`period: batch`, app/summary_period.py): the newest batch by default, another one picked from
a drop-down, never two batches added together unless each is a row of its own; the drill-down
links, the export and the REST door keep the batch (SQLite and PostgreSQL)."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import pytest

from tests.modules.conftest import HOSP1, HOSP_SC, add_row, login, world  # noqa: F401

REGION = "/procurement/demand/summary/by_region/"
ITEM = "/procurement/demand/summary/by_item/"


@pytest.fixture(scope="module")
def app(world: dict[str, Any]) -> Any:  # noqa: F811
    return world["app"]


@pytest.fixture(scope="module")
def batches(app: Any) -> dict[str, int]:
    """第十批 (2024): 沈阳 reported 100; 第十一批 (2026): 沈阳 10, 锦江 20 (and a draft)."""
    old = add_row(app, "procurement.Batch", name="第十批", year=2024)
    new = add_row(app, "procurement.Batch", name="第十一批", year=2026)
    for batch, org, planned, state, code in ((old, HOSP1, 100, "national_ok", "01"),
                                             (new, HOSP1, 10, "submitted", "01"),
                                             (new, HOSP_SC, 20, "county_ok", "01"),
                                             (new, HOSP_SC, 999, "saved", "02")):
        add_row(app, "procurement.Demand", org, batch_id=batch, item_code=code,
                item_name="阿托伐他汀钙片", spec="10mg", planned=planned, baseline=planned,
                state=state)
    return {"old": old, "new": new}


def cells(html: str) -> list[list[str]]:
    body = html[html.index("<tbody>"):html.index("</tbody>")]
    return [[re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", tr,
                                                                   re.S)]
            for tr in re.findall(r"<tr>(.*?)</tr>", body, re.S)]


def total(html: str) -> list[str]:
    foot = html[html.index("<tfoot>"):html.index("</tfoot>")]
    return [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>",
                                                                 foot, re.S)]


def test_the_newest_batch_by_default_never_both_added(app: Any, batches: dict[str, int]
                                                      ) -> None:
    page = login(app, "lcb").get(REGION)
    assert page.status_code == 200
    assert cells(page.text) == [["辽宁省", "10", "10", "1"], ["四川省", "20", "20", "1"]]
    assert total(page.text)[1:] == ["30", "30", "2"]  # not 130: 第十批 is not added in
    assert f'<option value="{batches["new"]}" selected>第十一批</option>' in page.text
    assert f'<option value="{batches["old"]}">第十批</option>' in page.text
    assert 'value="all"' not in page.text  # the batches would be added together


def test_another_batch_is_picked_and_kept_by_drill_down_and_export(
        app: Any, batches: dict[str, int]) -> None:
    lcb = login(app, "lcb")
    page = lcb.get(f"{REGION}?_period={batches['old']}").text
    assert cells(page) == [["辽宁省", "100", "100", "1"]]
    drill = [h.replace("&amp;", "&") for h in re.findall(r'href="([^"]*by_region/\?[^"]*)"',
                                                         page)]
    assert drill and all(f"_period={batches['old']}" in h for h in drill)
    assert cells(lcb.get(drill[-1]).text)[0][1:] == ["100", "100", "1"]  # 沈阳市, 第十批
    lines = list(csv.reader(io.StringIO(lcb.get(
        f"{REGION}export/csv?_period={batches['old']}").data.decode("utf-8-sig"))))
    assert lines[1] == ["辽宁省", "100", "100", "1"]
    assert lcb.get(f"{REGION}?_period=all").status_code == 400
    assert lcb.get(f"{REGION}?_period=abc").status_code == 400


def test_a_summary_grouped_by_batch_may_show_every_batch_as_its_own_rows(
        app: Any, batches: dict[str, int]) -> None:
    lcb = login(app, "lcb")
    assert [r[0] for r in cells(lcb.get(ITEM).text)] == ["第十一批"]
    every = lcb.get(f"{ITEM}?_period=all").text
    assert '<option value="all" selected>' in every
    assert sorted((r[0], r[4]) for r in cells(every)) == [("第十一批", "30"), ("第十批", "100")]


def test_the_rest_door_and_the_scope_keep_the_batch(app: Any, batches: dict[str, int]) -> None:
    api = login(app, "lcb").get("/api/v1/demand/summary/by_region")
    assert api.status_code == 200, api.text
    assert api.json["period"] == {"field": "batch", "value": str(batches["new"]),
                                  "label": "第十一批"}
    assert api.json["total"]["sums"]["planned"] == 30
    province = login(app, "ln_prov").get(f"{REGION}?_period={batches['new']}").text
    assert cells(province) == [["辽宁省", "10", "10", "1"]]
