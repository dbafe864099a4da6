"""`user` fields (承办人, tests/data/schemas/people): the accounts offered and accepted are the
active ones holding the field's roles within the chooser's jurisdiction at every door (the
form, the REST API, imports by user name), shown by name, filtered, and a state with
`todo_for` is 待办 only of the person it names (SQLite and PostgreSQL)."""

from __future__ import annotations

import gc
import io
import re
from typing import Any

import pytest

from tests.conftest import PASSWORD, SCHEMAS, apply_schema, dispose, make_app, seed_people, sign_in

SCHEMA = SCHEMAS / "people" / "entities.yaml"
ORGS = {"640000": ("宁夏回族自治区", "province", None, None),
        "640100": ("银川市", "city", "640000", None),
        "640104": ("兴庆区", "county", "640100", None),
        "640105": ("西夏区", "county", "640100", None)}
USERS = {"prov": ("province", "640000"), "county": ("county", "640104"),
         "insp1": ("inspector", "640104"), "insp2": ("inspector", "640104"),
         "insp3": ("inspector", "640105"), "gone": ("inspector", "640104"),
         "clerk": ("county", "640104")}


@pytest.fixture(scope="module")
def world(database_url: str, tmp_path_factory: Any) -> Any:
    app = make_app(database_url, SCHEMA, tmp_path_factory.mktemp("files"))
    apply_schema(app)
    with app.app_context():
        seed_people(app, ORGS, USERS, PASSWORD)
        sm = app.appbuilder.sm
        ids = {name: sm.find_user(username=name).id for name in USERS}
        sm.find_user(username="gone").active = False
        app.appbuilder.session.commit()
    clients = {name: sign_in(app, name) for name in ("prov", "county", "insp1", "insp2")}
    yield {"app": app, "ids": ids, **clients}
    dispose(app)
    gc.collect()


def _offered(page: str) -> set[str]:
    select = re.search(r'<select[^>]*name="handler".*?</select>', page, re.S)
    assert select is not None
    return set(re.findall(r'<option[^>]*value="(\d+)"', select.group(0)))


def test_the_form_offers_the_active_inspectors_of_the_choosers_jurisdiction(
        world: dict[str, Any]) -> None:
    ids = world["ids"]
    page = world["county"].get("/people/case/add").text
    assert _offered(page) == {str(ids["insp1"]), str(ids["insp2"])}
    assert "insp1（兴庆区）" in page
    province = world["prov"].get("/people/case/add").text
    assert _offered(province) == {str(ids[n]) for n in ("insp1", "insp2", "insp3")}


def test_the_form_refuses_a_person_outside_and_keeps_what_was_typed(
        world: dict[str, Any]) -> None:
    ids = world["ids"]
    for outsider in (ids["insp3"], ids["gone"], ids["clerk"], 99999):
        response = world["county"].post("/people/case/add", data={
            "code": "F-1", "handler": str(outsider)})
        assert response.status_code == 200
        assert "所选人员不在可选范围内。" in response.text
        assert 'value="F-1"' in response.text
    response = world["county"].post("/people/case/add", data={
        "code": "F-1", "handler": str(ids["insp1"])})
    assert response.status_code == 302
    rows = world["county"].get("/api/v1/case/", query_string={
        "q": "(filters:!((col:code,opr:eq,value:F-1)))"}).json["result"]
    assert [r["handler"] for r in rows] == [ids["insp1"]]


def test_the_rest_api_takes_an_id_or_a_user_name_within_reach(world: dict[str, Any]) -> None:
    county, ids = world["county"], world["ids"]
    refused = county.post("/api/v1/case/", json={"code": "R-1", "handler": ids["insp3"]})
    assert refused.status_code == 422
    assert refused.json["message"] == {"handler": ["所选人员不在可选范围内。"]}
    named = county.post("/api/v1/case/", json={"code": "R-1", "handler": "insp3"})
    assert named.json["message"] == {"handler": ["没有可选的人员“insp3”。"]}
    assert county.post("/api/v1/case/", json={"code": "R-1", "handler": True}
                       ).json["message"] == {"handler": ["须为一个人员账号。"]}
    made = county.post("/api/v1/case/", json={"code": "R-1", "handler": "insp2"})
    assert made.status_code == 201, made.json
    assert county.get(f"/api/v1/case/{made.json['id']}").json["result"]["handler"] == ids["insp2"]
    assert world["prov"].post("/api/v1/case/", json={"code": "R-2", "handler": "insp3"}
                              ).status_code == 201


def test_an_import_names_the_person_by_user_name(world: dict[str, Any]) -> None:
    county, ids = world["county"], world["ids"]
    data = "\ufeff编号,承办人\nI-1,insp2\nI-2,insp3\n".encode()
    response = county.post("/api/v1/case/import", data={"file": (io.BytesIO(data), "c.csv")},
                           content_type="multipart/form-data")
    assert response.json["error_count"] == 1, response.json
    assert response.json["errors"][0]["message"] == "没有可选的人员“insp3”。"
    good = "\ufeff编号,承办人\nI-1,insp2\n".encode()
    response = county.post("/api/v1/case/import", data={"file": (io.BytesIO(good), "c.csv")},
                           content_type="multipart/form-data")
    assert response.json["created"] == 1, response.json
    rows = county.get("/api/v1/case/", query_string={
        "q": "(filters:!((col:code,opr:eq,value:I-1)))"}).json["result"]
    assert [r["handler"] for r in rows] == [ids["insp2"]]


def test_lists_show_the_name_and_filter_by_the_person(world: dict[str, Any]) -> None:
    county, ids = world["county"], world["ids"]
    county.post("/api/v1/case/", json={"code": "L-1", "handler": ids["insp1"]})
    county.post("/api/v1/case/", json={"code": "L-2", "handler": ids["insp2"]})
    page = county.get("/people/case/list/", query_string={"_flt_0_handler": ids["insp1"]}).text
    assert "L-1" in page and "L-2" not in page
    row = page.split("L-1", 1)[1].split("</tr>", 1)[0]
    assert re.search(r">\s*insp1\s*<", row) and str(ids["insp1"]) not in re.sub(
        r"<[^>]*>", "", row)
    exported = county.get("/people/case/export/csv", query_string={"_flt_0_handler": ids["insp2"]})
    assert exported.status_code == 200
    assert "L-2,insp2" in exported.data.decode("utf-8-sig").replace("\r", "")


def test_a_state_with_todo_for_waits_for_its_handler_only(world: dict[str, Any]) -> None:
    county, ids = world["county"], world["ids"]
    made = county.post("/api/v1/case/", json={"code": "T-1", "handler": ids["insp1"]}).json["id"]
    assert county.post(f"/api/v1/case/{made}/transition/assign", json={}).status_code == 200
    mine = world["insp1"].get("/api/v1/case/", query_string={"todo": "1"}).json["result"]
    assert [r["code"] for r in mine] == ["T-1"]
    assert world["insp2"].get("/api/v1/case/", query_string={"todo": "1"}).json["result"] == []
    home = world["insp1"].get("/").text
    assert "todo-count" in home
    listed = world["insp2"].get("/people/case/list/", query_string={"mine": "1"}).text
    assert "仅列出由您承办的记录。" in listed and "T-1" not in listed
    assert "T-1" in world["insp1"].get("/people/case/list/", query_string={"mine": "1"}).text
    assert "我承办的" in world["insp1"].get("/people/case/list/").text
