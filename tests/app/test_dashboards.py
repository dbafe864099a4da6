"""数据分析: each indicator's numbers by hand on a small world, within each viewer's range
(a province sees its own only, national all), field rights (an indicator over a hidden field
is not shown), the right itself (no right: 403), the drill-down and the xlsx export, on
SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from html import unescape
from typing import Any

import pytest
from openpyxl import load_workbook

from tests.conftest import PASSWORD, SCHEMAS, apply_schema, make_app, seed_people, sign_in

SCHEMA = SCHEMAS / "dashboards" / "entities.yaml"
HOSP_A, HOSP_B, HOSP_G = "91350100M000100Y43", "12100000400000624D", "91110000600037341L"
ORGS = {
    "350000": ("福建省", "province", None, None),
    "350100": ("福州市", "city", "350000", None),
    "350102": ("鼓楼区", "county", "350100", None),
    HOSP_A: ("福州甲医院", "unit", "350102", "institution"),
    HOSP_B: ("福州乙医院", "unit", "350102", "institution"),
    "440000": ("广东省", "province", None, None),
    "440100": ("广州市", "city", "440000", None),
    "440103": ("荔湾区", "county", "440100", None),
    HOSP_G: ("广州丙医院", "unit", "440103", "institution"),
}
USERS = {"nat": ("national", "CN"), "fj": ("province", "350000"),
         "blind": ("blind", "350000"), "other": ("outsider", "350000"),
         "hosp": ("institution", HOSP_A)}
# (unit, 数量, state, 日期)
ROWS = [
    (HOSP_A, 10, "sent", dt.date(2026, 1, 5)),
    (HOSP_A, 5, "saved", dt.date(2026, 1, 20)),
    (HOSP_A, 3, "sent", dt.date(2026, 2, 1)),
    (HOSP_B, 2, "sent", dt.date(2026, 2, 10)),
    (HOSP_G, 7, "sent", dt.date(2026, 1, 15)),
    (HOSP_G, 1, "saved", None),
]
BOARD = "/analytics/board/"


@pytest.fixture(scope="module")
def app(database_url: str, tmp_path_factory: Any) -> Any:
    application = make_app(database_url, SCHEMA, tmp_path_factory.mktemp("files"))
    apply_schema(application)
    with application.app_context():
        session = application.appbuilder.session
        orgs = seed_people(application, ORGS, USERS, PASSWORD)
        row = application.extensions["admin"].models["m.Row"]
        for unit, qty, state, day in ROWS:
            session.add(row(item="阿莫西林", qty=qty, state=state, day=day, org=orgs[unit]))
        session.commit()
    return application


def org_id(app: Any, code: str) -> int:
    with app.app_context():
        from app.security.models import Organisation

        return int(app.appbuilder.session.query(Organisation).filter_by(code=code).one().id)


def panels(html: str) -> dict[str, dict[str, Any]]:
    """Each chart's title -> the data drawn (number cards: {"value": …})."""
    out = {}
    for title, value in re.findall(r'card-title">([^（<]*)（[^<]*</div>\s*'
                                   r'<div class="card-value">([^<]*)<', html):
        out[title] = {"value": value}
    for title, data in re.findall(r'panel-title">([^<]*)</h3>.*?(?:id="chart-\d+-data"[^>]*>'
                                  r'([^<]*)</script>|dashboard-table">)', html, re.S):
        out[unescape(title)] = json.loads(unescape(data)) if data else {}
    return out


def drawn(data: dict[str, Any]) -> dict[str, Any]:
    """{category: value} of a one-series chart."""
    return dict(zip(data["categories"], data["series"][0]["data"], strict=True))


def sheet(app: Any, username: str, indicator: str, region: int | None = None) -> list[list]:
    query = f"?region={region}" if region is not None else ""
    response = sign_in(app, username).get(f"{BOARD}export/{indicator}{query}")
    assert response.status_code == 200, response.status_code
    book = load_workbook(io.BytesIO(response.data))
    return [[c for c in r] for r in book.active.iter_rows(values_only=True)]


def test_national_sees_every_province_counted_by_hand(app: Any) -> None:
    page = sign_in(app, "nat").get(BOARD).text
    shown = panels(page)
    assert list(shown) == ["上报总量", "记录数", "上报率", "上报数量", "每月记录数", "医疗机构数"]
    assert shown["上报总量"] == {"value": "20"}  # 10 + 3 + 7: sent, at least 3
    assert drawn(shown["记录数"]) == {"福建省": 4, "广东省": 2}
    assert drawn(shown["上报率"]) == {"福建省": 75.0, "广东省": 50.0}
    assert drawn(shown["上报数量"]) == {"福建省": 15, "广东省": 7}
    assert drawn(shown["每月记录数"]) == {"2026年01月": 3, "2026年02月": 2, "（无）": 1}
    assert shown["上报率"]["percent"] is True
    # a province's bar goes one level down
    assert shown["记录数"]["drill"] == [f"{BOARD}?region={org_id(app, '350000')}",
                                      f"{BOARD}?region={org_id(app, '440000')}"]


def test_the_xlsx_of_an_indicator_holds_its_numbers_and_total(app: Any) -> None:
    assert sheet(app, "nat", "rate") == [
        ["地区", "上报率", "已上报数", "记录数"],
        ["福建省", 0.75, 3, 4],
        ["广东省", 0.5, 1, 2],
        ["合计", 4 / 6, 4, 6],
    ]
    assert sheet(app, "nat", "units") == [["地区", "医疗机构数"], ["福建省", 2], ["广东省", 1],
                                          ["合计", 3]]
    assert sheet(app, "nat", "total") == [["上报总量"], [20]]


def test_a_province_sees_its_own_only_down_to_the_units(app: Any) -> None:
    client = sign_in(app, "fj")
    shown = panels(client.get(BOARD).text)
    assert drawn(shown["记录数"]) == {"福州市": 4}
    assert shown["上报总量"] == {"value": "13"}  # 10 + 3 in 福建
    county = org_id(app, "350102")
    page = client.get(f"{BOARD}?region={county}").text
    assert re.findall(r'<li[^>]*>(?:<a[^>]*>)?([^<]+)<', page.split("dashboard-crumbs")[1]
                      .split("</ol>")[0]) == ["福建省", "福州市", "鼓楼区"]
    shown = panels(page)
    assert drawn(shown["记录数"]) == {"福州甲医院": 3, "福州乙医院": 1}
    assert shown["记录数"]["drill"] == [None, None]  # units are the bottom
    assert drawn(shown["上报数量"]) == {"福州甲医院": 13, "福州乙医院": 2}
    # units in the tree's order (by code)
    assert sheet(app, "fj", "sent", county) == [["地区", "已上报数"], ["福州乙医院", 1],
                                               ["福州甲医院", 2], ["合计", 3]]
    # another province's region, or the country, answers like one that is not there
    for region in ("440000", "CN"):
        assert client.get(f"{BOARD}?region={org_id(app, region)}").status_code == 404
        assert client.get(f"{BOARD}export/rows?region={org_id(app, region)}"
                          ).status_code == 404


def test_a_hidden_field_hides_its_indicators_and_no_grant_hides_the_entity(app: Any) -> None:
    shown = panels(sign_in(app, "blind").get(BOARD).text)
    assert list(shown) == ["记录数", "上报率", "每月记录数", "医疗机构数"]  # no 数量
    assert drawn(shown["记录数"]) == {"福州市": 4}
    assert sign_in(app, "blind").get(f"{BOARD}export/qty").status_code == 404
    page = sign_in(app, "other").get(BOARD).text
    assert list(panels(page)) == ["医疗机构数"]  # the organisations only: no grant on 报量
    assert sign_in(app, "other").get(f"{BOARD}export/rows").status_code == 404


def test_without_the_right_nothing_is_shown(app: Any) -> None:
    client = sign_in(app, "hosp")
    for url in (BOARD, f"{BOARD}export/rows"):
        response = client.get(url)
        assert response.status_code in (302, 403), (url, response.status_code)
        assert "福建省" not in response.text
    assert "/analytics/board/" not in client.get("/").text  # no menu entry either
    assert sign_in(app, "nat").get(f"{BOARD}export/nothing").status_code == 404


def test_each_indicator_is_one_grouped_query_and_a_ratio_two(app: Any) -> None:
    from sqlalchemy import event

    from app.dashboards.query import compute, top_region
    from app.security.models import AppUser

    with app.test_request_context():
        session = app.appbuilder.session
        user = session.query(AppUser).filter_by(username="nat").one()
        board = app.extensions["admin"].spec.dashboard("board")
        region = top_region(user)
        table = app.extensions["admin"].models["m.Row"].__table__.name
        seen: list[str] = []

        def remember(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            seen.append(statement)

        engine = session.get_bind()
        event.listen(engine, "before_cursor_execute", remember)
        try:
            counted = {}
            for key in ("rows", "monthly", "rate", "total"):
                seen.clear()
                compute(board, board.indicator(key), user, region)
                reading = [s for s in seen if table in s]
                counted[key] = (len(reading), sum("GROUP BY" in s for s in reading))
        finally:
            event.remove(engine, "before_cursor_execute", remember)
    assert counted == {"rows": (1, 1), "monthly": (1, 1), "rate": (2, 2), "total": (1, 0)}
