"""app/list_count.py: a list counts exactly up to ADMIN_LIST_EXACT_COUNT rows; above it
PostgreSQL's estimate is shown as 「约 …条」 with a 「精确计数」 link that counts exactly, a short
page settles the count, and SQLite, the REST API and the suite's default limit stay exact.
The limit is forced down to 5 so that 30 rows are a "large" list."""

from __future__ import annotations

import re
from typing import Any

import pytest

from app.list_count import Estimated, about, settle
from tests.conftest import apply_schema, dispose, ensure_admin, make_app, sign_in

ROWS = 30  # a page holds 20
LIST = "/catalog/enterprise/list/"


@pytest.fixture(scope="module")
def app(database_url: str, tmp_path_factory: Any) -> Any:
    application = make_app(database_url, tmp=tmp_path_factory.mktemp("files"),
                           ADMIN_LIST_EXACT_COUNT=5)
    apply_schema(application)
    ensure_admin(application)
    model = application.extensions["admin"].models["catalog.Enterprise"]
    with application.app_context():
        session = application.appbuilder.session
        session.add_all([model(name=f"{'甲' if i < 3 else '乙'}企业{i:02d}", uscc=f"U{i:017d}",
                               kind="domestic") for i in range(ROWS)])
        session.commit()
        if session.get_bind().dialect.name == "postgresql":  # statistics for the estimate
            session.connection().exec_driver_sql(f"ANALYZE {model.__table__.name}")
            session.commit()
    yield application
    dispose(application)


def shown_count(html: str) -> str:
    """What follows 记录总数: on the list, whitespace folded."""
    match = re.search(r"记录总数:</strong>(.*?)</div>", html, re.S)
    assert match, html[:2000]
    return " ".join(re.sub(r"<[^>]+>", " ", match.group(1)).split())


def is_pg(app: Any) -> bool:
    with app.app_context():
        return app.appbuilder.session.get_bind().dialect.name == "postgresql"


def test_a_large_list_shows_an_estimate_with_an_exact_count_on_demand(app: Any) -> None:
    client = sign_in(app, "admin")
    response = client.get(LIST)
    assert response.status_code == 200
    if not is_pg(app):  # SQLite counts exactly
        assert shown_count(response.text) == str(ROWS)
        assert "精确计数" not in response.text
        return
    shown = shown_count(response.text)
    match = re.fullmatch(r"约 (\d+)条 精确计数", shown)
    assert match and int(match.group(1)) > 5, shown
    link = re.search(r'href="([^"]*_count=exact[^"]*)"', response.text)
    assert link, response.text
    exact = client.get(link.group(1).replace("&amp;", "&"))
    assert exact.status_code == 200
    assert shown_count(exact.text) == str(ROWS)
    assert "精确计数" not in exact.text


def test_a_list_within_the_limit_is_counted_exactly(app: Any) -> None:
    client = sign_in(app, "admin")
    response = client.get(f"{LIST}?_flt_1_name=甲")  # starts with 甲: 3 rows
    assert response.status_code == 200
    assert shown_count(response.text) == "3"


def test_the_last_page_settles_the_count(app: Any) -> None:
    client = sign_in(app, "admin")
    response = client.get(f"{LIST}?page_CatalogEnterpriseView=1")
    assert response.status_code == 200
    assert shown_count(response.text) == str(ROWS)
    assert len(set(re.findall(r"[甲乙]企业\d\d", response.text))) == ROWS - 20


def test_the_pager_and_the_exact_link_keep_the_filter_and_the_sort(app: Any) -> None:
    if not is_pg(app):
        pytest.skip("SQLite never estimates")
    client = sign_in(app, "admin")
    url = (f"{LIST}?_flt_1_name=乙&_oc_CatalogEnterpriseView=name"
           "&_od_CatalogEnterpriseView=asc")
    response = client.get(url)
    link = re.search(r'href="([^"]*_count=exact[^"]*)"', response.text)
    assert link, shown_count(response.text)
    target = link.group(1).replace("&amp;", "&")
    assert "_flt_1_name=" in target and "_oc_CatalogEnterpriseView=name" in target
    exact = client.get(target)
    assert shown_count(exact.text) == str(ROWS - 3)
    first = re.findall(r"乙企业\d\d", exact.text)
    assert first[:2] == ["乙企业03", "乙企业04"], first


def test_the_rest_api_counts_exactly(app: Any) -> None:
    client = sign_in(app, "admin")
    response = client.get("/api/v1/enterprise/")
    assert response.status_code == 200, response.text
    assert response.json["count"] == ROWS


def test_the_default_limit_keeps_small_lists_exact(database_url: str,
                                                   tmp_path_factory: Any) -> None:
    application = make_app(database_url, tmp=tmp_path_factory.mktemp("files"))
    try:
        assert application.config.get("ADMIN_LIST_EXACT_COUNT", 10_000) >= 10_000
        client = sign_in(application, "admin")
        assert shown_count(client.get(LIST).text) == str(ROWS)
    finally:
        dispose(application)


@pytest.mark.parametrize(("count", "locale", "text"), [
    (100_234, "zh", "10 万"), (12_345, "zh", "1.2 万"), (987_654, "zh", "99 万"),
    (9_999, "zh", "9,999"), (320_000_000, "zh", "3.2 亿"), (123_456, "en", "120,000"),
    (87, "en", "87")])
def test_about_rounds_as_people_say_it(count: int, locale: str, text: str) -> None:
    assert about(count, locale) == text


def test_a_short_page_makes_the_estimate_exact() -> None:
    assert settle(Estimated(5000), 3, 20, 7) == 67
    assert settle(Estimated(5000), 0, 20, 0) == 0
    assert isinstance(settle(Estimated(5000), 9, 20, 0), Estimated)  # beyond the end
    assert isinstance(settle(Estimated(5000), 2, 20, 20), Estimated)
    assert settle(47, 2, 20, 7) == 47


def test_the_export_cut_says_the_estimate_as_an_estimate(app: Any) -> None:
    from app.system import settings

    with app.test_request_context():
        settings.save(app.appbuilder.session, {"export_row_limit": 4})
        app.appbuilder.session.commit()
    try:
        text = sign_in(app, "admin").get(LIST).text
        cut = re.search(r"仅导出前 4 条，共 ([^条]+) 条", text)
        assert cut, text[:3000]
        if is_pg(app):
            assert re.fullmatch(r"约 \d+", cut.group(1)), cut.group(0)
        else:
            assert cut.group(1) == str(ROWS)
    finally:
        with app.test_request_context():
            settings.save(app.appbuilder.session, {"export_row_limit": 0})
            app.appbuilder.session.commit()
