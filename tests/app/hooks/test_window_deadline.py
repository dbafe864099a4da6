"""window_deadline: outside the reporting window the server refuses saves, REST writes,
imports and transitions in Chinese; inside they pass; an extension opens it for one unit only;
windows and extensions are managed by the right people (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import Any

import pytest

from tests.app.hooks.conftest import (
    HOSPITAL_A,
    HOSPITAL_C,
    beijing_now,
    build_world,
    clear_windows,
    login,
    set_window,
)

DAY = dt.timedelta(days=1)
OUTSIDE = re.compile(r"不在上报时间内：可操作时间 (\S+ \S+) 至 (\S+ \S+)（北京时间）")


@pytest.fixture(scope="module")
def world(database_url: str, tmp_path_factory: Any) -> dict[str, Any]:
    return build_world(database_url, tmp_path_factory.mktemp("files"))


@pytest.fixture(autouse=True)
def no_windows(world: dict[str, Any]) -> None:
    clear_windows(world["app"])


def flashed(html: str) -> list[str]:
    return [m.strip() for m in re.findall(r'alert-danger">.*?</button>\s*(.*?)\s*</div>',
                                          html, re.S)]


def add_demand(client: Any, code: str) -> Any:
    return client.post("/procurement/demand/add", data={
        "code": code, "planned": "12", "note": "请保留这段备注"})


def past(app: Any, **kw: Any) -> int:
    now = beijing_now()
    return set_window(app, opens=now - 10 * DAY, closes=now - DAY, **kw)


def current(app: Any, **kw: Any) -> int:
    now = beijing_now()
    return set_window(app, opens=now - DAY, closes=now + 5 * DAY, **kw)


def test_no_window_at_all_refuses_and_the_banner_says_so(world: dict[str, Any]) -> None:
    client = login(world["app"], "hosp_a")
    page = client.get("/procurement/demand/list/").text
    assert "上报开关状态：</strong>关闭" in page and "尚未设置上报时间" in page
    response = add_demand(client, "N001")
    assert response.status_code == 200
    assert "未保存：上报未开放：尚未设置上报时间。" in response.text


def test_outside_the_window_html_save_is_refused_and_input_kept(world: dict[str, Any]) -> None:
    app = world["app"]
    past(app, region="350000")
    client = login(app, "hosp_a")
    response = add_demand(client, "W001")
    assert response.status_code == 200
    [message] = [m for m in flashed(response.text) if "上报" in m]
    match = OUTSIDE.search(message)
    assert message.startswith("未保存：不在上报时间内") and match, message
    assert 'value="W001"' in response.text and "请保留这段备注" in response.text
    assert 'value="12"' in response.text


def test_inside_the_window_everything_passes(world: dict[str, Any], tmp_path: Any) -> None:
    app = world["app"]
    current(app, region="350000")
    client = login(app, "hosp_a")
    assert add_demand(client, "I001").status_code == 302
    created = client.post("/api/v1/demand/", json={"code": "I002", "planned": 3})
    assert created.status_code == 201, created.json
    pk = created.json["id"]
    assert client.put(f"/api/v1/demand/{pk}", json={"planned": 4}).status_code == 200
    csv = tmp_path / "in.csv"
    csv.write_text("需求编号,预采购量\nI003,5\n", encoding="utf-8")
    imported = client.post("/api/v1/demand/import", data={
        "file": (io.BytesIO(csv.read_bytes()), "in.csv")}, content_type="multipart/form-data")
    assert imported.status_code == 200, imported.json
    assert _transition(app, "hosp_a", pk) is None  # 上报 passes


def test_outside_the_window_rest_and_import_are_refused(world: dict[str, Any],
                                                        tmp_path: Any) -> None:
    app = world["app"]
    window = current(app, region="350000")
    client = login(app, "hosp_a")
    pk = client.post("/api/v1/demand/", json={"code": "R001", "planned": 1}).json["id"]
    _move(app, window, opens=beijing_now() - 10 * DAY, closes=beijing_now() - DAY)
    post = client.post("/api/v1/demand/", json={"code": "R002", "planned": 1})
    assert post.status_code == 422
    assert OUTSIDE.search(post.json["message"]) and post.json["message"].startswith("未保存")
    put = client.put(f"/api/v1/demand/{pk}", json={"planned": 9})
    assert put.status_code == 422 and OUTSIDE.search(put.json["message"])
    assert client.get(f"/api/v1/demand/{pk}").json["result"]["planned"] == 1
    edit = client.post(f"/procurement/demand/edit/{pk}", data={"code": "R001", "planned": "7"})
    assert edit.status_code == 200 and "不在上报时间内" in edit.text
    csv = tmp_path / "out.csv"
    csv.write_text("需求编号,预采购量\nR003,5\n", encoding="utf-8")
    imported = client.post("/api/v1/demand/import", data={
        "file": (io.BytesIO(csv.read_bytes()), "out.csv")}, content_type="multipart/form-data")
    assert imported.status_code == 422
    assert OUTSIDE.search(imported.json["errors"][0]["message"])
    assert OUTSIDE.search(_transition(app, "hosp_a", pk) or "")  # 上报 refused too


def test_switched_off_is_closed_whatever_the_times(world: dict[str, Any]) -> None:
    app = world["app"]
    current(app, region="350000", is_open=False)
    client = login(app, "hosp_a")
    assert "未保存：上报已关闭。" in add_demand(client, "S001").text
    post = client.post("/api/v1/demand/", json={"code": "S002"})
    assert post.status_code == 422 and post.json["message"] == "未保存：上报已关闭。"
    page = client.get("/procurement/demand/list/").text
    assert "上报开关状态：</strong>关闭" in page and "上报开关已关闭" in page


def test_extension_opens_the_window_for_that_unit_only(world: dict[str, Any]) -> None:
    app = world["app"]
    window = past(app, region="350000")
    regulator = login(app, "fj")
    form = regulator.get("/hooks/window-extensions/add")
    assert form.status_code == 200 and "延期至（北京时间）" in form.text
    until = (beijing_now() + 2 * DAY).strftime("%Y-%m-%dT%H:%M")
    unit = world["orgs"][HOSPITAL_A]
    granted = regulator.post("/hooks/window-extensions/add", data={
        "window": str(window), "unit": str(unit), "closes_at": until, "reason": "系统故障补报"})
    assert granted.status_code == 302, granted.text
    listing = regulator.get("/hooks/window-extensions/list/").text
    assert "福州甲医院" in listing and "系统故障补报" in listing
    hosp_a, hosp_b = login(app, "hosp_a"), login(app, "hosp_b")
    assert add_demand(hosp_a, "E001").status_code == 302
    assert hosp_a.post("/api/v1/demand/", json={"code": "E002"}).status_code == 201
    assert "已延期至" in hosp_a.get("/procurement/demand/list/").text
    refused = add_demand(hosp_b, "E003")
    assert refused.status_code == 200 and "不在上报时间内" in refused.text
    assert hosp_b.post("/api/v1/demand/", json={"code": "E004"}).status_code == 422


def test_banner_shows_switch_time_range_and_countdown(world: dict[str, Any]) -> None:
    app = world["app"]
    now = beijing_now()
    closes = now + 3 * DAY
    set_window(app, opens=now - DAY, closes=closes, region="350000")
    client = login(app, "hosp_a")
    for url in ("/procurement/demand/list/", "/procurement/demand/add"):
        page = client.get(url).text
        assert "上报开关状态：</strong>开启" in page
        assert (f"可操作时间范围：</strong>{(now - DAY):%Y-%m-%d %H:%M} 至 "
                f"{closes:%Y-%m-%d %H:%M}（北京时间）") in page
        assert f'data-deadline="{closes:%Y-%m-%dT%H:%M:%S}+08:00"' in page
        assert re.search(r"剩余时间：</strong><span[^>]*>[23]天\d+小时\d+分\d+秒</span>", page)
    assert "window-countdown" in client.get("/static/admin/admin.js").text


def test_most_specific_region_wins(world: dict[str, Any]) -> None:
    app = world["app"]
    current(app)  # the whole country: open
    past(app, region="350102")  # 鼓楼区: closed
    assert add_demand(login(app, "hosp_a"), "M001").status_code == 200  # under 鼓楼区
    assert add_demand(login(app, "hosp_c"), "M002").status_code == 302  # 广东: national


def test_batch_windows(world: dict[str, Any]) -> None:
    app = world["app"]
    with app.app_context():
        models = app.extensions["admin"].models
        first, second = (b.id for b in app.appbuilder.session.query(
            models["procurement.Batch"]).order_by("id"))
    current(app, window="batch_report", batch=str(first))
    past(app, window="batch_report", batch=str(second))
    client = login(app, "hosp_a")
    assert client.post("/api/v1/report/", json={"batch": first, "amount": 1}
                       ).status_code == 201
    refused = client.post("/api/v1/report/", json={"batch": second, "amount": 1})
    assert refused.status_code == 422 and OUTSIDE.search(refused.json["message"])
    page = client.get("/procurement/report/list/").text
    assert "批次：</strong>第一批" in page and "批次：</strong>第二批" in page


def test_windows_are_managed_within_the_jurisdiction(world: dict[str, Any]) -> None:
    app = world["app"]
    orgs = world["orgs"]
    fj_admin = login(app, "fj_admin")
    form = fj_admin.get("/hooks/windows/add")
    assert form.status_code == 200 and "上报开关（开启）" in form.text
    assert ">采购需求</option>" in form.text and "procurement_batch）" not in form.text
    now = beijing_now()
    times = {"opens_at": (now - DAY).strftime("%Y-%m-%dT%H:%M"),
             "closes_at": (now + DAY).strftime("%Y-%m-%dT%H:%M"), "is_open": "y"}
    national = fj_admin.post("/hooks/windows/add", data={"window": "procurement_batch",
                                                         **times})
    assert "请选择本辖区内的地区。" in national.text  # not theirs to set
    other = fj_admin.post("/hooks/windows/add", data={
        "window": "procurement_batch", "region": str(orgs["440000"]), **times})
    assert "不存在" in other.text  # 广东 is outside 福建
    backwards = fj_admin.post("/hooks/windows/add", data={
        "window": "procurement_batch", "region": str(orgs["350000"]), **times,
        "closes_at": times["opens_at"]})
    assert "截止时间必须晚于开始时间。" in backwards.text
    ok = fj_admin.post("/hooks/windows/add", data={
        "window": "procurement_batch", "region": str(orgs["350000"]), **times})
    assert ok.status_code == 302, ok.text
    again = fj_admin.post("/hooks/windows/add", data={
        "window": "procurement_batch", "region": str(orgs["350000"]), **times})
    assert "已存在" in again.text
    [window] = re.findall(r'/hooks/windows/edit/(\d+)', fj_admin.get("/hooks/windows/list/").text)
    switched = fj_admin.post(f"/hooks/windows/edit/{window}", data={
        "window": "procurement_batch", "region": str(orgs["350000"]), **times, "is_open": ""})
    assert switched.status_code == 302, switched.text  # its own row is no duplicate
    assert "上报已关闭。" in add_demand(login(app, "hosp_a"), "J000").text
    fj_admin.post(f"/hooks/windows/edit/{window}", data={
        "window": "procurement_batch", "region": str(orgs["350000"]), **times})
    assert "福建省" in fj_admin.get("/hooks/windows/list/").text
    gd_list = login(app, "gd_admin").get("/hooks/windows/list/").text
    assert "福建省" not in gd_list
    national_list = login(app, "nat_admin").get("/hooks/windows/list/").text
    assert "福建省" in national_list
    assert add_demand(login(app, "hosp_a"), "J001").status_code == 302
    for username, url in (("hosp_a", "/hooks/windows/list/"),
                          ("hosp_a", "/hooks/window-extensions/list/"),
                          ("fj", "/hooks/windows/add")):
        assert login(app, username).get(url).status_code == 403
    menu = fj_admin.get("/procurement/demand/list/").text
    assert "上报时间管理" in menu


def test_regulators_extend_only_units_of_their_jurisdiction(world: dict[str, Any]) -> None:
    app = world["app"]
    window = past(app)
    until = (beijing_now() + DAY).strftime("%Y-%m-%dT%H:%M")
    gd = login(app, "gd")
    refused = gd.post("/hooks/window-extensions/add", data={
        "window": str(window), "unit": str(world["orgs"][HOSPITAL_A]), "closes_at": until,
        "reason": "越权"})
    assert refused.status_code == 200 and "不存在" in refused.text
    choices = gd.get("/hooks/window-extensions/choices/unit").json["results"]
    assert [c["text"] for c in choices] == ["广州丙医院"]
    early = gd.post("/hooks/window-extensions/add", data={
        "window": str(window), "unit": str(world["orgs"][HOSPITAL_C]),
        "closes_at": (beijing_now() - 5 * DAY).strftime("%Y-%m-%dT%H:%M"), "reason": "早"})
    assert "延期截止时间必须晚于原截止时间" in early.text


def _move(app: Any, window_id: int, *, opens: dt.datetime, closes: dt.datetime) -> None:
    from app.hooks.models import Window

    with app.app_context():
        session = app.appbuilder.session
        row = session.get(Window, window_id)
        row.opens_at, row.closes_at = opens, closes
        session.commit()


def _transition(app: Any, username: str, pk: int) -> str | None:
    """上报 as the workflow calls it (runtime.before_transition): None, or why not in Chinese."""
    from flask_babel import gettext

    from app.hooks import runtime

    with app.test_request_context(headers={"Accept-Language": "zh-CN"}), app.app_context():
        admin = app.extensions["admin"]
        session = app.appbuilder.session
        user = app.appbuilder.sm.find_user(username=username)
        entity = admin.spec.entity("procurement.Demand")
        row = session.get(admin.models[entity.qualified], pk)
        try:
            runtime.before_transition(entity, row, "submit", user, session)
        except runtime.Denied as exc:
            return gettext(exc.reason, **exc.params)
        finally:
            session.rollback()
        return None


# -- user_classes: only the named classes are held to the window ---------------------------
@pytest.fixture()
def classed(world: dict[str, Any]) -> dict[str, Any]:
    """An institution user and a reviewer (regulator) with their user class set."""
    from tests.app.hooks.conftest import PASSWORD

    app = world["app"]
    with app.app_context():
        sm = app.appbuilder.sm
        for username, role, code, user_class in (
                ("inst_a", "institution", HOSPITAL_A, "institution"),
                ("reviewer", "province", "350000", "regulator")):
            if sm.find_user(username=username) is None:
                user = sm.add_user(username, username, "", f"{username}@x", sm.find_role(role),
                                   PASSWORD)
                user.org_id = world["orgs"][code]
                user.user_class = user_class
        app.appbuilder.session.commit()
    return world


def _review_transition(app: Any, username: str, pk: int) -> str | None:
    from flask_babel import gettext

    from app.hooks import runtime

    with app.test_request_context(headers={"Accept-Language": "zh-CN"}), app.app_context():
        admin = app.extensions["admin"]
        session = app.appbuilder.session
        user = app.appbuilder.sm.find_user(username=username)
        entity = admin.spec.entity("procurement.Review")
        row = session.get(admin.models[entity.qualified], pk)
        try:
            runtime.before_transition(entity, row, "approve", user, session)
        except runtime.Denied as exc:
            return gettext(exc.reason, **exc.params)
        finally:
            session.rollback()
        return None


def test_user_classes_hold_only_those_classes(classed: dict[str, Any]) -> None:
    app = classed["app"]
    now = beijing_now()
    set_window(app, "review_window", opens=now - 10 * DAY, closes=now - DAY)
    unit, reviewer = login(app, "inst_a"), login(app, "reviewer")
    refused = unit.post("/procurement/review/add", data={"code": "V001"})
    assert refused.status_code == 200 and "未保存：不在上报时间内" in refused.text
    post = unit.post("/api/v1/review/", json={"code": "V002"})
    assert post.status_code == 422 and OUTSIDE.search(post.json["message"])
    assert "上报开关状态" in unit.get("/procurement/review/list/").text
    # the reviewer is not held: saves, REST writes and transitions pass, no banner
    assert reviewer.post("/procurement/review/add", data={"code": "V003"}).status_code == 302
    created = reviewer.post("/api/v1/review/", json={"code": "V004", "opinion": "同意"})
    assert created.status_code == 201, created.json
    pk = created.json["id"]
    assert reviewer.put(f"/api/v1/review/{pk}", json={"opinion": "复核同意"}).status_code == 200
    assert "上报开关状态" not in reviewer.get("/procurement/review/list/").text
    assert _review_transition(app, "reviewer", pk) is None
    assert OUTSIDE.search(_review_transition(app, "inst_a", pk) or "")


def test_without_user_classes_everyone_is_held(classed: dict[str, Any]) -> None:
    app = classed["app"]
    past(app)
    reviewer = login(app, "reviewer")
    refused = reviewer.post("/api/v1/demand/", json={"code": "H001"})
    assert refused.status_code == 422 and OUTSIDE.search(refused.json["message"])
    assert "上报开关状态" in reviewer.get("/procurement/demand/list/").text
