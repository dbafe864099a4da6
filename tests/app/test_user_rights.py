"""Who may give whom which rights on 用户管理 / 子用户授权, through the forms and through
hand-made requests, and the audit trail of every change (SQLite and PostgreSQL).

Every refusal is checked three ways: the status, the Chinese message naming the field, and
the database (nothing changed, no audit entry)."""

from __future__ import annotations

import datetime as dt
import json
import re
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import select, update

from tests.conftest import SCHEMAS, apply_schema, dispose, ensure_admin, make_app, seed_people
from tests.conftest import sign_in as login

SCHEMA = SCHEMAS / "users" / "entities.yaml"
PASSWORD = "Pass@12345"
LN_ENTERPRISE = "91350100M000100Y43"
SC_ENTERPRISE = "91110000600037341L"
ORGS = {
    "210000": ("辽宁省", "province", None, None),
    "210100": ("沈阳市", "city", "210000", None),
    "210102": ("和平区", "county", "210100", None),
    "210103": ("沈河区", "county", "210100", None),
    LN_ENTERPRISE: ("辽宁示例制药有限公司", "unit", "210102", "enterprise"),
    "510000": ("四川省", "province", None, None),
    "510104": ("锦江区", "county", "510000", None),
    SC_ENTERPRISE: ("四川示例制药有限公司", "unit", "510104", "enterprise"),
}
USERS = {  # username -> (role, org, user class)
    "ln_admin": ("sys_admin", "210000", "admin"),
    "ln_admin2": ("sys_admin", "210000", "admin"),
    "ln_auditor": ("auditor", "210000", "admin"),
    "ln_officer": ("province", "210000", "regulator"),
    "ln_county": ("county", "210102", "regulator"),
    "ln_county2": ("county", "210102", "regulator"),
    "ln_mover": ("county", "210102", "regulator"),
    "ln_reset": ("county", "210102", "regulator"),
    "ln_self": ("sys_admin", "210000", "admin"),
    "sleeper": ("county", "210103", "regulator"),
    "woken": ("county", "210103", "regulator"),
    "sc_officer": ("province", "510000", "regulator"),
    "boss": ("legal_person", LN_ENTERPRISE, "legal_person"),
    "clerk": ("agent", LN_ENTERPRISE, "agent"),
    "clerk2": ("agent", LN_ENTERPRISE, "agent"),
    "promoted": ("agent", LN_ENTERPRISE, "agent"),
    "sc_clerk": ("agent", SC_ENTERPRISE, "agent"),
}
RIGHTS = ("org", "user_class", "roles", "modules", "active")


@pytest.fixture(scope="module")
def world(database_url: str, tmp_path_factory: Any) -> Any:
    # the default policy (an administrator's password must be changed), without the captcha
    app = make_app(database_url, SCHEMA, tmp_path_factory.mktemp("files"),
                   ADMIN_PASSWORD_POLICY={"captcha": False, "not_username": False})
    apply_schema(app)
    ensure_admin(app)
    with app.app_context():
        from app.security.models import AppUser

        session = app.appbuilder.session
        orgs = seed_people(app, ORGS, USERS, PASSWORD)
        session.flush()
        boss = app.appbuilder.sm.find_user(username="boss")
        boss.modules = "export"  # the legal person holds 出口药品档案 only
        session.execute(update(AppUser).values(must_change_password=False))
        session.commit()
        org_ids = {code: org.id for code, org in orgs.items()}
    yield SimpleNamespace(app=app, orgs=org_ids)
    dispose(app)


def user(world: Any, username: str) -> Any:
    """What the database holds now, read in a session of its own."""
    with world.app.app_context():
        session = world.app.appbuilder.session
        session.expire_all()
        found = world.app.appbuilder.sm.find_user(username=username)
        if found is None:
            return None
        return SimpleNamespace(
            id=found.id, active=found.active, user_class=found.user_class,
            roles=sorted(r.name for r in found.roles), modules=found.modules,
            org=found.org.code if found.org else None, first_name=found.first_name,
            password=found.password, must_change=found.must_change_password,
            locked_until=found.locked_until, activated_at=found.activated_at)


def entries(world: Any, action: str | None = None) -> list[Any]:
    from app.audit.models import AuditEntry

    with world.app.app_context():
        session = world.app.appbuilder.session
        query = select(AuditEntry).order_by(AuditEntry.id)
        if action is not None:
            query = query.where(AuditEntry.action == action)
        return [SimpleNamespace(action=e.action, username=e.username, reason=e.reason,
                                changes=json.loads(e.changes) if e.changes else None)
                for e in session.execute(query).scalars()]


def last_id(world: Any) -> int:
    from app.audit.models import AuditEntry

    with world.app.app_context():
        found = world.app.appbuilder.session.execute(
            select(AuditEntry.id).order_by(AuditEntry.id.desc()).limit(1)).scalar()
        return int(found or 0)


def entries_since(world: Any, since: int) -> list[Any]:
    from app.audit.models import AuditEntry
    from app.audit.sign_ins import SIGN_IN_ACTIONS

    with world.app.app_context():
        session = world.app.appbuilder.session
        rows = session.execute(select(AuditEntry).where(AuditEntry.id > since)
                               # sign-ins and sign-outs are the 登录日志's
                               .where(AuditEntry.action.notin_(SIGN_IN_ACTIONS))
                               .order_by(AuditEntry.id)).scalars()
        return [SimpleNamespace(action=e.action, username=e.username, reason=e.reason,
                                changes=json.loads(e.changes) if e.changes else None)
                for e in rows]


def form_of(world: Any, username: str, **values: Any) -> dict[str, Any]:
    """The edit form as the browser would send it for `username` now, with `values` changed."""
    found = user(world, username)
    with world.app.app_context():
        from app.security.models import Organisation

        org_id = world.app.appbuilder.session.execute(
            select(Organisation.id).where(Organisation.code == found.org)).scalar()
    data = {"username": username, "first_name": found.first_name, "email": f"{username}@x",
            "org": str(org_id), "user_class": found.user_class or "", "roles": found.roles,
            "modules": [m for m in (found.modules or "").split(",") if m]}
    data.update(values)
    return data


def errors(html: str) -> str:
    """The text of every field error of a rendered form, in one string."""
    found = re.findall(r'<div class="alert alert-danger">(.*?)</div>', html, re.S)
    return " ".join(" ".join(text.split()) for text in found)


def rights(world: Any, username: str) -> tuple[Any, ...]:
    found = user(world, username)
    return (found.org, found.user_class, found.roles, found.modules, found.active)


def flashes(client: Any) -> str:
    """The messages the next page (the list) shows."""
    page = client.get("/system/users/list/").text
    found = re.findall(r'class="alert[^"]*"[^>]*>(.*?)</div>', page, re.S)
    return " ".join(" ".join(re.sub(r"<[^>]+>|&times;", " ", text).split()) for text in found)


# --- the legal person (子用户授权) ------------------------------------------------------


def test_the_legal_person_is_offered_only_what_it_may_give(world: Any) -> None:
    boss = login(world.app, "boss")
    page = boss.get(f"/system/users/edit/{user(world, 'clerk').id}").text
    classes = re.findall(r'<option[^>]*value="([^"]*)"', page.split('name="user_class"')[1]
                         .split("</select>")[0])
    assert classes == ["agent"]
    roles = re.findall(r'name="roles"[^>]*value="([^"]*)"', page)
    modules = re.findall(r'name="modules"[^>]*value="([^"]*)"', page)
    assert roles == ["agent"] and modules == ["export"]
    choices = boss.get("/system/users/choices/org").json["results"]
    assert [c["text"] for c in choices] == ["辽宁示例制药有限公司"]


@pytest.mark.parametrize("values,message", [
    ({"user_class": "admin"}, "用户分类：您无权设置为“系统管理员”。"),
    ({"user_class": "regulator"}, "用户分类：您无权设置为“监管人员”。"),
    ({"roles": ["legal_person"]}, "您无权授予角色“企业法人”。"),
    ({"roles": ["agent", "province"]}, "您无权授予角色“省局监管人员”。"),
    ({"modules": ["annual"]}, "功能选择：您本人不具有“药品年度报告”，无权授权。"),
    ({"modules": ["export", "nonsense"]}, "功能选择：不存在模块“nonsense”。"),
    ({"org": "SC_ENTERPRISE"}, "所属机构：用户只能属于本企业。"),
    ({"org": "210000"}, "所属机构：用户只能属于本企业。"),
])
def test_the_legal_person_cannot_escalate_its_agent(world: Any, values: dict[str, Any],
                                                    message: str) -> None:
    if "org" in values:
        code = SC_ENTERPRISE if values["org"] == "SC_ENTERPRISE" else values["org"]
        values = {"org": str(world.orgs[code])}
    before, since = rights(world, "clerk"), last_id(world)
    boss = login(world.app, "boss")
    response = boss.post(f"/system/users/edit/{user(world, 'clerk').id}",
                         data=form_of(world, "clerk", **values))
    assert response.status_code == 200
    assert message in errors(response.text)
    assert rights(world, "clerk") == before
    assert entries_since(world, since) == []
    # nor when it creates an agent
    response = boss.post("/system/users/add", data={
        **form_of(world, "clerk", **values), "username": "new_clerk", "password": "Clerk#2024a",
        "conf_password": "Clerk#2024a"})
    assert response.status_code == 200 and message in errors(response.text)
    assert user(world, "new_clerk") is None


def test_the_legal_person_delegates_what_it_holds_and_may_take_back_the_rest(
        world: Any) -> None:
    boss = login(world.app, "boss")
    clerk_id = user(world, "clerk2").id
    since = last_id(world)
    response = boss.post(f"/system/users/edit/{clerk_id}",
                         data=form_of(world, "clerk2", modules=["export"]))
    assert response.status_code == 302, errors(response.text)
    assert user(world, "clerk2").modules == "export"
    [entry] = entries_since(world, since)
    assert (entry.action, entry.username) == ("permissions", "boss")
    assert entry.changes == {"user": ["clerk2", "clerk2"],
                             "modules": ["未授权任何模块", "出口药品档案"]}
    assert login(world.app, "clerk2").get("/export/dossier/list/").status_code == 200

    # a module given by someone else stays offered, so that it can be kept or taken away
    with world.app.app_context():
        from app.security.models import AppUser

        session = world.app.appbuilder.session
        session.execute(update(AppUser).where(AppUser.id == clerk_id)
                        .values(modules="annual,export"))
        session.commit()
    page = boss.get(f"/system/users/edit/{clerk_id}").text
    assert re.findall(r'name="modules"[^>]*value="([^"]*)"', page) == ["annual", "export"]
    kept = boss.post(f"/system/users/edit/{clerk_id}",
                     data=form_of(world, "clerk2", first_name="经办人二"))
    assert kept.status_code == 302 and user(world, "clerk2").modules == "annual,export"
    taken = boss.post(f"/system/users/edit/{clerk_id}",
                      data=form_of(world, "clerk2", modules=["export"]))
    assert taken.status_code == 302 and user(world, "clerk2").modules == "export"
    # an empty class is the one class the roles go with
    assert boss.post(f"/system/users/edit/{clerk_id}", data=form_of(
        world, "clerk2", user_class="")).status_code == 302
    assert user(world, "clerk2").user_class == "agent"


def test_the_legal_person_adds_agents_to_its_own_enterprise(world: Any) -> None:
    boss = login(world.app, "boss")
    form = boss.get("/system/users/add").text
    assert "辽宁示例制药有限公司" in form  # the organisation is filled in
    response = boss.post("/system/users/add", data={
        "username": "clerk3", "first_name": "王五", "org": "", "user_class": "agent",
        "roles": ["agent"], "modules": ["export"], "password": "Clerk#2024a",
        "conf_password": "Clerk#2024a"})
    assert response.status_code == 302, errors(response.text)
    created = user(world, "clerk3")
    assert (created.org, created.user_class, created.roles, created.modules) == (
        LN_ENTERPRISE, "agent", ["agent"], "export")


# --- one's own account -------------------------------------------------------------------


@pytest.mark.parametrize("username,values,message", [
    ("ln_admin", {"roles": ["sys_admin", "province"]}, "角色：不能修改本人账号的此项"),
    ("ln_admin", {"user_class": "regulator"}, "用户分类：不能修改本人账号的此项"),
    ("ln_admin", {"org": "210100"}, "所属机构：不能修改本人账号的此项"),
    ("ln_admin", {"modules": ["annual"]}, "功能选择：不能修改本人账号的此项"),
    ("admin", {"roles": ["national"]}, "角色：不能修改本人账号的此项"),
    ("admin", {"org": "210000"}, "所属机构：不能修改本人账号的此项"),
])
def test_nobody_changes_their_own_rights(world: Any, username: str, values: dict[str, Any],
                                         message: str) -> None:
    if "org" in values:
        values = {"org": str(world.orgs[values["org"]])}
    client = login(world.app, username)
    me = user(world, username)
    before, since = rights(world, username), last_id(world)
    data = {"username": username, "first_name": me.first_name, "email": f"{username}@x",
            **values}
    response = client.post(f"/system/users/edit/{me.id}", data=data)
    assert response.status_code == 200
    assert message in errors(response.text)
    assert rights(world, username) == before and entries_since(world, since) == []


def test_ones_own_account_offers_only_name_and_email(world: Any) -> None:
    client = login(world.app, "ln_self")
    me = user(world, "ln_self")
    page = client.get(f"/system/users/edit/{me.id}").text
    for name in ("org", "user_class", "roles", "modules"):
        assert f'name="{name}"' not in page, name
    assert "本人账号只能修改用户名、姓名和电子邮箱" in page
    since = last_id(world)
    response = client.post(f"/system/users/edit/{me.id}", data={
        "username": "ln_self", "first_name": "辽宁管理员二", "email": "ln_self@x"})
    assert response.status_code == 302, errors(response.text)
    after = user(world, "ln_self")
    assert after.first_name == "辽宁管理员二" and after.roles == ["sys_admin"]
    assert after.org == "210000" and after.user_class == "admin"
    [entry] = entries_since(world, since)
    assert entry.action == "user_edited"
    assert entry.changes["user"] == ["ln_self", "辽宁管理员二（ln_self）"]
    assert set(entry.changes) <= {"user", "email"}


# --- the province's administrator ------------------------------------------------------


@pytest.mark.parametrize("values,message", [
    ({"roles": ["national"]}, "您无权授予角色“国家局监管人员”。"),
    ({"roles": ["sys_admin"]}, "您无权授予角色“系统管理员”。"),
    ({"roles": ["auditor"]}, "您无权授予角色“审计管理员”。"),
    ({"roles": ["province", "Admin"]}, "您无权授予角色“Admin”。"),
    ({"user_class": "admin"}, "用户分类：您无权设置为“系统管理员”。"),
    ({"user_class": "agent"}, "用户分类：“企业经办人”与所选角色不符。"),
    ({"org": "510000"}, "所属机构：请选择您管辖范围内的机构。"),
    ({"org": "999999"}, "所属机构：请选择您管辖范围内的机构。"),
    ({"org": "210102"}, "角色“省局监管人员”不适用于区县级机构。"),
])
def test_the_province_admin_cannot_escalate_nor_move_users_out(
        world: Any, values: dict[str, Any], message: str) -> None:
    if values.get("org", "").isdigit() and values["org"] in world.orgs:
        values = {"org": str(world.orgs[values["org"]])}
    admin = login(world.app, "ln_admin")
    before, since = rights(world, "ln_officer"), last_id(world)
    response = admin.post(f"/system/users/edit/{user(world, 'ln_officer').id}",
                          data=form_of(world, "ln_officer", **values))
    assert response.status_code == 200
    assert message in errors(response.text)
    assert rights(world, "ln_officer") == before and entries_since(world, since) == []


def test_the_province_admin_is_offered_only_what_it_may_give(world: Any) -> None:
    page = login(world.app, "ln_admin").get("/system/users/add").text
    roles = re.findall(r'name="roles"[^>]*value="([^"]*)"', page)
    assert roles == ["province", "county", "legal_person", "agent"]
    select_ = page.split('name="user_class"')[1].split("</select>")[0]
    assert re.findall(r'value="([^"]*)"', select_) == ["", "regulator", "legal_person",
                                                         "agent"]


def test_a_liaoning_admin_cannot_touch_a_sichuan_user(world: Any) -> None:
    admin = login(world.app, "ln_admin")
    sc = user(world, "sc_officer")
    before, since = rights(world, "sc_officer"), last_id(world)
    for method, url in [("get", f"/system/users/show/{sc.id}"),
                        ("get", f"/system/users/edit/{sc.id}"),
                        ("post", f"/system/users/edit/{sc.id}"),
                        ("post", f"/system/users/deactivate/{sc.id}"),
                        ("post", f"/system/users/activate/{sc.id}"),
                        ("get", f"/system/users/password/{sc.id}"),
                        ("post", f"/system/users/password/{sc.id}"),
                        ("post", "/system/users/deactivate/999999"),  # a missing one alike
                        ("get", "/system/users/password/abc"),
                        ("get", f"/system/users/action/deactivate/{sc.id}")]:
        response = getattr(admin, method)(url, data={"password": "Reset#2024a",
                                                     "conf_password": "Reset#2024a"}
                                          if method == "post" else None)
        assert response.status_code == 404, url
    for action in ("deactivate", "activate"):
        assert admin.post("/system/users/action_post", data={
            "action": action, "rowid": [str(sc.id)]}).status_code == 302
    assert admin.post("/system/users/action_post", data={
        "action": "delete", "rowid": [str(sc.id)]}).status_code == 404
    after = user(world, "sc_officer")
    assert rights(world, "sc_officer") == before and after.password == sc.password
    assert entries_since(world, since) == []
    assert "sc_officer" not in admin.get("/system/users/list/").text


def test_users_holding_roles_above_the_admin_are_shown_but_not_changed(world: Any) -> None:
    admin = login(world.app, "ln_admin")
    page = admin.get("/system/users/list/").text
    assert ">ln_admin2<" in page and ">ln_auditor<" in page
    for name in ("ln_admin2", "ln_auditor"):
        target = user(world, name)
        assert f"/system/users/deactivate/{target.id}\"" not in page
        assert f"/system/users/password/{target.id}\"" not in page
    auditor = user(world, "ln_auditor")
    before, since = rights(world, "ln_auditor"), last_id(world)
    refused = "您无权修改用户 ln_auditor：该用户持有您无权授予的角色。"
    for url in (f"/system/users/deactivate/{auditor.id}", f"/system/users/password/{auditor.id}",
                f"/system/users/edit/{auditor.id}"):
        response = admin.post(url, data={**form_of(world, "ln_auditor", roles=["province"]),
                                         "password": "Reset#2024a",
                                         "conf_password": "Reset#2024a"})
        assert response.status_code == 302, url
        assert refused in flashes(admin), url
    admin.post("/system/users/action_post", data={"action": "deactivate",
                                                  "rowid": [str(auditor.id)]})
    assert refused in flashes(admin)
    after = user(world, "ln_auditor")
    assert rights(world, "ln_auditor") == before and after.password == auditor.password
    assert entries_since(world, since) == []


@pytest.mark.parametrize("username", ["ln_admin", "boss"])
def test_flask_appbuilders_own_user_screens_stay_closed(world: Any, username: str) -> None:
    client = login(world.app, username)
    target = user(world, "ln_officer")
    data = {"password": "Reset#2024a", "conf_password": "Reset#2024a", "roles": ["1"],
            "username": "fab_door", "first_name": "x", "last_name": "y", "email": "f@x"}
    for method, url in [("get", "/users/list/"), ("post", "/users/add"),
                        ("post", f"/users/edit/{target.id}"),
                        ("get", f"/resetpassword/form?pk={target.id}"),
                        ("post", f"/resetpassword/form?pk={target.id}"),
                        ("get", "/roles/list/")]:
        response = getattr(client, method)(url, data=data if method == "post" else None)
        assert response.status_code == 403, url
    assert user(world, "ln_officer").password == target.password
    assert user(world, "fab_door") is None


# --- 注销, 启用 and 重置密码 -----------------------------------------------------------


def test_000_4_2_4_deactivate_and_re_enable_with_row_buttons_and_list_actions(world: Any) -> None:
    admin = login(world.app, "ln_admin")
    county = user(world, "ln_county")
    page = admin.get("/system/users/list/").text
    assert f'action="/system/users/deactivate/{county.id}"' in page
    assert "确定注销用户 ln_county 吗？" in page  # the confirmation the button asks
    since = last_id(world)
    assert admin.post(f"/system/users/deactivate/{county.id}").status_code == 302
    assert user(world, "ln_county").active is False
    refused = world.app.test_client().post("/login/", data={"username": "ln_county",
                                                            "password": PASSWORD})
    assert refused.headers["Location"] != "/"
    page = admin.get("/system/users/list/").text
    assert f'action="/system/users/activate/{county.id}"' in page
    assert admin.post(f"/system/users/activate/{county.id}").status_code == 302
    after = user(world, "ln_county")
    assert after.active is True and after.activated_at is not None
    assert login(world.app, "ln_county")
    done = entries_since(world, since)
    assert [(e.action, e.username, e.changes) for e in done] == [
        ("user_deactivated", "ln_admin", {"user": ["ln_county", "ln_county"],
                                          "active": ["是", "否（已注销）"]}),
        ("user_activated", "ln_admin", {"user": ["ln_county", "ln_county"],
                                        "active": ["否（已注销）", "是"]})]

    # the list actions: several users at once, one entry each
    ids = [str(user(world, n).id) for n in ("ln_county", "ln_county2")]
    since = last_id(world)
    assert admin.post("/system/users/action_post", data={
        "action": "deactivate", "rowid": ids}).status_code == 302
    assert not user(world, "ln_county").active and not user(world, "ln_county2").active
    admin.post("/system/users/action_post", data={"action": "activate", "rowid": ids})
    assert user(world, "ln_county").active and user(world, "ln_county2").active
    assert [e.action for e in entries_since(world, since)] == ["user_deactivated"] * 2 + [
        "user_activated"] * 2


def test_no_deactivating_ones_own_account(world: Any) -> None:
    admin = login(world.app, "ln_admin")
    me = user(world, "ln_admin")
    page = admin.get("/system/users/list/").text
    assert f"/system/users/deactivate/{me.id}\"" not in page
    since = last_id(world)
    assert admin.post(f"/system/users/deactivate/{me.id}").status_code == 302
    assert "不能注销自己的账号。" in flashes(admin)
    admin.post("/system/users/action_post", data={"action": "deactivate",
                                                  "rowid": [str(me.id)]})
    assert user(world, "ln_admin").active and entries_since(world, since) == []
    assert admin.get(f"/system/users/password/{me.id}").status_code == 302
    assert "本人密码请在“修改密码”中凭旧密码修改。" in flashes(admin)


def test_the_admin_resets_a_password_under_the_policy(world: Any) -> None:
    with world.app.app_context():
        from app.security.models import AppUser

        session = world.app.appbuilder.session
        session.execute(update(AppUser).where(AppUser.username == "ln_reset").values(
            locked_until=dt.datetime.now() + dt.timedelta(minutes=10), fail_login_count=3))
        session.commit()
    admin = login(world.app, "ln_admin")
    mover = user(world, "ln_reset")
    form = admin.get(f"/system/users/password/{mover.id}")
    assert form.status_code == 200 and "重置用户 ln_reset 的密码" in form.text
    assert "长度 8 至 64 个字符" in form.text
    since = last_id(world)
    for weak, message in [("short", "密码至少需要 8 个字符"), (PASSWORD, "最近 5 次")]:
        response = admin.post(f"/system/users/password/{mover.id}",
                              data={"password": weak, "conf_password": weak})
        assert response.status_code == 200 and message in errors(response.text), weak
    assert user(world, "ln_reset").password == mover.password
    assert entries_since(world, since) == []
    response = admin.post(f"/system/users/password/{mover.id}",
                          data={"password": "Reset#2024a", "conf_password": "Reset#2024a"})
    assert response.status_code == 302
    after = user(world, "ln_reset")
    assert after.password != mover.password and after.must_change is True
    assert after.locked_until is None
    [entry] = entries_since(world, since)
    assert (entry.action, entry.username, entry.changes) == (
        "password_reset", "ln_admin", {"user": ["ln_reset", "ln_reset"]})
    client = world.app.test_client()
    answer = client.post("/login/", data={"username": "ln_reset", "password": "Reset#2024a"})
    assert answer.headers["Location"] == "/resetmypassword/form"


# --- the audit trail of creation and of changes of rights -------------------------------


def test_creating_a_user_is_audited_with_readable_values(world: Any) -> None:
    admin = login(world.app, "ln_admin")
    since = last_id(world)
    response = admin.post("/system/users/add", data={
        "username": "gl_new", "first_name": "张三", "org": str(world.orgs["210102"]),
        "user_class": "", "roles": ["county"], "password": PASSWORD,
        "conf_password": PASSWORD})
    assert response.status_code == 302, errors(response.text)
    assert user(world, "gl_new").user_class == "regulator"  # the class of its role
    [entry] = entries_since(world, since)
    assert (entry.action, entry.username) == ("user_created", "ln_admin")
    assert entry.changes == {
        "user": [None, "张三（gl_new）"], "email": [None, "gl_new@localhost"],
        "org": [None, "和平区"], "user_class": [None, "监管人员"],
        "roles": [None, "区县监管人员"], "modules": [None, "角色涉及的全部模块"],
        "active": [None, "是"]}


def test_changes_of_rights_are_audited_with_readable_values(world: Any) -> None:
    admin = login(world.app, "ln_admin")
    since = last_id(world)
    moved = admin.post(f"/system/users/edit/{user(world, 'ln_mover').id}", data=form_of(
        world, "ln_mover", org=str(world.orgs["210103"]), modules=["annual", "export"]))
    assert moved.status_code == 302, errors(moved.text)
    clerk = admin.post(f"/system/users/edit/{user(world, 'promoted').id}", data=form_of(
        world, "promoted", roles=["legal_person"], user_class="legal_person"))
    assert clerk.status_code == 302, errors(clerk.text)
    first, second = entries_since(world, since)
    assert (first.action, first.changes) == ("permissions", {
        "user": ["ln_mover", "ln_mover"], "org": ["和平区", "沈河区"],
        "modules": ["角色涉及的全部模块", "药品年度报告、出口药品档案"]})
    assert (second.action, second.changes) == ("permissions", {
        "user": ["promoted", "promoted"], "user_class": ["企业经办人", "企业法人"],
        "roles": ["企业经办人", "企业法人"],
        # what an empty 功能选择 means follows the class: none for agents, all otherwise
        "modules": ["未授权任何模块", "角色涉及的全部模块"]})
    # nothing changed: nothing recorded
    since = last_id(world)
    again = admin.post(f"/system/users/edit/{user(world, 'ln_mover').id}",
                       data=form_of(world, "ln_mover"))
    assert again.status_code == 302 and entries_since(world, since) == []


def test_the_audit_page_shows_the_new_actions_in_chinese(world: Any) -> None:
    from app.audit.views import ACTIONS

    for key in ("user_created", "user_edited", "user_deactivated", "user_activated",
                "password_reset"):
        assert key in ACTIONS
    with world.app.test_request_context():
        assert [str(ACTIONS[k]) for k in ("user_created", "user_deactivated",
                                          "user_activated", "password_reset")] == [
            "创建用户", "注销用户", "启用用户", "管理员重置密码"]


# --- accounts sweep and 启用 ------------------------------------------------------------


def test_a_re_enabled_account_is_not_swept_again_at_once(world: Any) -> None:
    from app.security.accounts import sweep
    from app.security.models import AppUser

    old = dt.datetime.now() - dt.timedelta(days=200)
    with world.app.app_context():
        session = world.app.appbuilder.session
        session.execute(update(AppUser).values(last_login=dt.datetime.now()))
        session.execute(update(AppUser).where(AppUser.username.in_(["sleeper", "woken"]))
                        .values(last_login=old, activated_at=None))
        session.execute(update(AppUser).where(AppUser.username == "woken")
                        .values(activated_at=dt.datetime.now() - dt.timedelta(days=1)))
        session.commit()
        since = last_id(world)
        policy = world.app.appbuilder.sm.password_policy
        findings = sweep(session, policy, "Admin")
        session.commit()
    assert [f.username for f in findings] == ["sleeper"]
    [entry] = entries_since(world, since)
    assert entry.action == "user_deactivated" and entry.username is None
    assert entry.changes == {"user": ["sleeper", "sleeper"],
                             "active": ["是", "否（已注销）"]}
    assert entry.reason.startswith("账号清理：") and "天未登录" in entry.reason


def test_the_list_reads_the_page_in_a_fixed_number_of_statements(world: Any) -> None:
    """The roles column and the row buttons load every row's roles in one statement."""
    from sqlalchemy import event

    from app.security.models import Organisation

    admin = login(world.app, "ln_admin")
    with world.app.app_context():
        engine = world.app.appbuilder.session.get_bind()
    counted: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        counted.append(statement)

    def count() -> int:
        counted.clear()
        event.listen(engine, "before_cursor_execute", seen)
        try:
            assert admin.get("/system/users/list/").status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", seen)
        return len(counted)

    count()  # the host reads the roles' rights once (app/security/rights_cache.py)
    before = count()
    with world.app.app_context():
        session, sm = world.app.appbuilder.session, world.app.appbuilder.sm
        county = session.execute(select(Organisation).where(Organisation.code == "210103")
                                 ).scalar_one()
        for n in range(3):
            added = sm.add_user(f"many_{n}", f"many_{n}", "", f"many_{n}@x",
                                sm.find_role("county"), PASSWORD)
            added.org = county
        session.commit()
    assert count() == before
