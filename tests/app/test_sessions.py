"""Server-side sessions (SQLite and PostgreSQL): a copied session cookie or an API token stops
working when its session ends — 退出, the owner's password change (other sessions), an
administrator's reset and 注销 (all of them), the idle timeout, an administrator ending one —
and the check costs no statement of its own."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import time
from typing import Any

import pytest
from sqlalchemy import event, select, update

from tests.conftest import ADMIN_PASSWORD, apply_schema, dispose, ensure_admin, make_app

PASSWORD = "Pass@12345"
LIST = "/catalog/enterprise/list/"
API = "/api/v1/enterprise/"
ENDED = "您的登录已失效"


@pytest.fixture(scope="module")
def app(database_url: str, tmp_path_factory: Any) -> Any:
    application = make_app(database_url, tmp=tmp_path_factory.mktemp("files"))
    apply_schema(application)
    ensure_admin(application)
    yield application
    dispose(application)


def add_user(app: Any, username: str) -> int:
    with app.app_context():
        sm = app.appbuilder.sm
        user = sm.add_user(username, username, "", f"{username}@x", sm.find_role("Admin"),
                           PASSWORD)
        return int(user.id)


def sign_in(app: Any, username: str, password: str = PASSWORD) -> Any:
    client = app.test_client()
    password = ADMIN_PASSWORD if username == "admin" else password
    response = client.post("/login/", data={"username": username, "password": password},
                           headers={"User-Agent": "pytest-browser/1.0"})
    assert response.headers.get("Location") == "/", response.text[:300]
    return client


def copy_of(app: Any, client: Any) -> Any:
    """Another browser holding the same session cookie (a stolen or copied cookie)."""
    other = app.test_client()
    other.set_cookie("session", client.get_cookie("session").value)
    return other


def token_of(client: Any) -> str:
    with client.session_transaction() as session:
        return str(session["_sid"])


def rows(app: Any, user_id: int) -> list[Any]:
    from app.security.sessions import AuthSession

    with app.app_context():
        db = app.appbuilder.session
        db.expire_all()
        found = db.execute(select(AuthSession).where(AuthSession.user_id == user_id)
                           .order_by(AuthSession.id)).scalars().all()
        db.expunge_all()
        return list(found)


def row_of(app: Any, token: str) -> Any:
    from app.security.sessions import AuthSession

    with app.app_context():
        db = app.appbuilder.session
        db.expire_all()
        found = db.execute(select(AuthSession).where(
            AuthSession.token_hash == hashlib.sha256(token.encode()).hexdigest())).scalar_one()
        db.expunge(found)
        return found


def refused(app: Any, client: Any) -> bool:
    """The page answers with the login page and says why; the JSON API with 401 in Chinese."""
    page = client.get(LIST)
    if page.status_code != 302:
        assert page.status_code == 200
        return False
    assert "/login/" in page.headers["Location"]
    assert ENDED in flashed(client)
    return True


def api_refused(client: Any, headers: dict[str, str] | None = None) -> bool:
    response = client.get(API, headers=headers or {})
    if response.status_code == 200:
        return False
    assert response.status_code == 401, response.text
    assert ENDED in response.json["message"]
    return True


def flashed(client: Any) -> str:
    page = client.get("/login/").text
    found = re.findall(r'class="alert[^"]*"[^>]*>(.*?)</div>', page, re.S)
    return " ".join(re.sub(r"<[^>]+>|&times;", "", text).strip() for text in found)


def rest_login(app: Any, username: str, refresh: bool = False) -> dict[str, str]:
    response = app.test_client().post("/api/v1/security/login", json={
        "username": username, "password": PASSWORD, "provider": "db", "refresh": refresh})
    assert response.status_code == 200, response.text
    return dict(response.json)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# --- what a sign-in leaves in the database --------------------------------------------------


def test_a_sign_in_stores_a_row_with_the_hash_of_the_cookies_token(app: Any) -> None:
    user_id = add_user(app, "s_row")
    client = sign_in(app, "s_row")
    token = token_of(client)
    [row] = rows(app, user_id)
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest() != token
    assert (row.kind, row.ended_at, row.ended_reason) == ("web", None, None)
    assert row.user_agent == "pytest-browser/1.0" and row.address == "127.0.0.1"
    assert row.created_at == row.last_seen
    assert client.get(LIST).status_code == 200


def test_a_cookie_without_a_session_token_is_refused(app: Any) -> None:
    """A cookie signed by the app that names a user but no session (Flask's default)."""
    user_id = add_user(app, "s_plain")
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = str(user_id)
        session["_fresh"] = True
    assert refused(app, client)


# --- 退出 ------------------------------------------------------------------------------------


def test_a_copied_cookie_is_refused_after_signing_out(app: Any) -> None:
    user_id = add_user(app, "s_logout")
    client = sign_in(app, "s_logout")
    copy = copy_of(app, client)
    assert copy.get(LIST).status_code == 200  # the copy works while the session lives
    token = token_of(client)
    assert client.get("/logout/").status_code == 302
    assert row_of(app, token).ended_reason == "logout"
    assert refused(app, copy)
    assert [r.ended_reason for r in rows(app, user_id)] == ["logout"]


def test_a_copied_cookie_is_refused_on_the_api_after_signing_out(app: Any) -> None:
    add_user(app, "s_logout_api")
    client = sign_in(app, "s_logout_api")
    copy = copy_of(app, client)
    assert not api_refused(copy)
    client.get("/logout/")
    assert api_refused(copy)
    assert copy.get(API).status_code == 401  # signed out now: FAB's own refusal


# --- passwords ------------------------------------------------------------------------------


def change_own_password(client: Any, old: str, new: str) -> Any:
    return client.post("/resetmypassword/form", data={
        "old_password": old, "password": new, "conf_password": new})


def test_the_owners_password_change_ends_the_other_sessions_only(app: Any) -> None:
    user_id = add_user(app, "s_owner")
    here = sign_in(app, "s_owner")
    copy_here = copy_of(app, here)
    elsewhere = sign_in(app, "s_owner")
    api = rest_login(app, "s_owner")["access_token"]
    assert change_own_password(here, PASSWORD, "Owner#2024new").status_code == 302
    assert here.get(LIST).status_code == 200  # the session it was changed in stays
    assert copy_here.get(LIST).status_code == 200  # (the same session)
    assert refused(app, elsewhere)
    assert api_refused(app.test_client(), bearer(api))
    assert sorted(r.ended_reason or "alive" for r in rows(app, user_id)) == [
        "alive", "password_changed", "password_changed"]


def test_an_administrators_reset_ends_every_session(app: Any) -> None:
    user_id = add_user(app, "s_reset")
    first, second = sign_in(app, "s_reset"), sign_in(app, "s_reset")
    api = rest_login(app, "s_reset", refresh=True)
    admin = sign_in(app, "admin")
    done = admin.post(f"/resetpassword/form?pk={user_id}",
                      data={"password": "Reset#2024a", "conf_password": "Reset#2024a"})
    assert done.status_code == 302
    assert refused(app, first) and refused(app, second)
    assert api_refused(app.test_client(), bearer(api["access_token"]))
    refreshed = app.test_client().post("/api/v1/security/refresh",
                                       headers=bearer(api["refresh_token"]))
    assert refreshed.status_code == 401 and ENDED in refreshed.json["message"]
    assert {r.ended_reason for r in rows(app, user_id)} == {"password_reset"}
    assert admin.get(LIST).status_code == 200  # the administrator's own session is not touched


def test_sm_reset_password_outside_a_request_ends_every_session(app: Any) -> None:
    """`flask fab reset-password` and any other caller of the one place passwords are set."""
    user_id = add_user(app, "s_cli")
    client = sign_in(app, "s_cli")
    with app.app_context():
        app.appbuilder.sm.reset_password(user_id, "Cli#2024pass")
    assert refused(app, client)
    assert {r.ended_reason for r in rows(app, user_id)} == {"password_reset"}


def test_a_refused_password_change_ends_nothing(app: Any) -> None:
    user_id = add_user(app, "s_weak")
    here, elsewhere = sign_in(app, "s_weak"), sign_in(app, "s_weak")
    assert change_own_password(here, PASSWORD, "weak").status_code == 200  # the form again
    assert elsewhere.get(LIST).status_code == 200
    assert {r.ended_reason for r in rows(app, user_id)} == {None}


# --- 注销 ------------------------------------------------------------------------------------


def test_deactivating_ends_every_session_and_reactivating_revives_none(app: Any) -> None:
    from app.security.models import AppUser

    user_id = add_user(app, "s_leaver")
    web = sign_in(app, "s_leaver")
    api = rest_login(app, "s_leaver")["access_token"]
    admin = sign_in(app, "admin")
    assert admin.post(f"/system/users/deactivate/{user_id}").status_code == 302
    assert {r.ended_reason for r in rows(app, user_id)} == {"deactivated"}
    with app.app_context():  # an administrator re-activates the account
        app.appbuilder.session.execute(update(AppUser).where(AppUser.id == user_id)
                                       .values(active=True))
        app.appbuilder.session.commit()
    assert refused(app, web)
    assert api_refused(app.test_client(), bearer(api))
    assert sign_in(app, "s_leaver").get(LIST).status_code == 200  # a new sign-in works


def test_fab_own_user_form_deactivating_ends_every_session(app: Any) -> None:
    """安全 → 用户列表 → edit, 是否启用 unticked."""
    user_id = add_user(app, "s_unticked")
    client = sign_in(app, "s_unticked")
    with app.app_context():
        role = app.appbuilder.sm.find_role("Admin").id
    admin = sign_in(app, "admin")
    response = admin.post(f"/users/edit/{user_id}", data={
        "first_name": "s_unticked", "last_name": "x", "username": "s_unticked",
        "email": "s_unticked@x", "roles": str(role)})
    assert response.status_code == 302
    assert {r.ended_reason for r in rows(app, user_id)} == {"deactivated"}
    assert refused(app, client)


def test_the_accounts_sweep_ends_the_sessions_of_what_it_disables(app: Any) -> None:
    from app.security.accounts import sweep
    from app.security.models import AppUser

    user_id = add_user(app, "s_unused")
    client = sign_in(app, "s_unused")
    with app.app_context():
        db = app.appbuilder.session
        db.execute(update(AppUser).where(AppUser.id == user_id).values(
            last_login=dt.datetime.now() - dt.timedelta(days=400)))
        db.commit()
        findings = sweep(db, app.appbuilder.sm.password_policy, "Admin")
        db.commit()
    assert "s_unused" in {f.username for f in findings if f.disabled}
    assert {r.ended_reason for r in rows(app, user_id)} == {"deactivated"}
    assert refused(app, client)


def test_the_accounts_sweep_signs_out_idle_sessions(app: Any) -> None:
    """A session nobody came back to stays 在线 until someone opens 在线用户 or 登录日志; the
    nightly sweep ends it too (its sign-out dated when the timeout passed)."""
    from app.cli import accounts_cli
    from app.security.sessions import AuthSession

    user_id = add_user(app, "s_sweep_idle")
    client = sign_in(app, "s_sweep_idle")
    token = token_of(client)
    long_ago = dt.datetime.now() - dt.timedelta(hours=3)
    with app.app_context():
        db = app.appbuilder.session
        db.execute(update(AuthSession).where(AuthSession.user_id == user_id)
                   .values(last_seen=long_ago))
        db.commit()
    runner = app.test_cli_runner()
    dry = runner.invoke(accounts_cli, ["sweep", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "1 idle session(s) would be signed out" in dry.output
    assert row_of(app, token).ended_at is None
    done = runner.invoke(accounts_cli, ["sweep"])
    assert done.exit_code == 0, done.output
    assert "1 idle session(s) signed out" in done.output
    ended = row_of(app, token)
    assert ended.ended_reason == "idle"
    assert ended.ended_at == long_ago + dt.timedelta(minutes=30)
    assert "0 idle session(s) signed out" in runner.invoke(accounts_cli, ["sweep"]).output


# --- idle timeout and an administrator ending one session -----------------------------------


def test_the_idle_timeout_ends_the_row(app: Any) -> None:
    add_user(app, "s_idle")
    client = sign_in(app, "s_idle")
    token = token_of(client)
    copy = copy_of(app, client)
    with client.session_transaction() as session:
        session["_seen"] = int(time.time()) - 31 * 60
    response = client.get(LIST)
    assert response.status_code == 302 and "/login/" in response.headers["Location"]
    assert "您已超过 30 分钟未操作，已自动退出" in client.get("/login/").text
    assert row_of(app, token).ended_reason == "idle"
    assert refused(app, copy)  # its own clock was fresh: the row decides


def test_api_tokens_end_after_the_idle_minutes(app: Any) -> None:
    from app.security.sessions import AuthSession

    user_id = add_user(app, "s_api_idle")
    token = rest_login(app, "s_api_idle")["access_token"]
    assert not api_refused(app.test_client(), bearer(token))
    with app.app_context():
        app.appbuilder.session.execute(update(AuthSession).where(
            AuthSession.user_id == user_id).values(
            last_seen=dt.datetime.now() - dt.timedelta(minutes=31)))
        app.appbuilder.session.commit()
    assert api_refused(app.test_client(), bearer(token))
    assert {r.ended_reason for r in rows(app, user_id)} == {"idle"}


def test_an_administrator_ends_one_session(app: Any) -> None:
    from app.security import sessions

    user_id = add_user(app, "s_kicked")
    kicked, kept = sign_in(app, "s_kicked"), sign_in(app, "s_kicked")
    admin_id = add_user(app, "s_kicker")
    with app.app_context():
        db = app.appbuilder.session
        online = db.execute(sessions.alive()).scalars().all()
        mine = {r.token_hash: r.id for r in online if r.user_id == user_id}
        assert len(mine) == 2
        target = mine[hashlib.sha256(token_of(kicked).encode()).hexdigest()]
        assert sessions.end(db, target, by=admin_id) is True
        assert sessions.end(db, target, by=admin_id) is False  # ended already
    assert refused(app, kicked)
    assert kept.get(LIST).status_code == 200
    ended = [r for r in rows(app, user_id) if r.ended_at is not None]
    assert [(r.ended_reason, r.ended_by) for r in ended] == [("ended_by_admin", admin_id)]


# --- REST tokens ----------------------------------------------------------------------------


def test_rest_tokens_name_their_session_and_refreshing_keeps_it(app: Any) -> None:
    from flask_jwt_extended import decode_token

    user_id = add_user(app, "s_jwt")
    tokens = rest_login(app, "s_jwt", refresh=True)
    with app.app_context():
        claims = decode_token(tokens["access_token"])
        refresh_claims = decode_token(tokens["refresh_token"])
    [row] = rows(app, user_id)
    assert row.kind == "api"
    assert hashlib.sha256(claims["sid"].encode()).hexdigest() == row.token_hash
    assert refresh_claims["sid"] == claims["sid"]
    response = app.test_client().post("/api/v1/security/refresh",
                                      headers=bearer(tokens["refresh_token"]))
    assert response.status_code == 200
    fresh = response.json["access_token"]
    with app.app_context():
        assert decode_token(fresh)["sid"] == claims["sid"]
    assert not api_refused(app.test_client(), bearer(fresh))


def test_a_token_without_a_session_is_refused_in_chinese(app: Any) -> None:
    from flask_jwt_extended import create_access_token

    user_id = add_user(app, "s_forged")
    with app.app_context():
        token = create_access_token(identity=str(user_id))  # as Flask-AppBuilder makes them
    assert api_refused(app.test_client(), bearer(token))
    missing = app.test_client().get(API)
    assert missing.status_code == 401 and missing.json["message"] == "请先登录。"


# --- cost -----------------------------------------------------------------------------------


def test_the_check_is_inside_the_users_statement_and_writes_once_a_minute(app: Any) -> None:
    from app.security.sessions import AuthSession

    add_user(app, "s_count")
    client = sign_in(app, "s_count")
    assert client.get(LIST).status_code == 200
    with app.app_context():
        engine = app.appbuilder.session.get_bind()
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    def page() -> list[str]:
        statements.clear()
        event.listen(engine, "before_cursor_execute", count)
        try:
            assert client.get(LIST).status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", count)
        return [s for s in statements if "auth_session" in s]

    touching = page()
    assert len(touching) == 1 and "FROM ab_user" in touching[0], touching
    # the user, the counters of 参数设置, 数据字典 and the rights (app/system/versions.py; the
    # rights themselves are kept per host), count, rows, the unread messages of the top bar
    assert len(statements) == 5 and sum("sys_version" in s for s in statements) == 1, statements
    with app.app_context():  # a minute later
        app.appbuilder.session.execute(update(AuthSession).where(
            AuthSession.token_hash == hashlib.sha256(token_of(client).encode()).hexdigest()
        ).values(last_seen=dt.datetime.now() - dt.timedelta(seconds=61)))
        app.appbuilder.session.commit()
    touching = page()
    assert [s.split()[0] for s in touching] == ["SELECT", "UPDATE"]
    assert row_of(app, token_of(client)).last_seen > dt.datetime.now() - dt.timedelta(seconds=5)
    assert [s.split()[0] for s in page()] == ["SELECT"]
