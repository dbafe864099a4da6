"""补充身份证号 (seed 003 ch. 10.2): an account holding one of `registration.id_no_roles` in
the registration's provinces, without a 身份证号, reaches only this page (and 退出, 修改密码)
until it gives one, instead of failing somewhere in the middle of business. The REST API
answers 403 with the same sentence."""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, jsonify, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, ValidationError

from app.context import db_session, generated, security
from app.security.models import NATIONAL_CODE
from generator.identifiers import MSG_ID_CARD, is_id_card, normalize_code

EXEMPT_VIEWS = {"IdNumberView", "LocaleView", "OidcView", "RegisterView"}


def needs_id_no(user: Any) -> bool:
    spec = generated().spec.registration
    if spec is None or not spec.id_no_roles or getattr(user, "id_no", None):
        return False
    org = getattr(user, "org", None)
    if org is None or not any(org.path.startswith(f"/{NATIONAL_CODE}/{code}/")
                              for code in spec.regions):
        return False
    return any(role.name in spec.id_no_roles for role in user.roles)


def message() -> str:
    return _("Please give the ID card number of the person using this account before you "
             "continue: business on this platform is done in a person's name.")


class IdNumberForm(FlaskForm):
    id_no = StringField(lazy_gettext("ID card number"), validators=[DataRequired()])

    def validate_id_no(self, field: Any) -> None:
        field.data = normalize_code(field.data or "")
        if not is_id_card(field.data):
            raise ValidationError(_(MSG_ID_CARD))


class IdNumberView(BaseView):
    route_base = "/account/id-number"
    default_view = "form"

    @expose("/", methods=["GET", "POST"])
    def form(self) -> Any:
        if not getattr(current_user, "is_authenticated", False):
            return redirect(security().appbuilder.get_url_for_login)
        form = IdNumberForm()
        if form.validate_on_submit():
            user = current_user._get_current_object()  # type: ignore[attr-defined]
            user.id_no = form.id_no.data
            db_session().commit()
            flash(_("The ID card number was saved."), "success")
            return redirect(security().appbuilder.get_url_for_index)
        return self.render_template("admin/id_number.html", title=_("Complete your ID card "
                                                                     "number"),
                                    form=form, reason=message())


def guard() -> Any:
    endpoint = request.endpoint
    if endpoint is None or endpoint == "static" or endpoint.endswith(".static"):
        return None
    if not getattr(current_user, "is_authenticated", False):
        return None
    view = endpoint.partition(".")[0]
    sm = security()
    if view in EXEMPT_VIEWS or view in {sm.auth_view.endpoint, sm.resetmypasswordview.__name__}:
        return None
    if not needs_id_no(current_user):
        return None
    if request.path.startswith("/api/"):
        return jsonify(message=message()), 403
    return redirect(url_for("IdNumberView.form"))


def init_app(appbuilder: Any) -> None:
    appbuilder.add_view_no_menu(IdNumberView)
    current_app.before_request(guard)
