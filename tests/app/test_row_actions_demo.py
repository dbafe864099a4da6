"""Issue 14's acceptance on the demo data (`flask demo load`), SQLite and PostgreSQL:
as ln_hospital1, 撤回 is one button on the row and a confirmation, and a refusal names 品规编号;
as ln_reg, 【退回补正】 is a button on the 年度报告 list row and after it the list is shown."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from app.demo.data import PASSWORD
from tests.conftest import dispose
from tests.demo_world import demo_app
from tests.modules.conftest import flashes

DEMAND = "/procurement/demand"
REPORTS = "/annual_report/annual_report"


@pytest.fixture(scope="module")
def demo(database_url: str, tmp_path_factory: Any) -> Iterator[Any]:
    app = demo_app(database_url, tmp_path_factory.mktemp("files"))
    yield app
    dispose(app)


def _sign_in(app: Any, username: str) -> Any:
    client = app.test_client()
    response = client.post("/login/", data={"username": username, "password": PASSWORD})
    assert response.status_code == 302, response.text[:300]
    return client


def _buttons(page: str, key: str) -> list[tuple[int, str]]:
    """(row id, the button's tag) of the enabled row buttons of the transition."""
    return [(int(pk), tag) for tag, pk in re.findall(
        rf'(<button[^>]*row-transition"[^>]*data-key="{key}" data-pk="(\d+)"[^>]*>)', page)]


def _letter(app: Any, unit_name: str) -> None:
    """The hospital's 承诺函 of the open batch (what it uploads in seed 002 §4.2.2)."""
    from app.demo.data import OPEN_BATCH
    from app.security.models import Organisation

    models = app.extensions["admin"].models
    with app.app_context():
        session = app.appbuilder.session
        org = session.execute(select(Organisation).where(
            Organisation.name == unit_name)).scalar_one()
        batch = session.execute(select(models["procurement.Batch"]).where(
            models["procurement.Batch"].name == OPEN_BATCH)).scalar_one()
        session.add(models["procurement.CommitmentLetter"](
            org=org, batch=batch, letter="demo/letter.pdf", letter_name="承诺函.pdf"))
        session.commit()


def test_ln_hospital1_is_refused_by_item_code_then_withdraws_with_one_button(demo: Any) -> None:
    hospital = _sign_in(demo, "ln_hospital1")
    page = html.unescape(hospital.get(f"{DEMAND}/list/").text)
    # its saved rows offer 上报 disabled, saying why (no 承诺函 yet)
    assert re.search(r'title="请先上传本批次的承诺函[^"]*"[^>]*><button[^>]*row-transition-refused'
                     r'[^>]*data-key="submit"', page)
    hospital.post(f"{DEMAND}/transition_all/submit")
    text = flashes(hospital.get(f"{DEMAND}/list/").text)
    refused = re.search(r"(\d+) 条未上报：请先上传本批次的承诺函（PDF）后再上报。"
                        r"（品规编号 ([^）]*)）", text)
    assert refused is not None, text
    assert int(refused.group(1)) == 15 and refused.group(2).endswith(" 等")
    assert not re.search(r"记录 \d", text)

    _letter(demo, "沈阳市和平区第一人民医院")
    hospital.post(f"{DEMAND}/transition_all/submit")
    assert "上报：已处理 15 条记录" in flashes(hospital.get(f"{DEMAND}/list/").text)
    page = hospital.get(f"{DEMAND}/list/").text
    withdraw = _buttons(page, "withdraw")
    assert len(withdraw) >= 15
    pk, tag = withdraw[0]
    assert 'data-reason="0"' in tag and "撤回" in html.unescape(tag)  # a confirmation only
    response = hospital.post(f"{DEMAND}/transition/withdraw/{pk}",
                             data={"next": f"{DEMAND}/list/"})
    assert response.headers["Location"] == f"{DEMAND}/list/"
    assert "撤回：已处理 1 条记录" in flashes(hospital.get(f"{DEMAND}/list/").text)
    assert all(p != pk for p, _tag in _buttons(hospital.get(f"{DEMAND}/list/").text,
                                                "withdraw"))


def test_ln_reg_returns_a_report_from_its_row_and_sees_the_list(demo: Any) -> None:
    regulator = _sign_in(demo, "ln_reg")
    page = regulator.get(f"{REPORTS}/list/").text
    [(pk, tag)] = _buttons(page, "send_back")  # 【退回补正】 on the row of the one submitted
    assert 'data-reason="1"' in tag
    response = regulator.post(f"{REPORTS}/transition/send_back/{pk}",
                              data={"reason": "请补充年度自检情况。", "next": f"{REPORTS}/list/"})
    assert response.headers["Location"] == f"{REPORTS}/list/"
    listed = regulator.get(f"{REPORTS}/list/")
    assert listed.status_code == 200 and "退回补正：已处理 1 条记录" in flashes(listed.text)
    assert f'data-pk="{pk}"' not in listed.text  # 监管端不再显示该条数据
