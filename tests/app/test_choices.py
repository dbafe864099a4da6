"""Reference choices: a product may be chosen only when it is imported and bound (state
`bound`) to the chooser's enterprise. The search endpoint lists only those; forms, child lines,
the REST API and imports refuse any other with the schema's Chinese message; unbinding takes a
product out at once (SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.app.gate_world import (
    ENT_A,
    build_world,
    close,
    complete_info,
    login,
    upload,
)
from tests.conftest import field_errors

MESSAGE = "该产品未绑定到本企业或已解绑。"
CHOICES = "/annual_report/product_report/choices/product"


@pytest.fixture(scope="module")
def world(database_url: str, tmp_path_factory: Any) -> Any:
    built = build_world(database_url, tmp_path_factory.mktemp("files"))
    complete_info(built["app"], ENT_A)
    yield built
    close(built["app"])


@pytest.fixture(autouse=True)
def bound(world: Any) -> None:
    """进口药甲 bound to 甲企业 again before every test."""
    set_binding(world, "进口药甲", "bound")


def set_binding(world: Any, product: str, state: str) -> None:
    app = world["app"]
    with app.app_context():
        session = app.appbuilder.session
        model = app.extensions["admin"].models["binding.ProductBinding"]
        for row in session.query(model).filter_by(product_id=world["products"][product]):
            row.state = state
        session.commit()


def names(client: Any, url: str = CHOICES, **args: Any) -> list[str]:
    response = client.get(url, query_string=args)
    assert response.status_code == 200, response.text[:300]
    return [r["text"] for r in response.json["results"]]


def test_choices_list_only_imported_products_bound_to_my_enterprise(world: Any) -> None:
    client = login(world["app"], "ent_a")
    assert names(client) == ["进口药甲"]
    assert names(client, q="甲") == ["进口药甲"]
    assert names(client, q="乙") == []  # bound, but to 乙企业
    assert names(client, "/annual_report/report_line/choices/product") == ["进口药甲"]
    # the same products are still listed unfiltered where no choices are declared
    assert len(names(client, "/binding/product_binding/choices/product")) == 5


def test_rest_info_offers_the_same_choices(world: Any) -> None:
    info = login(world["app"], "ent_a").get("/api/v1/product_report/_info").json
    offered = {c["name"]: c for c in info["add_columns"]}
    assert [v["value"] for v in offered["product"]["values"]] == ["进口药甲"]
    assert offered["product"]["count"] == 1
    assert [v["value"] for v in offered["org"]["values"]] == ["甲企业"]  # my scope only


def test_administrators_are_not_limited_to_their_own_organisation(world: Any) -> None:
    assert names(login(world["app"], "admin")) == ["进口药甲", "进口药乙"]


def test_form_refuses_a_product_outside_the_choices(world: Any) -> None:
    client = login(world["app"], "ent_a")
    products = world["products"]
    for name in ("进口药乙", "国产药丙", "进口药丁", "进口药戊"):
        response = client.post("/annual_report/product_report/add", data={
            "product": str(products[name]), "amount": "3"})
        assert response.status_code == 200, name
        assert field_errors(response.text).get("product") == [MESSAGE], name
    saved = client.post("/annual_report/product_report/add", data={
        "product": str(products["进口药甲"]), "amount": "3"})
    assert saved.status_code == 302, saved.text


def test_child_lines_refuse_a_product_outside_the_choices(world: Any) -> None:
    client = login(world["app"], "ent_a")
    products = world["products"]
    refused = client.post("/annual_report/report/add", data={
        "year": "2025", "lines-0-product": str(products["进口药乙"]), "lines-0-qty": "2"})
    assert refused.status_code == 200 and MESSAGE in refused.text
    saved = client.post("/annual_report/report/add", data={
        "year": "2025", "lines-0-product": str(products["进口药甲"]), "lines-0-qty": "2"})
    assert saved.status_code == 302, saved.text


def test_rest_refuses_a_product_outside_the_choices(world: Any) -> None:
    client = login(world["app"], "ent_a")
    products = world["products"]
    refused = client.post("/api/v1/product_report/", json={
        "product": products["进口药乙"], "amount": 1})
    assert refused.status_code == 422 and refused.json["message"] == {"product": [MESSAGE]}
    created = client.post("/api/v1/product_report/", json={
        "product": products["进口药甲"], "amount": 1})
    assert created.status_code == 201, created.json
    pk = created.json["id"]
    moved = client.put(f"/api/v1/product_report/{pk}", json={"product": products["进口药戊"]})
    assert moved.status_code == 422 and moved.json["message"] == {"product": [MESSAGE]}


def test_import_refuses_a_product_outside_the_choices(world: Any) -> None:
    client = login(world["app"], "ent_a")
    url = "/api/v1/product_report/import"
    refused = upload(client, url, "产品,销量\n进口药甲,4\n进口药乙,5\n")
    assert refused.status_code == 422
    assert [(e["row"], e["column"], e["message"]) for e in refused.json["errors"]] == [
        (3, "产品", MESSAGE)]
    done = upload(client, url, "产品,销量\n进口药甲,4\n")
    assert done.status_code == 200 and done.json["created"] == 1, done.json


def test_unbinding_takes_the_product_out_at_once(world: Any) -> None:
    app = world["app"]
    client = login(app, "ent_a")
    product = world["products"]["进口药甲"]
    created = client.post("/api/v1/product_report/", json={"product": product, "amount": 2})
    assert created.status_code == 201, created.json
    pk = created.json["id"]
    with app.app_context():
        model = app.extensions["admin"].models["binding.ProductBinding"]
        binding = app.appbuilder.session.query(model).filter_by(product_id=product).one().id
    unbound = client.post(f"/binding/product_binding/transition/unbind/{binding}")
    assert unbound.status_code == 302
    assert names(client) == []
    form = client.post("/annual_report/product_report/add", data={
        "product": str(product), "amount": "3"})
    assert field_errors(form.text).get("product") == [MESSAGE]
    edit = client.post(f"/annual_report/product_report/edit/{pk}", data={
        "product": str(product), "amount": "9"})
    assert field_errors(edit.text).get("product") == [MESSAGE]
    rest = client.post("/api/v1/product_report/", json={"product": product, "amount": 1})
    assert rest.status_code == 422 and rest.json["message"] == {"product": [MESSAGE]}
    imported = upload(client, "/api/v1/product_report/import", "产品,销量\n进口药甲,4\n")
    assert imported.status_code == 422
    assert imported.json["errors"][0]["message"] == MESSAGE
