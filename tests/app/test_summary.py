"""Summaries (标的量计算基数 ...): exact sums per group within each viewer's data range,
`where`, drill-down by province then unit, xlsx/csv equal to the table, the REST door and
who may see them (SQLite and PostgreSQL)."""

from __future__ import annotations

import csv
import decimal
import io
import re
from html import unescape
from typing import Any
from urllib.parse import urlencode

import pytest
from openpyxl import load_workbook

from tests.conftest import (
    PASSWORD,
    SCHEMAS,
    apply_schema,
    ensure_admin,
    make_app,
    seed_people,
    sign_in,
)

SCHEMA = SCHEMAS / "summary" / "entities.yaml"
HOSP_A, HOSP_B, HOSP_G = "91350100M000100Y43", "12100000400000624D", "91110000600037341L"
ORGS = {
    "350000": ("福建省", "province", None, None),
    "350100": ("福州市", "city", "350000", None),
    "350102": ("鼓楼区", "county", "350100", None),
    HOSP_A: ("福州甲医院", "unit", "350102", "institution"),
    HOSP_B: ("福州乙医院", "unit", "350102", "institution"),
    "440000": ("广东省", "province", None, None),
    "440100": ("广州市", "city", "440000", None),
    "440103": ("荔湾区", "county", "440100", None),
    HOSP_G: ("广州丙医院", "unit", "440103", "institution"),
}
USERS = {"nat": ("national", "CN"), "fj": ("province", "350000"),
         "gd": ("province", "440000"), "hosp": ("institution", HOSP_A)}
AMOX, IBU = ("P001", "阿莫西林", "0.25g"), ("P002", "布洛芬", "0.2g")
# (品规, unit, 2020年采购量, 预采购量, state, kind, product, 金额)
ROWS = [
    (AMOX, HOSP_A, 100, 10, "national_ok", "chemical", "X1", "1.10"),
    (AMOX, HOSP_A, 50, 5, "national_ok", "chemical", "X1", "2.25"),
    (IBU, HOSP_A, 30, 3, "national_ok", "chemical", "X2", "3.00"),
    (AMOX, HOSP_A, 1000, 1000, "saved", "bio", "X1", "100.00"),  # not confirmed: left out
    (AMOX, HOSP_B, 20, 2, "national_ok", "bio", None, "0.05"),
    (IBU, HOSP_B, 11, None, "national_ok", None, "X2", None),  # 预采购量 empty
    (AMOX, HOSP_G, 7, 1, "national_ok", "chemical", "X1", "10.00"),
    (IBU, HOSP_G, 9, 4, "national_ok", "bio", "X2", "20.00"),
    (IBU, HOSP_G, 500, 500, "submitted", "bio", "X2", "200.00"),  # not confirmed
]
# 配送企业 of each row: a supplier of 福建 or of 广东 (org-scoped: 福建 may not reach 广东's);
# 福州乙医院 orders one item from 广东's supplier.
SUPPLIERS = {"fj": ("福建配送", "350000"), "gd": ("广东配送", "440000")}
SUPPLIED_BY = ["fj", "fj", "fj", "fj", None, "gd", "gd", "gd", "gd"]
BASE = "/procurement/demand/summary/base/"
BY_KIND = "/procurement/demand/summary/by_kind/"
BY_SUPPLIER = "/procurement/demand/summary/by_supplier/"
HEADERS = ["品规编号", "通用名", "规格", "2020年采购量", "预采购量", "记录数"]


@pytest.fixture(scope="module")
def app(database_url: str, tmp_path_factory: Any) -> Any:
    application = make_app(database_url, SCHEMA, tmp_path_factory.mktemp("files"))
    apply_schema(application)
    ensure_admin(application)
    with application.app_context():
        session = application.appbuilder.session
        orgs = seed_people(application, ORGS, USERS, PASSWORD)
        models = application.extensions["admin"].models
        product, demand = models["procurement.Product"], models["procurement.Demand"]
        products = {"X1": product(code="X1", name="阿莫西林胶囊"),
                    "X2": product(code="X2", name="布洛芬片")}
        session.add_all(products.values())
        supplier = models["procurement.Supplier"]
        suppliers = {key: supplier(name=name, org=orgs[code])
                     for key, (name, code) in SUPPLIERS.items()}
        session.add_all(suppliers.values())
        for row, by in zip(ROWS, SUPPLIED_BY, strict=True):
            (code, name, spec), unit, baseline, planned, state, kind, prod, amount = row
            session.add(demand(item_code=code, item_name=name, spec=spec, baseline=baseline,
                               planned=planned, state=state, kind=kind,
                               product=products.get(prod or ""), org=orgs[unit],
                               supplier=suppliers.get(by or ""),
                               amount=decimal.Decimal(amount) if amount else None))
        session.commit()
    return application


login = sign_in


def org_id(app: Any, code: str) -> int:
    with app.app_context():
        from app.security.models import Organisation

        return app.appbuilder.session.query(Organisation).filter_by(code=code).one().id


def table(html: str) -> list[list[str]]:
    """The summary table's cells (header, rows, total), as text."""
    body = re.search(r'<table class="[^"]*summary-table.*?</table>', html, re.S)
    assert body, html[:2000]
    lines = []
    for row in re.findall(r"<tr.*?</tr>", body.group(0), re.S):
        cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
        lines.append([unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in cells])
    return lines


def links(html: str) -> list[str]:
    body = re.search(r"<tbody>.*?</tbody>", html, re.S)
    assert body
    return list(dict.fromkeys(unescape(h) for h in re.findall(r'href="([^"]+)"',
                                                               body.group(0))))


def screen(app: Any, username: str, url: str = BASE, expect: int = 200) -> Any:
    response = login(app, username).get(url)
    assert response.status_code == expect, (url, response.status_code)
    return response


def test_national_sees_exact_sums_per_group_where_confirmed_only(app: Any) -> None:
    page = screen(app, "nat").text
    assert "标的量计算基数" in page
    assert table(page) == [
        HEADERS,
        ["P001", "阿莫西林", "0.25g", "177", "18", "4"],
        ["P002", "布洛芬", "0.2g", "50", "7", "3"],
        ["合计", "227", "25", "7"],
    ]


def test_a_province_sees_only_its_own_rows(app: Any) -> None:
    assert table(screen(app, "fj").text)[1:] == [
        ["P001", "阿莫西林", "0.25g", "170", "17", "3"],
        ["P002", "布洛芬", "0.2g", "41", "3", "2"],
        ["合计", "211", "20", "5"],
    ]
    assert table(screen(app, "gd").text)[1:] == [
        ["P001", "阿莫西林", "0.25g", "7", "1", "1"],
        ["P002", "布洛芬", "0.2g", "9", "4", "1"],
        ["合计", "16", "5", "2"],
    ]


def test_drill_down_by_province_then_unit(app: Any) -> None:
    page = screen(app, "nat").text
    first = links(page)[0]
    assert first == BASE + "?" + urlencode({"item_code": "P001", "item_name": "阿莫西林",
                                            "spec": "0.25g"})
    page = screen(app, "nat", first).text
    fj, gd = org_id(app, "350000"), org_id(app, "440000")
    assert table(page) == [["所属省份", "2020年采购量", "预采购量", "记录数"],
                           ["福建省", "170", "17", "3"], ["广东省", "7", "1", "1"],
                           ["合计", "177", "18", "4"]]
    assert "品规编号：P001，通用名：阿莫西林，规格：0.25g" in unescape(page)  # the breadcrumb
    province = links(page)[0]
    assert f"org.province={fj}" in province
    page = screen(app, "nat", province).text
    assert table(page) == [["所属机构", "2020年采购量", "预采购量", "记录数"],  # by code
                           ["福州乙医院", "20", "2", "1"], ["福州甲医院", "150", "15", "2"],
                           ["合计", "170", "17", "3"]]
    assert "所属省份：福建省" in page and links(page) == []  # the last level: no further links
    assert 'href="' + BASE + '"' in page  # back to the top
    # the province drills the same way, and only into itself
    assert table(screen(app, "fj", first).text)[1:-1] == [["福建省", "170", "17", "3"]]
    assert table(screen(app, "fj", province).text)[1:-1] == [
        ["福州乙医院", "20", "2", "1"], ["福州甲医院", "150", "15", "2"]]
    # another province's organisation is refused like one that does not exist
    other = first + "&" + urlencode({"org.province": gd})
    screen(app, "fj", other, expect=400)
    assert table(screen(app, "gd", other).text)[1:-1] == [["广州丙医院", "7", "1", "1"]]


def test_filters_are_checked(app: Any) -> None:
    for query in ("?nope=1", "?item_code=P001",  # half a group
                  "?item_code=P001&item_name=x&spec=y&org=1",  # skips org.province
                  "?item_code=P001&item_code=P002&item_name=x&spec=y",
                  "?item_code=P001&item_name=x&spec=y&org.province=abc",
                  "?item_code=P001&item_name=x&spec=y&org.province=" + str(
                      org_id(app, "350100"))):  # a city is not a province
        screen(app, "nat", BASE + query, expect=400)
    injected = {"item_code": "P001' OR '1'='1", "item_name": "阿莫西林", "spec": "0.25g"}
    page = screen(app, "nat", BASE + "?" + urlencode(injected)).text
    assert table(page)[1:] == [["未找到记录"], ["合计", "0", "0", "0"]]
    assert "记录" in screen(app, "nat", BASE + "?_l_=zh").text  # `_` arguments are not filters
    screen(app, "nat", BY_KIND + "?kind=other&product=1", expect=400)  # not an enum value


def test_enum_reference_state_and_decimal_dimensions(app: Any) -> None:
    page = screen(app, "nat", BY_KIND).text
    assert table(page) == [
        ["药品类别", "产品", "金额", "预采购量", "记录数"],
        ["化学药", "阿莫西林胶囊", "13.35", "16", "3"],
        ["化学药", "布洛芬片", "3.00", "3", "1"],
        ["生物制品", "阿莫西林胶囊", "100.00", "1000", "1"],
        ["生物制品", "布洛芬片", "220.00", "504", "2"],
        ["生物制品", "（无）", "0.05", "2", "1"],
        ["（无）", "布洛芬片", "0.00", "0", "1"],
        ["合计", "336.40", "1525", "9"],
    ]
    bio = links(page)[3]  # 生物制品 / 布洛芬片
    page = screen(app, "nat", bio).text
    assert table(page)[1:] == [["广州市", "220.00", "504", "2"], ["合计", "220.00", "504", "2"]]
    page = screen(app, "nat", links(page)[0]).text
    assert table(page)[1:] == [["已上报", "200.00", "500", "1"], ["国家已确认", "20.00", "4", "1"],
                               ["合计", "220.00", "504", "2"]]
    empty = [link for link in links(screen(app, "nat", BY_KIND).text) if "kind=&" in link]
    assert table(screen(app, "nat", empty[0]).text)[1:-1] == [["福州市", "0.00", "0", "1"]]


def test_exports_equal_the_table(app: Any) -> None:
    client = login(app, "nat")
    first = links(screen(app, "nat").text)[0]
    query = first.split("?", 1)[1]
    shown = table(client.get(first).text)
    xlsx = client.get(BASE + "export/xlsx?" + query)
    assert xlsx.status_code == 200
    assert "filename*=UTF-8''" in xlsx.headers["Content-Disposition"]
    assert "%E6%A0%87%E7%9A%84%E9%87%8F" in xlsx.headers["Content-Disposition"]  # 标的量
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    cells = [["" if v is None else str(int(v) if isinstance(v, float) else v) for v in row]
             for row in sheet.iter_rows(values_only=True)]
    # the total row's label spans the group columns on the screen; in a sheet, blanks follow
    assert cells == shown
    raw = client.get(BASE + "export/csv?" + query)
    assert raw.status_code == 200 and raw.data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(raw.data.decode("utf-8-sig"))))
    assert rows == shown
    top = list(csv.reader(io.StringIO(client.get(BASE + "export/csv").data.decode(
        "utf-8-sig"))))
    assert top == [HEADERS, ["P001", "阿莫西林", "0.25g", "177", "18", "4"],
                   ["P002", "布洛芬", "0.2g", "50", "7", "3"], ["合计", "", "", "227", "25", "7"]]
    fj = list(csv.reader(io.StringIO(login(app, "fj").get(BASE + "export/csv").data.decode(
        "utf-8-sig"))))
    assert fj[-1] == ["合计", "", "", "211", "20", "5"]
    assert client.get(BASE + "export/pdf").status_code == 404
    assert client.get(BASE + "export/csv?nope=1").status_code == 400


def test_rest_door(app: Any) -> None:
    body = login(app, "fj").get("/api/v1/demand/summary/base").json
    assert body["group_by"] == ["item_code", "item_name", "spec"]
    assert body["drill"] == ["org.province"]
    assert [(r["values"]["item_code"], r["sums"], r["count"]) for r in body["rows"]] == [
        ("P001", {"baseline": 170, "planned": 17}, 3), ("P002", {"baseline": 41, "planned": 3}, 2)]
    assert body["total"] == {"sums": {"baseline": 211, "planned": 20}, "count": 5}
    query = urlencode({"item_code": "P001", "item_name": "阿莫西林", "spec": "0.25g"})
    body = login(app, "nat").get(f"/api/v1/demand/summary/base?{query}").json
    assert [(r["labels"]["org.province"], r["sums"]["baseline"]) for r in body["rows"]] == [
        ("福建省", 170), ("广东省", 7)]
    assert body["rows"][0]["values"]["org.province"] == str(org_id(app, "350000"))
    decimal_body = login(app, "nat").get("/api/v1/demand/summary/by_kind").json
    assert decimal_body["total"]["sums"] == {"amount": "336.40", "planned": 1525}
    response = login(app, "nat").get("/api/v1/demand/summary/base?nope=1")
    assert response.status_code == 400 and "nope" in response.json["message"]
    spec = login(app, "admin").get("/api/v1/_openapi").json
    assert "/api/v1/demand/summary/base" in spec["paths"]


def test_who_may_see_a_summary(app: Any) -> None:
    hosp = login(app, "hosp")
    assert hosp.get(BASE).status_code == 403
    assert hosp.get(BASE + "export/xlsx").status_code == 403
    assert hosp.get(BASE + "export/csv").status_code == 403
    assert hosp.get("/api/v1/demand/summary/base").status_code == 403
    fj = login(app, "fj")  # the province has `base` but not `by_kind`
    assert fj.get(BY_KIND).status_code == 403
    assert fj.get("/api/v1/demand/summary/by_kind").status_code == 403
    assert fj.get("/procurement/demand/summary/nope/").status_code == 404
    assert fj.get("/api/v1/demand/summary/nope").status_code == 404
    assert login(app, "admin").get(BY_KIND).status_code == 200
    # the menu: the items each role may open, none for the others
    assert "标的量计算基数" in fj.get("/").text and "按类别汇总" not in fj.get("/").text
    assert "标的量计算基数" not in hosp.get("/").text
    assert "按类别汇总" in login(app, "nat").get("/").text
    anonymous = app.test_client()
    assert anonymous.get(BASE).status_code == 302
    assert anonymous.get("/api/v1/demand/summary/base").status_code == 401


def test_the_permission_matrix_holds_the_summaries(app: Any) -> None:
    from app.security.sync import drift, plan
    from generator.builders.matrix import MENU_ACCESS, Perm, entity_perms, role_perms

    spec = app.extensions["admin"].spec
    perms = role_perms(spec)
    right = Perm("can_base", "procurement:demand")
    menu = Perm(MENU_ACCESS, "procurement.Demand.summary.base")
    assert {right, menu} <= perms["national"] and {right, menu} <= perms["province"]
    assert right not in perms["institution"] and menu not in perms["institution"]
    assert Perm("can_by_kind", "procurement:demand") not in perms["province"]
    assert {right, menu, Perm("can_by_kind", "procurement:demand")} <= entity_perms(spec)
    with app.app_context():
        wanted = plan(spec, app.appbuilder, app.config["AUTH_ROLE_ADMIN"],
                      app.config["AUTH_ROLE_PUBLIC"])
        with app.appbuilder.session.get_bind().connect() as conn:
            assert drift(conn, wanted) == []
    assert login(app, "admin").get("/security/matrix/").status_code == 200


def supplier_id(app: Any, name: str) -> int:
    with app.app_context():
        model = app.extensions["admin"].models["procurement.Supplier"]
        return app.appbuilder.session.query(model).filter_by(name=name).one().id


def test_a_reference_filter_only_names_rows_the_viewer_may_reach(app: Any) -> None:
    fj_supplier, gd_supplier = supplier_id(app, "福建配送"), supplier_id(app, "广东配送")
    assert table(screen(app, "nat", BY_SUPPLIER).text)[1:] == [
        ["福建配送", "1018", "4"], ["广东配送", "505", "4"], ["（无）", "2", "1"],
        ["合计", "1525", "9"]]
    page = screen(app, "nat", f"{BY_SUPPLIER}?supplier={gd_supplier}").text
    assert "配送企业：广东配送" in page
    # 福建 sees its rows; the one ordered from 广东's supplier shows no name and no link
    page = screen(app, "fj", BY_SUPPLIER).text
    assert table(page)[1:] == [["福建配送", "1018", "4"], [str(gd_supplier), "0", "1"],
                               ["（无）", "2", "1"], ["合计", "1020", "6"]]
    assert "广东配送" not in page
    assert links(page) == [f"{BY_SUPPLIER}?supplier={fj_supplier}", f"{BY_SUPPLIER}?supplier="]
    page = screen(app, "fj", links(page)[0]).text
    assert "配送企业：福建配送" in page
    assert table(page)[1:] == [["鼓楼区", "1018", "4"], ["合计", "1018", "4"]]
    page = screen(app, "fj", links(page)[0]).text
    assert table(page)[1:] == [["福州甲医院", "1018", "4"], ["合计", "1018", "4"]]
    # another province's supplier answers like one that does not exist, on every door
    for pk in (gd_supplier, 999999):
        page = screen(app, "fj", f"{BY_SUPPLIER}?supplier={pk}", expect=400).text
        assert "广东配送" not in page and "supplier 的值无效" in page
        response = login(app, "fj").get(f"/api/v1/demand/summary/by_supplier?supplier={pk}")
        assert response.status_code == 400 and "广东配送" not in response.text
        screen(app, "fj", f"{BY_SUPPLIER}export/csv?supplier={pk}", expect=400)


def test_the_reason_of_a_refused_filter_is_shown(app: Any) -> None:
    page = unescape(screen(app, "nat", BASE + "?nope=1", expect=400).text)
    assert "未知的筛选条件：nope。" in page
    page = unescape(screen(app, "nat", BASE + "export/xlsx?item_code=P001", expect=400).text)
    assert "未知的筛选条件：item_code。" in page
    assert "未知的筛选条件" not in screen(app, "nat").text  # shown once, not on the next page
    body = login(app, "nat").get("/api/v1/demand/summary/base?nope=1").json
    assert body == {"message": "未知的筛选条件：nope。"}


def test_organisation_levels_are_the_same_in_small_chunks(app: Any,
                                                        monkeypatch: Any) -> None:
    """Many organisations are loaded a few at a time; the roll-up is the same."""
    from app import summary_table as summary

    query = "?" + urlencode({"item_code": "P001", "item_name": "阿莫西林", "spec": "0.25g"})
    by_org = query + "&org.province=" + str(org_id(app, "350000"))
    pages = [BASE + query, BASE + by_org, BY_KIND]
    pages += links(screen(app, "nat", BY_KIND).text)[:1]  # by city
    by_county = links(screen(app, "nat", BY_SUPPLIER).text)[0]
    pages += [by_county, *links(screen(app, "nat", by_county).text)[:1]]  # by unit
    expected = [table(screen(app, "nat", url).text) for url in pages]
    monkeypatch.setattr(summary, "IN_CHUNK", 1)
    assert [table(screen(app, "nat", url).text) for url in pages] == expected


def test_county_and_units_right_under_a_province_or_city_roll_up(app: Any) -> None:
    """Levels come from the path: a county right under its province, a unit right under its
    province or city, are each placed where they belong."""
    from app.security.models import Organisation
    from app.security.orgs import add_org

    units = {"12350000488000003A": "福建省立医院", "12350100488000003F": "福州市直医院",
             "123500004880000115": "平潭县医院"}
    with app.app_context():
        session = app.appbuilder.session
        add_org(session, "350128", "平潭县", "county", "350000")
        for (code, name), parent in zip(units.items(), ("350000", "350100", "350128"),
                                        strict=True):
            add_org(session, code, name, "unit", parent, "institution")
        orgs = {o.code: o for o in session.query(Organisation)}
        demand = app.extensions["admin"].models["procurement.Demand"]
        rows = [demand(item_code="P009", item_name="试验药", spec="1g", baseline=1, planned=n,
                       state="national_ok", org=orgs[code])
                for n, code in enumerate(units, start=1)]
        session.add_all(rows)
        session.commit()
    try:
        top = "?" + urlencode({"item_code": "P009", "item_name": "试验药", "spec": "1g"})
        page = screen(app, "nat", BASE + top).text
        assert table(page)[1:] == [["福建省", "3", "6", "3"], ["合计", "3", "6", "3"]]
        page = screen(app, "nat", links(page)[0]).text
        assert table(page)[1:] == [["福建省立医院", "1", "1", "1"], ["福州市直医院", "1", "2", "1"],
                                   ["平潭县医院", "1", "3", "1"], ["合计", "3", "6", "3"]]
        client = login(app, "nat")
        by_city = client.get("/api/v1/demand/summary/by_kind?kind=&product=").json
        assert [(r["labels"]["org.city"], r["count"]) for r in by_city["rows"]] == [
            ("福州市", 1), ("（无）", 2)]
        by_county = client.get("/api/v1/demand/summary/by_supplier?supplier=").json
        assert [(r["labels"]["org.county"], r["sums"]["planned"], r["count"])
                for r in by_county["rows"]] == [("鼓楼区", 2, 1), ("平潭县", 3, 1),
                                                ("（无）", 3, 2)]
    finally:
        with app.app_context():
            session = app.appbuilder.session
            demand = app.extensions["admin"].models["procurement.Demand"]
            session.query(demand).filter_by(item_code="P009").delete()
            session.query(Organisation).filter(Organisation.code.in_(
                [*units, "350128"])).delete()
            session.commit()
