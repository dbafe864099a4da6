"""The import's error report, row by row: a file with many kinds of mistakes gets exactly the
report recorded in tests/data/import/error_report_<format>.json (row, column, Chinese message, in
order), whatever the chunk size, the file format or the database. The report was recorded
before the import was made set-based; any change to a message or its order shows here.

`RECORD_IMPORT_REPORT=1` rewrites the fixture (only when a message is meant to change)."""

from __future__ import annotations

import csv
import io
import json
import os
from typing import Any

import pytest
import xlsxwriter

from tests.conftest import ROOT, SCHEMAS, apply_schema, ensure_admin, make_app, seed_people

FIXTURES = ROOT / "tests" / "data" / "import"


def expected(fmt: str) -> dict[str, Any]:
    return dict(json.loads((FIXTURES / f"error_report_{fmt}.json").read_text(encoding="utf-8")))

PASSWORD = "Pass@12345"
HOSPITAL_A, HOSPITAL_B = "91350100M000100Y43", "91110000600037341L"
ORGS = {
    "350000": ("福建省", "province", None, None),
    "350102": ("鼓楼区", "county", "350000", None),
    HOSPITAL_A: ("福州甲医院", "unit", "350102", "institution"),
    "440000": ("广东省", "province", None, None),
    HOSPITAL_B: ("广州乙医院", "unit", "440000", "institution"),
}
USERS: dict[str, tuple[str, ...]] = {"fj": ("province", "350000"),
                                     "hosp_a": ("institution", HOSPITAL_A)}
ID_CARD = "440304199001010011"
HEADER = ["需求编号", "品规", "类型", "2020年采购量", "预采购量", "联系人身份证号", "签订日期",
          "内部备注", "所属机构"]
# every kind of mistake a province's file can hold, one or more per row
ROWS: list[list[Any]] = [
    ["R001", "阿莫西林", "新增", 1, 2, ID_CARD, "2026-01-02", "好", "福州甲医院"],  # good
    ["", "阿莫西林", "新增", 1, 2, "", "", "", "福州甲医院"],  # no code
    ["R" + "9" * 40, "阿莫西林", "新增", 1, 2, "", "", "", "福州甲医院"],  # too long
    ["R001", "阿莫西林", "新增", 1, 2, "", "", "", "福州甲医院"],  # key twice in the file
    ["R004", "不存在的药", "新增", 1, 2, "", "", "", "福州甲医院"],  # unknown reference
    ["R005", "", "新增", 1, 2, "", "", "", "福州甲医院"],  # required reference blank
    ["R006", "阿莫西林", "旧的", 1, 2, "", "", "", "福州甲医院"],  # not an enum label
    ["R007", "阿莫西林", "新增", -5, 2, "", "", "", "福州甲医院"],  # below min
    ["R008", "阿莫西林", "新增", "很多", 2, "", "", "", "福州甲医院"],  # not a number
    ["R009", "阿莫西林", "新增", "1.5", 2000000000, "", "", "", "福州甲医院"],  # two at once
    ["R010", "阿莫西林", "新增", 1, 2, "440304199001010012", "", "", "福州甲医院"],  # check digit
    ["R011", "阿莫西林", "新增", 1, 2, "12345", "2026-13-45", "", "福州甲医院"],  # id, date
    ["R012", "阿莫西林", "新增", 1, 2, "", "", "长" * 60, "福州甲医院"],  # note too long
    ["R013", "阿莫西林", "新增", 1, 2, "", "", "", "广州乙医院"],  # org out of reach
    ["R014", "阿莫西林", "新增", 1, 2, "", "", "", "没有这个机构"],  # unknown org
    ["D003", "阿莫西林", "", "", 9, "", "", "", ""],  # stored, in Guangdong: not theirs
    ["D001", "", "", 77, "", "", "", "", ""],  # an update of a reachable row: good
    ["D002", "不存在的药", "续签", "x", "y", "1", "昨天", "", "广州乙医院"],  # all wrong
    ["R018", "布洛芬", "续签", 0, 0, ID_CARD, "2026-02-28", "", HOSPITAL_A],  # good, by code
    ["R019", "阿莫西林", "新增", 1, 2, "", "", "", "福州甲医院"],
    ["R019", "阿莫西林", "新增", 1, 2, "", "", "", "福州甲医院"],  # twice, in another chunk
    ["", "", "", "", "", "", "", "", ""],  # a blank line: skipped
    ["R022", "阿莫西林", "新增", 3.0, 4, "", "2026-02-30", "", "福州甲医院"],  # no such day
]


@pytest.fixture(scope="module")
def world(database_url: str, tmp_path_factory: Any) -> dict[str, Any]:
    app = make_app(database_url, SCHEMAS / "io" / "entities.yaml",
                   tmp_path_factory.mktemp("files"))
    apply_schema(app)
    ensure_admin(app)
    with app.app_context():
        session = app.appbuilder.session
        orgs = seed_people(app, ORGS, USERS, PASSWORD)
        models = app.extensions["admin"].models
        drug = models["procurement.Drug"](name="阿莫西林")
        session.add_all([drug, models["procurement.Drug"](name="布洛芬")])
        demand = models["procurement.Demand"]
        for i in range(1, 4):
            session.add(demand(code=f"D{i:03d}", drug=drug, kind="new", baseline=i,
                               planned=i, org=orgs[HOSPITAL_B if i == 3 else HOSPITAL_A]))
        session.commit()
    return {"app": app}


def _login(app: Any, username: str) -> Any:
    client = app.test_client()
    response = client.post("/login/", data={"username": username, "password": PASSWORD})
    assert response.headers["Location"] == "/"
    return client


def _xlsx() -> bytes:
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    sheet = book.add_worksheet()
    for number, row in enumerate([HEADER, *ROWS]):
        for index, value in enumerate(row):
            if value not in (None, ""):
                sheet.write(number, index, value)
    book.close()
    return out.getvalue()


def _csv() -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows([HEADER, *ROWS])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _report(world: dict[str, Any], data: bytes, name: str) -> dict[str, Any]:
    client = _login(world["app"], "fj")
    response = client.post("/api/v1/demand/import", data={"file": (io.BytesIO(data), name)},
                           content_type="multipart/form-data")
    assert response.status_code == 422
    body = response.json
    return {"rows": body["rows"], "error_count": body["error_count"],
            "errors": [[e["row"], e["column"], e["message"]] for e in body["errors"]]}


@pytest.mark.parametrize("chunk", [2000, 3])
@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_the_error_report_is_the_recorded_one(world: dict[str, Any], fmt: str, chunk: int,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from app.io import importer

    monkeypatch.setattr(importer, "CHUNK", chunk)
    report = _report(world, _xlsx() if fmt == "xlsx" else _csv(), f"report.{fmt}")
    if os.environ.get("RECORD_IMPORT_REPORT") == "1" and chunk == 2000:
        (FIXTURES / f"error_report_{fmt}.json").write_text(
            json.dumps(report, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    assert report == expected(fmt)
    assert report["error_count"] >= 20  # the file is as bad as it looks


def test_nothing_of_a_refused_file_is_written(world: dict[str, Any]) -> None:
    _report(world, _xlsx(), "report.xlsx")
    client = _login(world["app"], "fj")
    rows = client.get("/api/v1/demand/", query_string={"q": "(page_size:100)"}).json["result"]
    assert {r["code"] for r in rows} == {"D001", "D002"}  # Guangdong's D003 is not theirs
    assert {r["baseline"] for r in rows} == {1, 2}


def test_the_downloaded_report_holds_the_same_rows(world: dict[str, Any]) -> None:
    from openpyxl import load_workbook

    client = _login(world["app"], "fj")
    response = client.post("/procurement/demand/import/", data={
        "file": (io.BytesIO(_xlsx()), "需求.xlsx")}, content_type="multipart/form-data")
    assert response.status_code == 302
    report = client.get(response.headers["Location"] + "/errors")
    sheet = load_workbook(io.BytesIO(report.data), read_only=True).worksheets[0]
    lines = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert lines[0] == ["行号", "列", "问题"]
    assert [[int(r[0]), r[1] or "", r[2]] for r in lines[1:]] == expected("xlsx")["errors"]
