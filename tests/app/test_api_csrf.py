"""REST writes authenticated by the browser's session cookie need the session's CSRF token in
the X-CSRFToken header; bearer tokens, reads and the REST login do not (SQLite and
PostgreSQL, with WTF_CSRF_ENABLED on as in production)."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from sqlalchemy import func, select

from generator.identifiers import compose_uscc
from tests.conftest import ADMIN_PASSWORD, apply_schema, dispose, ensure_admin, make_app

API = "/api/v1/enterprise/"
REFUSED = "须在请求头 X-CSRFToken 中附上页面的令牌"
_numbers = itertools.count(1)


@pytest.fixture(scope="module")
def app(database_url: str, tmp_path_factory: Any) -> Any:
    application = make_app(database_url, tmp=tmp_path_factory.mktemp("files"),
                           WTF_CSRF_ENABLED=True)
    apply_schema(application)
    ensure_admin(application)
    yield application
    dispose(application)


def page_token(client: Any, path: str = "/login/") -> str:
    page = client.get(path).text
    return page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]


def signed_in(app: Any) -> tuple[Any, str]:
    """A browser signed in through the page, and the token its pages carry."""
    client = app.test_client()
    response = client.post("/login/", data={"username": "admin", "password": ADMIN_PASSWORD,
                                           "csrf_token": page_token(client)})
    assert response.status_code == 302
    return client, page_token(client, "/catalog/enterprise/add")


def enterprise() -> dict[str, str]:
    number = next(_numbers)
    return {"name": f"接口企业{number}", "uscc": compose_uscc("91", "350100", f"M{number:07d}")}


def count(app: Any) -> int:
    with app.app_context():
        model = app.extensions["admin"].models["catalog.Enterprise"]
        return int(app.appbuilder.session.execute(select(func.count()).select_from(model))
                   .scalar_one())


def bearer(app: Any) -> dict[str, str]:
    response = app.test_client().post("/api/v1/security/login", json={
        "username": "admin", "password": ADMIN_PASSWORD, "provider": "db"})
    return {"Authorization": f"Bearer {response.json['access_token']}"}


def test_a_cookie_write_without_the_header_is_refused_and_saves_nothing(app: Any) -> None:
    client, _token = signed_in(app)
    before = count(app)
    response = client.post(API, json=enterprise())
    assert response.status_code == 400
    assert REFUSED in response.json["message"]
    wrong = client.post(API, json=enterprise(), headers={"X-CSRFToken": "forged"})
    assert wrong.status_code == 400 and REFUSED in wrong.json["message"]
    assert count(app) == before


def test_a_cookie_write_with_the_pages_token_is_done(app: Any) -> None:
    client, token = signed_in(app)
    before = count(app)
    response = client.post(API, json=enterprise(), headers={"X-CSRFToken": token})
    assert response.status_code == 201, response.text
    assert count(app) == before + 1


def test_put_and_delete_on_the_cookie_need_the_header_too(app: Any) -> None:
    client, token = signed_in(app)
    pk = client.post(API, json=enterprise(), headers={"X-CSRFToken": token}).json["id"]
    assert client.put(f"{API}{pk}", json={"name": "改名"}).status_code == 400
    assert client.delete(f"{API}{pk}").status_code == 400
    done = client.put(f"{API}{pk}", json={"name": "改名"}, headers={"X-CSRFToken": token})
    assert done.status_code == 200, done.text
    assert client.delete(f"{API}{pk}", headers={"X-CSRFToken": token}).status_code == 200


def test_a_bearer_token_needs_no_header(app: Any) -> None:
    before = count(app)
    response = app.test_client().post(API, json=enterprise(), headers=bearer(app))
    assert response.status_code == 201, response.text
    assert count(app) == before + 1


def test_reads_on_the_cookie_need_no_header(app: Any) -> None:
    client, _token = signed_in(app)
    assert client.get(API).status_code == 200


def test_the_rest_login_stays_open_to_a_signed_in_browser(app: Any) -> None:
    client, _token = signed_in(app)
    response = client.post("/api/v1/security/login", json={
        "username": "admin", "password": ADMIN_PASSWORD, "provider": "db", "refresh": True})
    assert response.status_code == 200
    refreshed = client.post("/api/v1/security/refresh", headers={
        "Authorization": f"Bearer {response.json['refresh_token']}"})
    assert refreshed.status_code == 200


def test_the_check_follows_wtf_csrf_enabled(database_url: str, app: Any,
                                            tmp_path_factory: Any) -> None:
    relaxed = make_app(database_url, tmp=tmp_path_factory.mktemp("relaxed"))
    try:
        client = relaxed.test_client()
        client.post("/login/", data={"username": "admin", "password": ADMIN_PASSWORD})
        assert client.post(API, json=enterprise()).status_code == 201
    finally:
        dispose(relaxed)
