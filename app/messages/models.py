"""The inbox (消息中心) and its outbox: one row per message and person, one row per delivery
beyond the inbox (e-mail, SMS) that a job sends later."""

from __future__ import annotations

import datetime as dt

from flask_appbuilder import Model
from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

# workflow (a transition moved a record), notice (通知公告), reminder (催报, windows closing)
KINDS = ("workflow", "notice", "reminder")


class Message(Model):
    __tablename__ = "msg_message"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(Integer, ForeignKey("ab_user.id", ondelete="CASCADE"),
                                         nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False,
                                                    default=dt.datetime.now)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False, default="")
    # the record it is about (opened through its show page, in the reader's range) …
    entity: Mapped[str | None] = mapped_column(String(120), nullable=True)
    record_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # … or a page of the application (a list with its filters), as a path
    link: Mapped[str | None] = mapped_column(String(500), nullable=True)
    read_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    # the messages written together (one event to many people): their deliveries are queued
    # by one INSERT … SELECT
    sending: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    # the unread count of the top bar and the inbox's newest-first pages
    __table_args__ = (Index("ix_msg_message_user_read", "user_id", "read_at"),
                      Index("ix_msg_message_user_id", "user_id", "id"))


class Delivery(Model):
    """A message to send through a channel (app/messages/channels.py): written in the
    transaction that wrote the message, sent by `deliver` outside the request."""

    __tablename__ = "msg_delivery"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("msg_message.id", ondelete="CASCADE"), nullable=False, index=True)
    channel: Mapped[str] = mapped_column(String(16), nullable=False)  # email | sms
    # pending -> sent | failed (after MESSAGE_ATTEMPTS tries)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="pending",
                                        index=True)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    error: Mapped[str | None] = mapped_column(String(500), nullable=True)
