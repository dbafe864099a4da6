"""Signing in under the default password policy (SQLite and PostgreSQL): lockout per account,
rate limits per address on the page and the REST login (Redis shared by two workers), the
captcha, forced and periodic changes, history, idle timeout, every door that sets a password,
and `accounts sweep`."""

from __future__ import annotations

import datetime as dt
import os
import re
import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select, update

from tests.conftest import SCHEMAS, apply_schema, make_app

SCHEMA = SCHEMAS / "users" / "entities.yaml"
CAPTCHA = "K7PX"  # ADMIN_CAPTCHA_FIXED: honoured only with TESTING
PASSWORD = "Pass@12345"
ADMIN = ("chief", "Gov#Secure2024")
REFUSED = "用户名或密码错误，或账号已被锁定，请稍后再试"
TOO_MANY = "请求过于频繁，请稍后再试。"
POLICY: dict[str, Any] = {}  # the default preset, as a deployment without YAML gets it


def _app(database_url: str, tmp: Any, **config: Any) -> Any:
    settings = {"ADMIN_PASSWORD_POLICY": POLICY, "ADMIN_CAPTCHA_FIXED": CAPTCHA, **config}
    return make_app(database_url, SCHEMA, tmp=tmp, **settings)


@pytest.fixture(scope="module")
def app(database_url: str, tmp_path_factory: Any) -> Iterator[Any]:
    tmp = tmp_path_factory.mktemp("login")
    application = _app(database_url, tmp)
    apply_schema(application)
    with application.app_context():
        sm = application.appbuilder.sm
        chief = sm.add_user(ADMIN[0], "系统", "管理员", "chief@localhost", sm.find_role("Admin"),
                            ADMIN[1])
        chief.must_change_password = False
        application.appbuilder.session.commit()
    application.config["_tmp"] = tmp
    yield application
    with application.app_context():
        application.appbuilder.session.remove()
        application.appbuilder.session.get_bind().dispose()


def add_user(app: Any, username: str, must_change: bool = False, **values: Any) -> None:
    with app.app_context():
        sm = app.appbuilder.sm
        user = sm.add_user(username, username, "", f"{username}@x", sm.find_role("Admin"),
                           PASSWORD)
        assert user, username
        user.must_change_password = must_change
        for key, value in values.items():
            setattr(user, key, value)
        app.appbuilder.session.commit()


def user_row(app: Any, username: str) -> Any:
    from app.security.models import AppUser

    with app.app_context():
        session = app.appbuilder.session
        session.expire_all()
        user = session.execute(select(AppUser).where(AppUser.username == username)).scalar_one()
        session.expunge(user)
        return user


def set_user(app: Any, username: str, **values: Any) -> None:
    from app.security.models import AppUser

    with app.app_context():
        session = app.appbuilder.session
        session.execute(update(AppUser).where(AppUser.username == username).values(**values))
        session.commit()


def sign_in(app: Any, username: str, password: str, client: Any = None,
            captcha: str | None = CAPTCHA, addr: str = "127.0.0.1") -> tuple[Any, Any]:
    client = client or app.test_client()
    env = {"REMOTE_ADDR": addr}
    data = {"username": username, "password": password}
    if captcha is not None:
        assert client.get("/login/captcha.png", environ_base=env).status_code == 200
        data["captcha"] = captcha
    return client, client.post("/login/", data=data, environ_base=env)


def flashed(client: Any) -> str:
    """The messages the login page shows after a refusal."""
    page = client.get("/login/").text
    found = re.findall(r'class="alert[^"]*"[^>]*>(.*?)</div>', page, re.S)
    return " ".join(re.sub(r"<[^>]+>|&times;", "", text).strip() for text in found)


def rest_login(app: Any, username: str, password: str, addr: str = "127.0.0.1") -> Any:
    return app.test_client().post("/api/v1/security/login", environ_base={"REMOTE_ADDR": addr},
                                  json={"username": username, "password": password,
                                        "provider": "db"})


# --- lockout ---------------------------------------------------------------------------------


def test_lockout_after_five_failures_refuses_even_the_right_password(app: Any) -> None:
    add_user(app, "lock_a")
    for attempt in range(1, 5):
        _client, response = sign_in(app, "lock_a", "Wrong@12345")
        assert response.status_code == 302 and response.headers["Location"] != "/"
        assert user_row(app, "lock_a").fail_login_count == attempt
        assert user_row(app, "lock_a").locked_until is None
    sign_in(app, "lock_a", "Wrong@12345")
    row = user_row(app, "lock_a")
    assert row.locked_until is not None
    minutes = (row.locked_until - dt.datetime.now()).total_seconds() / 60
    assert 9.9 < minutes <= 10
    client, response = sign_in(app, "lock_a", PASSWORD)
    assert response.headers["Location"] != "/"
    assert REFUSED in flashed(client)
    assert rest_login(app, "lock_a", PASSWORD).status_code == 401


def test_the_lock_ends_after_its_minutes(app: Any) -> None:
    add_user(app, "lock_b")
    for _ in range(5):
        sign_in(app, "lock_b", "Wrong@12345")
    assert sign_in(app, "lock_b", PASSWORD)[1].headers["Location"] != "/"
    # M minutes later (the clock is the stored end of the lock)
    set_user(app, "lock_b", locked_until=dt.datetime.now() - dt.timedelta(seconds=1))
    assert sign_in(app, "lock_b", PASSWORD)[1].headers["Location"] == "/"
    row = user_row(app, "lock_b")
    assert row.locked_until is None and row.fail_login_count == 0


def test_unknown_user_wrong_password_and_locked_account_look_the_same(app: Any,
                                                                     monkeypatch: Any) -> None:
    """The three refusals do the same work, so their timing tells nothing: one hash check of
    the same cost and the same statements to the database (how long each takes is scenario 6
    of `make bench`, bench/s6_sign_in.py)."""
    from sqlalchemy import event

    import app.security.manager as manager

    add_user(app, "same_a")
    add_user(app, "same_locked", locked_until=dt.datetime.now() + dt.timedelta(minutes=10))
    hash_checks: list[str] = []
    real = manager.check_password_hash

    def counting(hashed: str, password: str) -> bool:
        hash_checks.append(hashed)
        return real(hashed, password)

    monkeypatch.setattr(manager, "check_password_hash", counting)
    with app.app_context():
        engine = app.appbuilder.session.get_bind()
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        words = statement.split()
        verb = words[0].upper()
        # the table: after FROM for a SELECT, after INTO/UPDATE for a write
        after = "FROM" if verb == "SELECT" else ("INTO" if verb == "INSERT" else "UPDATE")
        statements.append(f"{verb} {words[[w.upper() for w in words].index(after) + 1]}")

    cases = {"unknown": ("nobody_here", PASSWORD), "wrong": ("same_a", "Wrong@12345"),
             "locked": ("same_locked", PASSWORD)}
    work: dict[str, list[tuple[Any, ...]]] = {case: [] for case in cases}
    for case, (username, password) in cases.items():
        for _ in range(3):
            hash_checks.clear()
            client = app.test_client()
            assert client.get("/login/captcha.png").status_code == 200
            statements.clear()
            event.listen(engine, "before_cursor_execute", record)
            try:
                response = client.post("/login/", data={
                    "username": username, "password": password, "captcha": CAPTCHA})
            finally:
                event.remove(engine, "before_cursor_execute", record)
            assert response.status_code == 302 and response.headers["Location"] != "/"
            assert len(hash_checks) == 1, case  # one hash check each
            cost = hash_checks[0].rsplit("$", 2)[0]  # method and its parameters, no salt
            work[case].append((cost, sorted(statements)))
            assert flashed(client).strip() == REFUSED, case
        if case == "wrong":
            set_user(app, "same_a", fail_login_count=0)
    for case, (username, password) in cases.items():
        answer = rest_login(app, username, password)
        assert (answer.status_code, answer.json) == (401, {"message": REFUSED}), case
    # two look-ups by name and e-mail (and FAB's first-user query), the write to an account and
    # the audit entry, the counter of 参数设置 (the policy's values); a known account's row is
    # read back once after its write (a primary-key read: nothing beside the hash check that all
    # three pay)
    unknown = sorted(["SELECT ab_user"] * 3 + ["UPDATE ab_user", "INSERT audit_entry",
                                               "SELECT sys_version"])
    known = sorted([*unknown, "SELECT ab_user"])
    scrypt = hash_checks[0].rsplit("$", 2)[0]
    assert work == {"unknown": [(scrypt, unknown)] * 3, "wrong": [(scrypt, known)] * 3,
                    "locked": [(scrypt, known)] * 3}, work
    # the fake hash checked for an unknown name costs what a real one costs
    assert scrypt == user_row(app, "same_a").password.rsplit("$", 2)[0]


# --- failed sign-ins in the audit trail --------------------------------------------------------


def audit_since(app: Any, since: int) -> list[Any]:
    from app.audit.models import AuditEntry

    with app.app_context():
        rows = app.appbuilder.session.execute(
            select(AuditEntry).where(AuditEntry.id > since).order_by(AuditEntry.id)).scalars()
        return [(e.action, e.username, e.user_id is None, e.address, e.reason) for e in rows]


def audit_last(app: Any) -> int:
    from sqlalchemy import func

    from app.audit.models import AuditEntry

    with app.app_context():
        return int(app.appbuilder.session.execute(select(func.max(AuditEntry.id))).scalar() or 0)


def test_every_failed_sign_in_writes_one_audit_entry(app: Any) -> None:
    add_user(app, "aud_wrong")
    add_user(app, "aud_locked", locked_until=dt.datetime.now() + dt.timedelta(minutes=10))
    add_user(app, "aud_off", active=False)
    cases = [  # user name typed, password, unknown?, why
        ("nobody_audited", PASSWORD, True, "用户名不存在"),
        ("aud_locked", PASSWORD, False, "账号已锁定"),
        ("aud_off", PASSWORD, False, "账号已注销"),
        ("aud_wrong", "Wrong@12345", False, "密码错误"),
    ]
    for username, password, unknown, why in cases:
        since = audit_last(app)
        client, response = sign_in(app, username, password, addr="10.7.7.7")
        assert response.headers["Location"] != "/"
        assert flashed(client).strip() == REFUSED, username  # the page says no more
        assert audit_since(app, since) == [
            ("login_failed", username, unknown, "10.7.7.7", why)], username
    since = audit_last(app)
    assert rest_login(app, "nobody_audited", PASSWORD, addr="10.7.7.8").status_code == 401
    assert audit_since(app, since) == [
        ("login_failed", "nobody_audited", True, "10.7.7.8", "用户名不存在")]


def test_unknown_wrong_and_locked_sign_ins_write_the_same(app: Any) -> None:
    """No enumeration by what a failure costs: each writes the same rows (one update of an
    account, one audit entry), whatever the cause."""
    from sqlalchemy import event

    add_user(app, "cost_wrong")
    add_user(app, "cost_locked", locked_until=dt.datetime.now() + dt.timedelta(minutes=10))
    with app.app_context():
        engine = app.appbuilder.session.get_bind()
    writes: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        found = re.match(r"\s*(INSERT INTO|UPDATE|DELETE FROM)\s+\"?(\w+)", statement, re.I)
        if found:
            writes.append(f"{found.group(1).upper()} {found.group(2)}")

    event.listen(engine, "before_cursor_execute", seen)
    try:
        costs = {}
        for username, password in [("nobody_costs", PASSWORD), ("cost_wrong", "Wrong@12345"),
                                   ("cost_locked", PASSWORD)]:
            client = app.test_client()
            client.get("/login/captcha.png")
            writes.clear()
            client.post("/login/", data={"username": username, "password": password,
                                         "captcha": CAPTCHA})
            costs[username] = sorted(writes)
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert costs["nobody_costs"] == ["INSERT INTO audit_entry", "UPDATE ab_user"]
    assert costs["cost_wrong"] == costs["nobody_costs"] == costs["cost_locked"]


# --- rate limits per address -------------------------------------------------------------------


def test_twenty_rapid_wrong_logins_lock_the_account_and_limit_the_address(
        database_url: str, app: Any) -> None:
    limited = _app(database_url, app.config["_tmp"], RATELIMIT_ENABLED=True,
                   AUTH_RATE_LIMITED=True, ADMIN_PASSWORD_POLICY={"captcha": False})
    add_user(app, "rapid_a")
    add_user(app, "rapid_b")
    client = limited.test_client()
    codes = [client.post("/login/", data={"username": "rapid_a", "password": "Wrong@12345"},
                         environ_base={"REMOTE_ADDR": "10.1.1.1"}) for _ in range(20)]
    assert [r.status_code for r in codes] == [302] * 10 + [429] * 10
    assert TOO_MANY in codes[-1].text
    assert user_row(app, "rapid_a").locked_until is not None
    # from another address the limit is not reached, the lock still holds
    other = limited.test_client()
    refused = other.post("/login/", data={"username": "rapid_a", "password": PASSWORD},
                         environ_base={"REMOTE_ADDR": "10.1.1.2"})
    assert refused.status_code == 302 and refused.headers["Location"] != "/"
    assert REFUSED in flashed(other)

    # the REST login: limited per address too, and lock-aware
    answers = [rest_login(limited, "rapid_b", "Wrong@12345", "10.2.2.1") for _ in range(20)]
    assert [a.status_code for a in answers] == [401] * 10 + [429] * 10
    assert answers[-1].json == {"message": TOO_MANY}
    assert user_row(app, "rapid_b").locked_until is not None
    assert rest_login(limited, "rapid_b", PASSWORD, "10.2.2.2").status_code == 401
    set_user(app, "rapid_b", locked_until=None)
    assert rest_login(limited, "rapid_b", PASSWORD, "10.2.2.3").status_code == 200


def test_the_limit_is_shared_by_two_workers_through_redis(database_url: str, app: Any) -> None:
    redis = pytest.importorskip("redis")
    # A Redis database per test process: parallel workers must not flush each other's counts.
    process = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    url = f"redis://127.0.0.1:6379/{13 + int(process.removeprefix('gw') or 0) % 3}"
    try:
        server = redis.Redis.from_url(url)
        server.flushdb()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis at 127.0.0.1:6379")
    try:
        workers = [_app(database_url, app.config["_tmp"], RATELIMIT_ENABLED=True,
                        AUTH_RATE_LIMITED=True, RATELIMIT_STORAGE_URI=url,
                        ADMIN_PASSWORD_POLICY={"captcha": False}) for _ in range(2)]
        codes = []
        for n in range(12):  # alternating between the two workers
            worker = workers[n % 2]
            codes.append(worker.test_client().post(
                "/login/", data={"username": "nobody_here", "password": "Wrong@12345"},
                environ_base={"REMOTE_ADDR": "10.3.3.1"}).status_code)
        assert codes == [302] * 10 + [429] * 2
        assert any(b"LIMITER" in key for key in server.scan_iter())
        rest = [rest_login(workers[n % 2], "nobody_here", "x", "10.3.3.2").status_code
                for n in range(11)]
        assert rest == [401] * 10 + [429]
    finally:
        server.flushdb()


# --- captcha -----------------------------------------------------------------------------------


def test_captcha_wrong_missing_right_and_one_use(app: Any) -> None:
    add_user(app, "cap_a")
    page = app.test_client().get("/login/").text
    assert "验证码" in page and "captcha.png" in page and "看不清" in page
    image = app.test_client().get("/login/captcha.png")
    assert image.mimetype == "image/png" and image.data[:4] == b"\x89PNG"

    client, wrong = sign_in(app, "cap_a", PASSWORD, captcha="XXXX")
    assert wrong.headers["Location"] != "/"
    page = client.get("/login/").text
    assert "验证码错误或已过期" in page
    assert 'value="cap_a"' in page  # the user name stays in the form
    assert user_row(app, "cap_a").fail_login_count in (0, None)  # no password was tried

    _client, missing = sign_in(app, "cap_a", PASSWORD, captcha=None)
    assert missing.headers["Location"] != "/"
    assert sign_in(app, "cap_a", PASSWORD, captcha=CAPTCHA.lower())[1].headers["Location"] == "/"

    # one try per captcha: a second post without a new picture is refused
    client, _first = sign_in(app, "cap_a", PASSWORD, captcha="XXXX")
    again = client.post("/login/", data={"username": "cap_a", "password": PASSWORD,
                                         "captcha": CAPTCHA})
    assert again.headers["Location"] != "/"

    # and replaying the cookie that carried a used captcha does not help either
    first = app.test_client()
    first.get("/login/captcha.png")
    cookie = first.get_cookie("session").value
    assert first.post("/login/", data={"username": "cap_a", "password": PASSWORD,
                                       "captcha": CAPTCHA}).headers["Location"] == "/"
    replay = app.test_client()
    replay.set_cookie("session", cookie)
    answer = replay.post("/login/", data={"username": "cap_a", "password": PASSWORD,
                                          "captcha": CAPTCHA})
    assert answer.headers["Location"] != "/"


def test_the_fixed_captcha_is_for_tests_only(app: Any) -> None:
    from app.security.login import captcha_answer

    with app.test_request_context():
        assert captcha_answer() == CAPTCHA
        app.config["TESTING"] = False
        try:
            answers = {captcha_answer() for _ in range(5)}
        finally:
            app.config["TESTING"] = True
    assert CAPTCHA not in answers and all(len(a) == 4 for a in answers)


def test_the_captcha_can_be_switched_off(database_url: str, app: Any) -> None:
    off = _app(database_url, app.config["_tmp"], ADMIN_PASSWORD_POLICY={"captcha": False})
    add_user(app, "cap_off")
    assert "captcha.png" not in off.test_client().get("/login/").text
    assert off.test_client().get("/login/captcha.png").status_code == 404
    assert sign_in(off, "cap_off", PASSWORD, captcha=None)[1].headers["Location"] == "/"


# --- forced and periodic change, history -------------------------------------------------------


def change(client: Any, old: str, new: str) -> Any:
    return client.post("/resetmypassword/form", data={"old_password": old, "password": new,
                                                      "conf_password": new})


def test_forced_change_at_first_login(app: Any) -> None:
    admin, _ = sign_in(app, *ADMIN)
    created = admin.post("/system/users/add", data={
        "username": "first_a", "first_name": "新用户", "email": "", "org": "",
        "user_class": "", "roles": ["province"], "password": PASSWORD,
        "conf_password": PASSWORD})
    assert created.status_code == 302
    assert user_row(app, "first_a").must_change_password is True
    client, response = sign_in(app, "first_a", PASSWORD)
    assert response.headers["Location"] == "/resetmypassword/form"
    for url in ("/", "/system/users/list/", "/annual/annual_report/list/"):
        moved = client.get(url)
        assert moved.status_code == 302 and moved.headers["Location"] == "/resetmypassword/form"
    assert client.get("/api/v1/dossier/").status_code == 403
    form = client.get("/resetmypassword/form").text
    assert "请先修改密码再继续操作" in form and "长度 8 至 64 个字符" in form
    answer = rest_login(app, "first_a", PASSWORD)
    assert answer.status_code == 403
    assert answer.json == {"message": "请先在网页上修改密码，然后才能使用接口。"}
    # the same password again is no change
    assert "密码不得与最近 5 次使用过的密码相同" in change(client, PASSWORD, PASSWORD).text
    assert change(client, PASSWORD, "Fresh#2024pw").status_code == 302
    assert client.get("/").status_code == 200
    assert user_row(app, "first_a").must_change_password is False
    assert rest_login(app, "first_a", "Fresh#2024pw").status_code == 200


def test_forced_change_after_an_administrator_reset(app: Any) -> None:
    add_user(app, "reset_a", locked_until=dt.datetime.now() + dt.timedelta(minutes=5))
    target = user_row(app, "reset_a").id
    admin, _ = sign_in(app, *ADMIN)
    form = admin.get(f"/resetpassword/form?pk={target}")
    assert form.status_code == 200 and "长度 8 至 64 个字符" in form.text
    weak = admin.post(f"/resetpassword/form?pk={target}",
                      data={"password": "reset_a1", "conf_password": "reset_a1"})
    assert weak.status_code == 200
    assert "密码须包含大写字母" in weak.text and "密码不得包含用户名" in weak.text
    assert admin.post("/resetpassword/form?pk=999999",
                      data={"password": "Reset#2024a", "conf_password": "Reset#2024a"}
                      ).status_code == 404
    done = admin.post(f"/resetpassword/form?pk={target}",
                      data={"password": "Reset#2024a", "conf_password": "Reset#2024a"})
    assert done.status_code == 302
    row = user_row(app, "reset_a")
    assert row.must_change_password is True and row.locked_until is None  # the lock is lifted
    _client, response = sign_in(app, "reset_a", "Reset#2024a")
    assert response.headers["Location"] == "/resetmypassword/form"


def test_expired_passwords_must_be_changed_and_soon_expiring_ones_are_announced(
        app: Any) -> None:
    add_user(app, "old_a", password_changed_at=dt.datetime.now() - dt.timedelta(days=91))
    client, response = sign_in(app, "old_a", PASSWORD)
    assert response.headers["Location"] == "/resetmypassword/form"
    assert "您的密码已使用超过 90 天" in client.get("/resetmypassword/form").text
    assert client.get("/").headers["Location"] == "/resetmypassword/form"
    assert change(client, PASSWORD, "Renewed#2024").status_code == 302
    assert client.get("/").status_code == 200

    add_user(app, "old_b", password_changed_at=dt.datetime.now() - dt.timedelta(days=85))
    client, response = sign_in(app, "old_b", PASSWORD)
    assert response.headers["Location"] == "/"
    assert "您的密码将在 5 天后过期" in client.get("/").text


def test_history_of_the_last_five(app: Any) -> None:
    add_user(app, "hist_a")
    client, _ = sign_in(app, "hist_a", PASSWORD)
    passwords = [PASSWORD] + [f"Round#{n}pass" for n in range(1, 6)]
    for old, new in zip(passwords, passwords[1:], strict=False):
        assert change(client, old, new).status_code == 302, new
    current = passwords[-1]
    for used in passwords[-5:-1]:  # the last five, the current one included
        refused = change(client, current, used)
        assert "密码不得与最近 5 次使用过的密码相同" in refused.text, used
    assert change(client, current, PASSWORD).status_code == 302  # the sixth back: allowed
    with app.app_context():
        user = app.appbuilder.sm.find_user(username="hist_a")
        assert len(user.password_history) == 7


def test_the_change_form_shows_every_broken_rule_in_chinese(app: Any) -> None:
    add_user(app, "rulesb")
    client, _ = sign_in(app, "rulesb", PASSWORD)
    page = change(client, PASSWORD, "rulesbxy").text
    for text in ("密码须包含大写字母", "密码须包含数字", "密码须包含特殊字符",
                 "密码不得包含用户名"):
        assert text in page, text
    assert "该密码属于常见弱密码" in change(client, PASSWORD, "P@ssw0rd").text
    assert "密码最多 64 个字符" in change(client, PASSWORD, "Aa1#" + "x" * 61).text
    assert "旧密码不正确" in change(client, "Wrong@12345", "Fine#2024pw").text


# --- every door that sets a password -------------------------------------------------------


def test_user_management_refuses_a_weak_password_and_keeps_the_rest(app: Any) -> None:
    admin, _ = sign_in(app, *ADMIN)
    page = admin.post("/system/users/add", data={
        "username": "weak_a", "first_name": "弱密码", "email": "weak@x", "org": "",
        "user_class": "", "roles": ["province"], "password": "weak_a12",
        "conf_password": "weak_a12"}).text
    assert "密码须包含大写字母" in page and "密码不得包含用户名" in page
    assert 'value="weak_a"' in page and 'value="弱密码"' in page and 'value="weak@x"' in page
    with app.app_context():
        assert app.appbuilder.sm.find_user(username="weak_a") is None


def test_fab_own_user_form_goes_through_the_policy(app: Any) -> None:
    admin, _ = sign_in(app, *ADMIN)
    with app.app_context():
        role = app.appbuilder.sm.find_role("Admin").id
    data = {"first_name": "F", "last_name": "L", "username": "fab_a", "active": "y",
            "email": "fab_a@x", "roles": [role], "password": "abc", "conf_password": "abc"}
    page = admin.post("/users/add", data=data).text
    assert "密码至少需要 8 个字符" in page
    data.update(password="Fab#2024pass", conf_password="Fab#2024pass")
    assert admin.post("/users/add", data=data).status_code == 302
    row = user_row(app, "fab_a")
    assert row.must_change_password is True and row.password_changed_at is not None


def test_users_create_and_bootstrap_go_through_the_policy(app: Any) -> None:
    from app.cli import users_cli

    runner = app.test_cli_runner()
    weak = runner.invoke(users_cli, ["create", "--username", "cli_a", "--password",
                                     "cli_a123", "--role", "Admin"])
    assert weak.exit_code != 0
    assert "The password must contain an upper-case letter" in weak.output
    assert "密码须包含大写字母" in weak.output and "密码不得包含用户名" in weak.output
    good = runner.invoke(users_cli, ["create", "--username", "cli_a", "--password",
                                     "Cli#2024pass", "--role", "Admin"])
    assert good.exit_code == 0, good.output
    assert user_row(app, "cli_a").must_change_password is True

    first = runner.invoke(users_cli, ["bootstrap", "--username", "boot_a"])
    assert first.exit_code == 0, first.output
    password = re.search(r"password (\S+)", first.output).group(1)
    from app.hooks.password_policy import PRESETS, check_password

    assert check_password(PRESETS["default"], password, "boot_a") == []
    assert "changed at the first sign-in" in first.output
    assert user_row(app, "boot_a").must_change_password is True


def test_sm_add_user_and_reset_password_refuse_weak_passwords(app: Any) -> None:
    from app.hooks.password_policy import PasswordRejected

    with app.app_context():
        sm = app.appbuilder.sm
        with pytest.raises(PasswordRejected):
            sm.add_user("sm_a", "a", "b", "sm_a@x", sm.find_role("Admin"), "password")
        assert sm.find_user(username="sm_a") is None
        user = sm.add_user("sm_a", "a", "b", "sm_a@x", sm.find_role("Admin"), "Sm#2024pass")
        with pytest.raises(PasswordRejected):
            sm.reset_password(user.id, "Sm#2024pass")  # the current one
        app.appbuilder.session.rollback()


# --- idle timeout ----------------------------------------------------------------------------


def test_sessions_end_after_thirty_idle_minutes(app: Any) -> None:
    add_user(app, "idle_a")
    client, _ = sign_in(app, "idle_a", PASSWORD)
    with client.session_transaction() as session:
        session["_seen"] = int(time.time()) - 29 * 60
    assert client.get("/").status_code == 200
    with client.session_transaction() as session:
        session["_seen"] = int(time.time()) - 31 * 60
    response = client.get("/annual/annual_report/list/")
    assert response.status_code == 302 and "/login/" in response.headers["Location"]
    assert "您已超过 30 分钟未操作，已自动退出" in client.get("/login/").text
    again = client.get("/annual/annual_report/list/")  # signed out: sent to the login
    assert again.status_code == 302 and "/login/" in again.headers["Location"]


# --- accounts sweep ----------------------------------------------------------------------------


def test_sweep_disables_exactly_the_accounts_it_should(database_url: str, app: Any) -> None:
    from app.cli import accounts_cli

    now = dt.datetime.now()
    days = dt.timedelta(days=1)
    deadline = (now - 10 * days).date()
    before_deadline = now - 20 * days
    cases = {  # username -> (values, disabled?)
        "sw_unused": ({"last_login": now - 91 * days}, True),
        "sw_used": ({"last_login": now - 89 * days}, False),
        "sw_never_old": ({"created_on": now - 120 * days, "last_login": None}, True),
        "sw_never_new": ({"created_on": now - 30 * days, "last_login": None}, False),
        "sw_initial": ({"must_change_password": True, "password_changed_at": before_deadline,
                        "last_login": now - days}, True),
        "sw_changed": ({"must_change_password": False, "password_changed_at": now - 5 * days,
                        "last_login": now - days}, False),
        "sw_reset_late": ({"must_change_password": True, "password_changed_at": now - 2 * days,
                           "last_login": now - days}, False),
        "sw_inactive": ({"active": False, "last_login": now - 200 * days}, False),
    }
    for username, (values, _disabled) in cases.items():
        add_user(app, username)
        set_user(app, username, **values)
    # everyone else in this database signed in recently
    from app.security.models import AppUser

    with app.app_context():
        session = app.appbuilder.session
        session.execute(update(AppUser).where(AppUser.username.notin_(list(cases)))
                        .values(last_login=now))
        session.commit()
    runner = app.test_cli_runner()
    dry = runner.invoke(accounts_cli, ["sweep", "--initial-deadline", f"{deadline}",
                                       "--dry-run"])
    assert dry.exit_code == 0, dry.output
    expected = sorted(u for u, (_v, disabled) in cases.items() if disabled)
    assert sorted(re.findall(r"^would disable (\S+):", dry.output, re.M)) == expected
    assert all(user_row(app, u).active is not False for u in expected)

    done = runner.invoke(accounts_cli, ["sweep", "--initial-deadline", f"{deadline}"])
    assert done.exit_code == 0, done.output
    assert sorted(re.findall(r"^disabled (\S+):", done.output, re.M)) == expected
    assert "initial password not changed by" in done.output
    assert "unused: last signed in" in done.output and "never signed in" in done.output
    for username, (_values, disabled) in cases.items():
        row = user_row(app, username)
        if username != "sw_inactive":
            assert row.active is (not disabled), username
    with app.app_context():  # disabled, never deleted
        assert all(app.appbuilder.sm.find_user(username=u) is not None for u in cases)
    # without a deadline only unused accounts are named
    set_user(app, "sw_initial", active=True)
    again = runner.invoke(accounts_cli, ["sweep", "--dry-run"])
    assert "sw_initial" not in again.output and "0 account(s) would be disabled" in again.output


def test_the_sweep_keeps_the_last_active_administrator(database_url: str, app: Any) -> None:
    from app.security.accounts import sweep
    from app.security.models import AppUser

    with app.app_context():
        session = app.appbuilder.session
        policy = app.appbuilder.sm.password_policy
        later = dt.datetime.now() + dt.timedelta(days=400)  # everybody unused by then
        active = session.execute(select(AppUser).where(AppUser.active.is_(True))).scalars()
        admins = [u.username for u in active if any(r.name == "Admin" for r in u.roles)]
        findings = sweep(session, policy, "Admin", now=later, dry_run=True)
        session.rollback()
    kept = [f for f in findings if not f.disabled]
    assert len(kept) == 1 and kept[0].username in admins
    assert "the last active administrator" in kept[0].reason
