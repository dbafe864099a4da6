"""Roles, the permission matrix and jurisdiction scope, through every door (SQLite and
PostgreSQL). The matrix test is generated from the YAML; the scope test seeds two provinces."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import prison
import pytest

from generator import load_spec
from tests.conftest import (
    ADMIN_PASSWORD,
    SCHEMAS,
    apply_schema,
    ensure_admin,
    make_app,
    seed_people,
)

SCHEMA = SCHEMAS / "scoped" / "entities.yaml"
SPEC = load_spec(str(SCHEMA))
PASSWORD = "Pass@12345"
NONCE = re.compile(rb' nonce="[\w-]*"')  # one per response (app/security/headers.py)
HTML_ACTIONS = ("list", "show", "add", "edit", "delete")

# organisation code -> (name, level, parent, kind)
ORGS = {
    "350000": ("福建省", "province", None, None),
    "350100": ("福州市", "city", "350000", None),
    "350102": ("鼓楼区", "county", "350100", None),
    "91350100M000100Y43": ("福州甲医院", "unit", "350102", "institution"),
    "12100000400000624D": ("福州乙医院", "unit", "350102", "institution"),
    "440000": ("广东省", "province", None, None),
    "440100": ("广州市", "city", "440000", None),
    "440103": ("荔湾区", "county", "440100", None),
    "91110000600037341L": ("广州丙医院", "unit", "440103", "institution"),
}
# user -> (role, organisation code)
USERS = {
    "nat": ("national", "CN"),
    "fj": ("province", "350000"),
    "fz": ("city", "350100"),
    "gl": ("county", "350102"),
    "hosp_a": ("institution", "91350100M000100Y43"),
    "hosp_a2": ("institution", "12100000400000624D"),
    "gd": ("province", "440000"),
    "hosp_b": ("institution", "91110000600037341L"),
    "reader": ("reader", "350000"),
}
# demand title -> organisation it belongs to
ROWS = {"甲1": "91350100M000100Y43", "甲2": "91350100M000100Y43", "乙1": "12100000400000624D",
        "鼓楼1": "350102", "丙1": "91110000600037341L", "丙2": "91110000600037341L"}
FUJIAN = {"甲1", "甲2", "乙1", "鼓楼1"}
VISIBLE = {
    "nat": set(ROWS), "fj": FUJIAN, "fz": FUJIAN, "gl": FUJIAN, "reader": FUJIAN,
    "hosp_a": {"甲1", "甲2"}, "hosp_a2": {"乙1"}, "gd": {"丙1", "丙2"},
    "hosp_b": {"丙1", "丙2"},
}

# POST of a demand line attached to a demand outside the user's range: the institution may add
# lines (its demand's rights) and is told the demand does not exist; the others may not add
LINE_OUTSIDE_SCOPE = {"hosp_a": 422, "gl": 403, "gd": 403}

def _q(**args: Any) -> dict[str, str]:
    return {"q": prison.dumps(args)}


@pytest.fixture(scope="module")
def world(database_url: str, tmp_path_factory: Any) -> dict[str, Any]:
    """Two provinces with their cities, counties and hospitals; users at every level; rows."""
    from app.security.models import Organisation

    app = make_app(database_url, SCHEMA, tmp_path_factory.mktemp("files"))
    apply_schema(app)
    ensure_admin(app)
    ids: dict[str, int] = {}
    with app.app_context():
        session = app.appbuilder.session
        orgs = seed_people(app, ORGS, USERS, PASSWORD)
        session.commit()
        admin = app.extensions["admin"]
        demand_model = admin.models["procurement.Demand"]
        line_model = admin.models["procurement.DemandLine"]
        drug = admin.models["procurement.Drug"](name="阿莫西林")
        session.add(drug)
        for title, code in ROWS.items():
            session.add(demand_model(title=title, org=orgs[code], drug=drug, baseline=100,
                                     planned=120, note="内部"))
        session.commit()
        ids = {r.title: r.id for r in session.query(demand_model)}
        ids["drug"] = drug.id
        ids["orgs"] = {o.code: o.id for o in session.query(Organisation)}
    admin_client = app.test_client()
    admin_client.post("/login/", data={"username": "admin", "password": "Admin@12345"})
    for title in ROWS:  # through the form, as a person uploads: one line and the letter
        response = admin_client.post(f"/procurement/demand/edit/{ids[title]}", data={
            "title": title, "lines-0-quantity": "1", "baseline": "100", "planned": "120",
            "note": "内部", "drug": str(ids["drug"]), "org": str(ids["orgs"][ROWS[title]]),
            "letter": (io.BytesIO(b"%PDF-1.4 " + title.encode()), "函.pdf")},
            content_type="multipart/form-data")
        assert response.status_code == 302, response.text
    with app.app_context():
        ids["lines"] = {r.demand.title: r.id for r in app.appbuilder.session.query(line_model)}
        assert len(ids["lines"]) == len(ROWS)
    return {"app": app, "ids": ids}


def login(app: Any, username: str) -> Any:
    client = app.test_client()
    password = ADMIN_PASSWORD if username == "admin" else PASSWORD
    response = client.post("/login/", data={"username": username, "password": password})
    assert response.headers["Location"] == "/", "login failed"
    return client


# -- the permission matrix, generated from the YAML --------------------------------------------
def _matrix_cases() -> list[tuple[str, str, str]]:
    cases = []
    for username in USERS:
        for entity in SPEC.entities:
            for action in HTML_ACTIONS:
                cases.append((username, entity.key, action))
    return cases


def _target(world: dict[str, Any], username: str, entity: str) -> int:
    ids = world["ids"]
    if entity == "Drug":
        return ids["drug"]
    title = sorted(VISIBLE[username])[0]
    return ids[title] if entity == "Demand" else ids["lines"][title]


def _payload(entity: str, world: dict[str, Any], username: str) -> dict[str, Any]:
    if entity == "Drug":
        return {"name": "新品规"}
    if entity == "Demand":
        return {"title": "新需求"}
    return {"demand": world["ids"][sorted(VISIBLE[username])[0]], "quantity": 2}


@pytest.mark.parametrize("username,entity_key,action", _matrix_cases())
def test_every_role_entity_action_is_what_the_yaml_says(world: dict[str, Any], username: str,
                                                       entity_key: str, action: str) -> None:
    entity = next(e for e in SPEC.entities if e.key == entity_key)
    grant = entity.grant(USERS[username][0])
    allowed = grant is not None and action in grant.actions
    client = login(world["app"], username)
    base = f"/{entity.module}/{entity.resource}"
    api = f"/api/v1/{entity.resource}/"
    pk = _target(world, username, entity_key)
    if action == "list":
        html, rest = client.get(f"{base}/list/"), client.get(api)
    elif action == "show":
        html, rest = client.get(f"{base}/show/{pk}"), client.get(f"{api}{pk}")
    elif action == "add":
        html, rest = client.get(f"{base}/add"), client.post(api, json=_payload(
            entity_key, world, username))
    elif action == "edit":
        html = client.get(f"{base}/edit/{pk}")
        rest = client.put(f"{api}{pk}", json={} if entity_key != "Drug" else {"name": "阿莫西林"})
    else:  # delete: refused before it happens, or done on a throw-away row
        if allowed:
            created = login(world["app"], "admin").post(api, json=_payload(
                entity_key, world, username))
            pk = created.json["id"]
            if entity.scope is not None:  # put it where the user can reach it
                org = world["ids"]["orgs"][USERS[username][1]]
                with world["app"].app_context():
                    model = world["app"].extensions["admin"].models[entity.qualified]
                    session = world["app"].appbuilder.session
                    row = session.get(model, pk)
                    row.org_id, row.org_path = org, None
                    session.commit()
        html = client.post(f"{base}/delete/{pk}")
        rest = client.delete(f"{api}{pk}")
    html_denied = html.status_code == 403
    assert html_denied is not allowed, (html.status_code, html.headers.get("Location"))
    if html_denied:
        assert "您没有执行此操作的权限" in html.text
    if allowed:
        # add creates; delete finds the row already deleted through the HTML door
        assert rest.status_code == {"add": 201, "delete": 404}.get(action, 200), rest.text
        if action == "delete":
            assert html.status_code == 302
    else:
        assert rest.status_code == 403, rest.text


# -- scope: no role ever reaches a row outside its jurisdiction -------------------------------
@pytest.mark.parametrize("username", list(USERS))
def test_lists_show_exactly_the_rows_in_scope(world: dict[str, Any], username: str) -> None:
    client = login(world["app"], username)
    response = client.get("/api/v1/demand/", query_string=_q(page_size=100))
    assert response.status_code == 200
    titles = {row["title"] for row in response.json["result"]} & set(ROWS)
    assert titles == VISIBLE[username]
    page = client.get("/procurement/demand/list/?psize_DemandView=100")
    for title in ROWS:
        assert (f">{title}<" in page.text) is (title in VISIBLE[username]), title
    lines = client.get("/api/v1/demand_line/", query_string=_q(page_size=100))
    expected_lines = {world["ids"]["lines"][t] for t in VISIBLE[username]}
    assert set(lines.json["ids"]) & set(world["ids"]["lines"].values()) == expected_lines


@pytest.mark.parametrize("username", list(USERS))
def test_rows_outside_scope_look_like_rows_that_do_not_exist(world: dict[str, Any],
                                                             username: str) -> None:
    client = login(world["app"], username)
    ids = world["ids"]
    missing = 999_999
    for title in set(ROWS) - VISIBLE[username]:
        pk = ids[title]
        for method, url, kwargs in (
                ("get", "/procurement/demand/show/{}", {}),
                ("get", "/procurement/demand/edit/{}", {}),
                ("post", "/procurement/demand/edit/{}", {"data": {"title": "改"}}),
                ("post", "/procurement/demand/delete/{}", {}),
                ("get", "/procurement/demand/download/letter/{}", {}),
                ("get", "/api/v1/demand/{}", {}),
                ("put", "/api/v1/demand/{}", {"json": {"title": "改"}}),
                ("delete", "/api/v1/demand/{}", {}),
                ("get", "/api/v1/demand_line/{}", {}),
        ):
            target = ids["lines"][title] if "demand_line" in url else pk
            outside = getattr(client, method)(url.format(target), **kwargs)
            absent = getattr(client, method)(url.format(missing), **kwargs)
            if outside.status_code == absent.status_code == 403:
                continue  # no permission for this door at all: same answer either way
            assert outside.status_code == absent.status_code == 404, (url, outside.status_code)
            # the same page, but for the script nonce of each response
            assert NONCE.sub(b"", outside.data) == NONCE.sub(b"", absent.data)
    # nothing was changed or deleted by any of those attempts
    with world["app"].app_context():
        model = world["app"].extensions["admin"].models["procurement.Demand"]
        titles = {r.title for r in world["app"].appbuilder.session.query(model)}
    assert set(ROWS) <= titles


@pytest.mark.parametrize("username", ["hosp_a", "gl", "gd"])
def test_reference_and_organisation_choices_are_scoped(world: dict[str, Any],
                                                       username: str) -> None:
    client = login(world["app"], username)
    choices = client.get("/procurement/demand_line/choices/demand?q=").json["results"]
    assert {c["text"] for c in choices} & set(ROWS) == VISIBLE[username]
    # a line cannot be attached to a demand outside scope through the API either
    outside = next(iter(set(ROWS) - VISIBLE[username]))
    response = client.post("/api/v1/demand_line/", json={
        "demand": world["ids"][outside], "quantity": 1})
    assert response.status_code == LINE_OUTSIDE_SCOPE[username], response.text
    if username == "hosp_a":
        assert response.json == {"message": {"demand": ["所选记录不存在。"]}}
    if username != "hosp_a":
        orgs = client.get("/procurement/demand/choices/org?q=").json["results"]
        names = {o["text"] for o in orgs}
        assert ("广东省" in names) is (username == "gd")
        assert "福州甲医院" in names or username == "gd"


def test_new_rows_belong_to_the_creator_and_cannot_be_placed_outside(
        world: dict[str, Any]) -> None:
    client = login(world["app"], "hosp_a")
    created = client.post("/api/v1/demand/", json={"title": "甲新"})
    assert created.status_code == 201, created.text
    shown = client.get(f"/api/v1/demand/{created.json['id']}").json["result"]
    assert shown["org"]["name"] == "福州甲医院"
    foreign = world["ids"]["orgs"]["91110000600037341L"]
    refused = client.post("/api/v1/demand/", json={"title": "越界", "org": foreign})
    assert refused.status_code == 422
    assert refused.json["message"] == {"org": ["所选记录不存在。"]}
    assert client.delete(f"/api/v1/demand/{created.json['id']}").status_code == 200


def test_field_rights_readonly_and_hidden(world: dict[str, Any]) -> None:
    client = login(world["app"], "hosp_a")
    pk = world["ids"]["甲1"]
    shown = client.get(f"/api/v1/demand/{pk}").json
    assert "note" not in shown["result"] and shown["result"]["baseline"] == 100
    assert "note" not in shown["show_columns"]
    assert client.put(f"/api/v1/demand/{pk}", json={"baseline": 1}).json["message"] == {
        "baseline": ["您无权修改此字段。"]}
    assert client.put(f"/api/v1/demand/{pk}", json={"note": "x"}).status_code == 422
    assert client.get("/api/v1/demand/", query_string=_q(
        filters=[{"col": "note", "opr": "eq", "value": "内部"}])).status_code == 400
    page = client.get(f"/procurement/demand/edit/{pk}").text
    assert 'name="note"' not in page and "内部备注" not in page
    assert 'disabled id="baseline"' in page or ('id="baseline"' in page and "disabled" in page)
    response = client.post(f"/procurement/demand/edit/{pk}", data={
        "title": "甲1", "baseline": "5", "note": "偷改"})
    assert response.status_code == 302
    with world["app"].app_context():
        model = world["app"].extensions["admin"].models["procurement.Demand"]
        row = world["app"].appbuilder.session.get(model, pk)
        assert (row.baseline, row.note) == (100, "内部")  # neither changed
    listing = client.get("/procurement/demand/list/").text
    assert "内部备注" not in listing
    assert client.get("/procurement/demand/list/?_flt_0_note=内部").status_code == 400
    reader = login(world["app"], "reader")
    result = reader.get(f"/api/v1/demand/{pk}").json["result"]
    assert "planned" not in result and "note" not in result


def test_drift_is_reported_and_apply_restores(world: dict[str, Any]) -> None:
    from flask_appbuilder.security.sqla.models import Role

    from app.apply import permission_drift

    app = world["app"]
    with app.app_context():
        assert permission_drift(app) == []
        sm = app.appbuilder.sm
        county = sm.find_role("county")
        extra = sm.find_permission_view_menu("can_delete", "procurement:demand")
        sm.add_permission_role(county, extra)
        assert permission_drift(app) == [
            "role 'county' has can_delete on procurement:demand (the YAML does not grant it)"]
        apply_schema(app)
        assert permission_drift(app) == []
        assert app.appbuilder.session.query(Role).filter_by(name="county").count() == 1


def test_sync_is_idempotent_and_uses_few_statements(world: dict[str, Any]) -> None:
    from app.apply import apply_schema as apply_all

    app = world["app"]
    with app.app_context():
        report = apply_all(app).permissions
    assert report.added == report.removed == 0
    assert report.statements <= 6


def test_permission_sync_of_200_entities_sends_a_bounded_number_of_statements(
        tmp_path: Path) -> None:
    """The sync is set-based: its statements do not grow with the entities (the time it takes
    is scenario 1 of `make bench`, bench/s1_startup.py, on the same schema)."""
    lines = ["roles:", "  clerk: {label: 办事员, level: unit}", "module: big",
             "entities:"]
    for i in range(200):
        lines += [f"  Thing{i}:", "    scope: jurisdiction", "    fields:",
                  "      name: {type: string, max: 50}", "      qty: integer",
                  "    permissions:", "      clerk: [list, show, add, edit]"]
    schema = tmp_path / "entities.yaml"
    schema.write_text("\n".join(lines) + "\n", encoding="utf-8")
    app = make_app(f"sqlite:///{tmp_path}/big.db", schema, tmp_path)
    from app.apply import apply_schema as apply_all

    with app.app_context():
        applied = apply_all(app)
        again = apply_all(app)
    assert applied.permissions.statements <= 20  # the same for 2 entities or 2,000
    assert applied.permissions.added > 200 * 4  # every grant of every entity, in those few
    assert again.permissions.added == again.permissions.removed == 0


def _statements(app: Any, client: Any, url: str) -> tuple[int, list[str]]:
    from sqlalchemy import event

    with app.app_context():
        engine = app.appbuilder.session.get_bind()
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        status = client.get(url).status_code
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return status, statements


def test_permission_checks_cost_no_query_once_a_host_has_read_them(
        world: dict[str, Any], tmp_path: Path) -> None:
    """The roles' rights are read once per host and kept while the permissions counter stands
    still: a list page then sends no permission query and at most 5 statements in all."""
    app = world["app"]
    client = login(app, "fj")
    status, first = _statements(app, client, "/procurement/demand/list/")
    assert status == 200
    assert len([s for s in first if "ab_permission_view_role" in s]) <= 1
    status, again = _statements(app, client, "/procurement/demand/list/")
    assert status == 200
    assert not [s for s in again if "ab_permission_view_role" in s], again
    assert len(again) <= 5, again
    # a second host on the same database, warmed too
    other = make_app(str(app.config["SQLALCHEMY_DATABASE_URI"]), SCHEMA, tmp_path)
    other_client = login(other, "fj")
    assert other_client.get("/procurement/demand/list/").status_code == 200
    # the built-in administrator's role screens (FAB's ORM) take 采购需求 from 省级 ...
    with app.app_context():
        sm = app.appbuilder.sm
        role = sm.find_role("province")
        pv = sm.find_permission_view_menu("can_list", "procurement:demand")
        sm.del_permission_role(role, pv)
    try:
        # ... and both hosts refuse it at their next request, without a restart
        assert client.get("/procurement/demand/list/").status_code != 200
        assert other_client.get("/procurement/demand/list/").status_code != 200
    finally:
        with app.app_context():
            sm = app.appbuilder.sm
            sm.add_permission_role(sm.find_role("province"),
                                   sm.find_permission_view_menu("can_list",
                                                                "procurement:demand"))
    assert client.get("/procurement/demand/list/").status_code == 200
    assert other_client.get("/procurement/demand/list/").status_code == 200
    # the permission sync (schema apply) counts its writes the same way
    from app.apply import apply_schema as apply_all

    with app.app_context():
        sm = app.appbuilder.sm
        sm.del_permission_role(sm.find_role("province"),
                               sm.find_permission_view_menu("can_list", "procurement:demand"))
        assert other_client.get("/procurement/demand/list/").status_code != 200
        report = apply_all(app).permissions
    assert report.added == 1
    assert other_client.get("/procurement/demand/list/").status_code == 200
