"""智慧监管总览 (seed 004 大数据分析) on the demo: the key figures of every business line in one
dashboard declared in the root file over entities of several modules, counted by hand within
each viewer's range — 宁夏's province sees its own rows by city, one level down by county,
辽宁's none of 宁夏's and no 宁夏 region at all — exported as xlsx, refused to enterprises
(SQLite and PostgreSQL)."""

from __future__ import annotations

import io
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from app.demo.data import PASSWORD
from tests.app.test_dashboards import drawn, panels
from tests.conftest import dispose, sign_in
from tests.demo_world import demo_app

BOARD = "/analytics/overview/"
LINES = {  # a card of each business line: (its title, entity, condition on the state)
    "投诉举报总件数": ("complaints.Complaint", None),
    "抽样总批次": ("sampling.Sample", None),
    "许可信息补录总数": ("approval.LicenceBackfill", None),
    "检查任务总数": ("supervision.InspectionTask", None),
    "稽查案件总数": ("enforcement.Case", None),
}


@pytest.fixture(scope="module")
def demo(database_url: str, tmp_path_factory: Any) -> Any:
    app = demo_app(database_url, tmp_path_factory.mktemp("files"),
                   ADMIN_PASSWORD_POLICY={"captcha": False})
    yield app
    dispose(app)


def org(app: Any, code: str) -> Any:
    from app.security.models import Organisation

    with app.app_context():
        found = app.appbuilder.session.execute(
            select(Organisation).where(Organisation.code == code)).scalar_one()
        return found.id, found.path


def counted(app: Any, entity: str, path: str, state: str | None = None) -> int:
    model = app.extensions["admin"].models[entity]
    with app.app_context():
        query = select(func.count()).select_from(model).where(model.org_path.startswith(path))
        if state is not None:
            query = query.where(model.state == state)
        return int(app.appbuilder.session.execute(query).scalar_one())


def test_the_province_sees_every_business_line_of_its_own_region(demo: Any) -> None:
    _, ningxia = org(demo, "640000")
    page = sign_in(demo, "nx_reg", PASSWORD).get(BOARD)
    assert page.status_code == 200
    shown = panels(page.text)
    assert len(shown) >= 30, list(shown)
    for title, (entity, state) in LINES.items():
        assert shown[title] == {"value": str(counted(demo, entity, ningxia, state))}, title
    assert counted(demo, "complaints.Complaint", ningxia) > 0  # the demo holds some
    # by city (the complaints the province registered itself count as 本级)
    by_city = drawn(shown["投诉举报件数"])
    assert set(by_city) <= {"（本级）", "银川市", "石嘴山市", "吴忠市", "固原市", "中卫市"}
    assert by_city["银川市"] == 1  # what 宁夏凤城医药 filed
    assert sum(by_city.values()) == counted(demo, "complaints.Complaint", ningxia)


def test_a_click_on_a_city_opens_its_counties_and_the_xlsx_agrees(demo: Any) -> None:
    yinchuan, path = org(demo, "640100")
    client = sign_in(demo, "nx_reg", PASSWORD)
    shown = panels(client.get(f"{BOARD}?region={yinchuan}").text)
    counties = drawn(shown["抽样批次"])
    assert sum(counties.values()) == counted(demo, "sampling.Sample", path)
    assert all(name.endswith("区") or name.endswith("县") or name.endswith("市")
               for name in counties), counties
    response = client.get(f"{BOARD}export/samples?region={yinchuan}")
    assert response.status_code == 200
    rows = [list(r) for r in load_workbook(io.BytesIO(response.data)).active.iter_rows(
        values_only=True)]
    assert rows[0] == ["地区", "抽样批次"] and rows[-1] == ["合计", sum(counties.values())]


def test_another_province_sees_none_of_it(demo: Any) -> None:
    ningxia_id, ningxia = org(demo, "640000")
    client = sign_in(demo, "ln_reg", PASSWORD)
    shown = panels(client.get(BOARD).text)
    _, liaoning = org(demo, "210000")
    assert shown["投诉举报总件数"] == {
        "value": str(counted(demo, "complaints.Complaint", liaoning))}
    assert client.get(f"{BOARD}?region={ningxia_id}").status_code == 404
    assert client.get(f"{BOARD}export/complaints?region={ningxia_id}").status_code == 404


def test_an_enterprise_has_no_overview(demo: Any) -> None:
    client = sign_in(demo, "nx_maker", PASSWORD)
    assert client.get(BOARD).status_code in (302, 403)
    assert "智慧监管总览" not in client.get("/").text
