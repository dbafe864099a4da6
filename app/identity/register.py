"""注册账号: the public form an enterprise asks for an account with (seed 003 ch. 1.2).

What it sends is an application (app/identity/models.py), not an account: the system
administrator of its province decides (app/identity/review.py). The form checks everything
at once and shows it again with every value typed (the captcha aside, which is used up);
the credit code and the 身份证号 carry their check characters, the password meets the
password policy, the user name and the credit code are neither taken nor waiting already.
Sending is rate-limited per address (`ADMIN_REGISTRATION_RATE_LIMIT`). The outcome is looked
up with the application number and the mobile number (查询注册进度).
"""

from __future__ import annotations

import re
import secrets
from typing import Any

from flask import current_app, request, session
from flask_appbuilder import BaseView, expose
from flask_appbuilder.fieldwidgets import BS3PasswordFieldWidget
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from flask_wtf import FlaskForm
from sqlalchemy import select
from werkzeug.security import generate_password_hash
from wtforms import EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Optional, ValidationError

from app.context import db_session, generated, security
from app.identity.models import PENDING, Registration
from app.identity.oidc import SESSION_IDENTITY
from app.security.login import PolicyValidator, captcha_passed, password_description
from app.security.models import AppUser, Organisation
from app.security.scope import within
from generator.identifiers import (
    MSG_ID_CARD,
    MSG_MOBILE,
    MSG_USCC,
    is_id_card,
    is_mobile,
    is_uscc,
    normalize_code,
    normalize_mobile,
)

USERNAME = re.compile(r"[A-Za-z0-9_.@-]{4,64}")
CLOSED = lazy_gettext("Registration is not open on this platform; please ask the "
                      "administrator of your province for an account.")


def registration() -> Any:
    return generated().spec.registration


def region_choices() -> list[tuple[str, str]]:
    """The cities and counties of the provinces that may register, as 省 / 市 / 区."""
    spec = registration()
    if spec is None:
        return []
    session = db_session()
    provinces = session.execute(select(Organisation).where(
        Organisation.code.in_(spec.regions), Organisation.level == "province")).scalars().all()
    out: list[tuple[str, str]] = []
    for province in sorted(provinces, key=lambda o: o.code):
        rows = session.execute(select(Organisation).where(
            within(Organisation.path, province.path),
            Organisation.level.in_(("city", "county")),
            Organisation.valid_to.is_(None)).order_by(Organisation.code)).scalars().all()
        names = {o.id: o.name for o in rows}
        for org in rows:
            above = names.get(org.parent_id or 0)
            text = " / ".join(n for n in (province.name, above, org.name) if n)
            out.append((org.code, text))
    return out


def _taken(field: str, value: str) -> bool:
    session = db_session()
    column = getattr(Registration, field)
    return session.execute(select(Registration.id).where(
        column == value, Registration.state == PENDING)).first() is not None


class RegistrationForm(FlaskForm):
    uscc = StringField(lazy_gettext("Unified social credit code"),
                       validators=[DataRequired(), Length(max=18)])
    name = StringField(lazy_gettext("Enterprise name"),
                       validators=[DataRequired(), Length(max=200)])
    region = SelectField(lazy_gettext("Region"), validators=[DataRequired()])
    legal_person = StringField(lazy_gettext("Legal representative"),
                               validators=[DataRequired(), Length(max=50)])
    id_no = StringField(lazy_gettext("ID card number of the legal representative"),
                        validators=[DataRequired(), Length(max=18)])
    contact = StringField(lazy_gettext("Contact person"),
                          validators=[DataRequired(), Length(max=50)])
    mobile = StringField(lazy_gettext("Mobile number"), validators=[DataRequired(), Length(max=20)])
    email = EmailField(lazy_gettext("E-mail"), validators=[Optional(), Length(max=120)])
    username = StringField(lazy_gettext("User name"), validators=[DataRequired(), Length(max=64)])
    # shown again after a refusal: nothing typed is lost
    password = PasswordField(lazy_gettext("Password"),
                             validators=[DataRequired(), PolicyValidator("username")],
                             widget=BS3PasswordFieldWidget(hide_value=False))
    confirm = PasswordField(lazy_gettext("Confirm password"),
                            validators=[DataRequired(), EqualTo(
                                "password", message=lazy_gettext("Passwords must match"))],
                            widget=BS3PasswordFieldWidget(hide_value=False))
    captcha = StringField(lazy_gettext("Verification code"))

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.region.choices = [("", _("Please choose"))] + region_choices()
        self.password.description = password_description()

    def validate_uscc(self, field: Any) -> None:
        code = normalize_code(field.data or "")
        field.data = code
        if not is_uscc(code):
            raise ValidationError(_(MSG_USCC))
        if db_session().execute(select(Organisation.id).where(Organisation.code == code)).first():
            raise ValidationError(_("An organisation with this credit code already has an "
                                    "account; its legal person can sign in."))
        if _taken("uscc", code):
            raise ValidationError(_("An application with this credit code is waiting for "
                                    "review already."))

    def validate_id_no(self, field: Any) -> None:
        field.data = normalize_code(field.data or "")
        if not is_id_card(field.data):
            raise ValidationError(_(MSG_ID_CARD))

    def validate_mobile(self, field: Any) -> None:
        if not is_mobile(field.data or ""):
            raise ValidationError(_(MSG_MOBILE))
        field.data = normalize_mobile(field.data)

    def validate_username(self, field: Any) -> None:
        name = (field.data or "").strip()
        field.data = name
        if not USERNAME.fullmatch(name):
            raise ValidationError(_("4 to 64 letters, digits or the characters _ . @ -"))
        if db_session().execute(select(AppUser.id).where(AppUser.username == name)).first() \
                or _taken("username", name):
            raise ValidationError(_("This user name is taken; please choose another one."))


def _number() -> str:
    """申请编号: the date and six random digits (not guessable from the previous one)."""
    import datetime as dt

    return f"ZC{dt.date.today():%Y%m%d}{secrets.randbelow(10**6):06d}"


def save(form: RegistrationForm) -> Registration:
    session = db_session()
    region = session.execute(select(Organisation).where(
        Organisation.code == form.region.data)).scalar_one()
    item = Registration(
        number=_number(), state=PENDING, uscc=form.uscc.data, name=form.name.data.strip(),
        region_id=region.id, region_path=region.path, legal_person=form.legal_person.data.strip(),
        contact=form.contact.data.strip(), mobile=form.mobile.data,
        email=(form.email.data or "").strip() or None, id_no=form.id_no.data,
        username=form.username.data,
        password_hash=generate_password_hash(
            form.password.data, method=current_app.config.get("FAB_PASSWORD_HASH_METHOD",
                                                              "scrypt")))
    session.add(item)
    session.commit()
    return item


class RegisterView(BaseView):
    """Public: no sign-in, no permission (FAB lets unprotected methods through)."""

    route_base = "/register"
    default_view = "form"

    def _page(self, form: Any, **extra: Any) -> Any:
        return self.render_template("admin/register.html", title=_("Register an account"),
                                    form=form, captcha=security().password_policy.captcha,
                                    closed=registration() is None, **extra)

    @expose("/", methods=["GET", "POST"])
    def form(self) -> Any:
        if registration() is None:
            return self._page(None)
        form = RegistrationForm()
        brought = session.get(SESSION_IDENTITY) if request.method == "GET" else None
        if brought:  # an enterprise the identity platform knows and this platform not yet
            form.uscc.data = form.uscc.data or brought.get("uscc")
            form.id_no.data = form.id_no.data or brought.get("id_no")
            form.legal_person.data = form.legal_person.data or brought.get("name")
        if request.method == "POST":
            valid = form.validate_on_submit()
            captcha_ok = (not security().password_policy.captcha
                          or captcha_passed(form.captcha.data))
            form.captcha.data = ""  # used up either way
            if not captcha_ok:
                form.captcha.errors = [_("The verification code is wrong or has expired; "
                                         "please enter the new one.")]
            if valid and captcha_ok:
                item = save(form)
                session.pop(SESSION_IDENTITY, None)
                return self.render_template(
                    "admin/register_done.html", title=_("Application sent"), item=item)
        return self._page(form)

    @expose("/status", methods=["GET", "POST"])
    def status(self) -> Any:
        number = (request.values.get("number") or "").strip().upper()
        mobile = normalize_mobile((request.values.get("mobile") or "").strip())
        item = None
        asked = request.method == "POST"
        if asked and number and mobile:
            item = db_session().execute(select(Registration).where(
                Registration.number == number, Registration.mobile == mobile)
            ).scalar_one_or_none()
        return self.render_template("admin/register_status.html",
                                    title=_("Registration progress"), item=item, asked=asked,
                                    number=number, mobile=mobile)


def init_app(appbuilder: Any) -> None:
    appbuilder.add_view_no_menu(RegisterView)
    current_app.jinja_env.globals["registration_open"] = lambda: registration() is not None
    sm = appbuilder.sm
    limit = current_app.config.get("ADMIN_REGISTRATION_RATE_LIMIT")
    if limit and getattr(sm, "limiter", None) is not None:
        view = next(v for v in appbuilder.baseviews if isinstance(v, RegisterView))
        sm.limiter.limit(limit, methods=["POST"])(view.blueprint)
