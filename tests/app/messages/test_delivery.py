"""Delivery beyond the inbox and the reminder before a window closes, on the demo world
(SQLite and PostgreSQL): a 催报 queues an e-mail per account of the unit, the
`deliver_messages` action sends it to a real local SMTP server (aiosmtpd) and marks it sent;
`remind_window_closing` reminds the units that have not filed a batch whose window closes
within the days asked, once a day."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from email import message_from_bytes
from email.header import decode_header, make_header
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

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
        # the demo's two returns and the reminder, each queued for its reader
        assert [d.status for d in session.execute(select(Delivery)).scalars()] == [
            "pending"] * 3
        assert inbox.mails == []  # nothing is sent by the request itself
        assert deliver_messages(session, {"limit": 100}) == {
            "Messages sent": 3, "Messages that could not be sent": 0}
        session.commit()
        assert [d.status for d in session.execute(select(Delivery)).scalars()] == ["sent"] * 3
        assert deliver_messages(session, {}) == {
            "Messages sent": 0, "Messages that could not be sent": 0}
    assert sorted(to for to, _ in inbox.mails) == [
        ["ln_hospital2@demo.local"], ["ln_import@demo.local"], ["sc_hospital2@demo.local"]]
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
