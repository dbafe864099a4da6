"""User management within a jurisdiction, no escalation, deactivation, delegation of modules
to agents, and changing one's own password (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import (
    ADMIN_PASSWORD,
    SCHEMAS,
    apply_schema,
    ensure_admin,
    make_app,
    seed_people,
)

SCHEMA = SCHEMAS / "users" / "entities.yaml"
PASSWORD = "Pass@12345"
ENTERPRISE = "91350100M000100Y43"
OTHER_ENTERPRISE = "91110000600037341L"
ORGS = {
    "350000": ("福建省", "province", None, None),
    "350100": ("福州市", "city", "350000", None),
    "350102": ("鼓楼区", "county", "350100", None),
    ENTERPRISE: ("福州示例制药有限公司", "unit", "350102", "enterprise"),
    "440000": ("广东省", "province", None, None),
    "440103": ("荔湾区", "county", "440000", None),
    OTHER_ENTERPRISE: ("广州示例制药有限公司", "unit", "440103", "enterprise"),
}
USERS = {  # username -> (role, org, user class)
    "fj_admin": ("sys_admin", "350000", "admin"),
    "fj_officer": ("province", "350000", "regulator"),
    "gd_officer": ("province", "440000", "regulator"),
    "boss": ("legal_person", ENTERPRISE, "legal_person"),
    "clerk": ("agent", ENTERPRISE, "agent"),
    "other_clerk": ("agent", OTHER_ENTERPRISE, "agent"),
}


@pytest.fixture(scope="module")
def world(database_url: str, tmp_path_factory: Any) -> dict[str, Any]:
    app = make_app(database_url, SCHEMA, tmp_path_factory.mktemp("files"))
    apply_schema(app)
    ensure_admin(app)
    with app.app_context():
        orgs = seed_people(app, ORGS, USERS, PASSWORD)
        app.appbuilder.session.commit()
        org_ids = {code: org.id for code, org in orgs.items()}
    return {"app": app, "orgs": org_ids}


def login(app: Any, username: str, password: str = PASSWORD) -> Any:
    client = app.test_client()
    response = client.post("/login/", data={"username": username, "password": password})
    assert response.headers["Location"] == "/", f"{username} could not sign in"
    return client


def _user(app: Any, username: str) -> Any:
    """What the database holds now, read in a session of its own."""
    from types import SimpleNamespace

    with app.app_context():
        session = app.appbuilder.session
        session.expire_all()
        user = app.appbuilder.sm.find_user(username=username)
        if user is None:
            return None
        return SimpleNamespace(id=user.id, active=user.active,
                               roles=[SimpleNamespace(name=r.name) for r in user.roles],
                               org=SimpleNamespace(code=user.org.code) if user.org else None)


def _new_user(world: dict[str, Any], username: str, org: str, roles: list[str],
              user_class: str = "regulator") -> dict[str, Any]:
    return {"username": username, "first_name": "张三", "org": str(world["orgs"][org]),
            "user_class": user_class, "roles": roles, "password": PASSWORD,
            "conf_password": PASSWORD}


def test_province_admin_sees_only_users_of_the_province(world: dict[str, Any]) -> None:
    page = login(world["app"], "fj_admin").get("/system/users/list/").text
    assert "用户管理" in page
    for name in ("fj_officer", "boss", "clerk"):
        assert f">{name}<" in page
    for name in ("gd_officer", "other_clerk", ">admin<"):
        assert name not in page


def test_province_admin_creates_a_county_user(world: dict[str, Any]) -> None:
    client = login(world["app"], "fj_admin")
    response = client.post("/system/users/add", data=_new_user(world, "gl_officer", "350102",
                                                                ["county"]))
    assert response.status_code == 302, response.text
    user = _user(world["app"], "gl_officer")
    assert [r.name for r in user.roles] == ["county"] and user.org.code == "350102"
    login(world["app"], "gl_officer")


@pytest.mark.parametrize("org,roles,message", [
    ("440000", ["province"], "所属机构：请选择您管辖范围内的机构"),  # not even offered
    ("350000", ["national"], "您无权授予角色"),  # a level above the administrator
    ("350000", ["sys_admin"], "您无权授予角色"),  # an administrator role
    ("350102", ["province"], "不适用于"),  # a province role for a county user
])
def test_province_admin_cannot_escalate(world: dict[str, Any], org: str, roles: list[str],
                                        message: str) -> None:
    client = login(world["app"], "fj_admin")
    response = client.post("/system/users/add", data=_new_user(world, "sneaky", org, roles))
    assert response.status_code == 200
    assert message in response.text
    assert _user(world["app"], "sneaky") is None
    # nor by editing an existing user of theirs
    officer = _user(world["app"], "fj_officer")
    response = client.post(f"/system/users/edit/{officer.id}", data={
        "username": "fj_officer", "first_name": "x", "org": str(world["orgs"]["350000"]),
        "roles": ["sys_admin"]})
    assert response.status_code == 200
    assert [r.name for r in _user(world["app"], "fj_officer").roles] == ["province"]


def test_no_rest_door_to_users_and_no_reach_into_other_provinces(world: dict[str, Any]) -> None:
    client = login(world["app"], "fj_admin")
    assert client.get("/api/v1/security/users/").status_code == 404
    gd = _user(world["app"], "gd_officer")
    assert client.get(f"/system/users/edit/{gd.id}").status_code == 404
    assert client.post(f"/system/users/deactivate/{gd.id}").status_code == 404
    assert _user(world["app"], "gd_officer").active
    # an officer without the duty cannot open user management at all
    assert login(world["app"], "fj_officer").get("/system/users/list/").status_code == 403


def test_deactivated_users_cannot_sign_in_and_keep_their_data(world: dict[str, Any]) -> None:
    app = world["app"]
    client = login(app, "fj_admin")
    client.post("/system/users/add", data=_new_user(world, "leaver", "350000", ["province"]))
    leaver = _user(app, "leaver")
    assert client.get("/system/users/deactivate/1").status_code == 405  # never on GET
    response = client.post(f"/system/users/deactivate/{leaver.id}")
    assert response.status_code == 302
    assert not _user(app, "leaver").active
    refused = app.test_client().post("/login/", data={"username": "leaver",
                                                      "password": PASSWORD})
    assert refused.headers["Location"] != "/"
    page = client.get("/system/users/list/").text
    assert "leaver" in page and "否（已注销）" in page


def test_legal_person_delegates_modules_to_agents(world: dict[str, Any]) -> None:
    app = world["app"]
    clerk = login(app, "clerk")
    for url in ("/annual/annual_report/list/", "/export/dossier/list/"):
        assert clerk.get(url).status_code == 403  # no delegation yet
    assert clerk.get("/api/v1/dossier/").status_code == 403
    boss = login(app, "boss")
    page = boss.get("/system/users/list/").text
    assert ">clerk<" in page and "other_clerk" not in page and "fj_officer" not in page
    clerk_id = _user(app, "clerk").id
    response = boss.post(f"/system/users/edit/{clerk_id}", data={
        "username": "clerk", "first_name": "经办人", "org": str(world["orgs"][ENTERPRISE]),
        "user_class": "agent", "roles": ["agent"], "modules": ["export"]})
    assert response.status_code == 302, response.text
    clerk = login(app, "clerk")
    assert clerk.get("/export/dossier/list/").status_code == 200
    assert clerk.get("/api/v1/dossier/").status_code == 200
    assert clerk.get("/annual/annual_report/list/").status_code == 403
    # the legal person can hand out only the agent role, and only in the enterprise
    response = boss.post(f"/system/users/edit/{clerk_id}", data={
        "username": "clerk", "first_name": "经办人", "org": str(world["orgs"][ENTERPRISE]),
        "user_class": "agent", "roles": ["legal_person"], "modules": ["export"]})
    assert "您无权授予角色" in response.text
    other = _user(app, "other_clerk").id
    assert boss.get(f"/system/users/edit/{other}").status_code == 404


def test_change_own_password_needs_the_old_one(world: dict[str, Any]) -> None:
    app = world["app"]
    client = login(app, "fj_officer")
    form = client.get("/resetmypassword/form")
    assert form.status_code == 200 and "旧密码" in form.text
    wrong = client.post("/resetmypassword/form", data={
        "old_password": "nope", "password": "New@123456", "conf_password": "New@123456"})
    assert "旧密码不正确" in wrong.text
    right = client.post("/resetmypassword/form", data={
        "old_password": PASSWORD, "password": "New@123456", "conf_password": "New@123456"})
    assert right.status_code == 302
    login(app, "fj_officer", "New@123456")


def test_admin_still_manages_everything(world: dict[str, Any]) -> None:
    page = login(world["app"], "admin", ADMIN_PASSWORD).get("/system/users/list/").text
    assert "gd_officer" in page and "fj_officer" in page


def test_bulk_deactivate_cannot_reach_outside_the_jurisdiction(world: dict[str, Any]) -> None:
    app = world["app"]
    client = login(app, "fj_admin")
    client.post("/system/users/add", data=_new_user(world, "bulk1", "350000", ["province"]))
    inside, outside = _user(app, "bulk1"), _user(app, "gd_officer")
    response = client.post("/system/users/action_post", data={
        "action": "deactivate", "rowid": [str(inside.id), str(outside.id)]})
    assert response.status_code == 302
    assert not _user(app, "bulk1").active
    assert _user(app, "gd_officer").active


def test_role_changes_are_audited(world: dict[str, Any]) -> None:
    from sqlalchemy import select

    from app.audit.models import AuditEntry

    app = world["app"]
    login(app, "fj_admin").post("/system/users/add", data=_new_user(
        world, "audited", "350102", ["county"]))
    with app.app_context():
        entries = app.appbuilder.session.execute(select(AuditEntry).where(
            AuditEntry.action == "user_created", AuditEntry.username == "fj_admin")).scalars()
        changes = [json.loads(e.changes) for e in entries]
    assert any(c["user"] == [None, "张三（audited）"] and c["roles"] == [None, "区县监管人员"]
               for c in changes)
