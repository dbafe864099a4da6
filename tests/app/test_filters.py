"""app/filters.py: the list's "starts with" is a LIKE prefix whose `%`, `_` and `\\` match
themselves (an index range, never a scan), and an id no row can have is a row that does not
exist (the all-types schema through the list and detail pages, SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import prison
import pytest

from app.filters import like_prefix

NAMES = ["50%折扣企业", "50元企业", "甲_乙企业", "甲丙乙企业", "反斜\\杠企业", "反斜杠企业"]


@pytest.fixture(scope="module")
def stored(app: Any) -> None:
    model = app.extensions["admin"].models["catalog.Enterprise"]
    with app.app_context():
        session = app.appbuilder.session
        session.add_all([model(name=name, uscc=f"U{i:017d}", kind="domestic")
                         for i, name in enumerate(NAMES)])
        session.commit()


def starting(client: Any, prefix: str) -> list[str]:
    """The names the list shows filtered by 企业名称 starting with `prefix` (filter 1; the
    search form's filter 0 is 包含)."""
    response = client.get(f"/catalog/enterprise/list/?_flt_1_name={quote(prefix)}")
    assert response.status_code == 200
    return sorted(name for name in NAMES if f">{name}<" in response.text)


def test_the_pattern_escapes_the_wildcards() -> None:
    assert like_prefix("D3") == "D3%"
    assert like_prefix("50%") == "50\\%%"
    assert like_prefix("a_b\\") == "a\\_b\\\\%"


@pytest.mark.usefixtures("stored")
@pytest.mark.parametrize(("prefix", "found"), [
    ("50%", ["50%折扣企业"]), ("50", ["50%折扣企业", "50元企业"]),
    ("甲_", ["甲_乙企业"]), ("反斜\\", ["反斜\\杠企业"]), ("%", [])])
def test_starts_with_takes_the_characters_literally(client: Any, prefix: str,
                                                    found: list[str]) -> None:
    assert starting(client, prefix) == found


def starting_rest(client: Any, prefix: str) -> list[str]:
    """The same through the REST API's `sw` operator (the list's starts-with)."""
    query = prison.dumps({"filters": [{"col": "name", "opr": "sw", "value": prefix}],
                          "columns": ["name"], "page_size": 100})
    response = client.get("/api/v1/enterprise/", query_string={"q": query})
    assert response.status_code == 200, response.text
    return sorted(row["name"] for row in response.json["result"] if row["name"] in NAMES)


@pytest.mark.usefixtures("stored")
@pytest.mark.parametrize(("prefix", "found"), [
    ("50%", ["50%折扣企业"]), ("甲_", ["甲_乙企业"]), ("反斜\\", ["反斜\\杠企业"]), ("%", [])])
def test_the_api_starts_with_takes_the_characters_literally(client: Any, prefix: str,
                                                            found: list[str]) -> None:
    assert starting_rest(client, prefix) == found


@pytest.mark.parametrize("pk", ["abc", "1.5", str(2**70)])
def test_an_id_no_row_can_have_is_not_found(client: Any, pk: str) -> None:
    assert client.get(f"/catalog/enterprise/show/{pk}").status_code == 404
    assert client.get(f"/catalog/enterprise/edit/{pk}").status_code == 404
