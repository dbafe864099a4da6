"""app/io/export_rows.py: the Core select's streams give the very bytes of the ORM stream
(app/io/export.py column_lines over ORM rows), on a table with every kind of column, nulls,
enum labels, references, dates, Chinese text, formulas, commas, quotes, newlines and
backslashes; COPY on PostgreSQL included (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import decimal
import zipfile
from typing import Any

import pytest
from flask_login import login_user

from app.io.columns import columns
from app.io.export import batched, column_lines, csv_lines, write_lines_xlsx
from app.io.export_rows import _digit_class, plan
from app.io.views import _eager
from app.labels import render
from tests.conftest import SCHEMAS, apply_schema, ensure_admin, make_app, seed_people

SCHEMA = SCHEMAS / "export" / "entities.yaml"
ORGS = {"350000": ("福建省", "province", None, None),
        "91350100M000100Y43": ("福州甲医院,总院", "unit", "350000", "institution")}
USERS = {"fj": ("province", "350000")}
TEXTS = ["=SUM(A1)", "+1", "-5", "@x", "\tTab", "\rCR", "逗号,分隔", 'quote"d', "多行\n文本",
         "CRLF\r\nx", "123456789012", "12345678901", "１２３４５６７８９０１２", "back\\slash\\n",
         "", None, "  spaces ", "中文名称", "\\.", "a\x0bb\x08c\x0cd", "a\tb", "'quoted'",
         "-0012345678901234"]
FINE = [decimal.Decimal("0.0000000001"), decimal.Decimal("0"), decimal.Decimal("-1.5"), None]
EVERY = ["code", "note", "amount", "price", "fine", "active", "day", "at", "kind", "drug",
         "batch", "letter_file", "change", "state", "state_due", "org"]
COPYABLE = ["code", "note", "amount", "price", "active", "day", "at", "kind", "drug", "batch",
            "letter_file", "state", "org"]


@pytest.fixture(scope="module")
def world(database_url: str, tmp_path_factory: Any) -> dict[str, Any]:
    app = make_app(database_url, SCHEMA, tmp_path_factory.mktemp("files"))
    apply_schema(app)
    ensure_admin(app)
    with app.app_context():
        session = app.appbuilder.session
        orgs = seed_people(app, ORGS, USERS, "Pass@12345")
        models = app.extensions["admin"].models
        drugs = [models["export.Drug"](name=n) for n in ("阿莫西林", "=cmd", "布洛芬,缓释")]
        batches = [models["export.Batch"](number=n) for n in (7, 123456789012345, None)]
        session.add_all(drugs + batches)
        row = models["export.Row"]
        for i, text in enumerate(TEXTS * 2):
            session.add(row(
                code=text, note=TEXTS[-1 - i % len(TEXTS)],
                amount=None if i % 7 == 0 else i - 5,
                price=None if i % 5 == 0 else decimal.Decimal(i * 37 - 100) / 4,
                fine=FINE[i % len(FINE)],
                active=[True, False, None][i % 3],
                day=None if i % 4 == 0 else dt.date(2026, 1, 1) + dt.timedelta(days=i * 11),
                at=None if i % 6 == 0 else dt.datetime(2026, 3, 1, 8, 30, 15, 999) + dt.timedelta(
                    hours=i * 7),
                kind=["new", "renew", None, "gone"][i % 4],
                drug=drugs[i % 3] if i % 4 else None, batch=batches[i % 3] if i % 5 else None,
                letter=None if i % 3 == 0 else f"k/{i}.pdf",
                letter_name=[None, "承诺函,盖章.pdf", ""][i % 3],
                state=["draft", "filed", "lost"][i % 3],
                state_due=dt.date(2026, 12, 1) + dt.timedelta(days=i) if i % 2 else None,
                org=orgs["91350100M000100Y43"] if i % 2 else (
                    orgs["350000"] if i % 3 else None)))
        session.commit()
    return {"app": app, "models": models}


def _queries(session: Any, model: Any) -> list[tuple[Any, int | None]]:
    return [(session.query(model).order_by(model.id), None),
            (session.query(model).filter(model.kind == "new").order_by(model.code.desc(),
                                                                        model.id), None),
            (session.query(model).order_by(model.amount.desc(), model.id), 5)]


def _old_lines(entity: Any, model: Any, cols: Any, query: Any, limit: int | None) -> Any:
    limited = query.limit(limit) if limit else query
    return column_lines(cols, batched(_eager(limited, model, entity)))


def _sheet_parts(path: str) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as book:  # docProps/core.xml holds the time it was written
        return {n: book.read(n) for n in book.namelist() if n != "docProps/core.xml"}


@pytest.mark.parametrize("names", [EVERY, COPYABLE, ["code"], ["active"]])
def test_the_select_gives_the_bytes_of_the_orm_stream(world: dict[str, Any],
                                                      names: list[str]) -> None:
    app = world["app"]
    model = world["models"]["export.Row"]
    with app.test_request_context("/"):
        login_user(app.appbuilder.sm.find_user(username="admin"))
        entity = model.__entity__
        session = app.appbuilder.session
        cols = columns(entity, names)
        assert [c.key for c in cols] == [n.removesuffix("_file") for n in names]
        headers = [c.header for c in cols]
        rows = plan(entity, model, cols, render())
        assert rows is not None
        copies = session.get_bind().dialect.name == "postgresql"
        assert rows.copyable == (names != EVERY)
        for query, limit in _queries(session, model):
            old = b"".join(csv_lines(headers, _old_lines(entity, model, cols, query, limit)))
            assert old.count(b"\r\n") > (limit or 10)
            new = b"".join(csv_lines(headers, rows.lines(query, limit)))
            assert new == old
            if copies and rows.copyable:
                told: list[int] = []
                assert b"".join(rows.csv_chunks(query, limit, told.append)) == old
                assert told[-1] == (limit or query.count())
            before = write_lines_xlsx(headers, _old_lines(entity, model, cols, query, limit),
                                      "导出行")
            after = write_lines_xlsx(headers, rows.lines(query, limit), "导出行")
            assert _sheet_parts(after) == _sheet_parts(before)


def test_a_csv_download_is_the_stream_of_the_select(world: dict[str, Any]) -> None:
    """The door's bytes (here: the API as national, every column it lists) are the ORM
    stream's of the same rows in the same order."""
    app = world["app"]
    model = world["models"]["export.Row"]
    client = app.test_client()
    client.post("/login/", data={"username": "admin", "password": "Admin@12345"})
    for fmt in ("csv",):
        response = client.get("/api/v1/row/export", query_string={
            "format": fmt, "q": "(order_column:id,order_direction:asc)"})
        assert response.status_code == 200
        if fmt == "xlsx":
            continue
        with app.test_request_context("/"):
            login_user(app.appbuilder.sm.find_user(username="admin"))
            entity = model.__entity__
            api = next(v for v in app.appbuilder.baseviews
                       if getattr(v, "resource_name", None) == "row")
            cols = columns(entity, [c for c in api.list_columns if c != "id"])
            query = app.appbuilder.session.query(model).order_by(model.id)
            old = b"".join(csv_lines([c.header for c in cols],
                                     _old_lines(entity, model, cols, query, None)))
        assert response.data == old


def test_long_digit_strings_match_what_isdigit_accepts() -> None:
    import re

    pattern = re.compile(f"[{_digit_class()}]")
    assert all(bool(pattern.fullmatch(chr(c))) == chr(c).isdigit() for c in range(0x30000))


def test_workbook_parts_are_compared_whole() -> None:
    """The xlsx comparison above reads the sheet itself, not only the file's wrapper."""
    one = write_lines_xlsx(["编号"], [["a"]], "表")
    two = write_lines_xlsx(["编号"], [["b"]], "表")
    assert _sheet_parts(one) != _sheet_parts(two)
    with open(one, "rb") as book:
        assert book.read(2) == b"PK"
