"""Module gate: enterprises use 年度报告 only once their 企业信息 is complete (the listed fields
filled, the `where` matched); until then every screen leads to 企业信息 and the REST API
answers 403, for session and token callers alike. Regulators and administrators pass; the gate
entity's own screens stay open (SQLite and PostgreSQL)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.app.gate_world import (
    ENT_A,
    ENT_B,
    ENT_C,
    PASSWORD,
    build_world,
    close,
    complete_info,
    login,
    set_enterprise_info,
)

MESSAGE = "请先完善企业信息后再办理业务。"
OTHERS = "企业信息由本单位有权编辑的人员（如法定代表人）完善，请联系其完善。"
SCREENS = ("/annual_report/product_report/list/", "/annual_report/product_report/add",
           "/annual_report/product_report/show/1", "/annual_report/report/list/",
           "/annual_report/report_line/choices/product")


@pytest.fixture(scope="module")
def world(database_url: str, tmp_path_factory: Any) -> Any:
    built = build_world(database_url, tmp_path_factory.mktemp("files"))
    yield built
    close(built["app"])


def flashed(html: str) -> list[str]:
    return [m.strip() for m in re.findall(r'alert-warning">.*?</button>\s*(.*?)\s*</div>',
                                          html, re.S)]


def assert_gated(client: Any, target: str) -> None:
    for url in SCREENS:
        response = client.get(url)
        assert response.status_code == 302, (url, response.status_code)
        assert response.headers["Location"] == target, url
    page = client.get(SCREENS[0], follow_redirects=True)
    assert page.status_code == 200 and MESSAGE in flashed(page.text)
    api = client.get("/api/v1/product_report/")
    assert api.status_code == 403 and api.json == {"message": MESSAGE}
    post = client.post("/api/v1/product_report/", json={"amount": 1})
    assert post.status_code == 403 and post.json == {"message": MESSAGE}


def test_no_row_leads_to_the_add_form(world: Any) -> None:
    set_enterprise_info(world["app"], ENT_C)
    assert_gated(login(world["app"], "ent_c"), "/basic/enterprise_info/add")


def test_incomplete_row_leads_to_the_list_until_complete(world: Any) -> None:
    app = world["app"]
    client = login(app, "ent_b")
    set_enterprise_info(app, ENT_B, name="乙企业", legal_person="李四", kind="overseas_agent")
    assert_gated(client, "/basic/enterprise_info/list/")  # 统一社会信用代码 missing
    set_enterprise_info(app, ENT_B, name="乙企业", uscc="  ", legal_person="李四",
                        kind="overseas_agent")
    assert_gated(client, "/basic/enterprise_info/list/")  # blank is not filled
    set_enterprise_info(app, ENT_B, name="乙企业", uscc=ENT_B, legal_person="李四",
                        kind="domestic")
    assert_gated(client, "/basic/enterprise_info/list/")  # `where: {kind: overseas_agent}`
    complete_info(app, ENT_B)
    for url in SCREENS[:2] + SCREENS[3:]:
        assert client.get(url).status_code == 200, url
    assert client.get("/annual_report/product_report/show/999999").status_code == 404
    assert client.get("/api/v1/product_report/").status_code == 200


def test_the_gate_entity_and_other_modules_stay_open(world: Any) -> None:
    set_enterprise_info(world["app"], ENT_C)
    client = login(world["app"], "ent_c")
    for url in ("/basic/enterprise_info/list/", "/basic/enterprise_info/add",
                "/binding/product_binding/list/", "/"):
        assert client.get(url).status_code == 200, url
    assert client.get("/api/v1/enterprise_info/").status_code == 200
    added = client.post("/basic/enterprise_info/add", data={
        "name": "丙企业", "uscc": ENT_C, "legal_person": "王五", "kind": "overseas_agent"})
    assert added.status_code == 302, added.text
    assert client.get(SCREENS[0]).status_code == 200  # completed: let through


def test_token_callers_are_gated_too(world: Any) -> None:
    app = world["app"]
    set_enterprise_info(app, ENT_C)
    token = app.test_client().post("/api/v1/security/login", json={
        "username": "ent_c", "password": PASSWORD, "provider": "db"}).json["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    response = app.test_client().get("/api/v1/product_report/", headers=headers)
    assert response.status_code == 403 and response.json == {"message": MESSAGE}
    complete_info(app, ENT_C)
    assert app.test_client().get("/api/v1/product_report/", headers=headers).status_code == 200


@pytest.mark.parametrize("username", ["fj", "admin"])
def test_regulators_and_administrators_are_not_gated(world: Any, username: str) -> None:
    client = login(world["app"], username)
    for url in SCREENS[:1] + SCREENS[3:4]:
        assert client.get(url).status_code == 200, url
    assert client.get("/api/v1/product_report/").status_code == 200


def test_one_query_decides(world: Any) -> None:
    """The gate costs one statement per request, and none for users it does not hold."""
    from sqlalchemy import event

    app = world["app"]
    complete_info(app, ENT_A)
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "basic_enterprise_info" in statement:
            statements.append(statement)

    with app.app_context():
        engine = app.appbuilder.session.get_bind()
    event.listen(engine, "before_cursor_execute", count)
    try:
        assert login(app, "ent_a").get("/api/v1/product_report/").status_code == 200
        assert len(statements) == 1
        statements.clear()
        assert login(app, "fj").get("/api/v1/product_report/").status_code == 200
        assert statements == []
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_a_person_who_may_not_complete_it_is_told_who_can(world: Any) -> None:
    """An agent of 丙企业 may work on 产品年报 but not fill 企业信息: the gate sends it to the home
    page with the message naming who completes it, never to a 企业信息 page it would be refused."""
    app = world["app"]
    set_enterprise_info(app, ENT_C)
    client = login(app, "agent_c")
    for url in SCREENS[:3]:
        response = client.get(url)
        assert response.status_code == 302 and response.headers["Location"] == "/", url
    page = client.get(SCREENS[0], follow_redirects=True)
    assert page.status_code == 200
    assert set(flashed(page.text)) == {MESSAGE + OTHERS}
    assert client.get("/basic/enterprise_info/add").status_code == 403
    api = client.get("/api/v1/product_report/")
    assert api.status_code == 403 and api.json["message"].startswith(MESSAGE)
