"""药品追溯 (seed 004 §二(七)) as its users meet it in 宁夏: the wholesaler 凤城医药 uploads its
sales to the pharmacy 康民大药房 through the REST bulk upload, the pharmacy its purchases
through the bulk upload and the import; every upload is matched at once (sale against the
downstream purchase of the same drug, batch and quantity), so the regulators of 兴庆区, 银川市
and the province list the mismatches of their region (下游未报购进, 上游未报销售, 数量不符), and
another province sees none of it. The bulk upload's doors: all or nothing, errors by row and
field in Chinese, the caller's range and field rights, the row limit (SQLite and PostgreSQL)."""

from __future__ import annotations

import gc
from typing import Any

import prison
import pytest

from tests.modules.conftest import login, rows
from tests.modules.nx_world import MAKER, PHARMACY, WHOLESALE, dispose, make_world

BULK = "/api/v1/stock_movement/bulk"
LIST = "/api/v1/stock_movement/"
ENTITY = "trace.StockMovement"
DRUG = {"drug_code": "86900123000017", "generic_name": "阿莫西林胶囊", "strength": "0.25g*24粒",
        "maker": "宁夏塞上康源制药有限公司", "unit": "盒", "expires_on": "2028-05-31"}


@pytest.fixture(scope="module")
def world(database_url: str, tmp_path_factory: Any) -> Any:
    made = make_world(database_url, tmp_path_factory.mktemp("files"))
    yield made
    dispose(made["app"])
    gc.collect()


@pytest.fixture
def app(world: dict[str, Any]) -> Any:
    return world["app"]


@pytest.fixture(autouse=True)
def fresh(app: Any) -> None:
    from sqlalchemy import delete

    from app.audit.models import AuditEntry

    with app.app_context():
        session = app.appbuilder.session
        session.execute(delete(app.extensions["admin"].models[ENTITY]))
        session.execute(delete(AuditEntry).where(AuditEntry.entity == ENTITY))
        session.commit()
        app.config["ADMIN_BULK_MAX_ROWS"] = 10_000


def movement(kind: str, batch: str, quantity: int, party: str, **extra: Any) -> dict[str, Any]:
    return {"kind": kind, "moved_on": "2026-03-02", "batch_no": batch, "quantity": quantity,
            "counterparty_uscc": party, **DRUG, **extra}


def sales() -> list[dict[str, Any]]:
    """凤城医药 sells three batches to 康民大药房."""
    return [movement("sale", "B2601", 100, PHARMACY, counterparty_name="银川市兴庆区康民大药房"),
            movement("sale", "B2602", 50, PHARMACY), movement("sale", "B2603", 30, PHARMACY)]


def states(app: Any) -> dict[tuple[str, str], tuple[str | None, bool]]:
    """(kind, batch) -> (match state, paired with a row)."""
    return {(r.kind, r.batch_no): (r.match_state, r.matched_id is not None)
            for r in rows(app, ENTITY)}


def listed(app: Any, username: str, **filters: str) -> list[dict[str, Any]]:
    q = prison.dumps({"filters": [{"col": k, "opr": "eq", "value": v}
                                  for k, v in filters.items()], "page_size": 100})
    response = login(app, username).get(f"{LIST}?q={q}")
    assert response.status_code == 200, response.json
    return list(response.json["result"])


def upload(app: Any) -> None:
    """Sales by bulk; two purchases by bulk (one of 45 where 50 were sold); none of B2603."""
    response = login(app, "nx_wholesale").post(BULK, json={"rows": sales()})
    assert response.status_code == 201, response.json
    assert response.json["count"] == 3 and len(response.json["ids"]) == 3
    response = login(app, "nx_pharmacy").post(BULK, json={"rows": [
        movement("purchase", "B2601", 100, WHOLESALE),
        movement("purchase", "B2602", 45, WHOLESALE)]})
    assert response.status_code == 201, response.json


def test_uploads_are_matched_at_once(app: Any) -> None:
    upload(app)
    assert states(app) == {
        ("sale", "B2601"): ("matched", True), ("purchase", "B2601"): ("matched", True),
        ("sale", "B2602"): ("differs", True), ("purchase", "B2602"): ("differs", True),
        ("sale", "B2603"): ("missing_other", False)}
    [sale] = rows(app, ENTITY, kind="sale", batch_no="B2601")
    [purchase] = rows(app, ENTITY, kind="purchase", batch_no="B2601")
    assert (sale.matched_id, purchase.matched_id) == (purchase.id, sale.id)
    assert sale.org.code == WHOLESALE and purchase.org.code == PHARMACY
    # each row of the upload is in the history, as a single POST's is
    from app.audit.models import AuditEntry

    with app.app_context():
        written = app.appbuilder.session.query(AuditEntry).filter_by(
            entity=ENTITY, action="create").count()
    assert written == 5


def test_an_import_is_matched_too(app: Any, tmp_path: Any) -> None:
    upload(app)
    # the pharmacy imports the purchase of B2603 it had not reported, and a stock count
    path = tmp_path / "购进.csv"
    path.write_text(
        "记录类型,日期,药品追溯码/本位码,通用名,批号,数量,单位,对方单位统一社会信用代码\n"
        f"购进,2026-03-03,{DRUG['drug_code']},阿莫西林胶囊,B2603,30,盒,{WHOLESALE}\n"
        f"库存,2026-03-31,{DRUG['drug_code']},阿莫西林胶囊,B2603,30,盒,\n",
        encoding="utf-8")
    with path.open("rb") as fh:
        response = login(app, "nx_pharmacy").post(
            "/api/v1/stock_movement/import", data={"file": (fh, "购进.csv")},
            content_type="multipart/form-data")
    assert response.status_code == 200, response.json
    assert response.json["created"] == 2
    got = states(app)
    assert got[("sale", "B2603")] == ("matched", True)
    assert got[("purchase", "B2603")] == ("matched", True)
    assert got[("stock", "B2603")] == (None, False)  # a stock count is matched with nothing


def test_an_upload_matches_the_groups_it_writes_to_and_the_schedule_the_rest(app: Any
                                                                            ) -> None:
    from sqlalchemy import update

    from app.jobs.actions import FUNCTIONS

    upload(app)
    model = app.extensions["admin"].models[ENTITY]
    with app.app_context():  # a stale outcome elsewhere (e.g. a row deleted meanwhile)
        session = app.appbuilder.session
        session.execute(update(model).where(model.batch_no == "B2601", model.kind == "sale")
                        .values(match_state="differs"))
        session.commit()
    response = login(app, "nx_pharmacy").post(BULK, json={"rows": [
        movement("purchase", "B2603", 30, WHOLESALE)]})
    assert response.status_code == 201, response.json
    got = states(app)
    assert got[("sale", "B2603")] == got[("purchase", "B2603")] == ("matched", True)
    assert got[("sale", "B2601")] == ("differs", True)  # not in the upload's groups
    with app.app_context():
        FUNCTIONS["match_records"](app.appbuilder.session, {})
    assert states(app)[("sale", "B2601")] == ("matched", True)


def test_a_row_written_into_another_group_frees_its_old_partner(app: Any) -> None:
    from app import matching

    upload(app)
    [sale] = rows(app, ENTITY, kind="sale", batch_no="B2601")
    response = login(app, "nx_wholesale").put(f"{LIST}{sale.id}", json={"batch_no": "B2609"})
    assert response.status_code == 200, response.json
    with app.app_context():  # as an import's update of the row would
        session = app.appbuilder.session
        admin = app.extensions["admin"]
        matching.match_entity(session, admin.spec.entity(ENTITY), admin.models[ENTITY],
                              touched=[sale.id])
        session.commit()
    got = states(app)
    assert got[("sale", "B2609")] == ("missing_other", False)
    assert got[("purchase", "B2601")] == ("missing_side", False)  # its old partner's group
    assert got[("sale", "B2602")] == ("differs", True)  # untouched


def test_each_region_lists_its_mismatches(app: Any) -> None:
    upload(app)
    # a purchase from the maker (西夏区), which reports no sale of it
    response = login(app, "nx_pharmacy").post(BULK, json={"rows": [
        movement("purchase", "M2601", 20, MAKER)]})
    assert response.status_code == 201, response.json
    for username in ("nx_reg", "nx_city", "nx_county"):
        assert {r["batch_no"] for r in listed(app, username, match_state="missing_other")} == {
            "B2603"}
        assert {r["batch_no"] for r in listed(app, username, match_state="missing_side")} == {
            "M2601"}
        assert len(listed(app, username, match_state="differs")) == 2
    # 西夏区 holds none of these enterprises; another province sees nothing at all
    assert listed(app, "nx_xixia") == []
    assert listed(app, "ln_reg") == []
    assert login(app, "ln_reg").get(f"{LIST}{rows(app, ENTITY)[0].id}").status_code == 404
    # the pharmacy sees its own records only
    assert {r["kind"] for r in listed(app, "nx_pharmacy")} == {"purchase"}
    # the 数据分析 board counts the mismatches of each region
    board = login(app, "nx_city").get("/analytics/trace/")
    assert board.status_code == 200
    assert "未匹配记录数" in board.text and "兴庆区" in board.text


def test_the_schedule_matches_rows_entered_one_by_one(app: Any) -> None:
    from app.jobs.actions import FUNCTIONS

    client = login(app, "nx_wholesale")
    response = client.post(LIST, json=movement("sale", "B2601", 100, PHARMACY))
    assert response.status_code == 201, response.json
    assert states(app) == {("sale", "B2601"): (None, False)}  # not matched before the job
    response = login(app, "nx_pharmacy").post(LIST, json=movement("purchase", "B2601", 100,
                                                                  WHOLESALE))
    assert response.status_code == 201, response.json
    with app.app_context():
        done = FUNCTIONS["match_records"](app.appbuilder.session, {"entity": "StockMovement"})
        again = FUNCTIONS["match_records"](app.appbuilder.session, {})
    assert done == {"Records matched": 2, "Records not matched": 0}
    assert again == {"Records matched": 0, "Records not matched": 0}  # nothing moved
    assert states(app) == {("sale", "B2601"): ("matched", True),
                           ("purchase", "B2601"): ("matched", True)}
    # a sale corrected to another batch is matched again: both rows lose their pair
    [sale] = rows(app, ENTITY, kind="sale")
    response = client.put(f"{LIST}{sale.id}", json={"batch_no": "B2609"})
    assert response.status_code == 200, response.json
    with app.app_context():
        FUNCTIONS["match_records"](app.appbuilder.session, {})
    assert states(app) == {("sale", "B2609"): ("missing_other", False),
                           ("purchase", "B2601"): ("missing_side", False)}


def test_the_match_is_read_only_on_every_door(app: Any) -> None:
    client = login(app, "nx_wholesale")
    response = client.post(LIST, json=movement("sale", "B1", 1, PHARMACY,
                                               match_state="matched"))
    assert response.status_code == 422
    assert "match_state" in response.json["message"]
    response = client.post(BULK, json={"rows": [movement("sale", "B1", 1, PHARMACY,
                                                         matched_id=3)]})
    assert response.status_code == 422
    assert response.json["errors"][0]["field"] == "matched_id"
    add = client.get("/trace/stock_movement/add")
    assert add.status_code == 200 and 'name="match_state"' not in add.text


def test_a_bulk_upload_is_all_or_nothing(app: Any) -> None:
    bad = sales()
    bad[1]["quantity"] = "五十"
    bad[2]["counterparty_uscc"] = "91640104MA7FC0021"  # check digit wrong
    del bad[2]["batch_no"]
    bad.append({"kind": "sale", "colour": "red"})
    response = login(app, "nx_wholesale").post(BULK, json={"rows": bad})
    assert response.status_code == 422
    assert "没有保存" in response.json["message"] or "未保存" in response.json["message"]
    errors = {(e["row"], e["field"]) for e in response.json["errors"]}
    assert {(1, "quantity"), (2, "counterparty_uscc"), (2, "batch_no"), (3, "colour")} <= errors
    assert all(e["message"] and not e["message"].isascii() for e in response.json["errors"])
    assert rows(app, ENTITY) == []  # the good first row is not written either


def test_the_bulk_upload_keeps_to_the_callers_range_and_rights(app: Any,
                                                               world: dict[str, Any]) -> None:
    # 地市级 enters a pharmacy's records on its behalf, in its city only
    city = login(app, "nx_city")
    response = city.post(BULK, json={"rows": [
        movement("purchase", "B2601", 100, WHOLESALE, org=world["orgs"][PHARMACY]),
        movement("purchase", "B2602", 50, WHOLESALE, org=world["orgs"]["210000"])]})
    assert response.status_code == 422
    assert [(e["row"], e["field"]) for e in response.json["errors"]] == [(1, "org")]
    assert rows(app, ENTITY) == []
    response = city.post(BULK, json={"rows": [
        movement("purchase", "B2601", 100, WHOLESALE, org=world["orgs"][PHARMACY])]})
    assert response.status_code == 201, response.json
    assert [r.org.code for r in rows(app, ENTITY)] == [PHARMACY]
    # an enterprise's records are its own: it may not name another organisation
    response = login(app, "nx_wholesale").post(BULK, json={"rows": [
        movement("sale", "B2601", 100, PHARMACY, org=world["orgs"][MAKER])]})
    assert response.status_code == 422
    assert response.json["errors"][0]["field"] == "org"
    assert response.json["errors"][0]["message"] == "您无权修改此字段。"
    # who may not add gets no bulk upload either
    assert login(app, "nx_county").post(BULK, json={"rows": sales()}).status_code == 403
    assert login(app, "ln_reg").post(BULK, json={"rows": sales()}).status_code == 403


def test_the_bulk_upload_takes_a_bounded_list_of_rows(app: Any) -> None:
    client = login(app, "nx_wholesale")
    app.config["ADMIN_BULK_MAX_ROWS"] = 2
    response = client.post(BULK, json={"rows": sales()})
    assert response.status_code == 413
    assert "2" in response.json["message"] and not response.json["message"].isascii()
    for body in ({"rows": []}, {"rows": "x"}, [1, 2], {"row": sales()}):
        response = client.post(BULK, json=body)
        assert response.status_code == 400, body
    response = client.post(BULK, json={"rows": [1, movement("sale", "B1", 1, PHARMACY)]})
    assert response.status_code == 422
    assert response.json["errors"][0]["row"] == 0
    assert rows(app, ENTITY) == []
