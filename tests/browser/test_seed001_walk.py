"""Seed 001 §2-§3 in a real browser, on the demo data, in Chinese: the legal person of
四川蜀康药业 meets "补充企业信息后方可办理具体业务" (§2.2(6)), fills 企业信息, and the module
opens; it grants its 经办人 a module on 子用户授权 (§2.3.2); the 经办人 fills an 出口药品档案:
新增, 修改, 删除 a draft, 提交, and once submitted it can no longer be deleted, only changed
through 变更 (§3)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from app.demo.data import UNIT
from tests.browser.conftest import shot
from tests.browser.demo_server import serve, sign_in, submit

pytestmark = pytest.mark.browser
DOSSIERS = "/export_dossier/export_dossier/list/"


@pytest.fixture(scope="module")
def server(tmp_path_factory: Any) -> Iterator[dict[str, Any]]:
    yield from serve(tmp_path_factory.mktemp("walk001"))


def _row(page: Any, text: str) -> Any:
    return page.locator("table tbody tr", has_text=text).first


def _select2(page: Any, field: str, text: str) -> None:
    page.locator(f"#{field} + .select2 .select2-selection").click()
    page.locator("li.select2-results__option", has_text=text).first.click()


def _dossiers(server: dict[str, Any]) -> dict[str, str]:
    app = server["app"]
    model = app.extensions["admin"].models["export_dossier.ExportDossier"]
    with app.app_context():
        session = app.appbuilder.session
        session.expire_all()
        return {d.product_name: d.state for d in session.execute(
            select(model).where(model.org.has(code=UNIT["sc_maker"].code))).scalars()}


def _fill_dossier(page: Any, name: str) -> None:
    page.fill("input[name=product_name]", name)
    _select2(page, "dosage_form", "片剂")
    page.fill("input[name=spec]", "0.25g")
    page.fill("input[name=destination]", "越南")
    page.fill("input[name=importer]", "Saigon Pharma JSC")
    page.fill("input[name=quantity]", "120000")
    page.fill("input[name=amount]", "36.50")


def test_001_2_2_the_module_opens_once_the_enterprise_information_is_complete(
        server: Any, page: Any) -> None:
    url = server["url"]
    sign_in(page, url, "sc_legal")
    page.goto(f"{url}{DOSSIERS}")
    assert "/basic/enterprise_info/add" in page.url
    assert "请先在“基础数据 → 企业信息”中补充企业信息后再办理出口药品档案业务。" in page.content()
    shot(page, "001-2-2-gate")
    page.fill("input[name=name]", "四川蜀康药业有限公司")
    page.fill("input[name=uscc]", UNIT["sc_maker"].code)
    _select2(page, "kind", "境内药品生产企业")
    page.fill("input[name=legal_person]", "蒋涛")
    page.fill("input[name=contact]", "冯雪")
    page.fill("input[name=mobile]", "13908001501")
    page.fill("textarea[name=address]", "四川省成都市锦江区工业园区 8 号")
    submit(page, page.locator("form:not(.admin-search) [type=submit]", has_text="保存"))
    page.goto(f"{url}{DOSSIERS}")
    assert DOSSIERS in page.url
    assert "请先在" not in page.content()


def test_001_2_3_2_the_legal_person_grants_its_agent_a_module(server: Any, page: Any) -> None:
    from app.security.models import AppUser

    url = server["url"]
    sign_in(page, url, "sc_legal")
    page.goto(f"{url}/system/users/list/")
    assert "sc_agent" in page.content() and "ln_agent" not in page.content()
    submit(page, _row(page, "sc_agent").locator("a[href*='/system/users/edit/']"))
    # 年度报告 besides 出口药品档案
    page.get_by_role("checkbox", name="企业信息采集管理", exact=True).check()
    shot(page, "001-2-3-2-delegate")
    submit(page, page.locator("form:not(.admin-search) [type=submit]", has_text="保存"))
    app = server["app"]
    with app.app_context():
        session = app.appbuilder.session
        session.expire_all()
        agent = session.execute(select(AppUser).where(AppUser.username == "sc_agent")).scalar_one()
        assert set(agent.modules.split(",")) == {"export_dossier", "annual_report"}
    sign_in(page, url, "sc_agent")
    page.goto(f"{url}/annual_report/annual_report/list/")
    assert "/annual_report/annual_report/list/" in page.url


def test_001_3_the_agent_adds_edits_deletes_submits_and_requests_a_change(server: Any,
                                                                        page: Any) -> None:
    url = server["url"]
    sign_in(page, url, "sc_agent")
    page.goto(f"{url}{DOSSIERS}")
    submit(page, page.locator("a[href*='/export_dossier/export_dossier/add']").first)
    _fill_dossier(page, "阿莫西林胶囊")
    shot(page, "001-3-add")
    submit(page, page.locator("form:not(.admin-search) [type=submit]", has_text="保存"))
    assert _dossiers(server) == {"阿莫西林胶囊": "draft"}

    # 修改 the draft
    page.goto(f"{url}{DOSSIERS}")
    edit = "a[href*='/export_dossier/export_dossier/edit/']"
    submit(page, _row(page, "阿莫西林胶囊").locator(edit))
    page.fill("input[name=destination]", "越南、老挝")
    submit(page, page.locator("form:not(.admin-search) [type=submit]", has_text="保存"))

    # 删除 a second draft
    page.goto(f"{url}/export_dossier/export_dossier/add")
    _fill_dossier(page, "头孢氨苄片")
    submit(page, page.locator("form:not(.admin-search) [type=submit]", has_text="保存"))
    page.goto(f"{url}{DOSSIERS}")
    _row(page, "头孢氨苄片").locator("a[id*='/export_dossier/export_dossier/delete/']").click()
    submit(page, page.locator("#modal-confirm-ok"))
    assert _dossiers(server) == {"阿莫西林胶囊": "draft"}

    # 提交: then no 删除 and no 编辑 on that row, only 变更
    page.goto(f"{url}{DOSSIERS}")
    _row(page, "阿莫西林胶囊").locator("button.row-transition", has_text="提交").click()
    dialog = page.locator("#row-transition-modal")
    dialog.wait_for(state="visible")
    submit(page, dialog.locator("button.row-transition-ok"))
    assert _dossiers(server) == {"阿莫西林胶囊": "submitted"}
    page.goto(f"{url}{DOSSIERS}")
    row = _row(page, "阿莫西林胶囊")
    assert row.locator("a[id*='/delete/']").count() == 0
    assert row.locator("a[href*='/edit/']").count() == 0
    shot(page, "001-3-submitted")
    submit(page, row.locator("a[href*='/export_dossier/export_dossier/show/']"))
    assert "变更" in page.content()
