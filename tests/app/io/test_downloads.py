"""app/io/downloads.py: a CSV download streams its lines with the BOM and neutralised cells;
an xlsx download is a workbook of the lines whose temporary file is gone once it was sent."""

from __future__ import annotations

import io
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from flask import Flask

from app.io.downloads import csv_download, xlsx_download

HEADERS = ["名称", "数量"]


@pytest.fixture()
def client(monkeypatch: Any, tmp_path: Path) -> Any:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    read: list[int] = []

    def lines() -> Iterator[list[Any]]:
        for number in range(3):
            read.append(number)  # read while the response streams, not before
            yield [f"第{number}行", number]
        yield ["=HYPERLINK(\"x\")", 4]

    app = Flask(__name__)
    app.add_url_rule("/a.csv", "csv", lambda: csv_download(HEADERS, lines(), "登录日志.csv"))
    app.add_url_rule("/a.xlsx", "xlsx",
                     lambda: xlsx_download(HEADERS, lines(), "登录日志", "登录日志.xlsx"))
    client = app.test_client()
    client.read, client.tmp = read, tmp_path  # type: ignore[attr-defined]
    return client


def test_the_csv_streams_its_lines(client: Any) -> None:
    response = client.get("/a.csv", buffered=False)
    assert client.read == []
    body = b"".join(response.response).decode("utf-8")
    assert client.read == [0, 1, 2]
    assert body.startswith("\ufeff名称,数量")
    assert "第2行,2" in body
    assert "'=HYPERLINK" in body
    assert response.mimetype == "text/csv"
    assert "filename*=UTF-8''%E7%99%BB" in response.headers["Content-Disposition"]


def test_the_xlsx_holds_the_lines_and_leaves_no_file(client: Any) -> None:
    response = client.get("/a.xlsx", buffered=True)
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    assert sheet.title == "登录日志"
    assert [c.value for c in sheet[1]] == HEADERS
    assert [c.value for c in sheet[3]] == ["第1行", 1]
    assert sheet.cell(5, 1).value == "=HYPERLINK(\"x\")" and sheet.cell(5, 1).data_type == "s"
    response.close()
    assert list(client.tmp.iterdir()) == []
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.content_length == len(response.data)
