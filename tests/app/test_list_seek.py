"""app/list_seek.py: 下一页 seeks from the page's last row and shows exactly the rows the page
number shows, under every sort (NULLs included), and a seek that does not fit the page asked
for is an ordinary page (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import html
import re
from decimal import Decimal
from typing import Any

import pytest

from tests.conftest import sign_in

ROWS = 45  # three pages of 20
LIST = "/catalog/product/list/"
VIEW = "CatalogProductView"


@pytest.fixture(scope="module")
def stored(app: Any) -> None:
    models = app.extensions["admin"].models
    with app.app_context():
        session = app.appbuilder.session
        maker = models["catalog.Enterprise"](name="企业", uscc="U00000000000000001",
                                             kind="domestic")
        # values repeat (ties broken by id); every third price is empty (NULL)
        session.add_all([models["catalog.Product"](
            name=f"药品{i % 7}", approval=f"国药准字H{i:08d}", enterprise=maker,
            price=None if i % 3 == 0 else Decimal(i % 5) + Decimal("0.25"), stock=i % 4,
            approved_on=dt.date(2020, 1, 1 + i % 9),
            checked_at=dt.datetime(2025, 3, 1, i % 6, 30)) for i in range(ROWS)])
        session.commit()


def names(body: str) -> list[str]:
    return re.findall(r"国药准字H\d{8}", body)


def next_link(body: str) -> str | None:
    match = re.search(r'href="([^"#]+)">&gt;</a>', body)
    return html.unescape(match.group(1)) if match else None


@pytest.mark.usefixtures("stored")
@pytest.mark.parametrize("sort", ["", "name:asc", "name:desc", "price:asc", "price:desc",
                                  "stock:asc", "approved_on:desc", "checked_at:asc"])
def test_next_page_by_seeking_shows_the_numbered_page(app: Any, sort: str) -> None:
    client = sign_in(app, "admin")
    order = ""
    if sort:
        column, direction = sort.split(":")
        order = f"&_oc_{VIEW}={column}&_od_{VIEW}={direction}"
    by_number = [names(client.get(f"{LIST}?page_{VIEW}={p}{order}").text) for p in range(3)]
    assert sum(len(rows) for rows in by_number) == ROWS
    assert len({r for rows in by_number for r in rows}) == ROWS  # no row twice, none lost
    body = client.get(f"{LIST}?{order.lstrip('&')}").text
    walked = [names(body)]
    seeks = 0
    for _ in range(2):
        link = next_link(body)
        assert link, body[:500]
        seeks += f"_after_{VIEW}=" in link
        body = client.get(link).text
        walked.append(names(body))
    assert walked == by_number
    if not sort.startswith("price"):  # a NULL last row pages by OFFSET
        assert seeks == 2


@pytest.mark.usefixtures("stored")
def test_a_seek_for_another_page_or_sort_is_an_ordinary_page(app: Any) -> None:
    client = sign_in(app, "admin")
    second = names(client.get(f"{LIST}?page_{VIEW}=1").text)
    first_body = client.get(LIST).text
    link = next_link(first_body)
    assert link and f"_after_{VIEW}=" in link
    value = re.search(rf"_after_{VIEW}=([^&]+)", link).group(1)  # type: ignore[union-attr]
    for query in (f"page_{VIEW}=2&_after_{VIEW}={value}",  # not the page it names
                  f"page_{VIEW}=1&_after_{VIEW}=1~id~desc~abc~7",  # not a value of id
                  f"page_{VIEW}=1&_after_{VIEW}=junk"):
        page = int(query.split("=")[1].split("&")[0])
        expected = names(client.get(f"{LIST}?page_{VIEW}={page}").text)
        response = client.get(f"{LIST}?{query}")
        assert response.status_code == 200
        assert names(response.text) == expected, query
    assert names(client.get(link).text) == second


@pytest.mark.usefixtures("stored")
def test_the_last_page_offers_no_next(app: Any) -> None:
    client = sign_in(app, "admin")
    body = client.get(f"{LIST}?page_{VIEW}=2").text
    assert len(names(body)) == ROWS - 40
    assert next_link(body) is None
