"""消息中心 on the demo world: the county's return of a row reaches the institution's inbox
with the reason, the regulator's return of an annual report reaches whoever submitted it,
the top bar counts the unread, a message opens its record (in the reader's range only) and
全部标为已读 empties the count (SQLite and PostgreSQL)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select

from app.demo.data import OPEN_BATCH
from app.demo.flows import REPORT_RETURN_REASON, RETURN_REASON
from tests.app.test_workbench import sign_in
from tests.conftest import dispose
from tests.demo_world import demo_app


@pytest.fixture(scope="module")
def demo(database_url: str, tmp_path_factory: Any) -> Any:
    app = demo_app(database_url, tmp_path_factory.mktemp("files"),
                   ADMIN_PASSWORD_POLICY={"captcha": False})
    yield app
    dispose(app)


def messages_of(app: Any, username: str) -> list[Any]:
    from app.messages.models import Message
    from app.security.models import AppUser

    with app.app_context():
        session = app.appbuilder.session
        user = session.execute(select(AppUser).filter_by(username=username)).scalar_one()
        rows = session.execute(select(Message).where(Message.user_id == user.id)
                               .order_by(Message.id)).scalars().all()
        session.expunge_all()
        return list(rows)


def unread_badge(html: str) -> int:
    found = re.search(r'<span class="badge admin-unread">(\d+)</span>', html)
    return int(found.group(1)) if found else 0


def test_a_row_returned_by_the_county_tells_the_institution_why(demo: Any) -> None:
    told = [m for m in messages_of(demo, "ln_hospital2") if m.kind == "workflow"]
    assert [m.title for m in told] == ["采购需求：审核不通过（退回修改）"]
    body = told[0].body
    assert body.startswith(f"您单位填报的{OPEN_BATCH}品规 11-021（")
    assert "被高静（和平区）退回修改" in body and body.endswith(f"原因：{RETURN_REASON}")
    # the county itself and the other hospital of the county are not told
    assert [m for m in messages_of(demo, "ln_county") if m.kind == "workflow"] == []
    assert [m for m in messages_of(demo, "ln_hospital1") if m.kind == "workflow"] == []


def test_a_returned_annual_report_tells_who_submitted_it(demo: Any) -> None:
    told = [m for m in messages_of(demo, "ln_import") if m.kind == "workflow"]
    assert [m.title for m in told] == ["年度报告采集：退回补正"]
    assert told[0].body.endswith(f"原因：{REPORT_RETURN_REASON}")
    assert messages_of(demo, "sc_import") == []


def test_the_inbox_counts_lists_opens_and_marks_read(demo: Any) -> None:
    client = sign_in(demo, "ln_hospital2")
    home = client.get("/").text
    assert unread_badge(home) == 1
    page = client.get("/messages/").text
    assert "消息中心" in page and "未读" in page and RETURN_REASON in page
    message = next(m for m in messages_of(demo, "ln_hospital2") if m.kind == "workflow")
    # somebody else cannot open it
    other = sign_in(demo, "ln_hospital1")
    assert other.get(f"/messages/{message.id}").headers["Location"] == "/messages/"
    assert next(m for m in messages_of(demo, "ln_hospital2") if m.id == message.id
                ).read_at is None
    opened = client.get(f"/messages/{message.id}")
    assert opened.status_code == 302
    assert opened.headers["Location"] == f"/procurement/demand/show/{message.record_id}"
    assert client.get(opened.headers["Location"]).status_code == 200
    assert unread_badge(client.get("/messages/").text) == 0


def test_mark_all_read(demo: Any) -> None:
    client = sign_in(demo, "ln_import")
    assert unread_badge(client.get("/messages/?unread=1").text) == 1
    page = client.get("/messages/").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    done = client.post("/messages/read", data={"csrf_token": token}, follow_redirects=True)
    assert "1 条消息已标为已读" in done.text
    assert unread_badge(done.text) == 0
    assert all(m.read_at is not None for m in messages_of(demo, "ln_import"))
