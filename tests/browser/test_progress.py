"""办理进度 in a real browser on the demo data (seed 003 ch. 4): 钱家豪 (bj_legal) opens it from
the sidebar, finds one application by its 核对码 typed in small letters, withdraws the one
awaiting acceptance (撤回) and asks to withdraw one in handling (申请撤回), typing the reason
into the dialog; 韩雪 (bj_reg) refuses it on its detail page with the reason, and the
enterprise sees it 在办 again."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.conftest import shot
from tests.browser.demo_server import serve, sign_in, submit

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory: Any) -> Iterator[dict[str, Any]]:
    yield from serve(tmp_path_factory.mktemp("progress"))


def state_of(server: dict[str, Any], name: str, code: str) -> str:
    app = server["app"]
    with app.app_context():
        session = app.appbuilder.session
        session.expire_all()
        row = session.query(app.extensions["admin"].models[name]).filter_by(code=code).one()
        return str(row.state)


def dialog_ok(page: Any, reason: str | None = None) -> None:
    dialog = page.locator("#row-transition-modal")
    dialog.wait_for(state="visible")
    if reason is not None:
        dialog.locator("textarea[name=reason]").fill(reason)
    submit(page, dialog.locator("button.row-transition-ok"))


def test_the_enterprise_follows_and_withdraws_its_applications(server: dict[str, Any],
                                                               page: Any) -> None:
    url = server["url"]
    sign_in(page, url, "bj_legal")
    shot(page, "progress-01-workbench")
    assert "在办申请(6)" in page.locator(".workbench-progress").inner_text()
    assert page.locator("a[href='/progress/']").count() >= 1  # the sidebar's 业务申报 → 办理进度
    submit(page, page.locator(".workbench-progress .progress-open"))
    assert page.url.startswith(f"{url}/progress/")
    shot(page, "progress-02-open")
    assert page.locator(".progress-tab-open").inner_text() == "在办申请(6)"
    assert page.locator("tr.progress-row").count() == 6
    # the 核对码 typed in small letters finds exactly that application
    page.fill("#progress_code", "qema9hpk")
    submit(page, page.locator(".progress-submit"))
    assert page.locator("tr.progress-row").count() == 1
    assert page.locator(".progress-state").inner_text() == "申请撤回"
    submit(page, page.locator(".progress-reset"))
    # 撤回 before acceptance
    row = page.locator('tr[data-code="XAJA5XE9"]')
    row.locator("button", has_text="撤回").click()
    dialog_ok(page)
    assert "/progress/" in page.url
    assert "在办申请(5)" in page.locator(".progress-tabs").inner_text()
    assert state_of(server, "bj_filing.PsychotropicPlan", "XAJA5XE9") == "withdrawn"
    # 申请撤回 after acceptance, with the reason
    page.locator('tr[data-code="NK9QAWX6"] button', has_text="申请撤回").click()
    page.locator("#row-transition-modal").wait_for(state="visible")
    shot(page, "progress-03-ask-withdraw")
    dialog_ok(page, "变更方案需重新评估，拟补充研究资料后再行沟通。")
    assert state_of(server, "bj_filing.ChangeConsultation", "NK9QAWX6") == "withdraw_asked"
    assert page.locator('tr[data-code="NK9QAWX6"] .progress-state').inner_text() == "申请撤回"
    assert page.locator('tr[data-code="NK9QAWX6"] button').count() == 0
    submit(page, page.locator(".progress-tab-history a"))
    shot(page, "progress-04-history")
    assert page.locator("tr.progress-row").count() == 5


def test_the_regulator_refuses_a_withdrawal_with_the_reason(server: dict[str, Any],
                                                            page: Any) -> None:
    url = server["url"]
    sign_in(page, url, "bj_reg")
    page.goto(f"{url}/bj_filing/change_consultation/list/?_flt_0_code=qema9hpk")
    shot(page, "progress-05-regulator-list")
    submit(page, page.locator("a[href*='/show/']").first)
    page.locator(".record-transitions button.row-transition", has_text="不同意撤回").click()
    dialog_ok(page, "沟通会议已安排，请按期参会后再办理。")
    assert state_of(server, "bj_filing.ChangeConsultation", "QEMA9HPK") == "handling"
    sign_in(page, url, "bj_legal")
    page.goto(f"{url}/progress/?code=QEMA9HPK")
    shot(page, "progress-06-refused")
    assert page.locator(".progress-state").inner_text() == "在办"
    assert page.locator("tr.progress-row button").inner_text() == "申请撤回"


def test_a_new_application_is_filed_followed_and_withdrawn(server: dict[str, Any],
                                                           page: Any) -> None:
    """钱家豪 files a 药品上市后变更沟通 on its form; 办理进度 lists it 待受理 under a new 核对码,
    and he withdraws it there."""
    url = server["url"]
    sign_in(page, url, "bj_legal")
    page.goto(f"{url}/bj_filing/change_consultation/add")
    page.fill("input[name=product_name]", "板蓝根颗粒")
    page.fill("input[name=approval]", "国药准字Z11020355")
    page.select_option("select[name=change_class]", label="微小变更")
    page.fill("input[name=subject]", "变更包装规格")
    page.fill("textarea[name=content]", "拟增加 10g×20袋 包装规格，请问按微小变更备案是否可行？")
    page.fill("input[name=contact]", "钱家豪")
    page.fill("input[name=mobile]", "13911112222")
    submit(page, page.locator("#model_form [type=submit]"))
    assert "404" not in page.title()
    app = server["app"]
    with app.app_context():
        session = app.appbuilder.session
        session.expire_all()
        model = app.extensions["admin"].models["bj_filing.ChangeConsultation"]
        filed = session.query(model).filter_by(product_name="板蓝根颗粒").one()
        code, state = filed.code, filed.state
    assert state == "pending" and len(code) == 8
    page.goto(f"{url}/progress/")
    row = page.locator(f'tr[data-code="{code}"]')
    assert row.locator(".progress-state").inner_text() == "待受理"
    assert "板蓝根颗粒" in row.inner_text() and "药品上市后变更沟通" in row.inner_text()
    shot(page, "progress-07-filed")
    row.locator("button", has_text="撤回").click()
    dialog_ok(page)
    assert state_of(server, "bj_filing.ChangeConsultation", code) == "withdrawn"
    submit(page, page.locator(".progress-tab-history a"))
    assert page.locator(f'tr[data-code="{code}"] .progress-state').inner_text() == "已撤回"
