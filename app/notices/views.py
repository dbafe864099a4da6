"""通知公告 (`/notices/`) and 订阅设置 (`/notices/subscriptions`).

Every door asks app/notices/board.py: the list, the detail, the attachment's download (an
attachment with nosniff), the form and the publish / withdraw / delete buttons, which are
offered exactly when the person manages the notice. A publish commits the new state with
the fan-out's job (app/notices/fanout.py); the request writes no message itself.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from markupsafe import Markup
from sqlalchemy import delete, func, insert, select, update

from app.audit import trail
from app.context import db_session, generated, signed_in
from app.labels import current_locale
from app.notices import board as rules
from app.notices import fanout
from app.notices.forms import NoticeForm, take_upload, unsign
from app.notices.models import DRAFT, PUBLISHED, UNPUBLISHED, Notice, NoticeSubscription
from app.search_filters import like_escape
from app.security.headers import send_attachment
from app.security.models import Organisation

PAGE = 20
STATE_LABELS = {DRAFT: lazy_gettext("Draft"), PUBLISHED: lazy_gettext("Published"),
                UNPUBLISHED: lazy_gettext("Withdrawn")}
GONE = lazy_gettext("This notice does not exist or has been withdrawn.")


def range_label(notice: Any) -> str:
    org = notice.range_org
    return _("Nationwide") if org is None or org.level == "national" else str(org.name)


def category_label(key: str) -> str:
    found = rules.the_board().category(key)
    return found.label.get(current_locale()) if found is not None else key


def body_html(notice: Any) -> Markup:
    """The body, cleaned again as it is drawn (never the stored text as it is)."""
    return Markup(rules.clean(notice.body))  # noqa: S704 - cleaned by nh3 just now


def editor_tools() -> list[dict[str, str]]:
    """The editor's buttons (app/static/admin/notices.js), their tips in the reader's language."""
    return [{"command": "bold", "icon": "fa-bold", "label": _("Bold")},
            {"command": "italic", "icon": "fa-italic", "label": _("Italic")},
            {"command": "underline", "icon": "fa-underline", "label": _("Underline")},
            {"command": "formatBlock", "value": "h3", "icon": "fa-header",
             "label": _("Heading")},
            {"command": "insertOrderedList", "icon": "fa-list-ol", "label": _("Numbered list")},
            {"command": "insertUnorderedList", "icon": "fa-list-ul", "label": _("Bulleted list")},
            {"command": "createLink", "icon": "fa-link", "label": _("Link")}]


def latest(user: Any, limit: int) -> list[Notice]:
    """The newest published notices the person reads (the 工作台's panel)."""
    if rules.board() is None or not rules.may_read(user):
        return []
    query = (select(Notice).where(rules.readable(user))
             .order_by(Notice.published_at.desc(), Notice.id.desc()).limit(limit))
    return list(db_session().execute(query).unique().scalars())


class NoticeView(BaseView):
    route_base = "/notices"
    default_view = "index"

    def _reader(self) -> Any:
        """(user or None) when the person may read; else a redirect to sign in (or 403)."""
        user = signed_in()
        if rules.board() is None:
            abort(404)
        if not rules.may_read(user):
            if user is None:
                return None, redirect(self.appbuilder.get_url_for_login)
            abort(403)
        return user, None

    def _find(self, pk: int, user: Any, managing: bool = False) -> Notice | None:
        condition = rules.managed(user) if managing else rules.visible(user)
        return db_session().execute(select(Notice).where(Notice.id == pk, condition)
                                    ).unique().scalar()

    def _managed(self, pk: int) -> Any:
        """(publisher, notice) for a notice the signed-in publisher manages; otherwise the
        answer to give instead (the login page, or 「已不存在」)."""
        user = self._publisher()
        if user is None:
            return redirect(self.appbuilder.get_url_for_login)
        notice = self._find(pk, user, managing=True)
        return (user, notice) if notice is not None else self._gone()

    def _gone(self) -> Any:
        flash(str(GONE), "warning")
        return redirect(url_for(".index"))

    @expose("/")
    def index(self) -> Any:
        user, away = self._reader()
        if away is not None:
            return away
        board, session = rules.the_board(), db_session()
        category = request.args.get("category") or ""
        words = (request.args.get("q") or "").strip()
        query = select(Notice).where(rules.visible(user))
        if board.category(category) is not None:
            query = query.where(Notice.category == category)
        if words:
            query = query.where(Notice.title.like(f"%{like_escape(words)}%", escape="\\"))
        number = max(1, request.args.get("page", 1, type=int))
        total = session.execute(select(func.count()).select_from(query.subquery())
                                ).scalar_one()
        rows = list(session.execute(
            query.order_by(Notice.published_at.is_(None).desc(), Notice.published_at.desc(),
                           Notice.id.desc()).offset((number - 1) * PAGE).limit(PAGE + 1)
        ).unique().scalars())
        managed = self._managed_ids(user, [r.id for r in rows])
        return self.render_template(
            "admin/notices.html", title=board.label.get(current_locale()), rows=rows[:PAGE],
            more=len(rows) > PAGE, page=number, total=total, category=category, q=words,
            categories=[(c.key, c.label.get(current_locale())) for c in board.categories],
            managed=managed, may_publish=rules.may_publish(user), states=STATE_LABELS,
            range_label=range_label, category_label=category_label)

    def _managed_ids(self, user: Any, ids: list[int]) -> set[int]:
        if not ids or not rules.may_publish(user):
            return set()
        return set(db_session().execute(select(Notice.id).where(
            Notice.id.in_(ids), rules.managed(user))).scalars())

    @expose("/<int:pk>")
    def show(self, pk: int) -> Any:
        user, away = self._reader()
        if away is not None:
            return away
        notice = self._find(pk, user)
        if notice is None:
            return self._gone()
        managing = bool(self._managed_ids(user, [pk]))
        return self.render_template(
            "admin/notice_show.html", title=notice.title, notice=notice,
            body=body_html(notice), managing=managing, states=STATE_LABELS,
            board_label=rules.the_board().label.get(current_locale()),
            range_label=range_label(notice), category=category_label(notice.category))

    @expose("/<int:pk>/attachment")
    def attachment(self, pk: int) -> Any:
        user, away = self._reader()
        if away is not None:
            return away
        notice = self._find(pk, user)
        if notice is None or not notice.attachment_key:
            abort(404)
        stream = generated().storage.open(notice.attachment_key)
        return send_attachment(stream, notice.attachment_name or notice.attachment_key)

    # -- writing ---------------------------------------------------------------------------
    def _publisher(self) -> Any:
        user = signed_in()
        if rules.board() is None:
            abort(404)
        if user is None:
            return None
        if not rules.may_publish(user):
            abort(403)
        return user

    @expose("/add", methods=["GET", "POST"])
    def add(self) -> Any:
        user = self._publisher()
        if user is None:
            return redirect(self.appbuilder.get_url_for_login)
        return self._form(user, None)

    @expose("/<int:pk>/edit", methods=["GET", "POST"])
    def edit(self, pk: int) -> Any:
        found = self._managed(pk)
        if not isinstance(found, tuple):
            return found
        user, notice = found
        return self._form(user, notice)

    def _form(self, user: Any, notice: Notice | None) -> Any:
        session = db_session()
        ranges = rules.ranges(session, user)
        form = NoticeForm(ranges, obj=notice if request.method == "GET" else None)
        if request.method == "GET" and notice is not None:
            form.range_org.data = str(notice.range_org_id)
        kept = unsign(form.kept.data) if request.method == "POST" else None
        if request.method == "POST":
            stored = take_upload(form, user, session)
            kept = unsign(form.kept.data)
            if stored and form.validate():
                return self._save(user, notice, form, kept, ranges)
        current = (kept[1] if kept else notice.attachment_name if notice is not None else None)
        return self.render_template(
            "admin/notice_form.html", form=form, notice=notice, current_file=current,
            tools_json=json.dumps(editor_tools(), ensure_ascii=False),
            title=_("Edit notice") if notice is not None else _("Add notice"),
            attachment=rules.the_board().attachment is not None)

    def _save(self, user: Any, notice: Notice | None, form: NoticeForm,
              kept: tuple[str, str, int] | None, ranges: list[Organisation]) -> Any:
        session = db_session()
        org = next(o for o in ranges if str(o.id) == form.range_org.data)
        created = notice is None
        if notice is None:
            notice = Notice(state=DRAFT, created_by_id=user.id)
            session.add(notice)
        old_key = notice.attachment_key
        notice.title = form.title.data.strip()
        notice.category = form.category.data
        notice.body = rules.clean(form.body.data)
        notice.range_org_id, notice.range_path = org.id, org.path
        if kept is not None:
            notice.attachment_key, notice.attachment_name, notice.attachment_size = kept
        elif form.remove_attachment.data:
            notice.attachment_key = notice.attachment_name = notice.attachment_size = None
        if old_key and old_key != notice.attachment_key:
            generated().storage.delete(old_key)
        session.flush()
        session.add(trail.entry("notice_add" if created else "notice_edit",
                                record_id=notice.id, user=user,
                                changes={"title": [None, notice.title]}))
        session.commit()
        flash(_("The notice has been saved."), "success")
        return redirect(url_for(".show", pk=notice.id))

    @expose("/<int:pk>/publish", methods=["POST"])
    def publish(self, pk: int) -> Any:
        return self._move(pk, PUBLISHED)

    @expose("/<int:pk>/unpublish", methods=["POST"])
    def unpublish(self, pk: int) -> Any:
        return self._move(pk, UNPUBLISHED)

    def _move(self, pk: int, target: str) -> Any:
        found = self._managed(pk)
        if not isinstance(found, tuple):
            return found
        user, notice = found
        session = db_session()
        sources = (DRAFT, UNPUBLISHED) if target == PUBLISHED else (PUBLISHED,)
        values: dict[str, Any] = {"state": target}
        if target == PUBLISHED:
            values["published_at"] = dt.datetime.now().replace(microsecond=0)
        result: Any = session.execute(update(Notice).where(
            Notice.id == pk, Notice.state.in_(sources)).values(**values))
        moved = result.rowcount
        if not moved:  # somebody else moved it first
            session.rollback()
            flash(_("The notice is already %(state)s.", state=STATE_LABELS[target]), "info")
            return redirect(url_for(".show", pk=pk))
        session.add(trail.entry("notice_publish" if target == PUBLISHED else "notice_unpublish",
                                record_id=pk, user=user, changes={"title": [None, notice.title]}))
        if target == PUBLISHED:
            session.refresh(notice)
            fanout.submit(session, notice, user.id, url_for(".show", pk=pk))
            flash(_("The notice has been published; its subscribers are being told."),
                  "success")
        else:
            session.commit()
            flash(_("The notice has been withdrawn."), "success")
        return redirect(url_for(".show", pk=pk))

    @expose("/<int:pk>/delete", methods=["POST"])
    def delete(self, pk: int) -> Any:
        found = self._managed(pk)
        if not isinstance(found, tuple):
            return found
        user, notice = found
        session = db_session()
        if notice.state == PUBLISHED:
            flash(_("A published notice cannot be deleted; withdraw it first."), "warning")
            return redirect(url_for(".show", pk=pk))
        if notice.attachment_key:
            generated().storage.delete(notice.attachment_key)
        session.add(trail.entry("notice_delete", record_id=pk, user=user,
                                changes={"title": [notice.title, None]}))
        session.execute(delete(Notice).where(Notice.id == pk))
        session.commit()
        flash(_("The notice has been deleted."), "success")
        return redirect(url_for(".index"))


class NoticeSubscriptionView(BaseView):
    """订阅设置: the categories the signed-in person is told about."""

    route_base = "/notices/subscriptions"
    default_view = "index"

    @expose("/", methods=["GET", "POST"])
    def index(self) -> Any:
        user = signed_in()
        board = rules.board()
        if board is None:
            abort(404)
        if user is None:
            return redirect(self.appbuilder.get_url_for_login)
        if not rules.may_read(user):
            abort(403)
        session = db_session()
        if request.method == "POST":
            chosen = [c.key for c in board.categories
                      if c.key in request.form.getlist("category")]
            session.execute(delete(NoticeSubscription).where(
                NoticeSubscription.user_id == user.id))
            if chosen:
                session.execute(insert(NoticeSubscription), [
                    {"user_id": user.id, "category": key} for key in chosen])
            session.commit()
            flash(_("Your subscriptions have been saved."), "success")
            return redirect(url_for(".index"))
        mine = set(session.execute(select(NoticeSubscription.category).where(
            NoticeSubscription.user_id == user.id)).scalars())
        locale = current_locale()
        return self.render_template(
            "admin/notice_subscriptions.html", title=_("Subscriptions"),
            categories=[(c.key, c.label.get(locale), c.key in mine) for c in board.categories],
            board_label=board.label.get(locale))


def init_app(appbuilder: Any) -> None:
    if generated().spec.notices is None:
        return
    appbuilder.add_view_no_menu(NoticeView)
    appbuilder.add_view_no_menu(NoticeSubscriptionView)
