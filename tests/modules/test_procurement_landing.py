"""Seed 002 §4.2.1.2 and §4.2.1.3 as the institution walks them: after sign-in it chooses
新批次报量 (the demand of the batch whose reporting window is open) or 历史报量查询 (the demand
of batches whose window is over, read only); the login form has a 【重置】 button."""

from __future__ import annotations

import csv
import datetime as dt
import gc
import io
import re
from typing import Any

import pytest

from tests.modules.conftest import HOSP1, HOSP2, add_row, login, model

DEMAND = "/procurement/demand"


@pytest.fixture(scope="module")
def app(world: dict[str, Any]) -> Any:
    yield world["app"]
    gc.collect()  # connections of finished responses go back while the database still exists


@pytest.fixture(scope="module")
def batches(app: Any) -> dict[str, Any]:
    """A past batch (window over) and an open one, with rows of two hospitals in each."""
    from app.hooks.models import Window, beijing_now

    past = add_row(app, "procurement.Batch", name="第九批国家组织药品集中采购", year=2024)
    current = add_row(app, "procurement.Batch", name="第十一批国家组织药品集中采购", year=2026)
    ids: dict[str, list[int]] = {"past": [], "current": []}
    for key, batch, prefix in (("past", past, "09"), ("current", current, "11")):
        for unit in (HOSP1, HOSP2):
            for n in (1, 2):
                ids[key].append(add_row(app, "procurement.Demand", unit, batch_id=batch,
                                        item_code=f"{prefix}-00{n}", item_name="阿托伐他汀钙片",
                                        spec="10mg*7片", baseline=100))
    now = beijing_now()
    with app.app_context():
        session = app.appbuilder.session
        session.add_all([
            Window(window="procurement", batch=str(past), opens_at=dt.datetime(2024, 3, 1, 8),
                   closes_at=dt.datetime(2024, 3, 20, 17), is_open=True),
            Window(window="procurement", batch=str(current), opens_at=now - dt.timedelta(days=1),
                   closes_at=now + dt.timedelta(days=5, hours=2), is_open=True)])
        session.commit()
    return {"past": past, "current": current, "ids": ids}


def _codes(client: Any, url: str) -> list[str]:
    response = client.get(url)
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    return sorted(r[0] for r in rows[1:])


def _choices(html: str) -> dict[str, str]:
    """{choice label: link} of the landing on the home page."""
    found = re.findall(r'<a class="btn [^"]*landing-choice[^"]*" href="([^"]+)">.*?'
                       r"<strong>([^<]+)</strong>", html, re.S)
    return {label: url.replace("&amp;", "&") for url, label in found}


def test_002_4_2_1_2_landing_choice(app: Any, batches: dict[str, Any]) -> None:
    hospital = login(app, "ln_hosp1")
    home = hospital.get("/").text
    assert "请选择报量业务" in home
    choices = _choices(home)
    assert choices == {"新批次报量": f"{DEMAND}/list/?window=open",
                       "历史报量查询": f"{DEMAND}/list/?window=closed"}
    # 新批次报量: the open batch's rows of this hospital only, with the list's inputs
    new = hospital.get(choices["新批次报量"]).text
    assert "仅列出上报时间开放中的批次的记录。" in new
    assert "11-001" in new and "09-001" not in new
    assert "-planned" in new and "list-edit-save" in new  # 预采购量 is typed into the list
    assert _codes(hospital, f"{DEMAND}/export/csv?window=open") == ["11-001", "11-002"]
    # 历史报量查询: the closed batches' rows, read only
    past = hospital.get(choices["历史报量查询"]).text
    assert "仅列出上报已结束的批次的记录（只读）。" in past
    assert "09-001" in past and "11-001" not in past
    assert "-planned" not in past
    assert "list-edit-save" not in past and "全部上报" not in past  # nothing to save or report
    assert 'name="rowid"' not in past and "batch-action" not in past  # nor to tick for one
    assert 'name="rowid"' in new and "batch-action" in new
    assert _codes(hospital, f"{DEMAND}/export/csv?window=closed") == ["09-001", "09-002"]
    api = hospital.get("/api/v1/demand/?window=closed").get_json()
    assert sorted(r["item_code"] for r in api["result"]) == ["09-001", "09-002"]
    # a row of the past batch cannot be changed (the window is over), whatever the page
    [row] = [i for i in batches["ids"]["past"]
             if _org_of(app, i) == HOSP1 and _code_of(app, i) == "09-001"]
    refused = hospital.post(f"{DEMAND}/edit/{row}", data={"planned": "5"},
                            follow_redirects=True).text
    assert "不在上报时间内" in refused
    # the filter keeps to the hospital's own rows (the other hospital's are never listed)
    assert "和平区中心医院" not in past
    # regulators do not get the institution's landing; their home page has none
    county = login(app, "ln_county").get("/").text
    assert "请选择报量业务" not in county and _choices(county) == {}
    assert "09-001" in login(app, "ln_county").get(f"{DEMAND}/list/?window=closed").text


def test_002_4_2_1_2_the_window_decides_which_batch_is_new(app: Any,
                                                          batches: dict[str, Any]) -> None:
    """When the open batch's window is switched off, its rows move to the history."""
    from app.hooks.models import Window

    with app.app_context():
        session = app.appbuilder.session
        window = session.query(Window).filter_by(batch=str(batches["current"])).one()
        window.is_open = False
        session.commit()
    try:
        hospital = login(app, "ln_hosp1")
        assert _codes(hospital, f"{DEMAND}/export/csv?window=open") == []
        assert _codes(hospital, f"{DEMAND}/export/csv?window=closed") == [
            "09-001", "09-002", "11-001", "11-002"]
    finally:
        with app.app_context():
            session = app.appbuilder.session
            session.query(Window).filter_by(batch=str(batches["current"])).one().is_open = True
            session.commit()


def test_002_4_2_1_3_login_reset(app: Any) -> None:
    page = app.test_client().get("/login/").text
    button = re.search(r'<button[^>]*id="login-reset"[^>]*>([^<]+)</button>', page)
    assert button is not None and button.group(1) == "重置"
    assert 'type="button"' in button.group(0)  # never submits the form
    script = page.split('id="login-reset"', 1)[1]
    assert '["username", "password", "captcha"]' in script and 'input.value = ""' in script


def _org_of(app: Any, pk: int) -> str:
    with app.app_context():
        row = app.appbuilder.session.get(model(app, "procurement.Demand"), pk)
        return str(row.org.code)


def _code_of(app: Any, pk: int) -> str:
    with app.app_context():
        return str(app.appbuilder.session.get(model(app, "procurement.Demand"), pk).item_code)
