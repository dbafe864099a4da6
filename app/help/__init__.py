"""帮助文档 and 意见反馈 (seed 000 §7.3 and §8, seed 001 §4).

- Each module whose YAML names a `manual` offers it for download (a PDF made from the text
  file, app/help/manual_pdf.py) on its pages (`links`, shown above every list, form and
  detail page of the module) and on 帮助文档 (`/help/`), to the users who reach the module.
- 意见反馈 (`/help/feedback`): every signed-in user sends a question, a problem or a
  suggestion; it is kept (app/help/models.py), written to the audit trail, and listed for
  the system administrators on 系统管理 → 意见反馈 (those of a province: the feedback of their
  province's users).
"""

from __future__ import annotations

import io
from typing import Any

from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.forms import DynamicForm
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from markupsafe import Markup
from sqlalchemy import select
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from app.audit import trail
from app.context import db_session, generated
from app.help.manual_pdf import render as manual_pdf
from app.help.models import CATEGORIES, Feedback
from app.labels import current_locale
from app.security.duties import FEEDBACK_MENU, FEEDBACK_VIEW
from app.security.headers import send_attachment
from app.security.scope import is_admin, within
from app.security.user_rules import held_modules
from generator.spec import Entity, Module

PAGE = 50
CATEGORY_LABELS = {"question": lazy_gettext("Question"), "problem": lazy_gettext("Problem"),
                   "suggestion": lazy_gettext("Suggestion")}


def _signed_in() -> bool:
    user = getattr(g, "user", None)
    return user is not None and bool(getattr(user, "is_authenticated", False))


def manuals(user: Any) -> list[Module]:
    """The modules the user reaches that have a manual."""
    return [m for m in held_modules(user) if m.manual]


def module_of(entity: Entity) -> Module | None:
    return next((m for m in generated().spec.modules if m.key == entity.module), None)


def links(entity: Entity) -> Markup | None:
    """帮助文档 and 意见反馈, on the pages of the entity's module."""
    module = module_of(entity)
    if module is None or not _signed_in():
        return None
    parts = []
    if module.manual and module in manuals(g.user):
        parts.append(Markup('<a class="help-manual" href="{}"><i class="fa fa-book"></i> {}</a>'
                            ).format(url_for("HelpView.manual", module=module.key),
                                     _("Help document (%(module)s manual, PDF)",
                                       module=module.label.get(current_locale()))))
    parts.append(Markup('<a class="help-feedback" href="{}"><i class="fa fa-comment-o"></i> {}'
                        '</a>').format(url_for("HelpView.feedback", module=module.key),
                                       _("Feedback")))
    return Markup('<div class="help-links text-right small" style="margin-bottom: 6px">{}'
                  '</div>').format(Markup('<span class="window-sep"> ｜ </span>').join(parts))


class FeedbackForm(DynamicForm):
    category = SelectField(lazy_gettext("Category"), validators=[DataRequired()],
                           choices=[(c, CATEGORY_LABELS[c]) for c in CATEGORIES])
    module = SelectField(lazy_gettext("Module"), validate_choice=True, choices=[])
    content = TextAreaField(lazy_gettext("Content"),
                            validators=[DataRequired(), Length(max=2000)])
    contact = StringField(lazy_gettext("Contact (telephone or e-mail)"),
                          validators=[Length(max=100)])

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        # only the modules the sender reaches (an enterprise never sees 集采需求报量)
        self.module.choices = [("", _("(not about one module)"))] + [
            (m.key, m.label.get(current_locale())) for m in held_modules(g.user)]


class HelpView(BaseView):
    """帮助文档 and the 意见反馈 form: for every signed-in user."""

    route_base = "/help"
    default_view = "index"

    @expose("/")
    def index(self) -> Any:
        if not _signed_in():
            return redirect(self.appbuilder.get_url_for_login)
        shown = [(m.key, _("%(module)s operation manual", module=m.label.get(current_locale())))
                 for m in manuals(g.user)]
        return self.render_template("admin/help.html", title=_("Help documents"),
                                    manuals=shown)

    @expose("/manual/<module>")
    def manual(self, module: str) -> Any:
        if not _signed_in():
            return redirect(self.appbuilder.get_url_for_login)
        found = next((m for m in manuals(g.user) if m.key == module), None)
        if found is None or found.manual is None:
            abort(404)
        with open(found.manual, encoding="utf-8") as stream:
            text = stream.read()
        title = _("%(module)s operation manual", module=found.label.get(current_locale()))
        return send_attachment(io.BytesIO(manual_pdf(text, title)), f"{title}.pdf",
                               "application/pdf")

    @expose("/feedback", methods=["GET", "POST"])
    def feedback(self) -> Any:
        if not _signed_in():
            return redirect(self.appbuilder.get_url_for_login)
        form = FeedbackForm()
        if request.method == "GET":
            form.module.data = request.args.get("module", "")
        if request.method == "POST" and form.validate():
            user, session = g.user, db_session()
            org = getattr(user, "org", None)
            item = Feedback(user_id=user.id, username=user.username,
                            org_name=getattr(org, "name", None),
                            org_path=getattr(org, "path", None),
                            category=form.category.data, module=form.module.data or None,
                            content=form.content.data.strip(),
                            contact=(form.contact.data or "").strip() or None)
            session.add(item)
            session.flush()
            session.add(trail.entry("feedback", record_id=item.id, user=user, changes={
                "category": [None, str(CATEGORY_LABELS[item.category])],
                "content": [None, item.content]}))
            session.commit()
            flash(_("Thank you: your feedback has been sent to the administrators."), "success")
            return redirect(url_for(".index"))
        return self.render_template("admin/feedback.html", title=_("Feedback"), form=form)


class FeedbackListView(BaseView):
    """系统管理 → 意见反馈: the feedback of the users of the administrator's region."""

    route_base = "/system/feedback"
    class_permission_name = FEEDBACK_VIEW
    method_permission_name = {"list": "list"}
    base_permissions = ["can_list"]
    default_view = "list"

    @expose("/")
    @has_access
    def list(self) -> Any:
        user, session = g.user, db_session()
        query = select(Feedback)
        if not is_admin(user):
            org = getattr(user, "org", None)
            if org is None:
                abort(404)
            query = query.where(within(Feedback.org_path, org.path))
        page = max(1, request.args.get("page", 1, type=int))
        rows = session.execute(query.order_by(Feedback.id.desc()).offset((page - 1) * PAGE)
                               .limit(PAGE + 1)).scalars().all()
        modules = {m.key: m.label.get(current_locale()) for m in generated().spec.modules}
        return self.render_template(
            "admin/feedback_list.html", title=_("Feedback"), rows=rows[:PAGE], page=page,
            more=len(rows) > PAGE, modules=modules, categories=CATEGORY_LABELS)


def init_app(appbuilder: Any) -> None:
    appbuilder.add_view_no_menu(HelpView)
    appbuilder.add_view(FeedbackListView, FEEDBACK_MENU, label=lazy_gettext("Feedback"),
                        category="system_admin", icon="fa-comments-o")
