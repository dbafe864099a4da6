"""Bad input is the caller's mistake, answered in Chinese with a 4xx, never a server error
(each case below was a 500 once)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import sign_in
from tests.modules.conftest import world  # noqa: F401 - the bundled schema's fixture

BIG = "9" * 25  # beyond every integer column


@pytest.mark.parametrize(("url", "status"), [
    ("/api/v1/product/?q=1-1", 400),  # rison, but not an object
    ("/api/v1/product/export?q=0.5", 400),
    ("/api/v1/product/?q=(order_column:nope,order_direction:asc)", 400),
    ("/catalog/product/list/?_oc_ProductView=nope&_od_ProductView=asc", 400),
    (f"/catalog/product/show/{BIG}", 404),
    (f"/catalog/product/edit/{BIG}", 404),
    (f"/api/v1/product/{BIG}", 404),
    ("/api/v1/product/2147483648", 404),  # one past a 32-bit row id
    ("/catalog/product/show/-1", 404),
    ("/catalog/product/show/1.5", 404),
])
def test_bad_arguments_are_4xx(client: Any, url: str, status: int) -> None:
    response = client.get(url)
    assert response.status_code == status
    if url.startswith("/api/"):
        assert any("\u4e00" <= ch <= "\u9fff" for ch in response.json["message"])


def test_bad_ids_on_writes_are_404(client: Any) -> None:
    assert client.put(f"/api/v1/product/{BIG}", json={"name": "x"}).status_code == 404
    assert client.delete(f"/api/v1/product/{BIG}").status_code == 404
    assert client.post(f"/catalog/product/delete/{BIG}").status_code == 404


def test_reference_values_beyond_any_row_id(client: Any) -> None:
    response = client.post("/api/v1/product/", json={
        "name": "某药", "approval": "国药准字H20203001", "enterprise": int(BIG)})
    assert response.status_code == 422
    assert response.json["message"] == {"enterprise": ["所选记录不存在。"]}
    huge_stock = client.post("/api/v1/product/", json={
        "name": "某药", "approval": "国药准字H20203001", "stock": int(BIG)})
    assert huge_stock.json["message"]["stock"] == ["数值过大。"]


def test_an_unknown_list_action_is_404(client: Any) -> None:
    assert client.post("/catalog/product/action_post",
                       data={"action": "nope", "rowid": "1"}).status_code == 404
    assert client.get("/catalog/product/action/nope/1").status_code == 404


def test_the_template_of_an_entity_with_date_bounds(client: Any) -> None:
    # Product.approved_on has `min: 2000-01-01` (the example of docs/schema.md)
    response = client.get("/catalog/product/import/template")
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")


def test_a_refused_write_leaves_the_next_writes_sound(app: Any, client: Any) -> None:
    # Once, an integer overflow at the database left the session dirty, so that the next write
    # of another user failed too.
    from tests.conftest import ADMIN_PASSWORD, sign_in

    company = client.post("/api/v1/enterprise/", json={"name": "溢出测试药业",
                                                       "uscc": "91110000600037341L"})
    assert company.status_code == 201, company.text
    made = client.post("/api/v1/product/", json={"name": "某药", "approval": "国药准字H20203002",
                                                 "enterprise": company.json["id"]})
    assert made.status_code == 201, made.text
    pk = made.json["id"]
    assert client.put(f"/api/v1/product/{pk}", json={"stock": int(BIG)}).status_code == 422
    assert client.put(f"/api/v1/product/{pk}", json={"stock": 7}).status_code == 200
    other = sign_in(app, "admin", ADMIN_PASSWORD)
    assert other.put(f"/api/v1/product/{pk}", json={"stock": 8}).status_code == 200
    assert client.get(f"/api/v1/product/{pk}").json["result"]["stock"] == 8


# -- found by tests/app/test_api_fuzz.py on the bundled schema (each was a 500) -------------
def test_a_get_of_an_id_that_is_no_number_is_404(client: Any) -> None:
    # FAB's GET takes only whole numbers; its PUT and DELETE routes answered 405 instead
    response = client.get("/api/v1/product/abc")
    assert response.status_code == 404
    assert response.json == {"message": "记录不存在"}


def test_batch_ids_beyond_any_row_are_refused_rows(world: Any) -> None:  # noqa: F811
    hospital = sign_in(world["app"], "ln_hosp1")
    response = hospital.post("/api/v1/demand/transition/withdraw", json={"ids": [int(BIG)]})
    assert response.status_code == 200
    assert response.json == {"done": [], "refused": [{"id": int(BIG), "message": "记录不存在。"}]}
    flags = hospital.post("/api/v1/demand/transition/withdraw", json={"ids": [True]})
    assert flags.status_code == 400
    assert flags.json == {"message": "ids 应为记录编号列表"}


def test_an_organisation_id_beyond_any_row(world: Any) -> None:  # noqa: F811
    response = sign_in(world["app"], "admin").post("/api/v1/annual_report/", json={
        "org": 44744268235634})
    assert response.status_code == 422
    assert response.json["message"]["org"] == ["所选记录不存在。"]


def test_a_reason_that_is_no_text_is_400(world: Any) -> None:  # noqa: F811
    hospital = sign_in(world["app"], "ln_hosp1")
    for reason in (757436, {"a": []}, ["x"]):
        response = hospital.post("/api/v1/demand/1/transition/withdraw", json={"reason": reason})
        assert response.status_code == 400
        assert response.json == {"message": "原因应为文本。"}
