"""意见反馈: what users send the administrators. Kept as sent; nothing changes or deletes it."""

from __future__ import annotations

import datetime as dt

from flask_appbuilder import Model
from sqlalchemy import DateTime, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.security.models import PathString

CATEGORIES = ("question", "problem", "suggestion")


class Feedback(Model):
    __tablename__ = "help_feedback"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False, default=dt.datetime.now,
                                            index=True)
    user_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    username: Mapped[str | None] = mapped_column(String(256), nullable=True)
    org_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    # the sender's organisation path: administrators read the feedback of their region
    org_path: Mapped[str | None] = mapped_column(PathString, nullable=True, index=True)
    category: Mapped[str] = mapped_column(String(16), nullable=False)  # one of CATEGORIES
    module: Mapped[str | None] = mapped_column(String(64), nullable=True)  # a module key
    content: Mapped[str] = mapped_column(Text, nullable=False)
    contact: Mapped[str | None] = mapped_column(String(100), nullable=True)
