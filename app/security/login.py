"""Signing in under the password policy (app/hooks/password_policy.py).

- The login page (`AuthDBView`, same endpoint as Flask-AppBuilder's) asks for an offline image
  captcha when the policy says so; its answer lives in the session only as an HMAC keyed by
  the app's secret, and each captcha is good for one try (a used captcha is remembered in the
  rate limiter's storage, Redis when `REDIS_URL` is set, so replaying an old cookie fails).
- Failures all say the same thing (`INVALID_LOGIN`), whether the user is unknown, the password
  wrong or the account locked; `AppSecurityManager.auth_user_db` makes them cost the same.
- The REST login (`/api/v1/security/login`, always registered by Flask-AppBuilder) answers in
  Chinese, is rate-limited like the page and refuses accounts that must change their password.
- `guard` runs before every request: a cookie whose server-side session has ended (退出, a
  password change, 注销, an administrator: app/security/sessions.py) signs out with a
  Chinese message; idle sessions end after `idle_minutes`; a user who must change the
  password (first sign-in, after an administrator's reset, or expired) reaches only the
  change-password form until it is changed.
- The REST login's tokens name their own session row (claim `sid`): they stop working when
  it ends, like the cookie; refreshed tokens keep the claim.
- An administrator's reset (`ResetPasswordView`) and the add form of Flask-AppBuilder's own
  user list (`UserDBModelView`) check the policy too. The views keep FAB's class names, so
  their endpoints and permissions are unchanged.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from typing import Any

from flask import (
    Response,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    request,
    session,
    url_for,
)
from flask_appbuilder.api import safe
from flask_appbuilder.fieldwidgets import BS3PasswordFieldWidget
from flask_appbuilder.security import views as fab_views
from flask_appbuilder.security.api import SecurityApi as FabSecurityApi
from flask_appbuilder.security.decorators import no_cache
from flask_appbuilder.security.forms import LoginForm_db, ResetPasswordForm
from flask_appbuilder.security.schemas import login_post
from flask_appbuilder.utils.base import get_safe_redirect
from flask_appbuilder.views import expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from flask_jwt_extended import (
    create_access_token,
    create_refresh_token,
    get_jwt,
    get_jwt_identity,
    jwt_required,
)
from flask_login import current_user, login_user, logout_user
from marshmallow import ValidationError as SchemaValidationError
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, ValidationError

from app.context import appbuilder, security
from app.errors import MESSAGES
from app.security import sessions, user_display
from app.system import settings

INVALID_LOGIN = lazy_gettext("Wrong user name or password, or the account is locked; "
                             "please try again later.")
WRONG_CAPTCHA = lazy_gettext("The verification code is wrong or has expired; "
                             "please enter the new one.")
IDLE_SIGNED_OUT = lazy_gettext("You were signed out after %(minutes)s minutes without "
                               "activity; please sign in again.")
EXPIRES_SOON = lazy_gettext("Your password expires in %(days)s days; please change it soon.")
CHANGE_ON_THE_PAGE = lazy_gettext("You must change your password on the web page before "
                                  "you can use the API.")
SESSION_ENDED = lazy_gettext("Your session has ended (signed out, password changed, account "
                             "deactivated or ended by an administrator); please sign in again.")
TOKEN_EXPIRED = lazy_gettext("The access token has expired; please sign in again.")

CAPTCHA_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L
CAPTCHA_LENGTH = 4
CAPTCHA_SECONDS = 300
SESSION_CAPTCHA = "_captcha"
SESSION_SEEN = "_seen"
SESSION_USERNAME = "_login_username"


def sm() -> Any:
    return security()


# --- captcha -------------------------------------------------------------------------------


def auth_store() -> Any:
    """A key-value store every worker shares when `RATELIMIT_STORAGE_URI` is Redis."""
    store = current_app.extensions.get("auth_store")
    if store is None:
        from limits.storage import storage_from_string

        store = storage_from_string(current_app.config.get("RATELIMIT_STORAGE_URI")
                                    or "memory://")
        current_app.extensions["auth_store"] = store
    return store


def _digest(nonce: str, answer: str) -> str:
    key = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(key, f"{nonce}:{answer.strip().upper()}".encode(), hashlib.sha256).hexdigest()


def captcha_answer() -> str:
    fixed = current_app.config.get("ADMIN_CAPTCHA_FIXED")
    if fixed and current_app.config.get("TESTING"):  # tests only: never honoured otherwise
        return str(fixed)
    return "".join(secrets.choice(CAPTCHA_ALPHABET) for _ in range(CAPTCHA_LENGTH))


def new_captcha() -> bytes:
    """A PNG of a new captcha; its answer replaces the previous one in the session."""
    from captcha.image import ImageCaptcha

    answer = captcha_answer()
    nonce = secrets.token_urlsafe(12)
    session[SESSION_CAPTCHA] = {"n": nonce, "h": _digest(nonce, answer),
                                "t": int(time.time()) + CAPTCHA_SECONDS}
    return ImageCaptcha(width=160, height=60).generate(answer).getvalue()


def captcha_passed(answer: str | None) -> bool:
    """One try per captcha, whatever the outcome."""
    issued = session.pop(SESSION_CAPTCHA, None)
    if not issued or not answer or issued.get("t", 0) < time.time():
        return False
    if auth_store().incr(f"captcha-used/{issued['n']}", CAPTCHA_SECONDS + 60) != 1:
        return False
    return hmac.compare_digest(issued["h"], _digest(issued["n"], answer))


# --- the login page ------------------------------------------------------------------------


class LoginForm(LoginForm_db):
    captcha = StringField(lazy_gettext("Verification code"))


def change_password_url() -> str:
    return url_for(f"{sm().resetmypasswordview.__name__}.this_form_get")


def signed_in(user: Any) -> Any:
    """After a successful sign-in: the idle clock starts; a forced change or a reminder."""
    session[SESSION_SEEN] = int(time.time())
    reason = sm().password_change_reason(user)
    if reason:
        flash(reason, "warning")
        return change_password_url()
    days = sm().password_days_left(user)
    if days is not None and days <= settings.value("password_remind_days"):
        flash(str(EXPIRES_SOON) % {"days": days}, "info")
    return None


class AuthDBView(fab_views.AuthDBView):
    """FAB's database login page with the captcha, lockout and the forced change."""

    invalid_login_message = INVALID_LOGIN

    @expose("/login/", methods=["GET", "POST"])
    @no_cache
    def login(self) -> Any:
        if g.user is not None and g.user.is_authenticated:
            return redirect(self._get_safe_next_url())
        policy = sm().password_policy
        form = LoginForm()
        if form.validate_on_submit():
            next_url = get_safe_redirect(request.args.get("next", ""))
            again = self.appbuilder.get_url_for_login_with(next_url)
            if policy.captcha and not captcha_passed(form.captcha.data):
                session[SESSION_USERNAME] = form.username.data[:100]
                # in the 登录日志 as 验证码错误 (the password was not even checked)
                sm().sign_in_refused(form.username.data,
                                     sm().find_user(username=form.username.data), "captcha")
                flash(str(WRONG_CAPTCHA), "warning")
                return redirect(again)
            user = sm().auth_user_db(form.username.data, form.password.data)
            if not user:
                session[SESSION_USERNAME] = form.username.data[:100]
                flash(str(INVALID_LOGIN), "warning")
                return redirect(again)
            session.pop(SESSION_USERNAME, None)
            login_user(user, remember=False)
            return redirect(signed_in(user) or next_url)
        if request.method == "GET" and not form.username.data:
            form.username.data = session.pop(SESSION_USERNAME, None)
        return self.render_template(self.login_template, title=self.title, form=form,
                                    appbuilder=self.appbuilder, captcha=policy.captcha)

    @expose("/login/captcha.png")
    @no_cache
    def captcha(self) -> Any:
        if not sm().password_policy.captcha:
            return Response(status=404)
        return Response(new_captcha(), mimetype="image/png")


# --- the REST login ------------------------------------------------------------------------


class SecurityApi(FabSecurityApi):
    """FAB's REST login, answering in Chinese and refusing accounts that must change their
    password first (there is no captcha here: the rate limit and the lockout guard it)."""

    @expose("/login", methods=["POST"])
    @safe
    def login(self) -> Response:
        if not request.is_json:
            return self.response_400(message=_("The request could not be understood."))
        try:
            payload = login_post.load(request.json)
        except SchemaValidationError as error:
            return self.response_400(message=error.messages)
        user = None
        if payload["provider"] == "db":
            user = sm().auth_user_db(payload["username"], payload["password"])
        if not user:
            return self.response(401, message=str(INVALID_LOGIN))
        if sm().password_change_reason(user):
            return self.response(403, message=str(CHANGE_ON_THE_PAGE))
        # a session row of its own, named by the tokens: ending it revokes them
        claims = {sessions.CLAIM: sessions.start(sm().session, user, sessions.API)}
        tokens = {"access_token": create_access_token(identity=str(user.id), fresh=True,
                                                      additional_claims=claims)}
        if payload.get("refresh"):
            tokens["refresh_token"] = create_refresh_token(identity=str(user.id),
                                                           additional_claims=claims)
        return self.response(200, **tokens)

    @expose("/refresh", methods=["POST"])
    @jwt_required(refresh=True)
    @safe
    def refresh(self) -> Response:
        """FAB's refresh, keeping the session the refresh token was issued for."""
        claims = {sessions.CLAIM: get_jwt().get(sessions.CLAIM)}
        token = create_access_token(identity=get_jwt_identity(), fresh=False,
                                    additional_claims=claims)
        return self.response(200, access_token=token)


def install_jwt_messages(jwt_manager: Any) -> None:
    """flask_jwt_extended's refusals in the reader's language, in FAB's `message` key."""

    def refused(message: Any) -> Any:
        return jsonify(message=str(message)), 401

    jwt_manager.user_lookup_error_loader(lambda _header, _data: refused(SESSION_ENDED))
    jwt_manager.expired_token_loader(lambda _header, _data: refused(TOKEN_EXPIRED))
    jwt_manager.invalid_token_loader(lambda _reason: refused(MESSAGES[401]))
    jwt_manager.unauthorized_loader(lambda _reason: refused(MESSAGES[401]))


# --- every request -------------------------------------------------------------------------


def _exempt_from_change(endpoint: str | None) -> bool:
    if endpoint is None or endpoint == "static" or endpoint.endswith(".static"):
        return True
    view, _dot, _method = endpoint.partition(".")
    return view in {sm().auth_view.endpoint, sm().resetmypasswordview.__name__, "LocaleView"}


def _sign_out(message: str) -> Any:
    logout_user()  # ends the session row unless it has ended already (sessions._signed_out)
    session.pop(SESSION_SEEN, None)
    if request.path.startswith("/api/"):
        return jsonify(message=message), 401
    flash(message, "warning")
    return redirect(appbuilder().get_url_for_login_with(request.full_path))


def guard() -> Any:
    """Ended sessions, idle timeout and forced password change, for users signed in through
    the page."""
    endpoint = request.endpoint
    if endpoint is None or endpoint == "static" or endpoint.endswith(".static"):
        return None
    if not getattr(current_user, "is_authenticated", False):
        if session.get("_user_id") is not None:  # the cookie's session ended (or its user)
            if endpoint == f"{SecurityApi.__name__}.login":
                logout_user()  # a script with an old cookie signing in again
                return None
            return _sign_out(str(SESSION_ENDED))
        return None
    policy = sm().password_policy
    now = int(time.time())
    seen = session.get(SESSION_SEEN)
    if seen is not None and now - int(seen) > policy.idle_minutes * 60:
        sessions.end_current(sessions.IDLE)
        return _sign_out(str(IDLE_SIGNED_OUT) % {"minutes": policy.idle_minutes})
    session[SESSION_SEEN] = now
    if _exempt_from_change(endpoint):
        return None
    reason = sm().password_change_reason(current_user)
    if reason:
        if request.path.startswith("/api/"):
            return jsonify(message=reason), 403
        flash(reason, "warning")
        return redirect(change_password_url())
    return None


# --- administrators setting passwords ------------------------------------------------------


def password_description() -> str:
    return sm().password_rules_text()


class PolicyValidator:
    """WTForms validator: every broken rule of the policy, in Chinese, on the field.

    `username_field`: the form field holding the user name (forms that create a user);
    otherwise `user()` gives the account whose password is set (history is checked then)."""

    def __init__(self, username_field: str | None = None, user: Any = None):
        self.username_field = username_field
        self.user = user

    def __call__(self, form: Any, field: Any) -> None:
        user = self.user() if self.user is not None else None
        username = None
        if self.username_field is not None:
            username = (getattr(form, self.username_field).data or "").strip()
        problems = sm().password_problems(field.data or "", user=user, username=username)
        if problems:
            field.errors.extend(problems[:-1])
            raise ValidationError(problems[-1])


def _reset_target() -> Any:
    pk = request.args.get("pk")
    user = sm().get_user_by_id(pk) if pk and str(pk).isdigit() else None
    return user


class AdminResetPasswordForm(ResetPasswordForm):
    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.password.description = password_description()

    def validate_password(self, field: Any) -> None:
        PolicyValidator(user=_reset_target)(self, field)


class ResetPasswordView(fab_views.ResetPasswordView):
    """An administrator sets a user's password: the policy applies, and the user must change
    it at the next sign-in (seed 002)."""

    form = AdminResetPasswordForm

    def form_get(self, form: Any) -> None:
        if _reset_target() is None:
            abort(404)

    def form_post(self, form: Any) -> None:
        user = _reset_target()
        if user is None:
            abort(404)
        sm().reset_password(user.id, form.password.data)
        flash(str(self.message), "info")


class UserDBModelView(fab_views.UserDBModelView):
    """FAB's own user list (Security menu) and 个人信息 (/users/userinfo/): values read as on
    用户管理; its add form goes through the policy too."""

    label_columns = {**fab_views.UserDBModelView.label_columns, **user_display.LABELS}
    formatters_columns = user_display.FORMATTERS
    user_show_fieldsets = [(lazy_gettext("User info"), {"fields": user_display.INFO_FIELDS})]
    # FAB takes the columns it reads from show_fieldsets: they hold every field shown above.
    show_fieldsets = [*user_show_fieldsets, *fab_views.UserDBModelView.show_fieldsets[2:]]

    add_form_extra_fields = {
        **fab_views.UserDBModelView.add_form_extra_fields,
        "password": PasswordField(
            lazy_gettext("Password"),
            validators=[DataRequired(), PolicyValidator("username")],
            widget=BS3PasswordFieldWidget(),
        ),
    }

    def pre_add(self, item: Any) -> None:
        sm().set_password(item, item.password, by_owner=False, check=False)
