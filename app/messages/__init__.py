"""消息中心: every signed-in person's inbox (app/messages/inbox.py), the unread count in the
top bar, the list with read and unread, 全部标为已读, and the way to the record a message is
about — opened only when it is in the reader's range today."""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_babel import gettext as _
from sqlalchemy import select

from app.context import db_session, generated
from app.forms import endpoint_for
from app.messages import inbox
from app.messages.models import Message
from app.security.scope import scope_condition

PAGE = 30


def _signed_in() -> bool:
    user = getattr(g, "user", None)
    return user is not None and bool(getattr(user, "is_authenticated", False))


def unread_count() -> int:
    """For the top bar: the signed-in person's unread messages (0 when signed out)."""
    if not _signed_in():
        return 0
    return inbox.unread(db_session(), g.user.id)


def reachable(message: Message, user: Any) -> str | None:
    """The address the message leads to, when the reader may open it; None otherwise."""
    if message.link:
        return message.link
    if not message.entity:
        return None
    admin = generated()
    try:
        entity = admin.spec.entity(message.entity)
    except KeyError:
        return None
    if message.record_id is None:  # about many rows: their list (in the reader's range)
        return url_for(f"{endpoint_for(entity)}.list")
    model = admin.models[entity.qualified]
    query = select(model.id).where(model.id == message.record_id)
    condition = scope_condition(entity, model, user)
    if condition is not None:
        query = query.where(condition)
    if db_session().execute(query).scalar() is None:
        return None
    return url_for(f"{endpoint_for(entity)}.show", pk=message.record_id)


class MessageView(BaseView):
    """/messages/: the inbox of the signed-in person (nobody reads another's)."""

    route_base = "/messages"
    default_view = "index"

    @expose("/")
    def index(self) -> Any:
        if not _signed_in():
            return redirect(self.appbuilder.get_url_for_login)
        only_unread = request.args.get("unread") == "1"
        number = max(1, request.args.get("page", 1, type=int))
        rows, more = inbox.page(db_session(), g.user.id, only_unread, number, PAGE)
        return self.render_template(
            "admin/messages.html", title=_("Messages"), rows=rows, page=number, more=more,
            only_unread=only_unread, unread=inbox.unread(db_session(), g.user.id))

    @expose("/<int:pk>")
    def open(self, pk: int) -> Any:
        if not _signed_in():
            return redirect(self.appbuilder.get_url_for_login)
        session = db_session()
        message = session.execute(select(Message).where(
            Message.id == pk, Message.user_id == g.user.id)).scalar()
        if message is None:
            flash(_("This message does not exist."), "warning")
            return redirect(url_for(".index"))
        inbox.mark_read(session, g.user.id, pk)
        session.commit()
        target = reachable(message, g.user)
        if target is None:
            if message.entity:
                flash(_("The record of this message is no longer within your range."),
                      "warning")
            return redirect(url_for(".index"))
        return redirect(target)

    @expose("/read", methods=["POST"])
    def read_all(self) -> Any:
        if not _signed_in():
            return redirect(self.appbuilder.get_url_for_login)
        session = db_session()
        done = inbox.mark_read(session, g.user.id)
        session.commit()
        flash(_("%(count)s messages marked as read.", count=done), "success")
        return redirect(url_for(".index"))


def init_app(appbuilder: Any) -> None:
    appbuilder.add_view_no_menu(MessageView)
    current_app.jinja_env.globals["unread_messages"] = unread_count  # the top bar's count
