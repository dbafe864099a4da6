"""Delivery beyond the inbox: one small interface, `Channel.send(message, user)`, raising
`Undeliverable` for a person the channel cannot reach and any other error for a failure worth
trying again. `deliver` sends the pending deliveries (msg_delivery) outside the request — the
`deliver_messages` scheduled action, or `flask messages deliver`.

- `email`: SMTP (ADMIN_SMTP_HOST, ADMIN_SMTP_PORT, ADMIN_SMTP_FROM, optional ADMIN_SMTP_USER
  and ADMIN_SMTP_PASSWORD, ADMIN_SMTP_TLS for STARTTLS) to the account's e-mail address;
- `sms`: the hook point for an SMS gateway, ADMIN_SMS_GATEWAY: the dotted path of a function
  `send(user, text)` (docs/hooks.md); without one, SMS deliveries stay pending.
"""

from __future__ import annotations

import datetime as dt
import smtplib
from email.message import EmailMessage
from email.utils import formataddr
from importlib import import_module
from typing import Any, Protocol

from sqlalchemy import select

from app.messages.models import Delivery, Message
from app.security.models import AppUser

ATTEMPTS = 5  # then the delivery is marked failed
BATCH = 500  # deliveries read at a time


class Undeliverable(Exception):
    """This person cannot be reached through the channel (no address): not tried again."""


class Channel(Protocol):
    def send(self, message: Message, user: Any) -> None: ...


class EmailChannel:
    def __init__(self, config: Any):
        self.host = config.get("ADMIN_SMTP_HOST") or "localhost"
        self.port = int(config.get("ADMIN_SMTP_PORT") or 25)
        self.sender = config.get("ADMIN_SMTP_FROM") or "noreply@localhost"
        self.login = config.get("ADMIN_SMTP_USER")
        self.password = config.get("ADMIN_SMTP_PASSWORD")
        self.tls = bool(config.get("ADMIN_SMTP_TLS"))
        self.app_name = str(config.get("APP_NAME") or "")

    def send(self, message: Message, user: Any) -> None:
        address = (getattr(user, "email", "") or "").strip()
        if "@" not in address:
            raise Undeliverable("no e-mail address")
        mail = EmailMessage()
        mail["Subject"] = message.title
        mail["From"] = formataddr((self.app_name, self.sender)) if self.app_name else self.sender
        mail["To"] = address
        mail.set_content(message.body or message.title)
        with smtplib.SMTP(self.host, self.port, timeout=30) as smtp:
            if self.tls:
                smtp.starttls()
            if self.login:
                smtp.login(self.login, self.password or "")
            smtp.send_message(mail)


class SmsChannel:
    """The SMS gateway's hook: `send(user, text)`, named by ADMIN_SMS_GATEWAY."""

    def __init__(self, config: Any):
        path = config.get("ADMIN_SMS_GATEWAY") or ""
        self.gateway = None
        if path:
            module, _, name = path.rpartition(".")
            self.gateway = getattr(import_module(module), name)

    def send(self, message: Message, user: Any) -> None:
        if self.gateway is None:
            raise RuntimeError("ADMIN_SMS_GATEWAY is not set")
        self.gateway(user, f"{message.title}：{message.body}" if message.body else message.title)


def channels(config: Any) -> dict[str, Channel]:
    return {"email": EmailChannel(config), "sms": SmsChannel(config)}


def deliver(session: Any, config: Any, limit: int = 10_000) -> dict[str, int]:
    """Send up to `limit` pending deliveries; each outcome recorded on its row (the caller
    commits). Returns the counts of sent, failed and retried."""
    known = channels(config)
    counts = {"sent": 0, "failed": 0, "retry": 0}
    done = 0
    last = 0
    while done < limit:
        rows = session.execute(
            select(Delivery, Message, AppUser)
            .join(Message, Message.id == Delivery.message_id)
            .join(AppUser, AppUser.id == Message.user_id)
            .where(Delivery.status == "pending", Delivery.id > last)
            .order_by(Delivery.id).limit(min(BATCH, limit - done))).all()
        if not rows:
            break
        for delivery, message, user in rows:
            last = delivery.id
            done += 1
            channel = known.get(delivery.channel)
            delivery.attempts += 1
            try:
                if channel is None:
                    raise Undeliverable(f"unknown channel {delivery.channel}")
                channel.send(message, user)
            except Undeliverable as exc:
                delivery.status, delivery.error = "failed", str(exc)[:500]
                counts["failed"] += 1
            except Exception as exc:  # noqa: BLE001 - a gateway's failure: tried again later
                delivery.error = str(exc)[:500]
                if delivery.attempts >= ATTEMPTS:
                    delivery.status = "failed"
                    counts["failed"] += 1
                else:
                    counts["retry"] += 1
            else:
                delivery.status, delivery.sent_at = "sent", dt.datetime.now()
                counts["sent"] += 1
        session.flush()
    return counts
