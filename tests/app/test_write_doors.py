"""One write path: the same guard gives the same outcome at every door that writes a row or
moves its state (the add/edit form, list editing, REST POST/PUT, imports; the transition
button, the list's batch action, 全部 above the list, REST single and many).

For each guard (a locked state, a read-only field, a hidden field, a reference outside the
user's range, a transition's missing `needs`) and each door: nothing is written, and the
person is told why in Chinese."""

from __future__ import annotations

import csv
import decimal
import io
from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import (
    PASSWORD,
    SCHEMAS,
    apply_schema,
    dispose,
    ensure_admin,
    make_app,
    seed_people,
    sign_in,
)

SCHEMA = SCHEMAS / "doors" / "entities.yaml"
UNIT, OTHER_UNIT = "91350100M000100Y43", "12100000400000624D"
ORGS = {"350000": ("福建省", "province", None, None),
        UNIT: ("福州甲医院", "unit", "350000", "institution"),
        OTHER_UNIT: ("福州乙医院", "unit", "350000", "institution")}
ROW = "doors.Row"
BASE = "/doors/row"


@pytest.fixture(scope="module")
def world(database_url: str, tmp_path_factory: Any) -> Any:
    app = make_app(database_url, SCHEMA, tmp_path_factory.mktemp("files"))
    apply_schema(app)
    ensure_admin(app)
    with app.app_context():
        session = app.appbuilder.session
        orgs = seed_people(app, ORGS, {"clerk": ("clerk", UNIT, "institution"),
                                       "boss": ("boss", "350000", "regulator")}, PASSWORD)
        models = app.extensions["admin"].models
        batch = models["doors.Batch"](name="第一批")
        mine = models["doors.Other"](name="张三", org=orgs[UNIT])
        theirs = models["doors.Other"](name="李四", org=orgs[OTHER_UNIT])
        session.add_all([batch, mine, theirs])
        session.commit()
        ids = {"batch": batch.id, "mine": mine.id, "theirs": theirs.id}
    yield {"app": app, **ids}
    dispose(app)


def make_row(world: dict[str, Any], code: str, state: str = "draft", **values: Any) -> int:
    app = world["app"]
    with app.app_context():
        from app.security.models import Organisation

        session = app.appbuilder.session
        row = app.extensions["admin"].models[ROW](
            batch_id=world["batch"], code=code, state=state,
            org=session.query(Organisation).filter_by(code=UNIT).one(), **values)
        session.add(row)
        session.commit()
        return int(row.id)


def stored(world: dict[str, Any], pk: int) -> dict[str, Any]:
    app = world["app"]
    with app.app_context():
        session = app.appbuilder.session
        session.expire_all()
        row = session.get(app.extensions["admin"].models[ROW], pk)
        return {name: getattr(row, name) for name in (
            "state", "qty", "price", "fixed", "secret", "contact_id", "row_version")}


def text(html: str) -> str:
    import re

    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _csv(lines: list[list[Any]]) -> Any:
    out = io.StringIO()
    csv.writer(out).writerows(lines)
    return io.BytesIO(("\ufeff" + out.getvalue()).encode("utf-8"))


# -- the write doors: each takes (client, row id, code, {field: value}) and answers
# -- (HTTP status, what the person reads)
def form(client: Any, pk: int, code: str, values: dict[str, Any]) -> tuple[int, str]:
    data = {"batch": "1", "code": code, **{k: str(v) for k, v in values.items()}}
    response = client.post(f"{BASE}/edit/{pk}", data=data, follow_redirects=True)
    return response.status_code, text(response.text)


def list_edit(client: Any, pk: int, code: str, values: dict[str, Any]) -> tuple[int, str]:
    data = {"action": "list_edit", "rowid": str(pk),
            **{f"edit-{pk}-{k}": str(v) for k, v in values.items()}}
    response = client.post(f"{BASE}/action_post", data=data, follow_redirects=True)
    return response.status_code, text(response.text)


def rest_put(client: Any, pk: int, code: str, values: dict[str, Any]) -> tuple[int, str]:
    response = client.put(f"/api/v1/row/{pk}", json=values)
    return response.status_code, str(response.json)


def rest_import(client: Any, pk: int, code: str, values: dict[str, Any]) -> tuple[int, str]:
    labels = {"qty": "数量", "price": "单价", "fixed": "核定值", "secret": "内部备注",
              "contact": "联系人"}
    header = ["批次", "编号"] + [labels[k] for k in values]
    line = ["第一批", code] + [("李四" if k == "contact" else v) for k, v in values.items()]
    response = client.post("/api/v1/row/import", data={"file": (_csv([header, line]), "r.csv")},
                           content_type="multipart/form-data")
    return response.status_code, str(response.json)


WRITE_DOORS: dict[str, Callable[..., tuple[int, str]]] = {
    "form": form, "list": list_edit, "rest": rest_put, "import": rest_import}


@pytest.mark.parametrize("door", sorted(WRITE_DOORS))
def test_a_locked_row_is_not_written(world: dict[str, Any], door: str) -> None:
    code = f"L-{door}"
    pk = make_row(world, code, state="done", qty=1)
    status, said = WRITE_DOORS[door](sign_in(world["app"], "clerk"), pk, code, {"qty": 5})
    assert stored(world, pk)["qty"] == 1
    assert status == {"form": 200, "list": 200, "rest": 409, "import": 422}[door]
    assert "“已提交”状态的记录不能修改" in said, said


@pytest.mark.parametrize("door", sorted(WRITE_DOORS))
def test_a_read_only_field_is_not_written(world: dict[str, Any], door: str) -> None:
    code = f"R-{door}"
    pk = make_row(world, code, qty=1, fixed="核定")
    status, said = WRITE_DOORS[door](sign_in(world["app"], "clerk"), pk, code,
                                     {"qty": 2, "fixed": "篡改"})
    after = stored(world, pk)
    assert after["fixed"] == "核定"
    # the form and the list keep the stored value and save the rest; REST and imports refuse
    assert status == {"form": 200, "list": 200, "rest": 422, "import": 422}[door]
    assert after["qty"] == {"form": 2, "list": 2, "rest": 1, "import": 1}[door]
    if door == "rest":
        assert "您无权修改此字段" in said
    if door == "import":
        assert "列“核定值”不是您可以导入的字段" in said


@pytest.mark.parametrize("door", ["form", "rest", "import"])
def test_a_hidden_field_is_not_written(world: dict[str, Any], door: str) -> None:
    code = f"H-{door}"
    pk = make_row(world, code, qty=1, secret="内部")
    status, said = WRITE_DOORS[door](sign_in(world["app"], "clerk"), pk, code,
                                     {"secret": "篡改"})
    assert stored(world, pk)["secret"] == "内部"
    assert status == {"form": 200, "rest": 422, "import": 422}[door]
    if door == "form":
        assert "内部备注" not in said  # not even shown


@pytest.mark.parametrize("door", ["form", "rest", "import"])
def test_a_reference_outside_the_users_range_is_refused(world: dict[str, Any],
                                                        door: str) -> None:
    code = f"S-{door}"
    pk = make_row(world, code, qty=1, contact_id=world["mine"])
    values = {"contact": world["theirs"]}
    status, said = WRITE_DOORS[door](sign_in(world["app"], "clerk"), pk, code, values)
    assert stored(world, pk)["contact_id"] == world["mine"]
    assert status == {"form": 200, "rest": 422, "import": 422}[door]
    assert ("所选记录不存在" in said) or ("不在您的管辖范围内" in said), said


def rest_post(client: Any, pk: int, code: str, values: dict[str, Any]) -> tuple[int, str]:
    response = client.post("/api/v1/row/", json={"batch": 1, "code": f"{code}-new", **values})
    return response.status_code, str(response.json)


@pytest.mark.parametrize("raw", ["NaN", "sNaN", "Infinity", "-inf", "1e999999"])
@pytest.mark.parametrize("door", [*sorted(WRITE_DOORS), "rest_post"])
def test_not_a_number_is_a_chinese_refusal_at_every_door(world: dict[str, Any], door: str,
                                                          raw: str) -> None:
    code = f"X-{door}-{raw}"
    pk = make_row(world, code, price=decimal.Decimal("1.50"))
    write = {**WRITE_DOORS, "rest_post": rest_post}[door]
    status, said = write(sign_in(world["app"], "clerk"), pk, code, {"price": raw})
    assert stored(world, pk)["price"] == decimal.Decimal("1.50")
    assert status == {"form": 200, "list": 200}.get(door, 422)
    expected = "位数过多" if raw == "1e999999" else "必须是数字"
    assert expected in said, said
    assert not [r for r in rows(world) if r == f"{code}-new"]


def rows(world: dict[str, Any]) -> list[str]:
    app = world["app"]
    with app.app_context():
        return [r.code for r in app.appbuilder.session.query(
            app.extensions["admin"].models[ROW])]


# -- the transition doors --------------------------------------------------------------------
def button(client: Any, pk: int) -> tuple[int, str]:
    response = client.post(f"{BASE}/transition/submit/{pk}", follow_redirects=True)
    return response.status_code, text(response.text)


def batch_action(client: Any, pk: int) -> tuple[int, str]:
    response = client.post(f"{BASE}/action_post", data={"action": "submit", "rowid": str(pk)},
                           follow_redirects=True)
    return response.status_code, text(response.text)


def every_row(client: Any, pk: int) -> tuple[int, str]:
    response = client.post(f"{BASE}/transition_all/submit", follow_redirects=True)
    return response.status_code, text(response.text)


def rest_one(client: Any, pk: int) -> tuple[int, str]:
    response = client.post(f"/api/v1/row/{pk}/transition/submit", json={})
    return response.status_code, str(response.json.get("message"))


def rest_many(client: Any, pk: int) -> tuple[int, str]:
    response = client.post("/api/v1/row/transition/submit", json={"ids": [pk]})
    return response.status_code, str(response.json.get("refused"))


TRANSITION_DOORS = {"button": button, "batch": batch_action, "all": every_row,
                    "rest": rest_one, "rest_many": rest_many}


@pytest.mark.parametrize("door", sorted(TRANSITION_DOORS))
def test_a_missing_needs_stops_every_transition_door(world: dict[str, Any], door: str) -> None:
    pk = make_row(world, f"N-{door}", qty=1)
    status, said = TRANSITION_DOORS[door](sign_in(world["app"], "clerk"), pk)
    assert stored(world, pk)["state"] == "draft"
    assert status == {"rest": 409}.get(door, 200)
    assert "请先上传本批次的承诺函" in said, said


def test_an_accepted_change_meets_the_rules_of_every_door(world: dict[str, Any]) -> None:
    """变更 acceptance is a write door too: a proposal that breaks a field's rule (stored
    before the rule existed, or by hand) is refused with the reason, nothing written."""
    import json

    from app.workflow.changes import ChangeRequest

    pk = make_row(world, "C-1", state="done", qty=3)
    app = world["app"]
    with app.app_context():
        session = app.appbuilder.session
        change = ChangeRequest(entity=ROW, record_id=pk, requested_by=1,
                               proposed=json.dumps({"qty": [3, -5]}))
        session.add(change)
        session.commit()
        change_id = change.id
    boss = sign_in(app, "boss")
    page = boss.post(f"{BASE}/change/decide/{change_id}", data={"decision": "accept"},
                     follow_redirects=True)
    assert "该变更不能接受：数量：不能小于 0。" in text(page.text)
    assert stored(world, pk)["qty"] == 3
    with app.app_context():
        assert app.appbuilder.session.get(ChangeRequest, change_id).status == "pending"
