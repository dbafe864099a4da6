"""Exports hold exactly the visible rows; templates round-trip; imports are all or nothing,
scoped and rights-aware (SQLite and PostgreSQL)."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import prison
import pytest
import xlsxwriter
from openpyxl import load_workbook

from tests.conftest import (
    ADMIN_PASSWORD,
    SCHEMAS,
    apply_schema,
    ensure_admin,
    make_app,
    seed_people,
)

SCHEMA = SCHEMAS / "io" / "entities.yaml"
PASSWORD = "Pass@12345"
HOSPITAL_A, HOSPITAL_B = "91350100M000100Y43", "91110000600037341L"
ORGS = {
    "350000": ("福建省", "province", None, None),
    "350102": ("鼓楼区", "county", "350000", None),
    HOSPITAL_A: ("福州甲医院", "unit", "350102", "institution"),
    "440000": ("广东省", "province", None, None),
    HOSPITAL_B: ("广州乙医院", "unit", "440000", "institution"),
}
USERS = {"fj": ("province", "350000"), "gl": ("county", "350102"),
         "hosp_a": ("institution", HOSPITAL_A), "gd": ("province", "440000")}
ID_CARD = "440304199001010011"


@pytest.fixture(scope="module")
def world(database_url: str, tmp_path_factory: Any) -> dict[str, Any]:

    app = make_app(database_url, SCHEMA, tmp_path_factory.mktemp("files"))
    apply_schema(app)
    ensure_admin(app)
    with app.app_context():
        session = app.appbuilder.session
        orgs = seed_people(app, ORGS, USERS, PASSWORD)
        models = app.extensions["admin"].models
        drug = models["procurement.Drug"](name="阿莫西林")
        session.add_all([drug, models["procurement.Drug"](name="布洛芬")])
        demand = models["procurement.Demand"]
        for i in range(30):
            org = orgs[HOSPITAL_A if i % 3 else HOSPITAL_B] if i < 27 else orgs["350102"]
            session.add(demand(code=f"D{i:03d}", drug=drug, kind="new" if i % 2 else "renew",
                               baseline=i, planned=i * 2, contact_id=ID_CARD, note="内部",
                               org=org))
        session.commit()
    return {"app": app}


def login(app: Any, username: str) -> Any:
    client = app.test_client()
    password = ADMIN_PASSWORD if username == "admin" else PASSWORD
    response = client.post("/login/", data={"username": username, "password": password})
    assert response.headers["Location"] == "/"
    return client


def visible_codes(client: Any, **rison: Any) -> set[str]:
    args = {"page_size": 100, **rison}
    response = client.get("/api/v1/demand/", query_string={"q": prison.dumps(args)})
    return {row["code"] for row in response.json["result"]}


def read_xlsx(data: bytes) -> list[list[Any]]:
    sheet = load_workbook(io.BytesIO(data), read_only=True).worksheets[0]
    return [list(r) for r in sheet.iter_rows(values_only=True)]


def read_csv(data: bytes) -> list[list[str]]:
    assert data.startswith("\ufeff".encode())  # Excel needs the BOM to read UTF-8
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


@pytest.mark.parametrize("username", ["fj", "gl", "hosp_a", "gd", "admin"])
def test_export_holds_exactly_the_visible_rows(world: dict[str, Any], username: str) -> None:
    client = login(world["app"], username)
    expected = visible_codes(client, filters=[{"col": "kind", "opr": "eq", "value": "new"}])
    assert expected  # every user sees some
    html_args = "?_flt_0_kind=new"
    rows = read_xlsx(client.get(f"/procurement/demand/export/xlsx{html_args}").data)
    header = rows[0]
    assert header[:3] == ["需求编号", "品规", "类型"]
    assert {r[0] for r in rows[1:]} == expected
    assert {r[2] for r in rows[1:]} == {"新增"}  # enum values as their Chinese labels
    ids = [r[header.index("联系人身份证号")] for r in rows[1:]]
    assert set(ids) == {ID_CARD}  # 18 characters, as text
    lines = read_csv(client.get(f"/procurement/demand/export/csv{html_args}").data)
    assert {r[0] for r in lines[1:]} == expected
    assert {r[lines[0].index("联系人身份证号")] for r in lines[1:]} == {"\t" + ID_CARD}
    api = client.get("/api/v1/demand/export", query_string={
        "format": "csv", "q": prison.dumps({"filters": [
            {"col": "kind", "opr": "eq", "value": "new"}]})})
    assert api.status_code == 200
    assert {r[0] for r in read_csv(api.data)[1:]} == expected
    if username == "hosp_a":  # hidden fields are not exported
        assert "内部备注" not in header and "内部备注" not in lines[0]


def test_export_needs_the_export_right(world: dict[str, Any]) -> None:
    app = world["app"]
    with app.app_context():  # take export away from the county role for this test
        sm = app.appbuilder.sm
        county = sm.find_role("county")
        perm = sm.find_permission_view_menu("can_export", "procurement:demand")
        sm.del_permission_role(county, perm)
    try:
        client = login(app, "gl")
        assert client.get("/procurement/demand/export/xlsx").status_code == 403
        assert client.get("/api/v1/demand/export?format=csv").status_code == 403
        assert "导出 Excel" not in client.get("/procurement/demand/list/").text
    finally:
        apply_schema(app)


def _upload(path: Any, name: str) -> tuple[io.BytesIO, str]:
    return io.BytesIO(Path(path).read_bytes()), name


def _workbook(path: Path, rows: list[list[Any]]) -> str:
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = book.add_worksheet()
    for number, row in enumerate(rows):
        for index, value in enumerate(row):
            if value is not None:
                sheet.write(number, index, value)
    book.close()
    return str(path)


def test_template_round_trips(world: dict[str, Any], tmp_path: Path) -> None:
    client = login(world["app"], "hosp_a")
    template = client.get("/procurement/demand/import/template")
    assert template.status_code == 200
    book = load_workbook(io.BytesIO(template.data))
    data, notes = book.worksheets
    header = [c.value for c in data[1]]
    assert header == ["需求编号*", "品规*", "类型", "预采购量", "联系人身份证号", "签订日期",
                      "所属机构"]
    assert "2020年采购量" not in header  # read-only for this role: not importable
    assert data.data_validations.dataValidation[0].formula1 == '"新增,续签"'
    assert notes.title == "填写说明" and "身份证" in str(list(notes.values))
    data.append(["T001", "布洛芬", "续签", 50, ID_CARD, "2026-03-01"])
    path = tmp_path / "filled.xlsx"
    book.save(path)
    response = client.post("/api/v1/demand/import", data={"file": _upload(path, "filled.xlsx")},
                           content_type="multipart/form-data")
    assert response.status_code == 200, response.json
    assert response.json["created"] == 1
    row = client.get("/api/v1/demand/", query_string={"q": prison.dumps(
        {"filters": [{"col": "code", "opr": "eq", "value": "T001"}]})}).json["result"][0]
    assert (row["kind"], row["planned"], row["contact_id"], row["signed_on"]) == (
        "renew", 50, ID_CARD, "2026-03-01")
    assert row["org"]["name"] == "福州甲医院"  # the importer's own organisation


def test_import_refuses_rows_outside_scope_per_row(world: dict[str, Any],
                                                   tmp_path: Path) -> None:
    client = login(world["app"], "fj")
    path = _workbook(tmp_path / "scope.xlsx", [
        ["需求编号", "品规", "所属机构"],
        ["S001", "阿莫西林", "福州甲医院"],
        ["S002", "阿莫西林", "广州乙医院"],  # another province
        ["S003", "阿莫西林", HOSPITAL_B],
        ["D003", "阿莫西林", ""],  # exists, in Guangdong: not within reach
    ])
    response = client.post("/api/v1/demand/import", data={"file": _upload(path, "s.xlsx")},
                           content_type="multipart/form-data")
    assert response.status_code == 422
    errors = [(e["row"], e["column"]) for e in response.json["errors"]]
    assert errors == [(3, "所属机构"), (4, "所属机构"), (5, "")]
    assert "S001" not in visible_codes(login(world["app"], "admin"))  # nothing written


def test_upsert_by_key_updates_existing_rows(world: dict[str, Any], tmp_path: Path) -> None:
    client = login(world["app"], "fj")
    path = tmp_path / "baseline.csv"
    path.write_text("\ufeff需求编号,品规,2020年采购量\nD001,阿莫西林,777\nD002,阿莫西林,888\n",
                    encoding="utf-8")
    response = client.post("/api/v1/demand/import", data={"file": _upload(path, "b.csv")},
                           content_type="multipart/form-data")
    assert response.json == {"rows": 2, "created": 0, "updated": 2, "unchanged": 0,
                             "dry_run": False,
                             "errors": [], "error_count": 0}
    rows = client.get("/api/v1/demand/", query_string={"q": prison.dumps({"filters": [
        {"col": "code", "opr": "in", "value": ["D001", "D002"]}]})}).json["result"]
    assert {r["code"]: r["baseline"] for r in rows} == {"D001": 777, "D002": 888}
    with world["app"].app_context():  # the row-level history of the import
        from sqlalchemy import select

        from app.audit.models import AuditEntry

        pk = next(r["id"] for r in rows if r["code"] == "D001")
        [entry] = world["app"].appbuilder.session.execute(select(AuditEntry).where(
            AuditEntry.record_id == pk, AuditEntry.action == "import")).scalars().all()
    assert entry.username == "fj" and '"baseline": [1, 777]' in entry.changes


def test_readonly_and_unknown_columns_are_refused(world: dict[str, Any], tmp_path: Path) -> None:
    client = login(world["app"], "hosp_a")
    path = tmp_path / "ro.csv"
    path.write_text("需求编号,品规,2020年采购量,内部备注\nR1,阿莫西林,5,x\n", encoding="utf-8")
    response = client.post("/api/v1/demand/import", data={"file": _upload(path, "r.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 422
    assert [e["message"] for e in response.json["errors"]] == [
        "列“2020年采购量”不是您可以导入的字段。", "列“内部备注”不是您可以导入的字段。"]


def test_html_import_checks_then_commits(world: dict[str, Any], tmp_path: Path) -> None:
    client = login(world["app"], "fj")
    page = client.get("/procurement/demand/list/").text
    assert "导出 Excel" in page and "下载模板" in page and "导入" in page
    bad = _workbook(tmp_path / "h.xlsx", [["需求编号", "品规", "预采购量"],
                                          ["H001", "阿莫西林", 5], ["H002", "不存在的药", -1]])
    response = client.post("/procurement/demand/import/", data={
        "file": _upload(bad, "需求.xlsx")}, content_type="multipart/form-data")
    assert response.status_code == 302
    status = client.get(response.headers["Location"]).text
    assert "没有导入任何数据" in status and "不存在的药" in status and "不能小于 0" in status
    report = read_xlsx(client.get(response.headers["Location"] + "/errors").data)
    assert report[0] == ["行号", "列", "问题"] and len(report) == 3
    good = _workbook(tmp_path / "g.xlsx", [["需求编号", "品规", "预采购量"],
                                           ["H001", "阿莫西林", 5], ["H002", "布洛芬", 1]])
    response = client.post("/procurement/demand/import/", data={
        "file": _upload(good, "需求.xlsx")}, content_type="multipart/form-data")
    run_url = response.headers["Location"]
    assert "全部 2 行正确" in client.get(run_url).text
    assert client.post(run_url + "/commit").status_code == 302
    assert "已导入：新增 2 条" in client.get(run_url).text
    assert {"H001", "H002"} <= visible_codes(client)
    assert login(world["app"], "gd").get(run_url).status_code == 404  # not theirs


def test_county_without_import_right_gets_403(world: dict[str, Any]) -> None:
    client = login(world["app"], "gl")
    assert client.get("/procurement/demand/import/").status_code == 403
    assert client.get("/procurement/demand/import/template").status_code == 403


def test_fifty_chunks_one_bad_row_in_the_last_writes_nothing_then_imports(
        world: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """50 chunks of the importer (chunks of 100 here, 2,000 in production): a bad row in the
    last one still writes nothing. Imports of 100,000 rows and their time are scenario 3 of
    `make bench` (bench/s3_import.py)."""
    from app.io import importer

    monkeypatch.setattr(importer, "CHUNK", 100)
    count = 50 * importer.CHUNK
    client = login(world["app"], "admin")
    rows: list[list[Any]] = [["需求编号", "品规", "类型", "2020年采购量", "预采购量",
                              "联系人身份证号", "所属机构"]]
    for i in range(count):
        rows.append([f"B{i:06d}", "阿莫西林", "新增", i % 1000, i % 5000, ID_CARD, HOSPITAL_A])
    rows[count - 1][4] = "很多"  # spreadsheet row `count`, in the last chunk: not a number
    bad = _workbook(tmp_path / "big_bad.xlsx", rows)
    response = client.post("/api/v1/demand/import", data={"file": _upload(bad, "b.xlsx")},
                           content_type="multipart/form-data")
    assert response.status_code == 422
    assert response.json["errors"] == [{"row": count, "column": "预采购量",
                                        "message": "必须是整数。"}]
    last = f"B{count - 1:06d}"
    assert not {"B000000", last} & visible_codes(client, filters=[
        {"col": "code", "opr": "in", "value": ["B000000", last]}])
    rows[count - 1][4] = 7
    good = _workbook(tmp_path / "big_good.xlsx", rows)
    response = client.post("/api/v1/demand/import", data={"file": _upload(good, "g.xlsx")},
                           content_type="multipart/form-data")
    assert response.status_code == 200, response.json["errors"][:3]
    assert response.json["created"] == count
    total = client.get("/api/v1/demand/", query_string={"q": prison.dumps({
        "filters": [{"col": "code", "opr": "sw", "value": "B"}], "page_size": 1})})
    assert total.json["count"] == count


def test_import_without_import_key_adds_every_row(world: dict[str, Any], tmp_path: Path) -> None:
    client = login(world["app"], "admin")
    path = tmp_path / "drugs.csv"
    path.write_text("品种名称\n头孢克洛\n阿司匹林\n二甲双胍\n", encoding="utf-8")
    response = client.post("/api/v1/drug/import", data={"file": _upload(path, "d.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 200, response.json
    assert response.json["created"] == 3


FORMULAS = ['=HYPERLINK("http://example.com","点此")', "+1", "-2", "@SUM(A1)", "\tlead",
            "\rreturn"]


@pytest.fixture(scope="module")
def notes(world: dict[str, Any]) -> list[str]:
    """Rows whose text a spreadsheet would run as formulas, each with a negative amount."""
    import decimal

    app = world["app"]
    with app.app_context():
        session = app.appbuilder.session
        note = app.extensions["admin"].models["procurement.Note"]
        session.add_all([note(text=t, amount=decimal.Decimal("-2.5")) for t in FORMULAS])
        session.commit()
    return FORMULAS


def test_csv_exports_neutralise_formulas_and_keep_numbers(world: dict[str, Any],
                                                          notes: list[str]) -> None:
    client = login(world["app"], "admin")
    lines = read_csv(client.get("/procurement/note/export/csv").data)
    assert lines[0] == ["内容", "金额"]
    assert sorted(lines[1:]) == sorted(["'" + t, "-2.50"] for t in notes)
    api = read_csv(client.get("/api/v1/note/export", query_string={"format": "csv"}).data)
    assert sorted(api[1:]) == sorted(lines[1:])
    summary = read_csv(client.get("/procurement/note/summary/by_text/export/csv").data)
    assert sorted(line[:2] for line in summary[1:-1]) == sorted(["'" + t, "-2.50"]
                                                                for t in notes)


def test_xlsx_exports_write_text_as_text_under_a_valid_sheet_name(world: dict[str, Any],
                                                                  notes: list[str]) -> None:
    client = login(world["app"], "admin")
    response = client.get("/procurement/note/export/xlsx")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["备注说明"]  # the label 备注/说明 without the slash
    cells = [row for row in book.worksheets[0].iter_rows(min_row=2)]
    # xlsx stores a carriage return as _x000D_, which openpyxl reads back as it is
    assert sorted(c[0].value for c in cells) == sorted(t.replace("\r", "_x000D_") for t in notes)
    assert {(c[0].data_type, c[1].data_type, c[1].value) for c in cells} == {("s", "n", -2.5)}
    summary = load_workbook(io.BytesIO(client.get(
        "/procurement/note/summary/by_text/export/xlsx").data))
    assert summary.worksheets[0]["A2"].data_type == "s"


def test_sheet_names_and_the_error_report_are_safe(world: dict[str, Any]) -> None:
    from app.io.export import sheet_name
    from app.io.importer import RowError
    from app.io.template import build_error_report

    with world["app"].test_request_context():
        assert sheet_name("产品绑定/解绑管理") == "产品绑定解绑管理"
        assert sheet_name("a[b]:c*d?e/f\\g") == "abcdefg"
        assert sheet_name("'" + "长" * 40 + "'") == "长" * 31
        assert sheet_name("/?*") == sheet_name("History") == "数据"
        report = build_error_report([RowError(2, "=A1", "=1+1")])
    sheet = load_workbook(io.BytesIO(report)).worksheets[0]
    assert [(c.value, c.data_type) for c in sheet[2]] == [(2, "n"), ("=A1", "s"), ("=1+1", "s")]
