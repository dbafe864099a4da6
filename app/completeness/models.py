"""催报 sent: one row per unit, period and day, so a unit is reminded at most once a day."""

from __future__ import annotations

import datetime as dt

from flask_appbuilder import Model
from sqlalchemy import Date, DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column


class Reminder(Model):
    __tablename__ = "msg_reminder"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entity: Mapped[str] = mapped_column(String(120), nullable=False)  # qualified entity name
    period: Mapped[str] = mapped_column(String(64), nullable=False)  # the period, as text
    org_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("org_organisation.id", ondelete="CASCADE"), nullable=False)
    day: Mapped[dt.date] = mapped_column(Date, nullable=False)
    sent_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False, default=dt.datetime.now)
    # who sent it (None: the schedule's reminder before a window closes)
    user_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("ab_user.id"), nullable=True)
    __table_args__ = (UniqueConstraint("entity", "period", "org_id", "day",
                                       name="uq_msg_reminder_once_a_day"),)
