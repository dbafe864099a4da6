"""通知公告 (the `notices:` of a module, seed 003 ch. 2): notices by category with a cleaned
rich text body and one attachment, published for 全国 or a province by the publishers within
their jurisdiction; readers see those of their range (anonymous visitors too on a public
board), on the 工作台 and in the menu; subscriptions by category bring a message into
消息中心 on publish, written by a job (fanout.py) in one INSERT … SELECT."""

from __future__ import annotations

from typing import Any


def init_app(appbuilder: Any) -> None:
    from app.notices import fanout  # noqa: F401 - registers the job kind
    from app.notices.views import init_app as views_init_app

    views_init_app(appbuilder)
