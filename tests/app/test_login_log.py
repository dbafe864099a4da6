"""登录日志 (SQLite and PostgreSQL): who reads it, sign-ins, failed sign-ins and sign-outs with
their reasons, the filters, and both exports (no formula from a user agent)."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import re
from typing import Any

import pytest
from openpyxl import load_workbook

from tests.app.test_online_users import CHROME, ORGS, SCHEMA, USERS, rows_of, sign_in
from tests.conftest import PASSWORD, apply_schema, dispose, ensure_admin, make_app, seed_people

PAGE = "/security/login-log/"
EVIL = "=cmd|' /C calc'!A0"
HEADERS = ["时间", "用户名", "姓名", "所属机构", "IP 地址", "浏览器", "结果", "原因", "用户代理"]
NOTHING = "没有符合条件的记录。"
RAW = ["None", "True", "False", "Login log", "Sign-in succeeded", "Sign-out", "Result",
       "login_failed", "logout"]


@pytest.fixture(scope="module")
def app(database_url: str, tmp_path_factory: Any) -> Any:
    application = make_app(database_url, schema=SCHEMA, tmp=tmp_path_factory.mktemp("files"))
    apply_schema(application)
    ensure_admin(application)
    users = {**USERS, "changer": ("legal_person", list(ORGS)[1], "legal_person")}
    with application.app_context():
        seed_people(application, ORGS, users, PASSWORD)
        sm = application.appbuilder.sm
        for username, name in [("maker", "王建国"), ("sc_maker", "李四")]:
            sm.find_user(username=username).first_name = name
        application.appbuilder.session.commit()
    yield application
    dispose(application)


def attempt(app: Any, username: str, password: str, address: str, **data: str) -> Any:
    client = app.test_client()
    client.post("/login/", data={"username": username, "password": password, **data},
                headers={"User-Agent": CHROME, "X-Forwarded-For": address})
    return client


def log(client: Any, **search: str) -> list[list[str]]:
    rows = rows_of(client.get(PAGE, query_string=search).text)
    return [row.split("|") for row in rows]


def test_the_security_and_audit_administrators_read_it_an_enterprise_does_not(
        app: Any) -> None:
    page = sign_in(app, "sec").get(PAGE)
    assert page.status_code == 200 and "登录日志" in page.text and "导出 Excel" in page.text
    assert sign_in(app, "auditor").get(PAGE).status_code == 200
    assert sign_in(app, "auditor").get(PAGE + "export.csv").status_code == 200
    refused = sign_in(app, "maker").get(PAGE)
    assert refused.status_code == 403 and "您没有执行此操作的权限" in refused.text
    assert sign_in(app, "maker").get(PAGE + "export.xlsx").status_code == 403
    read_only = sign_in(app, "sec").post(PAGE)
    assert read_only.status_code == 405 and "此处不允许该操作" in read_only.text


def test_sign_ins_failures_and_sign_outs_with_their_reasons(app: Any) -> None:
    address = "10.20.0.1"
    client = sign_in(app, "maker", address=address)
    client.get("/logout/")
    attempt(app, "maker", "Wrong#Pass1", address)
    attempt(app, "ghost", "Wrong#Pass1", address)
    policy = app.extensions["password_policy"]
    app.extensions["password_policy"] = dataclasses.replace(policy, captcha=True)
    try:
        attempt(app, "maker", PASSWORD, address, captcha="XXXX")
    finally:
        app.extensions["password_policy"] = policy
    rows = log(sign_in(app, "sec"), ip=address)
    assert [r[1:] for r in rows] == [
        ["maker", "王建国", "辽宁康华制药有限公司", address, "Chrome 120 / Windows 10",
         "登录失败", "验证码错误"],
        ["ghost", "", "", address, "Chrome 120 / Windows 10", "登录失败", "用户名不存在"],
        ["maker", "王建国", "辽宁康华制药有限公司", address, "Chrome 120 / Windows 10",
         "登录失败", "密码错误"],
        ["maker", "王建国", "辽宁康华制药有限公司", address, "Chrome 120 / Windows 10",
         "退出登录", "退出"],
        ["maker", "王建国", "辽宁康华制药有限公司", address, "Chrome 120 / Windows 10",
         "登录成功", ""],
    ]
    assert all(len(r[0]) == 19 and r[0][4] == "-" for r in rows)  # to the second
    page = sign_in(app, "sec").get(PAGE, query_string={"ip": address}).text
    shown = re.sub(r"<[^>]+>", " ", page.split("<body")[1])  # what a reader sees
    for word in RAW:
        assert word not in shown, word


def test_a_password_change_and_a_force_sign_out_are_sign_outs_too(app: Any) -> None:
    address = "10.30.0.1"
    here = sign_in(app, "changer", address=address)
    sign_in(app, "changer", address=address)  # another browser
    new = "Owner#2024new"
    assert here.post("/resetmypassword/form", data={
        "old_password": PASSWORD, "password": new, "conf_password": new}).status_code == 302
    sec = sign_in(app, "sec")
    assert [r[6:] for r in log(sec, ip=address, result="logout")] == [["退出登录", "改密"]]
    page = sec.get("/security/online/", query_string={"ip": address}).text
    target = int(page.split("/security/online/end/")[1].split("?")[0].split('"')[0])
    assert sec.post(f"/security/online/end/{target}").status_code == 302
    assert [r[7] for r in log(sec, ip=address, result="logout")] == ["强退", "改密"]


def test_the_filters(app: Any) -> None:
    address = "10.40.0.1"
    sign_in(app, "maker", address=address)
    sign_in(app, "sc_maker", address=address)
    attempt(app, "sc_maker", "Wrong#Pass1", address)
    sec = sign_in(app, "sec")
    today = dt.date.today()
    assert len(log(sec, ip=address)) == 3
    assert {r[1] for r in log(sec, ip=address, user="李四")} == {"sc_maker"}
    assert {r[1] for r in log(sec, ip=address, user="maker")} == {"maker", "sc_maker"}
    assert [r[6] for r in log(sec, ip=address, result="login_failed")] == ["登录失败"]
    assert len(log(sec, ip=address, start=today.isoformat(), end=today.isoformat())) == 3
    tomorrow = (today + dt.timedelta(days=1)).isoformat()
    yesterday = (today - dt.timedelta(days=1)).isoformat()
    assert log(sec, ip=address, start=tomorrow) == [[NOTHING]]
    assert log(sec, ip=address, end=yesterday) == [[NOTHING]]
    wrong = sec.get(PAGE, query_string={"ip": address, "start": "2026-13-01"})
    assert "日期格式为 YYYY-MM-DD" in wrong.text  # said, and the date ignored
    assert len(rows_of(wrong.text)) == 3
    ln_sec = sign_in(app, "ln_sec")
    assert {r[1] for r in log(ln_sec, ip=address)} == {"maker"}  # its region only


def test_exports_apply_the_filters_and_never_write_a_formula(app: Any) -> None:
    address = "10.50.0.1"
    client = app.test_client()
    client.post("/login/", data={"username": "maker", "password": "Wrong#Pass1"},
                headers={"User-Agent": EVIL, "X-Forwarded-For": address})
    sign_in(app, "maker", address=address)
    sec = sign_in(app, "sec")
    search = {"ip": address, "result": "login_failed"}
    response = sec.get(PAGE + "export.csv", query_string=search)
    assert response.status_code == 200 and response.data.startswith("\ufeff".encode())
    assert "attachment" in response.headers["Content-Disposition"]
    lines = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert lines[0] == HEADERS
    [line] = lines[1:]
    assert line[1:] == ["maker", "王建国", "辽宁康华制药有限公司", address, "", "登录失败",
                        "密码错误", "'" + EVIL]
    book = sec.get(PAGE + "export.xlsx", query_string=search)
    assert book.status_code == 200
    sheet = load_workbook(io.BytesIO(book.data)).active
    assert sheet.title == "登录日志"
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0] == HEADERS and len(values) == 2
    cell = sheet.cell(row=2, column=9)
    assert (cell.value, cell.data_type) == (EVIL, "s")  # text, never a formula
    assert isinstance(values[1][0], dt.datetime) and values[1][0].microsecond == 0
