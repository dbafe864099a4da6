"""在线用户 (SQLite and PostgreSQL): who sees the page, what a row shows, the search, 强退
ending another client's session (cookie and REST token) with its audit entries, a regional
security administrator's range, idle sessions."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from sqlalchemy import select, update

from generator.identifiers import compose_uscc
from tests.conftest import (
    PASSWORD,
    ROOT,
    apply_schema,
    dispose,
    ensure_admin,
    make_app,
    seed_people,
)

SCHEMA = ROOT / "tests" / "data" / "schemas" / "online" / "entities.yaml"
PAGE = "/security/online/"
LIST = "/annual/annual_report/list/"
CHROME = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
          "Chrome/120.0.0.0 Safari/537.36")
SAFARI = ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like "
          "Gecko) Version/17.1 Safari/605.1.15")
LN_MAKER = compose_uscc("91", "210102", "E0000001")
SC_MAKER = compose_uscc("91", "510104", "E0000002")
ORGS = {
    "210000": ("辽宁省", "province", None, None),
    LN_MAKER: ("辽宁康华制药有限公司", "unit", "210000", "enterprise"),
    "510000": ("四川省", "province", None, None),
    SC_MAKER: ("四川蜀康药业有限公司", "unit", "510000", "enterprise"),
}
USERS = {"sec": ("security", "CN", "admin"), "ln_sec": ("security", "210000", "admin"),
         "auditor": ("auditor", "CN", "admin"),
         "maker": ("legal_person", LN_MAKER, "legal_person"),
         "sc_maker": ("legal_person", SC_MAKER, "legal_person")}
NOBODY = "没有符合条件的在线用户。"
# What the page must never show: Python values and the English of the page.
RAW = ["None", "True", "False", "Online users", "Force sign-out", "Browser", "Last request"]


@pytest.fixture(scope="module")
def app(database_url: str, tmp_path_factory: Any) -> Any:
    application = make_app(database_url, schema=SCHEMA, tmp=tmp_path_factory.mktemp("files"))
    apply_schema(application)
    ensure_admin(application)
    with application.app_context():
        seed_people(application, ORGS, USERS, PASSWORD)
        sm = application.appbuilder.sm
        for username, name in [("maker", "王建国"), ("sc_maker", "李四"), ("sec", "安全员")]:
            sm.find_user(username=username).first_name = name
        application.appbuilder.session.commit()
    yield application
    dispose(application)


def sign_in(app: Any, username: str, agent: str = CHROME, address: str = "10.1.2.3") -> Any:
    client = app.test_client()
    response = client.post("/login/", data={"username": username, "password": PASSWORD},
                           headers={"User-Agent": agent, "X-Forwarded-For": address})
    assert response.headers.get("Location") == "/", response.text[:300]
    return client


def session_ids(app: Any, username: str) -> list[int]:
    """The alive sessions of the user, oldest first."""
    from app.security.models import AppUser
    from app.security.sessions import AuthSession

    with app.app_context():
        db = app.appbuilder.session
        db.expire_all()
        return list(db.execute(
            select(AuthSession.id).join(AppUser, AppUser.id == AuthSession.user_id)
            .where(AppUser.username == username, AuthSession.ended_at.is_(None))
            .order_by(AuthSession.id)).scalars())


def entries(app: Any, action: str, username: str) -> list[Any]:
    from app.audit.models import AuditEntry

    with app.app_context():
        db = app.appbuilder.session
        db.expire_all()
        found = db.execute(select(AuditEntry).where(AuditEntry.action == action,
                                                    AuditEntry.username == username)
                           .order_by(AuditEntry.id)).scalars().all()
        db.expunge_all()
        return list(found)


def rows_of(page: str) -> list[str]:
    """The text of each row of the table, cells joined by |."""
    body = page.split("<tbody>")[1].split("</tbody>")[0]
    out = []
    for row in re.findall(r"<tr>(.*?)</tr>", body, re.S):
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        out.append("|".join(" ".join(re.sub(r"<[^>]+>", " ", c).split()) for c in cells))
    return out


def test_the_security_and_audit_administrators_see_the_page_an_enterprise_does_not(
        app: Any) -> None:
    sign_in(app, "maker")
    page = sign_in(app, "sec").get(PAGE)
    assert page.status_code == 200
    assert "在线用户" in page.text and "强退" in page.text
    audit = sign_in(app, "auditor").get(PAGE)
    assert audit.status_code == 200 and "王建国（maker）" in audit.text
    assert 'class="end-session"' not in audit.text  # the auditor watches, it does not act
    [target] = session_ids(app, "maker")[-1:]
    assert sign_in(app, "auditor").post(f"/security/online/end/{target}").status_code == 403
    refused = sign_in(app, "maker").get(PAGE)
    assert refused.status_code == 403 and "您没有执行此操作的权限" in refused.text
    menu = sign_in(app, "sec").get("/").text
    assert "在线用户" in menu and "登录日志" in menu


def test_a_row_shows_user_organisation_address_browser_and_times(app: Any) -> None:
    sign_in(app, "maker", agent=SAFARI, address="192.0.2.77")
    page = sign_in(app, "sec").get(PAGE, query_string={"ip": "192.0.2.77"})
    [row] = rows_of(page.text)
    cells = row.split("|")
    assert cells[:5] == ["王建国（maker）", "辽宁康华制药有限公司", "192.0.2.77",
                         "Safari 17 / macOS 10", "网页"]
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", c) for c in cells[5:7])
    assert cells[7] == "强退"
    for word in RAW:
        assert word not in page.text.split("<body")[1], word
    own = sign_in(app, "sec", address="198.51.100.9")
    assert "当前会话" in rows_of(own.get(PAGE, query_string={"ip": "198.51.100.9"}).text)[0]


def test_the_search_narrows_by_user_organisation_and_address(app: Any) -> None:
    sign_in(app, "sc_maker", address="203.0.113.5")
    sign_in(app, "maker", address="203.0.113.6")
    sec = sign_in(app, "sec")

    def users(**search: str) -> set[str]:
        return {r.split("|")[0] for r in rows_of(sec.get(PAGE, query_string=search).text)}

    assert users(ip="203.0.113.") == {"李四（sc_maker）", "王建国（maker）"}
    assert users(ip="203.0.113.", user="李四") == {"李四（sc_maker）"}
    assert users(ip="203.0.113.", user="maker") == {"李四（sc_maker）", "王建国（maker）"}
    assert users(ip="203.0.113.", org="辽宁") == {"王建国（maker）"}
    assert users(user="%") == {NOBODY}  # a literal %: nobody's name has one


def test_force_sign_out_ends_the_other_clients_session_and_is_audited(app: Any) -> None:
    kicked = sign_in(app, "maker", address="10.9.9.1")
    kept = sign_in(app, "maker", address="10.9.9.2")
    assert kicked.get(LIST).status_code == 200
    target = session_ids(app, "maker")[-2]
    sec = sign_in(app, "sec")
    before = len(entries(app, "force_logout", "sec"))
    response = sec.post(f"/security/online/end/{target}")
    assert response.status_code == 302 and response.headers["Location"] == PAGE
    assert "已强退 王建国（maker） 的会话" in sec.get(PAGE).text
    gone = kicked.get(LIST)
    assert gone.status_code == 302 and "/login/" in gone.headers["Location"]
    assert "您的登录已失效" in kicked.get("/login/").text
    assert kept.get(LIST).status_code == 200
    assert target not in session_ids(app, "maker")
    [forced] = entries(app, "force_logout", "sec")[before:]
    assert forced.changes == '{"user": "王建国（maker）"}' and forced.record_id == target
    last = entries(app, "logout", "maker")[-1]
    assert (last.reason, last.address, last.user_agent) == ("强退", "10.9.9.1", CHROME)
    again = sec.post(f"/security/online/end/{target}")  # a stale button
    assert again.status_code == 302 and "该会话已经结束" in sec.get(PAGE).text
    assert len(entries(app, "force_logout", "sec")) == before + 1


def test_force_sign_out_ends_a_rest_token(app: Any) -> None:
    login = app.test_client().post("/api/v1/security/login", json={
        "username": "maker", "password": PASSWORD, "provider": "db"})
    headers = {"Authorization": f"Bearer {login.json['access_token']}"}
    api = app.test_client()
    assert api.get("/api/v1/annual_report/", headers=headers).status_code == 200
    sec = sign_in(app, "sec")
    assert "接口" in sec.get(PAGE).text
    target = session_ids(app, "maker")[-1]
    assert sec.post(f"/security/online/end/{target}").status_code == 302
    refused = api.get("/api/v1/annual_report/", headers=headers)
    assert refused.status_code == 401 and "您的登录已失效" in refused.json["message"]


def test_a_regional_administrator_sees_and_ends_only_its_regions_sessions(app: Any) -> None:
    sign_in(app, "maker", address="10.7.7.1")
    sign_in(app, "sc_maker", address="10.7.7.2")
    ln_sec = sign_in(app, "ln_sec")
    seen = {r.split("|")[0] for r in rows_of(ln_sec.get(PAGE).text)}
    assert "王建国（maker）" in seen
    assert not seen & {"李四（sc_maker）", "安全员（sec）", "admin"}
    elsewhere = session_ids(app, "sc_maker")[-1]
    refused = ln_sec.post(f"/security/online/end/{elsewhere}")
    assert refused.status_code == 404 and "页面不存在" in refused.text
    assert elsewhere in session_ids(app, "sc_maker")
    assert ln_sec.post("/security/online/end/999999").status_code == 404
    mine = session_ids(app, "maker")[-1]
    assert ln_sec.post(f"/security/online/end/{mine}").status_code == 302
    assert mine not in session_ids(app, "maker")


def test_idle_sessions_are_not_online_and_are_signed_out_as_timed_out(app: Any) -> None:
    from app.security.sessions import AuthSession

    idle = sign_in(app, "sc_maker", address="10.6.6.6")
    target = session_ids(app, "sc_maker")[-1]
    long_ago = dt.datetime.now() - dt.timedelta(hours=3)
    with app.app_context():
        db = app.appbuilder.session
        db.execute(update(AuthSession).where(AuthSession.id == target).values(
            last_seen=long_ago, created_at=long_ago))
        db.commit()
    page = sign_in(app, "sec").get(PAGE, query_string={"ip": "10.6.6.6"})
    assert rows_of(page.text) == [NOBODY]
    assert target not in session_ids(app, "sc_maker")
    last = entries(app, "logout", "sc_maker")[-1]
    assert last.reason == "超时"
    assert last.at == long_ago + dt.timedelta(minutes=30)  # when the timeout passed
    assert idle.get(LIST).status_code == 302
