"""Every entity of the all-types schema through the HTML views and the REST API."""

from __future__ import annotations

import io
import re
from typing import Any

import prison

from generator.identifiers import _org_code_check_char, uscc_check_char
from tests.conftest import field_errors

USCC = "91350100M000100Y43"
USCC2 = "91110000600037341L"


def _q(col: str, opr: str, value: Any) -> str:
    return prison.dumps({"filters": [{"col": col, "opr": opr, "value": value}]})


def make_uscc(number: int) -> str:
    org = f"MA{number:06d}"
    body = "91350100" + org + _org_code_check_char(org)
    return body + uscc_check_char(body)


def _ids(client: Any, resource: str, **query: Any) -> list[int]:
    response = client.get(f"/api/v1/{resource}/", query_string=query)
    assert response.status_code == 200, response.text
    return response.json["ids"]


def _enterprise(client: Any, name: str, uscc: str) -> int:
    response = client.post("/api/v1/enterprise/", json={"name": name, "uscc": uscc})
    assert response.status_code == 201, response.text
    return response.json["id"]


def test_html_enterprise_create_list_show_edit_delete(client: Any) -> None:
    page = client.get("/catalog/enterprise/add")
    assert page.status_code == 200
    assert "新增企业" in page.text and "统一社会信用代码" in page.text
    response = client.post("/catalog/enterprise/add", data={
        "name": "福州示例制药有限公司",
        "uscc": "９１３５０１００Ｍ０００１００Ｙ４３",  # full width
        "kind": "domestic", "mobile": "+86 138-0013-8000"})
    assert response.status_code == 302
    listing = client.get("/catalog/enterprise/list/")
    assert "福州示例制药有限公司" in listing.text
    assert USCC in listing.text  # normalised before storing
    assert "境内企业" in listing.text  # enum shown by its Chinese label
    [pk] = _ids(client, "enterprise", q=_q("uscc", "eq", USCC))
    shown = client.get(f"/catalog/enterprise/show/{pk}")
    assert "13800138000" in shown.text and "查看企业" in shown.text
    edited = client.post(f"/catalog/enterprise/edit/{pk}", data={
        "name": "福州示例制药股份有限公司", "uscc": USCC, "kind": "domestic"})
    assert edited.status_code == 302
    assert "股份有限公司" in client.get(f"/catalog/enterprise/show/{pk}").text
    deleted = client.post(f"/catalog/enterprise/delete/{pk}")
    assert deleted.status_code == 302
    assert client.get(f"/catalog/enterprise/show/{pk}").status_code == 404


def test_html_bad_input_keeps_everything_typed_and_speaks_chinese(client: Any) -> None:
    response = client.post("/catalog/enterprise/add", data={
        "name": "", "uscc": "91350100M000100Y44", "kind": "overseas", "mobile": "12345",
        "note": "请保留这段备注"})
    assert response.status_code == 200
    errors = field_errors(response.text)
    assert errors["name"] == ["该字段是必填字段。"]
    assert "统一社会信用代码" in errors["uscc"][0]
    assert "手机号" in errors["mobile"][0]
    assert "境内代理人" not in errors.get("agent", [""])[0]  # names the other field instead
    assert "企业类型" in errors["agent"][0]
    # nothing typed is lost
    assert 'value="91350100M000100Y44"' in response.text
    assert 'value="12345"' in response.text
    assert "请保留这段备注" in response.text
    assert re.search(r'<option selected value="overseas">', response.text)


def test_html_unique_value_is_refused_with_message(client: Any) -> None:
    _enterprise(client, "甲公司", USCC2)
    response = client.post("/catalog/enterprise/add", data={
        "name": "乙公司", "uscc": USCC2, "kind": "domestic"})
    assert response.status_code == 200
    assert field_errors(response.text)["uscc"] == ["该值已被其他记录使用。"]
    assert 'value="乙公司"' in response.text


def test_html_product_with_reference_decimal_date_datetime_boolean(client: Any) -> None:
    enterprise = _enterprise(client, "丙公司", "12100000400000624D")
    response = client.post("/catalog/product/add", data={
        "name": "阿莫西林胶囊", "approval": "国药准字H20203001", "code": "AB1234",
        "enterprise": str(enterprise), "price": "12.50", "stock": "100", "active": "y",
        "approved_on": "2020-05-01", "checked_at": "2026-01-02T08:30"})
    assert response.status_code == 302, field_errors(response.text)
    [pk] = _ids(client, "product", q=_q("code", "eq", "AB1234"))
    product = client.get(f"/api/v1/product/{pk}").json["result"]
    assert product["price"] == "12.50"
    assert product["approved_on"] == "2020-05-01"
    assert product["checked_at"].startswith("2026-01-02T08:30")
    assert product["active"] is True
    assert product["enterprise"]["id"] == enterprise
    shown = client.get(f"/catalog/product/show/{pk}").text
    assert "丙公司" in shown and "是" in shown
    # same enterprise + code again: unique together
    again = client.post("/catalog/product/add", data={
        "name": "阿莫西林胶囊2", "approval": "国药准字H20203002", "code": "AB1234",
        "enterprise": str(enterprise)})
    errors = field_errors(again.text)
    assert "已被其他记录使用" in errors["code"][0]


def test_html_type_errors_per_field(client: Any) -> None:
    response = client.post("/catalog/product/add", data={
        "name": "x", "approval": "H20140001", "code": "ab", "enterprise": "999999",
        "price": "abc", "stock": "-3", "approved_on": "1999-12-31"})
    errors = field_errors(response.text)
    assert "批准文号" in errors["approval"][0]
    assert errors["code"] == ["格式为两个大写字母加四位数字"]
    assert errors["enterprise"] == ["所选记录不存在。"]
    assert errors["price"] and errors["stock"] == ["不能小于 0。"]
    assert errors["approved_on"] == ["不能小于 2000-01-01。"]
    assert 'value="abc"' in response.text


def test_reference_choices_are_paged_and_searchable(client: Any) -> None:
    for index in range(25):
        _enterprise(client, f"分页企业{index:02d}", make_uscc(index))
    first = client.get("/catalog/product/choices/enterprise?q=分页企业").json
    assert len(first["results"]) == 20 and first["pagination"]["more"] is True
    second = client.get("/catalog/product/choices/enterprise?q=分页企业&page=2").json
    assert len(second["results"]) == 5 and second["pagination"]["more"] is False
    only = client.get("/catalog/product/choices/enterprise?q=分页企业07").json["results"]
    assert [r["text"] for r in only] == ["分页企业07"]
    assert client.get("/catalog/product/choices/name").status_code == 404


def test_html_child_lines_computed_and_file(client: Any, app: Any) -> None:
    enterprise = _enterprise(client, "丁公司", "1244000045585765XR")
    product = client.post("/api/v1/product/", json={
        "name": "布洛芬片", "approval": "国药准字H20203003", "enterprise": enterprise}).json["id"]
    data = {
        "title": "2026年需求", "baseline": "100", "planned": "120",
        "lines-0-product": str(product), "lines-0-quantity": "5",
        "lines-1-product": str(product), "lines-1-quantity": "7",
        "letter": (io.BytesIO(b"%PDF-1.4 test"), "承诺函.pdf"),
    }
    response = client.post("/demand/demand/add", data=data, content_type="multipart/form-data")
    assert response.status_code == 302, field_errors(response.text)
    [pk] = _ids(client, "demand", q=_q("title", "eq", "2026年需求"))
    shown = client.get(f"/demand/demand/show/{pk}").text
    assert "20.0%" in shown  # computed (120 - 100) / 100
    assert "承诺函.pdf" in shown and "布洛芬片" in shown
    download = client.get(f"/demand/demand/download/letter/{pk}")
    assert download.status_code == 200 and download.data == b"%PDF-1.4 test"
    assert "filename*=UTF-8''%E6%89%BF%E8%AF%BA%E5%87%BD.pdf" in download.headers[
        "Content-Disposition"]
    assert len(_ids(client, "demand_line", q=_q("demand", "rel_o_m", pk))
               ) == 2
    # edit: drop the second line, change the first
    edit_page = client.get(f"/demand/demand/edit/{pk}").text
    row_ids = re.findall(r'name="lines-\d-row_id" type="hidden" value="(\d+)"', edit_page)
    assert len(row_ids) == 2
    response = client.post(f"/demand/demand/edit/{pk}", data={
        "title": "2026年需求", "baseline": "100", "planned": "80",
        "lines-0-row_id": row_ids[0], "lines-0-product": str(product),
        "lines-0-quantity": "9"}, content_type="multipart/form-data")
    assert response.status_code == 302, field_errors(response.text)
    lines = client.get("/api/v1/demand_line/", query_string={
        "q": _q("demand", "rel_o_m", pk)}).json["result"]
    assert [line["quantity"] for line in lines] == [9]
    shown = client.get(f"/demand/demand/show/{pk}").text
    assert "-20.0%" in shown and "承诺函.pdf" in shown  # file kept when not re-uploaded
    # a bad line is reported in the line's cell; the other values stay
    response = client.post(f"/demand/demand/edit/{pk}", data={
        "title": "改名", "lines-0-product": str(product), "lines-0-quantity": "0"},
        content_type="multipart/form-data")
    assert response.status_code == 200
    assert "不能小于 1。" in response.text and 'value="改名"' in response.text


def test_download_of_unknown_row_or_field_is_404(client: Any) -> None:
    assert client.get("/demand/demand/download/letter/999999").status_code == 404
    assert client.get("/demand/demand/download/title/1").status_code == 404


def test_rest_crud_every_entity(client: Any) -> None:
    enterprise = _enterprise(client, "戊公司", "52110105MJ0000T04G")
    product = client.post("/api/v1/product/", json={
        "name": "头孢", "approval": "国药准字HJ20200001", "enterprise": enterprise,
        "price": 3.5, "stock": 1, "active": False, "approved_on": "2021-01-01",
        "checked_at": "2026-03-04T05:06:07"})
    assert product.status_code == 201, product.text
    product_id = product.json["id"]
    demand = client.post("/api/v1/demand/", json={"title": "接口需求", "baseline": 0,
                                                  "planned": 10})
    assert demand.status_code == 201
    demand_id = demand.json["id"]
    line = client.post("/api/v1/demand_line/", json={"demand": demand_id,
                                                     "product": product_id, "quantity": 3})
    assert line.status_code == 201, line.text
    shown = client.get(f"/api/v1/demand/{demand_id}").json["result"]
    assert shown["change"] is None  # division by zero is empty, not an error
    assert client.put(f"/api/v1/demand/{demand_id}", json={"baseline": 5}).status_code == 200
    assert client.get(f"/api/v1/demand/{demand_id}").json["result"]["change"] == 1.0
    assert client.put(f"/api/v1/product/{product_id}", json={"stock": 2}).status_code == 200
    assert client.get(f"/api/v1/product/{product_id}").json["result"]["stock"] == 2
    listing = client.get("/api/v1/product/", query_string={
        "q": "(order_column:name,order_direction:asc,page:0,page_size:5)"})
    assert listing.status_code == 200 and listing.json["count"] >= 1
    for resource, pk in (("demand_line", line.json["id"]), ("demand", demand_id),
                         ("product", product_id), ("enterprise", enterprise)):
        assert client.delete(f"/api/v1/{resource}/{pk}").status_code == 200
        assert client.get(f"/api/v1/{resource}/{pk}").status_code == 404


def test_rest_bad_input_gets_every_error_in_chinese(client: Any) -> None:
    response = client.post("/api/v1/product/", json={
        "name": "", "approval": "X", "enterprise": 999999, "price": "abc", "stock": -1,
        "approved_on": "2026-13-01", "zzz": 1})
    assert response.status_code == 422
    errors = response.json["message"]
    assert set(errors) == {"name", "approval", "enterprise", "price", "stock", "approved_on",
                           "zzz"}
    assert errors["name"] == ["该字段是必填字段。"]
    assert errors["enterprise"] == ["所选记录不存在。"]
    assert errors["stock"] == ["不能小于 0。"]
    assert errors["price"] == ["必须是数字。"]
    assert "未知字段" in errors["zzz"][0]
    assert client.post("/api/v1/product/", data="nope",
                       content_type="application/json").status_code == 400


def test_rest_unique_and_required_if(client: Any) -> None:
    _enterprise(client, "己公司", "91320500MA1M9X702E")
    response = client.post("/api/v1/enterprise/", json={
        "name": "庚公司", "uscc": "91320500MA1M9X702E", "kind": "overseas"})
    assert response.status_code == 422
    assert response.json["message"] == {"agent": [response.json["message"]["agent"][0]]}
    response = client.post("/api/v1/enterprise/", json={
        "name": "庚公司", "uscc": "91320500MA1M9X702E", "kind": "overseas", "agent": "代理"})
    assert response.json["message"] == {"uscc": ["该值已被其他记录使用。"]}


def test_openapi_lists_every_resource(client: Any) -> None:
    spec = client.get("/api/v1/_openapi").json
    for resource in ("enterprise", "product", "demand", "demand_line"):
        assert f"/api/v1/{resource}/" in spec["paths"]


def test_pages_are_chinese(client: Any) -> None:
    home = client.get("/")
    assert "目录管理" in home.text and "测试平台" in home.text
    listing = client.get("/catalog/product/list/")
    assert "药品列表" in listing.text and "通用名" in listing.text
    assert '<meta name="renderer" content="webkit">' in listing.text
    english = client.get("/catalog/product/list/?_l_=en")
    assert english.status_code == 200


def test_not_found_speaks_chinese_on_pages_and_api(client: Any) -> None:
    page = client.get("/catalog/product/show/999999")
    assert page.status_code == 404 and "页面不存在" in page.text
    assert client.get("/no/such/page").status_code == 404
    api = client.get("/api/v1/product/999999")
    assert api.status_code == 404 and api.json == {"message": "记录不存在"}


def test_delete_of_a_referenced_row_is_refused_and_cascades_to_lines(client: Any) -> None:
    enterprise = _enterprise(client, "辛公司", make_uscc(900))
    product = client.post("/api/v1/product/", json={
        "name": "维生素C片", "approval": "国药准字H20203009", "enterprise": enterprise}).json["id"]
    response = client.post(f"/catalog/enterprise/delete/{enterprise}", follow_redirects=True)
    assert "仍有其他记录引用此记录" in response.text
    assert client.delete(f"/api/v1/enterprise/{enterprise}").json == {
        "message": "未删除：仍有其他记录引用此记录。"}
    assert client.get(f"/api/v1/enterprise/{enterprise}").status_code == 200
    demand = client.post("/api/v1/demand/", json={"title": "级联"}).json["id"]
    line = client.post("/api/v1/demand_line/", json={"demand": demand, "product": product,
                                                     "quantity": 1}).json["id"]
    assert client.delete(f"/api/v1/demand/{demand}").status_code == 200
    assert client.get(f"/api/v1/demand_line/{line}").status_code == 404
