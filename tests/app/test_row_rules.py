"""Cascading references (省 -> 市 -> 县, 品种 -> 规格) and conditional fields (visible_if,
required_if as an expression, readonly_if) at every write door: the form, REST and imports
refuse what the rules refuse, in Chinese, and write nothing; a hidden field is saved blank
(SQLite and PostgreSQL)."""

from __future__ import annotations

import csv
import decimal
import io
import re
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

SCHEMA = SCHEMAS / "conditional" / "entities.yaml"
UNIT = "91350100M000100Y43"
ORGS = {"350000": ("福建省", "province", None, None),
        UNIT: ("福州甲医院", "unit", "350000", "institution")}
REPORT = "cond.Report"
HEADERS = {"title": "标题", "province": "省", "city": "市", "county": "县", "kind": "企业类型",
           "agent": "境内代理人", "quantity": "数量", "reason": "超量说明", "amount": "核定金额",
           "locked": "已核定", "dosage": "剂型"}
NOT_OF_PROVINCE = "不属于所选省。"
REQUIRED = "根据已填写的内容，此项为必填项。"
READ_ONLY = "根据已填写的内容，此项不可修改。"


@pytest.fixture(scope="module")
def world(database_url: str, tmp_path_factory: Any) -> Any:
    app = make_app(database_url, SCHEMA, tmp_path_factory.mktemp("files"))
    apply_schema(app)
    ensure_admin(app)
    with app.app_context():
        session = app.appbuilder.session
        seed_people(app, ORGS, {"clerk": ("clerk", UNIT, "institution")}, PASSWORD)
        models = app.extensions["admin"].models
        region = models["cond.Region"]

        def add(name: str, parent: Any = None) -> Any:
            row = region(name=name, parent_id=None if parent is None else parent.id)
            session.add(row)
            session.flush()
            return row

        fujian, guangdong = add("福建省"), add("广东省")
        fuzhou, guangzhou = add("福州市", fujian), add("广州市", guangdong)
        gulou = add("鼓楼区", fuzhou)
        add("鼓楼区", guangzhou)  # a name twice: the import tells them apart by their 市
        variety = models["cond.Variety"](name="阿莫西林")
        session.add(variety)
        session.flush()
        session.add(models["cond.Strength"](name="0.25g", variety_id=variety.id))
        session.commit()
        ids = {r.name: r.id for r in (fujian, guangdong, fuzhou, guangzhou, gulou)}
    yield {"app": app, **ids}
    dispose(app)


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def stored(world: dict[str, Any], title: str) -> Any:
    app = world["app"]
    with app.app_context():
        session = app.appbuilder.session
        session.expire_all()
        model = app.extensions["admin"].models[REPORT]
        row = session.query(model).filter_by(title=title).one_or_none()
        return None if row is None else {
            "city_id": row.city_id, "county_id": row.county_id, "agent": row.agent,
            "amount": row.amount, "reason": row.reason}


def make_report(world: dict[str, Any], title: str, **values: Any) -> int:
    app = world["app"]
    with app.app_context():
        from app.security.models import Organisation

        session = app.appbuilder.session
        row = app.extensions["admin"].models[REPORT](
            title=title, kind="domestic", org=session.query(Organisation).filter_by(
                code=UNIT).one(), **values)
        session.add(row)
        session.commit()
        return int(row.id)


# -- the doors: each takes (client, stored row id or None, {field: value}) and answers
# -- (HTTP status, what the person reads)
def form(client: Any, pk: int | None, values: dict[str, Any]) -> tuple[int, str]:
    data = {k: ("y" if v is True else str(v)) for k, v in values.items() if v is not False}
    url = "/cond/report/add" if pk is None else f"/cond/report/edit/{pk}"
    response = client.post(url, data=data, follow_redirects=True)
    return response.status_code, text(response.text)


def rest(client: Any, pk: int | None, values: dict[str, Any]) -> tuple[int, str]:
    if pk is None:
        response = client.post("/api/v1/report/", json=values)
    else:
        response = client.put(f"/api/v1/report/{pk}", json=values)
    return response.status_code, str(response.json)


def spreadsheet(client: Any, pk: int | None, values: dict[str, Any]) -> tuple[int, str]:
    names = {v: k for k, v in world_names.items()}
    cells = {k: (names.get(v, v) if k in ("province", "city", "county") else v)
             for k, v in values.items()}
    cells = {k: ("是" if v is True else "否" if v is False else v) for k, v in cells.items()}
    cells.setdefault("kind", "境内")
    labels = {"domestic": "境内", "overseas": "境外", "tablet": "片剂", "injection": "注射剂"}
    cells = {k: (labels.get(v, v) if k in ("kind", "dosage") else v) for k, v in cells.items()}
    out = io.StringIO()
    csv.writer(out).writerows([[HEADERS[k] for k in cells], list(cells.values())])
    data = io.BytesIO(("\ufeff" + out.getvalue()).encode("utf-8"))
    response = client.post("/api/v1/report/import", data={"file": (data, "r.csv")},
                           content_type="multipart/form-data")
    return response.status_code, str(response.json)


world_names: dict[str, int] = {}  # region name -> id, for the spreadsheet door
DOORS: dict[str, Callable[..., tuple[int, str]]] = {
    "form": form, "rest": rest, "import": spreadsheet}
REFUSED = {"form": 200, "rest": 422, "import": 422}


@pytest.fixture(autouse=True)
def names(world: dict[str, Any]) -> None:
    world_names.clear()
    world_names.update({k: v for k, v in world.items() if isinstance(v, int)})


@pytest.mark.parametrize("door", sorted(DOORS))
def test_a_city_of_another_province_is_refused(world: dict[str, Any], door: str) -> None:
    title = f"跨省-{door}"
    status, said = DOORS[door](sign_in(world["app"], "clerk"), None, {
        "title": title, "kind": "domestic", "province": world["福建省"],
        "city": world["广州市"]})
    assert status == REFUSED[door]
    assert NOT_OF_PROVINCE in said, said[-800:]
    assert stored(world, title) is None
    status, said = DOORS[door](sign_in(world["app"], "clerk"), None, {
        "title": title, "kind": "domestic", "province": world["福建省"],
        "city": world["福州市"], "county": world["鼓楼区"]})
    assert status in (200, 201), said[-800:]
    assert stored(world, title)["city_id"] == world["福州市"]
    assert stored(world, title)["county_id"] == world["鼓楼区"]


def test_a_city_needs_its_province_first(world: dict[str, Any]) -> None:
    status, said = rest(sign_in(world["app"], "clerk"), None, {
        "title": "无省", "kind": "domestic", "city": world["福州市"]})
    assert (status, "请先选择省。" in said) == (422, True), said


def test_the_choices_follow_the_chosen_parent(world: dict[str, Any]) -> None:
    client = sign_in(world["app"], "clerk")

    def offered(**args: Any) -> list[str]:
        response = client.get("/cond/report/choices/city", query_string=args)
        assert response.status_code == 200
        return [r["text"] for r in response.json["results"]]

    assert offered(parent=world["福建省"]) == ["福州市"]
    assert offered(parent=world["广东省"], q="广") == ["广州市"]
    assert offered(parent="") == []  # the 省 is not chosen yet
    assert len(offered()) == 6  # the list filters' picker without a chosen 省
    assert offered(parent=world["福建省"], search=1) == ["福州市"]


@pytest.mark.parametrize("door", sorted(DOORS))
def test_a_hidden_field_is_not_required_and_saved_blank(world: dict[str, Any],
                                                        door: str) -> None:
    title = f"隐藏-{door}"
    client = sign_in(world["app"], "clerk")
    status, said = DOORS[door](client, None, {"title": title, "kind": "overseas"})
    assert status == REFUSED[door] and REQUIRED in said, said[-800:]
    status, said = DOORS[door](client, None, {"title": title, "kind": "domestic",
                                              "agent": "某代理公司"})
    assert status in (200, 201), said[-800:]
    assert stored(world, title)["agent"] is None  # shown only for 境外: not kept


@pytest.mark.parametrize("door", sorted(DOORS))
def test_required_if_takes_an_expression(world: dict[str, Any], door: str) -> None:
    title = f"超量-{door}"
    client = sign_in(world["app"], "clerk")
    status, said = DOORS[door](client, None, {"title": title, "kind": "domestic",
                                              "quantity": 200})
    assert status == REFUSED[door] and REQUIRED in said, said[-800:]
    status, said = DOORS[door](client, None, {"title": title, "kind": "domestic",
                                              "quantity": 50})
    assert status in (200, 201), said[-800:]


@pytest.mark.parametrize("door", sorted(DOORS))
def test_a_read_only_if_field_cannot_be_changed(world: dict[str, Any], door: str) -> None:
    title = f"核定-{door}"
    pk = make_report(world, title, locked=True, amount=decimal.Decimal("10.00"))
    client = sign_in(world["app"], "clerk")
    status, said = DOORS[door](client, pk, {"title": title, "kind": "domestic",
                                            "locked": True, "amount": "99"})
    assert status == {"form": 200, "rest": 422, "import": 422}[door]
    assert READ_ONLY in said, said[-800:]
    assert stored(world, title)["amount"] == decimal.Decimal("10.00")
    # unlocking and changing at once is refused too: it holds on the stored row
    status, said = DOORS[door](client, pk, {"title": title, "kind": "domestic",
                                            "locked": False, "amount": "99"})
    assert READ_ONLY in said, said[-800:]
    status, said = DOORS[door](client, pk, {"title": title, "kind": "domestic",
                                            "locked": True, "amount": "10.00"})
    assert status == 200, said[-800:]
    assert READ_ONLY not in said


@pytest.mark.parametrize("door", sorted(DOORS))
def test_an_enum_takes_only_the_values_of_the_chosen_kind(world: dict[str, Any],
                                                          door: str) -> None:
    title = f"剂型-{door}"
    client = sign_in(world["app"], "clerk")
    status, said = DOORS[door](client, None, {"title": title, "kind": "domestic",
                                              "dosage": "injection"})
    assert status == REFUSED[door] and "不属于所选企业类型。" in said, said[-800:]
    assert stored(world, title) is None
    status, said = DOORS[door](client, None, {"title": title, "kind": "domestic",
                                              "dosage": "tablet"})
    assert status in (200, 201), said[-800:]


def list_edit(client: Any, pk: int, values: dict[str, Any]) -> tuple[int, str]:
    data = {"action": "list_edit", "rowid": str(pk),
            **{f"edit-{pk}-{k}": str(v) for k, v in values.items()}}
    response = client.post("/cond/report/action_post", data=data, follow_redirects=True)
    return response.status_code, text(response.text)


def test_list_editing_follows_the_same_rules(world: dict[str, Any]) -> None:
    client = sign_in(world["app"], "clerk")
    pk = make_report(world, "列表-超量")
    status, said = list_edit(client, pk, {"quantity": 200, "reason": ""})
    assert status == 200 and f"“列表-超量”的超量说明：{REQUIRED}" in said, said[-1500:]
    locked = make_report(world, "列表-核定", locked=True, amount=decimal.Decimal("10.00"))
    page = client.get("/cond/report/list/?psize_ReportView=100").text
    assert f'name="edit-{pk}-amount"' in page  # no input where it cannot be changed
    assert f'name="edit-{locked}-amount"' not in page and f'name="edit-{locked}-quantity"' in page
    status, said = list_edit(client, locked, {"amount": "99"})
    assert f"“列表-核定”的核定金额：{READ_ONLY}" in said, said[-1500:]
    assert stored(world, "列表-核定")["amount"] == decimal.Decimal("10.00")
    status, said = list_edit(client, pk, {"quantity": 200, "reason": "集中采购"})
    assert stored(world, "列表-超量")["reason"] == "集中采购"


def test_an_accepted_change_is_checked_on_the_row_as_it_was(world: dict[str, Any]) -> None:
    """变更: the values a decision would write go through the same rules (validation.row_errors
    reads the stored row from the session's history)."""
    pk = make_report(world, "变更-核定", locked=True, amount=decimal.Decimal("10.00"),
                     agent="残留")
    app = world["app"]
    with app.test_request_context():
        from app.validation import row_errors

        session = app.appbuilder.session
        model = app.extensions["admin"].models[REPORT]
        row = session.get(model, pk)
        entity = app.extensions["admin"].spec.entity(REPORT)
        row.amount = decimal.Decimal("99")
        assert row_errors(entity, model, session, row, ["amount"]) == {"amount": [READ_ONLY]}
        assert row.agent is None  # hidden for 境内: not kept
        session.rollback()


def detail(client: Any, pk: int) -> str:
    """The detail page's fields, without the record's history below them."""
    page = client.get(f"/cond/report/show/{pk}").text
    return text(page.rsplit('<div class="panel panel-default">', 1)[0])


def test_the_detail_page_leaves_out_what_visible_if_hides_on_that_row(
        world: dict[str, Any]) -> None:
    """境内代理人 is shown for 境外 only: a 境内 row's detail page does not list it, even with
    a value stored before the rule; a 境外 row's does."""
    client = sign_in(world["app"], "clerk")
    domestic = make_report(world, "详情-境内", agent="旧代理公司")
    page = detail(client, domestic)
    assert "企业类型" in page and "境内代理人" not in page and "旧代理公司" not in page
    overseas = make_report(world, "详情-境外")
    app = world["app"]
    with app.app_context():
        session = app.appbuilder.session
        row = session.get(app.extensions["admin"].models[REPORT], overseas)
        row.kind, row.agent = "overseas", "某代理公司"
        session.commit()
    page = detail(client, overseas)
    assert "境内代理人" in page and "某代理公司" in page
    # the list is one page for every row: its column stays
    assert "境内代理人" in text(client.get("/cond/report/list/").text)
