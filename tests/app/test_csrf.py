"""Cross-site request forgery: every state-changing POST of the screens needs the session's
token (not only FlaskForm forms), the REST API (token-authenticated) does not."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import ADMIN_PASSWORD, apply_schema, ensure_admin, make_app


@pytest.fixture(scope="module")
def app(database_url: str, tmp_path_factory: Any) -> Any:
    application = make_app(database_url, tmp=tmp_path_factory.mktemp("files"),
                           WTF_CSRF_ENABLED=True)
    apply_schema(application)
    ensure_admin(application)
    return application


def _signed_in(app: Any) -> Any:
    client = app.test_client()
    page = client.get("/login/").text
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    response = client.post("/login/", data={"username": "admin", "password": ADMIN_PASSWORD,
                                           "csrf_token": token})
    assert response.status_code == 302
    return client


@pytest.mark.parametrize("path", ["/catalog/enterprise/delete/1",
                                  "/catalog/enterprise/action_post",
                                  "/catalog/enterprise/add",
                                  "/system/users/deactivate/1", "/system/users/activate/1",
                                  "/system/users/password/1", "/system/users/action_post",
                                  "/security/online/end/1"])
def test_posts_without_the_token_are_refused(app: Any, path: str) -> None:
    client = _signed_in(app)
    response = client.post(path, data={"name": "伪造"})
    assert response.status_code == 400
    assert "页面已过期" in response.text and "未保存" in response.text


def test_the_rest_api_needs_no_token(app: Any) -> None:
    client = app.test_client()
    token = client.post("/api/v1/security/login", json={
        "username": "admin", "password": ADMIN_PASSWORD, "provider": "db"}).json["access_token"]
    response = client.post("/api/v1/enterprise/", headers={"Authorization": f"Bearer {token}"},
                           json={"name": "接口企业", "uscc": "91350100M000100Y43"})
    assert response.status_code == 201, response.text
