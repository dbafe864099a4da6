"""What two app processes must share to act as one (docs/deploy.md): a captcha answered on
one process cannot be replayed on the other (used captchas in Redis), and a session ended on
one is refused on the other (session rows in the database). Two apps stand for two processes:
each keeps its own rate-limit storage object, as separate processes would (SQLite and
PostgreSQL). The real multi-process check is tests/multihost/."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import ADMIN_PASSWORD, apply_schema, dispose, ensure_admin, make_app

CAPTCHA = "K7PX"
REDIS = "redis://127.0.0.1:6379/12"


@pytest.fixture(scope="module")
def pair(database_url: str, tmp_path_factory: Any) -> Iterator[list[Any]]:
    tmp = tmp_path_factory.mktemp("shared")
    settings = {"ADMIN_CAPTCHA_FIXED": CAPTCHA, "RATELIMIT_STORAGE_URI": REDIS,
                "ADMIN_PASSWORD_POLICY": {"captcha": True, "change_first_login": False,
                                          "not_username": False}}
    apps = [make_app(database_url, tmp=tmp, **settings) for _ in range(2)]
    apply_schema(apps[0])
    ensure_admin(apps[0])
    yield apps
    for app in apps:
        dispose(app)


def client_with(app: Any, cookie: str | None) -> Any:
    client = app.test_client()
    if cookie:
        client.set_cookie("session", cookie)
    return client


def test_a_captcha_used_on_one_process_cannot_be_replayed_on_the_other(pair: list[Any]) -> None:
    first, second = pair
    issued = first.test_client()
    assert issued.get("/login/captcha.png").status_code == 200
    cookie = issued.get_cookie("session").value  # carries the captcha's HMAC, not its answer
    form = {"username": "admin", "password": ADMIN_PASSWORD, "captcha": CAPTCHA}
    answered = client_with(second, cookie).post("/login/", data=form)
    assert answered.headers["Location"] == "/"  # the other process checks it: same secret
    replayed = client_with(first, cookie).post("/login/", data=form)
    assert replayed.headers["Location"] != "/"  # used once, whichever process saw it


def test_a_session_ended_on_one_process_is_refused_on_the_other(pair: list[Any]) -> None:
    first, second = pair
    client = first.test_client()
    client.get("/login/captcha.png")
    signed = client.post("/login/", data={"username": "admin", "password": ADMIN_PASSWORD,
                                          "captcha": CAPTCHA})
    assert signed.headers["Location"] == "/"
    cookie = client.get_cookie("session").value
    assert client_with(second, cookie).get("/api/v1/demand/").status_code == 200
    client.get("/logout/")
    assert client_with(second, cookie).get("/api/v1/demand/").status_code == 401
