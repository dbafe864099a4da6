"""/api/v1/_openapi: every signed-in user reads the operations they may call, in Chinese, with
enum values; anybody else gets 401 (the bundled schema, tests/modules/conftest.py)."""

from __future__ import annotations

from typing import Any

from tests.modules.conftest import login, world  # noqa: F401 - the module's fixture

OPENAPI = "/api/v1/_openapi"


def operations(doc: dict[str, Any]) -> set[str]:
    return {f"{method.upper()} {path}" for path, ops in doc["paths"].items() for method in ops}


def document(app: Any, username: str) -> dict[str, Any]:
    response = login(app, username).get(OPENAPI)
    assert response.status_code == 200
    return response.json


def test_anonymous_is_401_in_chinese(world: Any) -> None:  # noqa: F811
    client = world["app"].test_client()
    response = client.get(OPENAPI)
    assert response.status_code == 401
    assert response.json == {"message": "请先登录。"}
    forged = client.get(OPENAPI, headers={"Authorization": "Bearer nope"})
    assert forged.status_code == 401


def test_a_regional_regulator_sees_only_its_operations(world: Any) -> None:  # noqa: F811
    ops = operations(document(world["app"], "ln_prov"))
    assert {"GET /api/v1/demand/", "POST /api/v1/demand/import",
            "POST /api/v1/demand/{pk}/transition/send_back",
            "POST /api/v1/demand/transition/province_approve",
            "GET /api/v1/demand/summary/by_region"} <= ops
    # what hospitals and enterprises do, and what nobody may do with demand
    assert "POST /api/v1/demand/{pk}/transition/submit" not in ops
    assert "DELETE /api/v1/demand/{pk}" not in ops
    assert not any("/annual_report" in op or "/export_dossier" in op for op in ops)


def test_an_enterprise_user_sees_only_its_operations(world: Any) -> None:  # noqa: F811
    ops = operations(document(world["app"], "maker_legal"))
    assert {"POST /api/v1/annual_report/", "POST /api/v1/annual_report/{pk}/transition/submit",
            "GET /api/v1/product/{pk}"} <= ops
    assert "POST /api/v1/product/" not in ops  # the NMPA keeps the drug catalogue
    assert not any("/demand/" in op for op in ops)
    assert not any("return" in op for op in ops)  # 退回补正 is the regulator's


def test_the_built_in_administrator_sees_every_operation(world: Any) -> None:  # noqa: F811
    ops = operations(document(world["app"], "admin"))
    assert {"POST /api/v1/product/", "DELETE /api/v1/demand/{pk}",
            "POST /api/v1/annual_report/{pk}/transition/submit"} <= ops


def test_enum_values_and_chinese_labels(world: Any) -> None:  # noqa: F811
    doc = document(world["app"], "admin")
    schemas = doc["components"]["schemas"]
    demand = schemas["demand"]["properties"]
    state = demand["state"]
    assert state["readOnly"] is True
    assert "state" not in schemas["demand_add"]["properties"]
    assert len(state["enum"]) >= 3
    assert set(state["x-enum-labels"]) == set(state["enum"])
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in label)
               for label in state["x-enum-labels"].values())
    assert demand["row_version"]["title"] == "数据版本"
    for name, schema in schemas.items():
        for field, prop in schema.get("properties", {}).items():
            assert prop.get("title") not in ("State", "Row Version", None), (name, field)
            assert any("\u4e00" <= ch <= "\u9fff" for ch in prop["title"] + prop.get(
                "description", "")) or prop["title"] == "ID", (name, field, prop)


def test_values_are_typed_as_the_api_sends_them(world: Any) -> None:  # noqa: F811
    doc = document(world["app"], "admin")
    schemas = doc["components"]["schemas"]
    read = schemas["demand"]["properties"]
    assert read["id"]["type"] == "integer"
    assert read["org"]["type"] == "object" and read["org"]["properties"]["id"]["type"] == \
        "integer"
    decimals = [p for s in schemas.values() for p in s.get("properties", {}).values()
                if p.get("format") == "decimal"]
    assert decimals and all(p["type"] == "string" for p in decimals)
    assert schemas["demand_add"]["properties"]["org"]["type"] == "integer"


def test_errors_are_described_as_they_are(world: Any) -> None:  # noqa: F811
    doc = document(world["app"], "ln_hosp1")
    responses = doc["components"]["responses"]
    assert "Forbidden" not in str(responses) and "Fatal" not in str(responses)
    assert responses["403"]["description"].startswith("无权")
    message = doc["components"]["schemas"]["Error"]["properties"]["message"]
    assert {"type": "string"} in message["anyOf"]


def test_transition_paths_only_for_entities_with_a_workflow(world: Any) -> None:  # noqa: F811
    ops = operations(document(world["app"], "admin"))
    with_flow = {op.split("/")[3] for op in ops if "/transition/" in op}
    assert "demand" in with_flow and "annual_report" in with_flow
    for resource in ("product", "batch", "enterprise_info", "catalog_item"):
        assert resource not in with_flow
        assert f"GET /api/v1/{resource}/" in ops


def test_info_titles_are_chinese(world: Any) -> None:  # noqa: F811
    info = login(world["app"], "admin").get("/api/v1/demand/_info").json
    assert (info["add_title"], info["edit_title"]) == ("新增采购需求", "修改采购需求")


def test_field_rights_shape_the_schemas(world: Any) -> None:  # noqa: F811
    schemas = document(world["app"], "ln_hosp1")["components"]["schemas"]
    assert "org" not in schemas["demand"]["properties"]  # hidden from institutions
    edit = schemas["demand_edit"]["properties"]
    assert "planned" in edit and "baseline" not in edit  # baseline is read-only for them
    assert "baseline" in schemas["demand"]["properties"]
    assert "org" in document(world["app"], "ln_prov")["components"]["schemas"]["demand"][
        "properties"]
