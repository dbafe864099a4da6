"""账号发放 (seed 002 §3.1-§3.5): the 省级 role issues the accounts of its cities, counties and
institutions, the 国家联采办 those of the provinces, on 系统管理 → 用户管理, within the rules of
app/security/user_rules.py (the YAML's `issues:` on each role). Institutions, counties and cities
issue none."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import PASSWORD
from tests.modules.conftest import HOSP1, HOSP2, flashes, login


@pytest.fixture(scope="module")
def app(world: dict[str, Any]) -> Any:
    return world["app"]


def _user(app: Any, username: str) -> Any:
    from app.security.models import AppUser

    with app.app_context():
        session = app.appbuilder.session
        session.expire_all()
        user = session.query(AppUser).filter_by(username=username).one_or_none()
        if user is not None:
            _ = (user.roles, user.org)
        return user


def _new(world: dict[str, Any], username: str, org: str, roles: list[str],
         user_class: str, modules: list[str] | None = None) -> dict[str, Any]:
    return {"username": username, "first_name": "王五", "org": str(world["orgs"][org]),
            "user_class": user_class, "roles": roles, "modules": modules or [],
            "password": PASSWORD, "conf_password": PASSWORD}


def _listed(page: str, *names: str) -> list[str]:
    return [n for n in names if f">{n}<" in page]


def test_002_3_4_province_issues_the_accounts_of_its_region(app: Any,
                                                            world: dict[str, Any]) -> None:
    prov = login(app, "ln_prov")
    page = prov.get("/system/users/list/").text
    assert "用户管理" in page
    # the accounts it issues, not the province's regulators, administrators nor Sichuan's
    assert _listed(page, "ln_city", "ln_county", "ln_hosp1", "ln_hosp2", "ln_reg", "ln_sys",
                   "sc_city", "lcb") == ["ln_city", "ln_county", "ln_hosp1", "ln_hosp2"]
    form = prov.get("/system/users/add").text
    assert 'value="institution"' in form and 'value="county"' in form
    assert 'value="province"' not in form and 'value="sys_admin"' not in form
    for username, org, role, cls in (("ln_hosp_new", HOSP1, "institution", "institution"),
                                     ("ln_county_new", "210102", "county", "regulator"),
                                     ("ln_city_new", "210100", "city", "regulator")):
        response = prov.post("/system/users/add", data=_new(world, username, org, [role], cls))
        assert response.status_code == 302, flashes(response.text)[-600:]
        user = _user(app, username)
        assert [r.name for r in user.roles] == [role] and user.org.code == org
        assert user.user_class == cls
    login(app, "ln_hosp_new")  # the new account signs in (and must change its password)


@pytest.mark.parametrize("org,roles,cls,modules,message", [
    ("210000", ["province"], "regulator", [], "您无权授予角色“省级”。"),
    ("210000", ["sys_admin"], "admin", [], "您无权授予角色“系统管理员”。"),
    ("210000", ["province_regulator"], "regulator", [], "您无权授予角色“省局监管人员”。"),
    ("510104", ["county"], "regulator", [], "所属机构：请选择您管辖范围内的机构。"),
    (HOSP2, ["institution"], "institution", ["annual_report"],
     "功能选择：您本人不具有“企业信息采集管理”，无权授权。"),
])
def test_002_3_4_province_refuses_what_it_does_not_issue(
        app: Any, world: dict[str, Any], org: str, roles: list[str], cls: str,
        modules: list[str], message: str) -> None:
    response = login(app, "ln_prov").post("/system/users/add", data=_new(
        world, "ln_refused", org, roles, cls, modules))
    assert response.status_code == 200 and message in response.text
    assert _user(app, "ln_refused") is None


def test_002_3_4_province_manages_only_the_accounts_it_issues(app: Any,
                                                              world: dict[str, Any]) -> None:
    prov = login(app, "ln_prov")
    prov.post("/system/users/add", data=_new(world, "ln_leaver", HOSP2, ["institution"],
                                             "institution"))
    leaver = _user(app, "ln_leaver")
    assert prov.post(f"/system/users/deactivate/{leaver.id}").status_code == 302
    assert not _user(app, "ln_leaver").active
    assert prov.post(f"/system/users/activate/{leaver.id}").status_code == 302
    assert _user(app, "ln_leaver").active
    # a provincial regulator, a system administrator, Sichuan's accounts: as if missing
    for name in ("ln_reg", "ln_sys", "sc_hosp", "sc_city"):
        other = _user(app, name)
        assert prov.get(f"/system/users/edit/{other.id}").status_code == 404
        assert prov.post(f"/system/users/deactivate/{other.id}").status_code == 404
        assert _user(app, name).active
    # an account it issued cannot be raised above what it issues
    response = prov.post(f"/system/users/edit/{leaver.id}", data={
        "username": "ln_leaver", "first_name": "王五", "org": str(world["orgs"]["210000"]),
        "user_class": "regulator", "roles": ["province"]})
    assert response.status_code == 200 and "您无权授予角色“省级”。" in response.text
    assert [r.name for r in _user(app, "ln_leaver").roles] == ["institution"]


def test_002_3_5_national_office_issues_the_provinces_accounts(app: Any,
                                                              world: dict[str, Any]) -> None:
    lcb = login(app, "lcb")
    page = lcb.get("/system/users/list/").text
    assert _listed(page, "ln_prov", "sc_prov", "ln_city", "ln_hosp1", "nmpa") == [
        "ln_prov", "sc_prov"]
    response = lcb.post("/system/users/add", data=_new(world, "sc_prov_new", "510000",
                                                       ["province"], "regulator"))
    assert response.status_code == 302, flashes(response.text)[-600:]
    assert [r.name for r in _user(app, "sc_prov_new").roles] == ["province"]
    refused = lcb.post("/system/users/add", data=_new(world, "sc_city_new", "510100",
                                                      ["city"], "regulator"))
    assert "您无权授予角色“地市级”。" in refused.text and _user(app, "sc_city_new") is None
    new = _user(app, "sc_prov_new")
    assert lcb.post(f"/system/users/deactivate/{new.id}").status_code == 302
    assert not _user(app, "sc_prov_new").active


@pytest.mark.parametrize("username", ["ln_city", "ln_county", "ln_hosp1"])
def test_002_3_1_cities_counties_and_institutions_issue_no_accounts(app: Any,
                                                                    username: str) -> None:
    client = login(app, username)
    assert client.get("/system/users/list/").status_code == 403
    assert client.post("/system/users/add", data={"username": "x"}).status_code == 403


def test_000_4_2_4_deactivate_is_a_button_on_the_users_row(app: Any,
                                                           world: dict[str, Any]) -> None:
    """注销 sits on the row of each account the administrator manages and asks first; after
    it the row offers 启用 and the account can no longer sign in."""
    prov = login(app, "ln_prov")
    prov.post("/system/users/add", data=_new(world, "ln_row_off", HOSP2, ["institution"],
                                             "institution"))
    leaver = _user(app, "ln_row_off")
    page = prov.get("/system/users/list/").text
    deactivate = f'action="/system/users/deactivate/{leaver.id}"'
    assert deactivate in page
    form = page.split(deactivate)[1].split("</form>")[0]
    assert "确定注销用户" in form and "ln_row_off" in form  # the confirmation it asks
    assert f'/system/users/deactivate/{_user(app, "ln_reg").id}"' not in page  # not its own
    assert prov.post(f"/system/users/deactivate/{leaver.id}").status_code == 302
    page = prov.get("/system/users/list/").text
    assert f'action="/system/users/activate/{leaver.id}"' in page and deactivate not in page
    assert not _user(app, "ln_row_off").active
