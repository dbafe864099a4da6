"""批量导入账号 (seed 004 三(三)): a province's administrator initialises accounts from an xlsx,
all of them or none, by the add form's rules; each gets a random initial password shown once,
to be changed at the first sign-in; the sweep disables those not changed by the deadline of
参数设置 (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import io
import json
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from tests.conftest import SCHEMAS, apply_schema, ensure_admin, make_app, seed_people
from tests.conftest import sign_in as login

SCHEMA = SCHEMAS / "users" / "entities.yaml"
PASSWORD = "Pass@12345"
ENTERPRISE = "91350100M000100Y43"
ORGS = {
    "350000": ("福建省", "province", None, None),
    "350100": ("福州市", "city", "350000", None),
    "350102": ("鼓楼区", "county", "350100", None),
    ENTERPRISE: ("福州示例制药有限公司", "unit", "350102", "enterprise"),
    "440000": ("广东省", "province", None, None),
    "440103": ("荔湾区", "county", "440000", None),
}
USERS = {"fj_admin": ("sys_admin", "350000", "admin"),
         "gd_admin": ("sys_admin", "440000", "admin")}
HEAD = ["用户名*", "姓名*", "所属机构代码*", "角色*", "用户类别", "授权模块", "电子邮箱"]


@pytest.fixture(scope="module")
def world(database_url: str, tmp_path_factory: Any) -> dict[str, Any]:
    app = make_app(database_url, SCHEMA, tmp_path_factory.mktemp("files"))
    apply_schema(app)
    ensure_admin(app)
    with app.app_context():
        seed_people(app, ORGS, USERS, PASSWORD)
        app.appbuilder.session.commit()
    return {"app": app}


def xlsx(rows: list[list[Any]], head: list[str] = HEAD) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(head)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(client: Any, data: bytes, name: str = "账号.xlsx") -> Any:
    return client.post("/system/users/bulk/", data={"file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def users(app: Any) -> dict[str, Any]:
    from app.security.models import AppUser

    with app.app_context():
        found = app.appbuilder.session.execute(select(AppUser)).unique().scalars().all()
        return {u.username: (u.org.code if u.org else None, sorted(r.name for r in u.roles),
                             u.user_class, bool(u.must_change_password)) for u in found}


def test_the_template_names_the_columns_and_what_may_go_in_them(world: dict[str, Any]) -> None:
    client = login(world["app"], "fj_admin")
    page = client.get("/system/users/list/")
    assert "批量导入账号" in page.text
    response = client.get("/system/users/bulk/template")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data))
    assert [c.value for c in book["账号"][1]] == HEAD
    legend = [row[0] for row in book["填写说明"].iter_rows(values_only=True)]
    assert "区县监管人员" in legend and "系统管理员" not in legend  # what fj_admin may grant


def test_one_bad_row_creates_no_account_and_every_problem_is_listed(
        world: dict[str, Any]) -> None:
    client = login(world["app"], "fj_admin")
    before = users(world["app"])
    response = upload(client, xlsx([
        ["gl_one", "林一", "350102", "区县监管人员", "", "", ""],  # fine alone
        ["gl_two", "林二", "440103", "区县监管人员", "", "", ""],  # another province
        ["gl_three", "林三", "350000", "系统管理员", "", "", ""],  # an administrator role
        ["gl_four", "", "350102", "省局监管人员", "", "", ""],  # no name; a province role
        ["gl_one", "林五", "350102", "区县", "", "", ""],  # user name again; no such role
        ["fj_admin", "林六", 350102, "区县监管人员", "", "", ""],  # taken; code as a number
    ]))
    assert response.status_code == 200
    text = response.text
    assert "未创建任何账号" in text
    for expected in ("管辖范围内", "您无权授予角色", "该字段是必填字段", "不适用于区县级机构",
                     "与第 2 行的用户名相同", "没有角色“区县”", "该用户名已被使用"):
        assert expected in text, expected
    assert users(world["app"]) == before


def test_a_good_file_creates_every_account_with_its_own_initial_password(
        world: dict[str, Any]) -> None:
    app = world["app"]
    client = login(app, "fj_admin")
    response = upload(client, xlsx([
        ["gl_county", "陈一", "350102", "区县监管人员", "", "", "chen@example.com"],
        ["fz_legal", "陈二", ENTERPRISE, "企业法人", "", "", ""],
        ["fz_agent", "陈三", ENTERPRISE, "企业经办人", "企业经办人", "", ""],
        ["fj_province", "陈四", "350000", "省局监管人员", "", "", ""],
    ]))
    assert response.status_code == 200
    assert "已创建 4 个账号" in response.text
    made = users(app)
    assert made["gl_county"] == ("350102", ["county"], "regulator", True)
    assert made["fz_legal"] == (ENTERPRISE, ["legal_person"], "legal_person", True)
    assert made["fz_agent"][2] == "agent"
    assert made["fj_province"][:2] == ("350000", ["province"])
    # the passwords: shown once, all different, each signs in and must be changed first
    import html
    import re

    found = re.findall(r"<td>(gl_county|fz_legal|fz_agent)</td><td>[^<]*</td><td>[^<]*"
                       r"</td><td><code>([^<]+)</code>", response.text)
    shown = {name: html.unescape(secret) for name, secret in found}  # & is &amp; there
    assert len(set(shown.values())) == 3
    fresh = app.test_client()
    answer = fresh.post("/login/", data={"username": "gl_county",
                                         "password": shown["gl_county"]})
    assert answer.status_code == 302 and "/login/" not in answer.headers["Location"]
    assert fresh.get("/").status_code in (302, 200)
    # the sheet of initial passwords holds only accounts of fj_admin still waiting
    sheet = client.post("/system/users/bulk/passwords", data={
        "username": ["gl_county", "gd_admin"], "password": [shown["gl_county"], "x"]})
    rows = list(load_workbook(io.BytesIO(sheet.data)).active.iter_rows(values_only=True))
    assert rows[1:] == [("gl_county", "陈一", "鼓楼区", shown["gl_county"])]
    # audited: one entry for the file, one per account
    from app.audit.models import AuditEntry

    with app.app_context():
        session = app.appbuilder.session
        entries = session.execute(select(AuditEntry.changes).where(
            AuditEntry.action == "accounts_import")).scalars().all()
        assert any(json.loads(c)["created"][1] >= 3 for c in entries)
        created = session.execute(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "user_created")).scalar_one()
        assert created >= 3


def test_a_province_refused_the_other_provinces_organisations(world: dict[str, Any]) -> None:
    client = login(world["app"], "gd_admin")
    response = upload(client, xlsx([["gd_intruder", "黄一", "350102", "区县监管人员",
                                     "", "", ""]]))
    assert "管辖范围内" in response.text
    assert "gd_intruder" not in users(world["app"])


def test_a_file_that_is_no_workbook_or_lacks_columns_is_refused(world: dict[str, Any]) -> None:
    client = login(world["app"], "fj_admin")
    assert "不是 Excel 工作簿" in upload(client, b"not a workbook").text
    response = upload(client, xlsx([["x1", "x"]], head=["用户名", "姓名"]))
    assert "缺少" in response.text and "所属机构代码" in response.text


def test_the_sweep_disables_initial_passwords_not_changed_by_the_set_deadline(
        world: dict[str, Any]) -> None:
    app = world["app"]
    client = login(app, "fj_admin")
    upload(client, xlsx([["late_one", "迟一", "350102", "区县监管人员", "", "", ""]]))
    from app.security.models import AppUser

    long_ago = dt.datetime.now() - dt.timedelta(days=10)
    with app.app_context():  # imported ten days ago, never signed in since
        session = app.appbuilder.session
        user = session.execute(select(AppUser).where(AppUser.username == "late_one")
                               ).unique().scalar_one()
        user.created_on = user.password_changed_at = long_ago
        session.commit()
    with app.test_request_context():
        from app.jobs.actions import accounts_sweep
        from app.system import settings

        session = app.appbuilder.session
        settings.save(session, {"initial_password_deadline":
                                (dt.date.today() - dt.timedelta(days=2)).isoformat()})
        session.commit()
        counts = accounts_sweep(session, {})
        session.commit()
        assert counts["Accounts disabled"] >= 1
    with app.app_context():
        user = app.appbuilder.session.execute(
            select(AppUser).where(AppUser.username == "late_one")).unique().scalar_one()
        assert user.active is False
