"""Telling the subscribers: a job (`notice_publish`) that a publish submits, never the
request itself. One INSERT … SELECT writes the message into the inbox of every active person
who subscribed to the notice's category and whose organisation lies in its range; people who
already have a message of this notice get none (publishing again after 撤回 doubles nothing,
and a new subscriber in range is told)."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_babel import lazy_gettext
from sqlalchemy import exists, select

from app.context import generated
from app.jobs import jobs
from app.jobs.kinds import Context, Kind, register
from app.messages.inbox import Draft, post_select
from app.messages.models import Message
from app.notices.models import PUBLISHED, Notice, NoticeSubscription
from app.security.models import AppUser, Organisation
from app.security.scope import within
from generator.spec import Notices

KIND = "notice_publish"
MESSAGE_KIND = "notice"


def recipients(notice: Any) -> Any:
    """SELECT of the user ids the notice's publish tells."""
    told = exists().where(Message.user_id == AppUser.id, Message.kind == MESSAGE_KIND,
                          Message.record_id == notice.id)
    return (select(AppUser.id)
            .join(NoticeSubscription, NoticeSubscription.user_id == AppUser.id)
            .join(Organisation, Organisation.id == AppUser.org_id)
            .where(NoticeSubscription.category == notice.category,
                   AppUser.active.is_(True), within(Organisation.path, notice.range_path),
                   ~told))


def message(board: Notices, notice: Any, link: str) -> Draft:
    category = board.category(notice.category)
    label = category.label.zh if category is not None else notice.category
    return Draft(MESSAGE_KIND, f"{board.label.zh}：{label}", notice.title,
                 record_id=notice.id, link=link)


def fan_out(session: Any, board: Notices, notice_id: int, link: str,
            channels: tuple[str, ...] = ()) -> int:
    """The messages of one published notice (in the caller's transaction); how many people
    were told. A notice withdrawn before the job ran tells nobody."""
    notice = session.get(Notice, notice_id)
    if notice is None or notice.state != PUBLISHED:
        return 0
    return post_select(session, message(board, notice, link), recipients(notice), channels)


def _run(ctx: Context) -> None:
    board = generated().spec.notices
    if board is None:
        return
    channels = tuple(current_app.config.get("ADMIN_MESSAGE_CHANNELS", ()))
    told = fan_out(ctx.session, board, int(ctx.params["notice"]), str(ctx.params["link"]),
                   channels)
    ctx.progress(told)


def submit(session: Any, notice: Any, user_id: int | None, link: str) -> None:
    """Queue the fan-out of a publish (commits the session: the publish and its job go
    together). One job per publish; a double click publishes once already (the guarded
    UPDATE of the state), so the job needs no key (a key of the second would make 撤回 and
    发布 again within a second lose the second publish)."""
    jobs(current_app).submit(session, KIND, {"notice": notice.id, "link": link}, user_id)


register(Kind(KIND, lazy_gettext("Notice messages"), _run))
