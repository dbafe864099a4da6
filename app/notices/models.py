"""通知公告's tables: the notices, and who subscribed to which category."""

from __future__ import annotations

import datetime as dt

from flask_appbuilder import Model
from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.security.models import Organisation, PathString

DRAFT, PUBLISHED, UNPUBLISHED = "draft", "published", "unpublished"
STATES = (DRAFT, PUBLISHED, UNPUBLISHED)


class Notice(Model):
    __tablename__ = "ntc_notice"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    category: Mapped[str] = mapped_column(String(32), nullable=False)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False, default="")  # cleaned HTML
    # the range: 全国 or a province (and below); its path decides who reads it
    range_org_id: Mapped[int] = mapped_column(Integer, ForeignKey("org_organisation.id"),
                                              nullable=False)
    range_path: Mapped[str] = mapped_column(PathString, nullable=False)
    state: Mapped[str] = mapped_column(String(16), nullable=False, default=DRAFT)
    published_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False,
                                                    default=dt.datetime.now)
    created_by_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("ab_user.id", ondelete="SET NULL"), nullable=True)
    # one attachment in the upload store (a generated key; the name the user gave it)
    attachment_key: Mapped[str | None] = mapped_column(String(80), nullable=True)
    attachment_name: Mapped[str | None] = mapped_column(String(255), nullable=True)
    attachment_size: Mapped[int | None] = mapped_column(Integer, nullable=True)
    range_org = relationship(Organisation, lazy="joined")
    # readers' lists: the published ones of their ranges, newest first
    __table_args__ = (Index("ix_ntc_notice_state_range", "state", "range_path",
                            "published_at"),)


class NoticeSubscription(Model):
    """One row per person and category they subscribed to (订阅设置)."""

    __tablename__ = "ntc_subscription"
    user_id: Mapped[int] = mapped_column(Integer, ForeignKey("ab_user.id", ondelete="CASCADE"),
                                         primary_key=True)
    category: Mapped[str] = mapped_column(String(32), primary_key=True)
    # the fan-out of a publish reads the subscribers of one category
    __table_args__ = (Index("ix_ntc_subscription_category", "category", "user_id"),)
