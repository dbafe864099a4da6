"""系统管理 → 注册审核: the system administrator of a province decides the applications of its
region (a national one: all). 通过 creates the unit under the chosen division and the legal
person's account with the password the applicant chose, and tells the applicant in 消息中心
(and the channels of `ADMIN_MESSAGE_CHANNELS`); 不予通过 needs a reason, which the applicant
reads on 查询注册进度. Each decision is one guarded UPDATE … WHERE state = 'pending': of two
administrators deciding at once, one wins and the other is told it was decided already."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import abort, current_app, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from sqlalchemy import func, select, update

from app.context import db_session, generated, security
from app.identity.models import APPROVED, PENDING, REFUSED, Registration
from app.messages.inbox import Draft, post
from app.security import user_audit
from app.security.models import AppUser
from app.security.orgs import OrgError, add_org
from app.security.scope import current, is_admin, within
from generator.permissions import REGISTRATION_MENU, REGISTRATION_VIEW, SYSTEM_CATEGORY, right

PAGE = 20


class Refused(Exception):
    """Why a decision cannot be made, in the reader's language."""


def in_range(user: Any) -> Any:
    """Condition on Registration: the applications the administrator decides."""
    if is_admin(user) or (user.org is not None and user.org.level == "national"):
        return None
    if user.org is None:
        return Registration.id.is_(None)
    return within(Registration.region_path, user.org.path)


def _query(user: Any) -> Any:
    query = select(Registration)
    condition = in_range(user)
    return query if condition is None else query.where(condition)


def _claim(session: Any, item: Registration, state: str, user: Any, reason: str | None) -> None:
    done = session.execute(update(Registration).where(
        Registration.id == item.id, Registration.state == PENDING).values(
        state=state, decided_at=dt.datetime.now(), decided_by_id=user.id, reason=reason))
    if done.rowcount != 1:
        session.rollback()
        raise Refused(_("This application was decided already."))


def approve(session: Any, item: Registration, user: Any) -> AppUser:
    """The unit, the account and the message, in one transaction with the decision."""
    spec = generated().spec.registration
    assert spec is not None  # the view is registered only with `registration:`
    sm = security()
    _claim(session, item, APPROVED, user, None)
    if session.execute(select(AppUser.id).where(AppUser.username == item.username)).first():
        session.rollback()
        raise Refused(_("The user name %(name)s was taken meanwhile; refuse the application "
                        "and ask for another one.", name=item.username))
    try:
        org = add_org(session, item.uscc, item.name, "unit", item.region.code, spec.kind)
    except OrgError:
        session.rollback()
        raise Refused(_("An organisation with the credit code %(code)s exists already; "
                        "refuse the application.", code=item.uscc)) from None
    role = sm.find_role(spec.role)
    account = sm.add_user(item.username, item.legal_person, "",
                          item.email or f"{item.username}@registration.invalid", role,
                          hashed_password=item.password_hash, commit=False)
    if not account:
        session.rollback()
        raise Refused(_("The account could not be created; please try again."))
    account.org = org
    account.user_class = generated().spec.role(spec.role).user_class
    account.id_no = item.id_no
    account.must_change_password = False  # the applicant chose the password
    session.flush()
    user_audit.record_created(session, account)  # 审计日志: who approved it, as for 用户管理
    item.org_id, item.user_id = org.id, account.id
    channels = tuple(current_app.config.get("ADMIN_MESSAGE_CHANNELS", ()))
    post(session, Draft(kind="account", title=_("Your registration was approved"),
                        body=_("The account %(username)s of %(name)s can be used now; sign in "
                               "with the password you chose when registering.",
                               username=item.username, name=item.name)),
         [account.id], channels)
    session.commit()
    return account


def refuse(session: Any, item: Registration, user: Any, reason: str) -> None:
    if not reason.strip():
        raise Refused(_("Please give the reason the application is not approved."))
    _claim(session, item, REFUSED, user, reason.strip()[:1000])
    session.commit()


class RegistrationReviewView(BaseView):
    route_base = "/system/registrations"
    class_permission_name = REGISTRATION_VIEW
    base_permissions = [right("list"), right("edit")]
    method_permission_name = {"list": "list", "show": "list", "decide": "edit"}
    default_view = "list"

    def _item(self, pk: int) -> Registration:
        item = db_session().execute(_query(current()).where(Registration.id == pk)
                                    ).scalar_one_or_none()
        if item is None:
            abort(404)
        return item

    @expose("/")
    @has_access
    def list(self) -> Any:
        state = request.args.get("state", PENDING)
        if state not in (PENDING, APPROVED, REFUSED, "all"):
            state = PENDING
        page = max(1, request.args.get("page", 1, type=int) or 1)
        query = _query(current())
        if state != "all":
            query = query.where(Registration.state == state)
        session = db_session()
        total = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
        rows = session.execute(query.order_by(Registration.id.desc()).offset(
            (page - 1) * PAGE).limit(PAGE)).scalars().all()
        return self.render_template("admin/registrations.html", title=_("Registration review"),
                                    rows=rows, state=state, page=page, total=total, size=PAGE)

    @expose("/<int:pk>")
    @has_access
    def show(self, pk: int) -> Any:
        return self.render_template(
            "admin/registration_show.html", title=_("Registration review"), item=self._item(pk),
            may_decide=security().has_access(right("edit"), REGISTRATION_VIEW),
            reason=request.args.get("reason", ""))

    @expose("/<int:pk>/decide", methods=["POST"])
    @has_access
    def decide(self, pk: int) -> Any:
        item = self._item(pk)
        session = db_session()
        reason = request.form.get("reason", "")
        try:
            if request.form.get("decision") == "approve":
                account = approve(session, item, current())
                flash(_("Approved: the enterprise %(name)s and its account %(username)s were "
                        "created.", name=item.name, username=account.username), "success")
            else:
                refuse(session, item, current(), reason)
                flash(_("Not approved; the applicant reads the reason when looking up the "
                        "application."), "info")
        except Refused as exc:
            flash(str(exc), "danger")
            return redirect(url_for(".show", pk=pk, reason=reason))
        return redirect(url_for(".list"))


def init_app(appbuilder: Any) -> None:
    if generated().spec.registration is None:
        return
    appbuilder.add_view(RegistrationReviewView, REGISTRATION_MENU,
                        label=lazy_gettext("Registration review"), category=SYSTEM_CATEGORY,
                        icon="fa-user-plus")
