"""Writing and reading the inbox. Messages are written set-based (one INSERT for many
people) in the caller's transaction; deliveries beyond the inbox are queued beside them for
the channels the configuration names (ADMIN_MESSAGE_CHANNELS), never sent from here."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, insert, literal, select, update

from app.messages.models import Delivery, Message


@dataclass(frozen=True)
class Draft:
    """One message before it has readers."""

    kind: str
    title: str
    body: str = ""
    entity: str | None = None
    record_id: int | None = None
    link: str | None = None


def post(session: Any, draft: Draft, user_ids: Iterable[int],
         channels: Sequence[str] = ()) -> int:
    """The message in the inbox of every user of `user_ids` (each once), and a pending
    delivery per channel. Returns how many people got it."""
    users = sorted(set(user_ids))
    if not users:
        return 0
    values = _values(draft)
    session.execute(insert(Message), [{"user_id": u, **values} for u in users])
    queue_deliveries(session, values["sending"], channels)
    return len(users)


def post_select(session: Any, draft: Draft, users: Any, channels: Sequence[str] = ()) -> int:
    """The message for every user id the SELECT `users` yields, in one INSERT … SELECT (a
    notice to a whole country's institutions). Returns how many people got it."""
    values = _values(draft)
    ids = users.subquery()
    source = select(ids.c[0], *[literal(v, getattr(Message, k).type)
                                for k, v in values.items()]).distinct()
    session.execute(insert(Message).from_select(("user_id", *values), source))
    queue_deliveries(session, values["sending"], channels)
    # (the drivers' rowcount of an INSERT … SELECT is not dependable: -1 on some)
    return int(session.execute(select(func.count()).select_from(Message).where(
        Message.sending == values["sending"])).scalar_one())


def _values(draft: Draft) -> dict[str, Any]:
    return {"kind": draft.kind, "title": draft.title[:200], "body": draft.body,
            "entity": draft.entity, "record_id": draft.record_id, "link": draft.link,
            "created_at": dt.datetime.now(), "sending": uuid.uuid4().hex}


def queue_deliveries(session: Any, sending: str, channels: Sequence[str]) -> None:
    """A pending delivery per channel for each message written together as `sending`."""
    for channel in channels:
        source = select(Message.id, literal(channel, Delivery.channel.type),
                        literal("pending", Delivery.status.type),
                        literal(0, Delivery.attempts.type)).where(Message.sending == sending)
        session.execute(insert(Delivery).from_select(
            ("message_id", "channel", "status", "attempts"), source))


def unread(session: Any, user_id: int) -> int:
    return int(session.execute(select(func.count()).select_from(Message).where(
        Message.user_id == user_id, Message.read_at.is_(None))).scalar_one())


def page(session: Any, user_id: int, only_unread: bool, number: int, size: int
         ) -> tuple[list[Message], bool]:
    """The person's messages, newest first; and whether there is a next page."""
    query = select(Message).where(Message.user_id == user_id)
    if only_unread:
        query = query.where(Message.read_at.is_(None))
    rows = session.execute(query.order_by(Message.id.desc()).offset((number - 1) * size)
                           .limit(size + 1)).scalars().all()
    return list(rows[:size]), len(rows) > size


def mark_read(session: Any, user_id: int, message_id: int | None = None) -> int:
    """One message, or all of the person's unread ones, read now."""
    query = update(Message).where(Message.user_id == user_id, Message.read_at.is_(None))
    if message_id is not None:
        query = query.where(Message.id == message_id)
    return int(session.execute(query.values(read_at=dt.datetime.now())).rowcount or 0)
