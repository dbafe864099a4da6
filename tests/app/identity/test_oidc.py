"""统一身份认证登录 (OpenID Connect) against a local fake provider, on SQLite and PostgreSQL:
a matched enterprise and a matched person sign in; state and nonce are checked; an unknown
enterprise is sent to 注册账号 with its numbers, an unknown person refused in Chinese; the
password sign-in stays; the idle re-login holds for these sessions too."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from tests.app.identity import fake_provider
from tests.app.identity.world import PASSWORD, build, known_uscc
from tests.conftest import dispose

ENTERPRISE = {"sub": "e-1", "name": "钱家豪", "uscc": None, "id_card": "110105197905082341",
              "user_type": "legal"}
PERSON = {"sub": "p-1", "name": "孙浩然", "id_card": "110105198803121236",
          "user_type": "person"}


@pytest.fixture(scope="module")
def provider() -> Iterator[Any]:
    with fake_provider.running() as running:
        yield running


@pytest.fixture(scope="module")
def app(database_url: str, tmp_path_factory: Any, provider: Any) -> Any:
    application = build(
        database_url, tmp_path_factory.mktemp("files"), ADMIN_OIDC_ISSUER=provider.issuer,
        ADMIN_OIDC_CLIENT_ID=fake_provider.CLIENT_ID,
        ADMIN_OIDC_CLIENT_SECRET=fake_provider.CLIENT_SECRET,
        ADMIN_OIDC_CLAIMS={"uscc": "uscc", "id_no": "id_card", "name": "name",
                           "user_class": "user_type"},
        ADMIN_OIDC_CLASSES={"legal": "enterprise", "person": "person"})
    with application.app_context():  # bj_legal is the legal person the provider vouches for
        from app.security.models import AppUser

        session = application.appbuilder.session
        user = session.query(AppUser).filter_by(username="bj_legal").one()
        user.id_no = ENTERPRISE["id_card"]
        session.commit()
    yield application
    dispose(application)


@pytest.fixture(autouse=True)
def _reset(provider: Any) -> None:
    provider.wrong_nonce = False
    provider.identity = {}


def through_provider(client: Any, provider: Any, identity: dict[str, Any],
                     tamper_state: bool = False) -> Any:
    """The browser's round trip: our redirect, the provider's consent, our callback."""
    provider.identity = {k: v for k, v in identity.items() if v is not None}
    start = client.get("/login/oidc/")
    assert start.status_code == 302
    assert start.headers["Location"].startswith(f"{provider.issuer}/authorize?")
    asked = parse_qs(urlsplit(start.headers["Location"]).query)
    assert asked["state"] and asked["nonce"]  # both sent, to be checked on the way back
    back = requests.get(start.headers["Location"], allow_redirects=False, timeout=10)
    assert back.status_code == 302
    url = urlsplit(back.headers["Location"])
    query = url.query
    if tamper_state:
        query = query.replace(asked["state"][0], "forged-state")
    return client.get(f"{url.path}?{query}")


def signed_in(client: Any) -> bool:
    return client.get("/users/userinfo/").status_code == 200


def flashed(client: Any) -> str:
    with client.session_transaction() as session:
        return " ".join(str(m) for _c, m in session.get("_flashes", []))


def test_the_login_page_offers_both_ways(app: Any) -> None:
    page = app.test_client().get("/login/")
    assert 'href="/login/oidc/?next="' in page.text
    assert "统一身份认证登录" in page.text and 'name="password"' in page.text


def test_a_matched_enterprise_identity_signs_in(app: Any, provider: Any) -> None:
    client = app.test_client()
    done = through_provider(client, provider, {**ENTERPRISE, "uscc": known_uscc()})
    assert done.status_code == 302 and done.headers["Location"] == "/", flashed(client)
    home = client.get("/")
    assert home.status_code == 200 and "bj_legal" in home.text
    assert "北京京康医药科技有限公司" in home.text  # the top bar names the unit
    assert client.get("/logout/").status_code == 302
    assert not signed_in(client)  # 退出 ends it


def test_a_matched_person_signs_in(app: Any, provider: Any) -> None:
    client = app.test_client()
    done = through_provider(client, provider, PERSON)
    assert done.headers["Location"] == "/", flashed(client)
    home = client.get("/").text
    top = home[home.index('<header class="admin-topbar">'):home.index("</header>")]
    assert "bj_person" in top and "自然人" in top and "退出" in top


def test_a_forged_state_is_refused(app: Any, provider: Any) -> None:
    client = app.test_client()
    done = through_provider(client, provider, PERSON, tamper_state=True)
    assert done.status_code == 302 and done.headers["Location"].startswith("/login/")
    assert "统一身份认证登录未能完成" in flashed(client)
    assert not signed_in(client)


def test_a_wrong_nonce_is_refused(app: Any, provider: Any) -> None:
    provider.wrong_nonce = True
    client = app.test_client()
    done = through_provider(client, provider, PERSON)
    assert done.headers["Location"].startswith("/login/")
    assert "统一身份认证登录未能完成" in flashed(client)
    assert not signed_in(client)


def test_an_unknown_enterprise_is_sent_to_registration(app: Any, provider: Any) -> None:
    from generator.identifiers import compose_uscc

    code = compose_uscc("91", "110105", "MA8XY009")
    client = app.test_client()
    done = through_provider(client, provider, {**ENTERPRISE, "uscc": code,
                                               "id_card": "110105197505050017"})
    assert done.headers["Location"] == "/register/"
    assert "尚未在本平台开通账号，请先注册" in flashed(client)
    form = client.get("/register/")
    assert f'value="{code}"' in form.text and 'value="110105197505050017"' in form.text
    assert not signed_in(client)


def test_an_unknown_person_is_refused_in_chinese(app: Any, provider: Any) -> None:
    client = app.test_client()
    done = through_provider(client, provider, {**PERSON, "id_card": "110105197505050017"})
    assert done.headers["Location"].startswith("/login/")
    assert "该身份尚未在本平台开通账号，请联系所在地区的系统管理员开通" in flashed(client)


def test_a_person_identity_never_opens_an_enterprise_account(app: Any, provider: Any) -> None:
    client = app.test_client()  # bj_legal's 身份证号, but as a 自然人: not the unit's account
    done = through_provider(client, provider, {**PERSON, "id_card": ENTERPRISE["id_card"]})
    assert done.headers["Location"].startswith("/login/")


def test_the_password_sign_in_stays(app: Any) -> None:
    client = app.test_client()
    response = client.post("/login/", data={"username": "bj_person", "password": PASSWORD})
    assert response.headers["Location"] == "/"


def test_idle_sessions_of_the_platform_sign_in_again(app: Any, provider: Any) -> None:
    client = app.test_client()
    assert through_provider(client, provider, PERSON).headers["Location"] == "/"
    assert signed_in(client)
    with client.session_transaction() as session:
        session["_seen"] = int(time.time()) - 3 * 3600
    again = client.get("/users/userinfo/")
    assert again.status_code == 302 and again.headers["Location"].startswith("/login/")
    assert "分钟无操作" in flashed(client) or "请重新登录" in flashed(client)
