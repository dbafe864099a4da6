"""消息中心 on the demo world: the county's return of a row reaches the institution's inbox
with the reason, the regulator's return of an annual report reaches whoever submitted it,
the top bar counts the unread, a message opens its record (in the reader's range only) and
全部标为已读 empties the count; a 催报 queues an e-mail per account of the unit, sent by the
`deliver_messages` action to a real local SMTP server (aiosmtpd), never by the request; and
`remind_window_closing` reminds the units that have not filed a batch whose window closes
within the days asked, once a day (SQLite and PostgreSQL)."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from email import message_from_bytes
from email.header import decode_header, make_header
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from app.demo.data import OPEN_BATCH
from app.demo.flows import REPORT_RETURN_REASON, RETURN_REASON
from tests.app.test_workbench import sign_in
from tests.conftest import dispose
from tests.demo_world import demo_app


class Inbox:
    def __init__(self) -> None:
        self.mails: list[tuple[list[str], bytes]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.mails.append((list(envelope.rcpt_tos), envelope.content))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


@pytest.fixture(scope="module")
def demo(database_url: str, tmp_path_factory: Any, smtp: tuple[Inbox, int]) -> Any:
    app = demo_app(database_url, tmp_path_factory.mktemp("files"),
                   ADMIN_PASSWORD_POLICY={"captcha": False},
                   ADMIN_MESSAGE_CHANNELS=("email",), ADMIN_SMTP_HOST="127.0.0.1",
                   ADMIN_SMTP_PORT=smtp[1], ADMIN_SMTP_FROM="noreply@yaoxian.local")
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
    # the other hospital of the county is not told
    assert [m for m in messages_of(demo, "ln_hospital1") if m.kind == "workflow"] == []


def test_a_report_tells_the_county_that_may_review_it_once_for_the_batch(demo: Any) -> None:
    told = [m for m in messages_of(demo, "ln_county") if m.kind == "workflow"]
    assert [(m.title, m.body, m.record_id) for m in told] == [
        ("采购需求：上报",
         f"沈阳市和平区中医院已上报{OPEN_BATCH}的采购需求，请审核。（共 50 条记录）", None)]
    # not the county of another province, nor the city (its step comes later)
    assert [m for m in messages_of(demo, "sc_county") if m.kind == "workflow"] == []
    assert [m for m in messages_of(demo, "ln_city") if m.kind == "workflow"] == []
    # it opens the county's list of the entity
    opened = sign_in(demo, "ln_county").get(f"/messages/{told[0].id}")
    assert opened.headers["Location"] == "/procurement/demand/list/"


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


# -- delivery beyond the inbox (after the tests above: they send nothing) ------------


def test_a_reminder_is_mailed_by_the_deliver_action(demo: Any, smtp: tuple[Inbox, int]
                                                    ) -> None:
    from app.completeness.remind import remind_units
    from app.jobs.actions import deliver_messages
    from app.messages.models import Delivery
    from app.security.models import AppUser, Organisation

    inbox, _port = smtp
    inbox.mails.clear()  # the server outlives one backend's world
    with demo.test_request_context():
        session = demo.appbuilder.session
        unit = session.execute(select(Organisation).filter_by(name="成都市锦江区中医医院")
                               ).scalar_one()
        sender = session.execute(select(AppUser).filter_by(username="lcb")).scalar_one()
        entity = demo.extensions["admin"].spec.entity("procurement.Demand")
        assert remind_units(session, entity, "1", "第十一批", [unit.id], sender, None) == (1, 0)
        session.commit()
        # the demo's messages (辽宁's report and two returns, the 宁夏 modules' notices) and
        # the reminder, each queued for its reader
        queued = [d.status for d in session.execute(select(Delivery)).scalars()]
        assert set(queued) == {"pending"} and len(queued) >= 4
        assert inbox.mails == []  # nothing is sent by the request itself
        assert deliver_messages(session, {"limit": 100}) == {
            "Messages sent": len(queued), "Messages that could not be sent": 0}
        session.commit()
        assert [d.status for d in session.execute(select(Delivery)).scalars()] == [
            "sent"] * len(queued)
        assert deliver_messages(session, {}) == {
            "Messages sent": 0, "Messages that could not be sent": 0}
    mailed = [to for to, _ in inbox.mails]
    assert len(mailed) == len(queued)
    # 辽宁 and 四川 (the 宁夏 and 北京 modules' demos queue messages of their own)
    seed_000_002 = sorted(to for to in mailed if to[0].startswith(("ln_", "sc_")))
    assert seed_000_002 == [["ln_county@demo.local"], ["ln_hospital2@demo.local"],
                            ["ln_import@demo.local"], ["sc_hospital2@demo.local"]]
    content = next(c for to, c in inbox.mails if to == ["sc_hospital2@demo.local"])
    mail = message_from_bytes(content)
    assert str(make_header(decode_header(mail["Subject"]))) == "催报提醒：采购需求"
    body = mail.get_payload(decode=True).decode(mail.get_content_charset())
    assert body.strip() == "周建民（全国）催报：请尽快完成第十一批的采购需求填报并上报。"


def test_the_reminder_before_the_window_closes(demo: Any) -> None:
    from app.jobs.actions import remind_window_closing
    from app.messages.models import Message
    from app.security.models import AppUser

    with demo.test_request_context():
        session = demo.appbuilder.session
        # the demo's open window closes in 31 days
        assert remind_window_closing(session, {"days": 3}) == {"Units reminded": 0}
        # every hospital but none has filed the whole batch: all four, then nobody today
        assert remind_window_closing(session, {"days": 40}) == {"Units reminded": 4}
        assert remind_window_closing(session, {"days": 40}) == {"Units reminded": 0}
        session.commit()
        user = session.execute(select(AppUser).filter_by(username="ln_hospital1")).scalar_one()
        told = session.execute(select(Message).where(Message.user_id == user.id,
                                                     Message.kind == "reminder")).scalars().all()
        assert [m.body for m in told] == [
            "系统催报：请尽快完成第十一批国家组织药品集中采购的采购需求填报并上报。"]
