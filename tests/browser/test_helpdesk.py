"""帮助中心 in a real browser on the demo data (seed 003 ch. 3, 7-10): a visitor opens the
floating 帮助中心 entry on the login page and reads 服务热线; 孙浩然 (bj_person) types a question
into 咨询, reads the closest 常见问题 and sends it as a 咨询记录; 北京京康医药's legal person
files a 工单 with a screenshot; 周晓东 (bj_admin) accepts and replies to it; the enterprise
reads the reply on the ticket and in 消息中心."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from app.demo.helpdesk import _png
from tests.browser.conftest import shot
from tests.browser.demo_server import serve, sign_in, submit

pytestmark = pytest.mark.browser
QUESTION = "密码忘了怎么找回"
REPLY = "已修复提交按钮的问题，请刷新页面后重新提交。"


@pytest.fixture(scope="module")
def server(tmp_path_factory: Any) -> Iterator[dict[str, Any]]:
    yield from serve(tmp_path_factory.mktemp("helpdesk"))


def row_of(server: dict[str, Any], name: str, **where: Any) -> Any:
    app = server["app"]
    with app.app_context():
        session = app.appbuilder.session
        session.expire_all()
        return session.query(app.extensions["admin"].models[name]).filter_by(**where).one()


def test_the_help_centre_on_the_screens(server: dict[str, Any], page: Any,
                                        tmp_path: Any) -> None:
    url = server["url"]
    page.goto(f"{url}/logout/")
    page.goto(f"{url}/login/")
    submit(page, page.locator("a.help-float"))
    assert page.url.endswith("/helpcenter/")
    assert "数字证书驱动安装包" in page.inner_text(".help-center-downloads")
    shot(page, "helpdesk-01-help-centre-anonymous")
    submit(page, page.locator("a.help-center-page", has_text="服务热线"))
    body = page.inner_text(".content-body")
    assert "400-900-1866" in body and "010-50950474" in body
    shot(page, "helpdesk-02-hotline")

    sign_in(page, url, "bj_person")
    page.goto(f"{url}/helpcenter/")
    submit(page, page.locator("a.help-center-consult"))
    page.fill("textarea[name=q]", QUESTION)
    submit(page, page.locator("button.consult-search"))
    hits = page.locator(".consult-hit")
    assert 1 <= hits.count() <= 5
    assert "忘记登录密码怎么办" in hits.first.inner_text()
    shot(page, "helpdesk-03-consult")
    submit(page, page.locator("button.consult-submit"))
    assert QUESTION in page.inner_text(".admin-page")
    shot(page, "helpdesk-04-consultation-sent")
    assert row_of(server, "bj_help.Consultation", question=QUESTION).state == "asked"

    sign_in(page, url, "bj_legal")
    page.goto(f"{url}/bj_help/ticket/add")
    assert "只受理系统相关问题" in page.inner_text("#model_form")
    page.fill("input[name=title]", "年度报告提交按钮无响应")
    page.fill("textarea[name=description]", "点击“提交”后没有反应，换浏览器也一样。")
    page.fill("input[name=contact]", "13901105101")
    page.fill("input[name=email]", "linxiao@jingkang.example.cn")
    shot_file = tmp_path / "截图.png"
    shot_file.write_bytes(_png())
    page.set_input_files("input[name=screenshot]", str(shot_file))
    shot(page, "helpdesk-05-ticket-form")
    submit(page, page.locator("#model_form [type=submit]"))
    ticket = row_of(server, "bj_help.Ticket", title="年度报告提交按钮无响应")
    assert ticket.state == "submitted"

    sign_in(page, url, "bj_admin")
    page.goto(f"{url}/bj_help/ticket/show/{ticket.id}")
    page.locator(".record-transitions button.row-transition", has_text="受理").click()
    dialog = page.locator("#row-transition-modal")
    dialog.wait_for(state="visible")
    submit(page, dialog.locator("button.row-transition-ok"))
    page.goto(f"{url}/bj_help/ticket/edit/{ticket.id}")
    page.fill("textarea[name=reply]", REPLY)
    submit(page, page.locator("#model_form [type=submit]"))
    page.goto(f"{url}/bj_help/ticket/show/{ticket.id}")
    page.locator(".record-transitions button.row-transition", has_text="回复").click()
    dialog.wait_for(state="visible")
    submit(page, dialog.locator("button.row-transition-ok"))
    shot(page, "helpdesk-06-ticket-replied")
    assert row_of(server, "bj_help.Ticket", id=ticket.id).state == "replied"

    sign_in(page, url, "bj_legal")
    page.goto(f"{url}/bj_help/ticket/show/{ticket.id}")
    assert REPLY in page.inner_text(".admin-page")
    shot(page, "helpdesk-07-reply-seen")
    page.goto(f"{url}/messages/")
    assert "年度报告提交按钮无响应" in page.inner_text(".admin-page")
    shot(page, "helpdesk-08-messages")
