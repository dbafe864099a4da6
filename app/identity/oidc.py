"""Signing in through a unified identity platform (北京市统一身份认证平台) by OpenID Connect,
beside the password sign-in, which stays the default.

Configured by `ADMIN_OIDC_*` (README "Configuration"); without `ADMIN_OIDC_ISSUER` nothing of
this is registered. Authlib's Flask client does the protocol: the provider's metadata and keys
from its discovery document, `state` and `nonce` kept in the session and checked on the way
back, the id_token's signature, issuer, audience and expiry verified.

Who signs in is found by the numbers the provider vouches for, never by a name alone:
- an enterprise identity (a 统一社会信用代码 in its claims) is the active account of that unit
  whose 身份证号 is the one of the claims (the legal person or an agent);
- a natural person (no credit code) is the active account of a 自然人 unit (kind person) with
  that 身份证号;
- when `ADMIN_OIDC_CLAIMS` maps `username`, an account of that name is taken instead, and only
  when its unit and 身份证号 agree with the claims.
An identity that matches no account (or several) is refused in Chinese; an enterprise without
an account is sent to 注册账号 with its numbers filled in when registration is open.
The session is then the same as a password sign-in's: idle re-login, 强退 and 退出 hold.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import current_app, flash, redirect, request, session, url_for
from flask_appbuilder import BaseView, expose
from flask_babel import gettext as _
from flask_login import login_user
from sqlalchemy import select

from app.context import db_session, generated, security
from app.security.login import signed_in
from app.security.models import AppUser, Organisation
from generator.identifiers import normalize_code

log = logging.getLogger(__name__)

CLIENT = "unified"
SESSION_IDENTITY = "_oidc_identity"  # what an unknown enterprise brings to 注册账号
SESSION_OIDC = "_oidc"  # the session began at the identity platform
DEFAULT_CLAIMS = {"username": None, "uscc": "uscc", "id_no": "id_card", "name": "name",
                  "user_class": None}


def enabled(app: Any = None) -> bool:
    return bool((app or current_app).config.get("ADMIN_OIDC_ISSUER"))


def claim_names() -> dict[str, str | None]:
    return {**DEFAULT_CLAIMS, **(current_app.config.get("ADMIN_OIDC_CLAIMS") or {})}


def button_label() -> str:
    return str(current_app.config.get("ADMIN_OIDC_LABEL") or _("Sign in with the unified "
                                                               "identity platform"))


def identity_of(claims: dict[str, Any]) -> dict[str, str]:
    """The claims under our names: username, uscc, id_no, name, kind (enterprise | person)."""
    names = claim_names()
    out = {key: str(claims.get(claim) or "").strip() for key, claim in names.items() if claim}
    for key in ("uscc", "id_no"):
        if out.get(key):
            out[key] = normalize_code(out[key])
    classes = current_app.config.get("ADMIN_OIDC_CLASSES") or {}
    kind = classes.get(out.pop("user_class", "")) if names.get("user_class") else None
    out["kind"] = kind or ("enterprise" if out.get("uscc") else "person")
    return out


def _agrees(user: Any, identity: dict[str, str]) -> bool:
    if identity.get("id_no") and user.id_no != identity["id_no"]:
        return False
    org = user.org
    if identity["kind"] == "enterprise":
        return org is not None and org.code == identity.get("uscc")
    return org is not None and org.kind == "person"


def match(identity: dict[str, str]) -> list[AppUser]:
    """The active accounts the identity stands for (one: sign in)."""
    query = select(AppUser).join(Organisation, AppUser.org_id == Organisation.id).where(
        AppUser.active.is_(True))
    if identity.get("username"):
        query = query.where(AppUser.username == identity["username"])
    elif not identity.get("id_no"):
        return []
    elif identity["kind"] == "enterprise":
        query = query.where(Organisation.code == identity.get("uscc", ""),
                            AppUser.id_no == identity["id_no"])
    else:
        query = query.where(Organisation.kind == "person", AppUser.id_no == identity["id_no"])
    users = db_session().execute(query).unique().scalars().all()
    return [u for u in users if _agrees(u, identity)]


def _refuse(message: str) -> Any:
    flash(message, "warning")
    return redirect(security().appbuilder.get_url_for_login)


class OidcView(BaseView):
    route_base = "/login/oidc"
    default_view = "start"

    @expose("/")
    def start(self) -> Any:
        client = current_app.extensions["admin_oidc"].create_client(CLIENT)
        redirect_uri = (current_app.config.get("ADMIN_OIDC_REDIRECT_URI")
                        or url_for(".callback", _external=True))
        session["_oidc_next"] = request.args.get("next", "")
        return client.authorize_redirect(redirect_uri)

    @expose("/callback")
    def callback(self) -> Any:
        from authlib.common.errors import AuthlibBaseError

        client = current_app.extensions["admin_oidc"].create_client(CLIENT)
        try:
            token = client.authorize_access_token()
        except AuthlibBaseError as exc:  # state, nonce, signature, the provider's refusal
            log.warning("unified sign-in failed: %s", exc)
            return _refuse(_("The sign-in at the unified identity platform could not be "
                             "completed; please start again from the service portal's "
                             "entrance without switching the way you sign in."))
        claims = dict(token.get("userinfo") or {})
        identity = identity_of(claims)
        users = match(identity)
        if len(users) != 1:
            return self._unknown(identity, several=bool(users))
        user = users[0]
        sm = security()
        if sm.locked(user):
            return _refuse(_("The account is locked; please try again later."))
        sm.update_user_auth_stat(user, True)
        login_user(user, remember=False)
        session[SESSION_OIDC] = True
        session.pop(SESSION_IDENTITY, None)
        from flask_appbuilder.utils.base import get_safe_redirect

        next_url = get_safe_redirect(session.pop("_oidc_next", "") or "")
        return redirect(signed_in(user) or next_url)

    def _unknown(self, identity: dict[str, str], several: bool) -> Any:
        if several:
            return _refuse(_("Several accounts of this platform belong to this identity; "
                             "please sign in with your user name and password."))
        registration = generated().spec.registration
        if identity["kind"] == "enterprise" and registration is not None:
            session[SESSION_IDENTITY] = {k: identity.get(k, "") for k in ("uscc", "id_no",
                                                                           "name")}
            flash(_("No account of this platform belongs to this enterprise identity yet; "
                    "please register the enterprise (the numbers are filled in)."), "info")
            return redirect(url_for("RegisterView.form"))
        return _refuse(_("No account of this platform belongs to this identity; please ask "
                         "the administrator of your region for one."))


def init_app(appbuilder: Any) -> None:
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if not enabled(app):
        return
    from authlib.integrations.flask_client import OAuth

    oauth = OAuth(app)
    issuer = str(app.config["ADMIN_OIDC_ISSUER"]).rstrip("/")
    oauth.register(
        CLIENT, client_id=app.config.get("ADMIN_OIDC_CLIENT_ID"),
        client_secret=app.config.get("ADMIN_OIDC_CLIENT_SECRET"),
        server_metadata_url=(app.config.get("ADMIN_OIDC_METADATA_URL")
                             or f"{issuer}/.well-known/openid-configuration"),
        client_kwargs={"scope": app.config.get("ADMIN_OIDC_SCOPE") or "openid profile"})
    app.extensions["admin_oidc"] = oauth
    appbuilder.add_view_no_menu(OidcView)
    app.jinja_env.globals["oidc_label"] = button_label
