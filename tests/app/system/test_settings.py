"""参数设置 (SQLite and PostgreSQL): the system administrator changes declared parameters on one
page, checked against their bounds with Chinese messages, audited, and `settings.value` and
the screens follow at the next request — on a second app instance of the same database too."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from tests.app.system.test_dictionary import ORGS, SCHEMA, UNIT, USERS
from tests.conftest import (
    PASSWORD,
    apply_schema,
    dispose,
    ensure_admin,
    make_app,
    seed_people,
    sign_in,
)

PAGE = "/system/settings/"


@pytest.fixture(scope="module")
def world(database_url: str, tmp_path_factory: Any) -> Any:
    app = make_app(database_url, SCHEMA, tmp_path_factory.mktemp("files"))
    apply_schema(app)
    ensure_admin(app)
    with app.app_context():
        orgs = seed_people(app, ORGS, USERS, PASSWORD)
        firm = app.extensions["admin"].models["reg.Firm"]
        app.appbuilder.session.add_all([firm(name=f"企业{i}", org=orgs[UNIT]) for i in range(5)])
        app.appbuilder.session.commit()
    other = make_app(database_url, SCHEMA, tmp_path_factory.mktemp("files2"))
    yield {"app": app, "other": other}
    dispose(other)
    dispose(app)


def save(client: Any, **values: Any) -> str:
    return str(client.post(PAGE + "save", data=values, follow_redirects=True).text)


def value(app: Any, key: str) -> Any:
    from app.system import settings

    with app.test_request_context():
        return settings.value(key)


def test_the_page_is_the_system_administrators_and_speaks_chinese(world: Any) -> None:
    assert sign_in(world["app"], "clerk").get(PAGE).status_code in (302, 403)
    page = sign_in(world["app"], "sys").get(PAGE).text
    for text in ("参数设置", "参数名称", "参数键名", "参数键值", "系统名称", "登录验证码",
                 "密码最短长度", "导出最大行数", "数据字典测试", "0 表示不限制。"):
        assert text in page, text
    # the policy locks after 5 failures and expires passwords: 0 is not offered, nor explained
    assert "0 表示从不锁定。" not in page and "0 表示密码永不过期。" not in page
    body = page.split("<main")[1]
    for raw in ("None", "True", "False", "System title", "Captcha"):
        assert raw not in body, raw


def test_values_outside_their_bounds_are_refused_together(world: Any) -> None:
    page = save(sign_in(world["app"], "sys"), system_title="", password_min_length="6",
                export_row_limit="abc", captcha="0", lockout_attempts="0",
                password_expiry_days="0", lockout_minutes="2")
    assert "系统名称：应为 1 至 50 个字符。" in page
    assert "导出最大行数：应为 0 至 1000000 之间的整数。" in page
    # the policy's values only tighten what the schema says (8 characters, 5 attempts, 90
    # days, 10 minutes), never loosen it
    assert "密码最短长度：应为 8 至 64 之间的整数。" in page
    assert "登录失败锁定次数：应为 1 至 5 之间的整数。" in page
    assert "密码有效期（天）：应为 1 至 90 之间的整数。" in page
    assert "锁定时长（分钟）：应为 10 至 1440 之间的整数。" in page
    assert value(world["app"], "captcha") is False  # make_app's policy: nothing was saved
    assert value(world["app"], "system_title") == "数据字典测试"


def test_the_initial_password_deadline_is_a_date_or_blank(world: Any) -> None:
    client = sign_in(world["app"], "sys")
    shown = client.get(PAGE).text
    assert "初始密码修改截止日期" in shown and "不设截止日期" in shown
    page = save(client, initial_password_deadline="2026-02-30")
    assert "初始密码修改截止日期：请填写日期（如 2026-03-31）或留空。" in page
    assert value(world["app"], "initial_password_deadline") == ""
    save(client, initial_password_deadline="2026-03-31")
    assert value(world["app"], "initial_password_deadline") == "2026-03-31"
    save(client, initial_password_deadline="")
    assert value(world["app"], "initial_password_deadline") == ""


def test_a_change_takes_effect_on_a_second_instance_without_restart(world: Any) -> None:
    app, other = world["app"], world["other"]
    clerk = sign_in(other, "clerk")  # the second host has read the old values
    assert "数据字典测试" in clerk.get("/").text
    assert len(clerk.get("/reg/firm/export/csv").data.decode("utf-8-sig").splitlines()) == 6
    assert 'name="captcha"' not in other.test_client().get("/login/").text
    admin, auditor = sign_in(app, "sys"), sign_in(app, "admin")  # before the captcha is on
    page = save(admin, system_title="药品监管信息采集平台", export_row_limit="2",
                captcha="1", lockout_attempts="3")
    assert "已保存" in page and "药品监管信息采集平台" in page
    assert "药品监管信息采集平台" in clerk.get("/").text
    rows = list(csv.reader(io.StringIO(clerk.get("/reg/firm/export/csv").data.decode(
        "utf-8-sig"))))
    assert len(rows) == 3  # the header and two rows
    assert 'name="captcha"' in other.test_client().get("/login/").text
    assert value(other, "lockout_attempts") == 3
    with other.test_request_context():
        assert other.appbuilder.sm.password_policy.lockout_attempts == 3
    # the cut is said before the download, on the list, and to a REST caller at it
    assert "仅导出前 2 条，共 5 条（参数设置：导出最大行数）。" in clerk.get("/reg/firm/list/").text
    cut = clerk.get("/reg/firm/export/csv")
    assert (cut.headers["X-Export-Rows"], cut.headers["X-Total-Count"]) == ("2", "5")
    audit = auditor.get("/security/audit/export.csv").data.decode("utf-8-sig")
    assert "参数设置修改" in audit and "导出最大行数：0 → 2" in audit
    save(admin, system_title="数据字典测试", export_row_limit="0", captcha="0",
         lockout_attempts="5")
    here = sign_in(app, "clerk")
    assert "仅导出前" not in here.get("/reg/firm/list/").text
    assert "X-Export-Rows" not in here.get("/reg/firm/export/csv").headers
