"""Flask-AppBuilder's security manager with our user model and module assignment, and the
password policy (app/hooks/password_policy.py) on every door that sets a password or signs in.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from functools import cached_property
from typing import Any

from flask import current_app, g
from flask_appbuilder.const import LOGMSG_WAR_SEC_LOGIN_FAILED
from flask_appbuilder.security.sqla.manager import SecurityManager
from flask_appbuilder.security.utils import is_null_password
from flask_babel import gettext, lazy_gettext
from flask_login import current_user
from sqlalchemy import func, select, update
from sqlalchemy.orm import joinedload
from werkzeug.security import check_password_hash, generate_password_hash

from app.context import generated
from app.hooks.password_policy import (
    PasswordRejected,
    Policy,
    check_password,
)
from app.labels import current_locale
from app.security import login, rights_cache, sessions
from app.security.models import AppUser, PasswordHistory
from app.security.scope import current, is_admin
from app.security.users import ChangeMyPasswordView
from generator.permissions import summary_menu

log = logging.getLogger(__name__)

HISTORY_KEPT = 24  # the largest `history` the policy accepts
MUST_CHANGE = lazy_gettext("Please change your password before you continue: it is an initial "
                           "password or was set by an administrator.")
EXPIRED = lazy_gettext("Your password is more than %(expiry_days)s days old; please change it "
                       "before you continue.")
CLASS_NAMES = {
    "upper": lazy_gettext("an upper-case letter"),
    "lower": lazy_gettext("a lower-case letter"),
    "digit": lazy_gettext("a digit"),
    "special": lazy_gettext("a special character"),
}


def base_policy() -> Policy:
    """The policy of the schema and the configuration (参数设置 aside), once per app."""
    policy = current_app.extensions.get("password_policy")
    if policy is None:
        policy = Policy.from_spec(generated().spec,
                                  current_app.config.get("ADMIN_PASSWORD_POLICY"))
        current_app.extensions["password_policy"] = policy
    return policy


class AppSecurityManager(SecurityManager):
    user_model = AppUser
    resetmypasswordview = ChangeMyPasswordView
    resetpasswordview = login.ResetPasswordView
    authdbview = login.AuthDBView
    userdbmodelview = login.UserDBModelView
    security_api = login.SecurityApi

    def user_query(self, pk: Any) -> Any:
        """The user with its roles, groups and organisation in one statement (lazy loading
        asked three times per page); None when `pk` is not an id."""
        model = self.user_model
        try:
            pk = int(pk)  # FAB's screens pass the id from the URL as text
        except (TypeError, ValueError):
            return None
        return (select(model).where(model.id == pk)
                .options(joinedload(model.roles), joinedload(model.groups)))

    def get_user_by_id(self, pk: Any) -> Any:
        """Any user by id (FAB's screens, resets); the signed-in one comes from `load_user`."""
        query = self.user_query(pk)
        return None if query is None else self.session.execute(query).unique().scalar_one_or_none()

    def load_user(self, pk: Any) -> Any:
        """The signed-in user of every request (Flask-Login), in the same one statement, and
        only while the session of the cookie's token is alive (app/security/sessions.py)."""
        return sessions.load_user(self, pk, sessions.current_token(), sessions.WEB)

    def load_user_jwt(self, _jwt_header: Any, jwt_data: Any) -> Any:
        """The user of a REST login's token, while the session it was issued for is alive."""
        user = sessions.load_user(self, jwt_data.get("sub"), jwt_data.get(sessions.CLAIM),
                                  sessions.API)
        if user is not None:
            g.user = user
        return user

    def create_jwt_manager(self, app: Any) -> Any:
        jwt_manager = super().create_jwt_manager(app)
        login.install_jwt_messages(jwt_manager)
        return jwt_manager

    @cached_property
    def _module_of(self) -> dict[str, str]:
        """Permission and menu names of generated screens -> their module."""
        spec = generated().spec
        names: dict[str, str] = {}
        for module in spec.modules:
            names[module.key] = module.key
            for entity in module.entities:
                names[entity.permission_name] = module.key
                names[entity.qualified] = module.key
                for summary in entity.summaries:
                    names[summary_menu(entity, summary)] = module.key
        return names

    def exist_permission_on_roles(self, view_name: str, permission_name: str,
                                  role_ids: list[int]) -> bool:
        """All (permission, view) pairs of the roles from the process's copy, read again only
        when the permissions counter moved (app/security/rights_cache.py), not one query per
        button and menu item (a list page asks a dozen times)."""
        return (permission_name, view_name) in rights_cache.pairs(self.session, role_ids)

    def has_access(self, permission_name: str, view_name: str) -> bool:
        """The roles' rights, narrowed to the modules assigned to (or delegated to) the user."""
        if not super().has_access(permission_name, view_name):
            return False
        module = self._module_of.get(view_name)
        user = current()
        if module is None or user is None or is_admin(user):
            return True
        return user.module_allowed(module)

    # --- the policy ---------------------------------------------------------------------

    def register_views(self) -> None:
        super().register_views()
        rights_cache.watch()
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        _check_overrides(app.config.get("ADMIN_PASSWORD_POLICY"))
        if self.is_auth_limited:
            # FAB limits only its login page; the REST login gets the same limit.
            api = next(v for v in self.appbuilder.baseviews
                       if isinstance(v, login.SecurityApi))
            self.limiter.limit(self.auth_rate_limit, methods=["POST"])(api.blueprint)
        app.before_request(login.guard)

    @property
    def password_policy(self) -> Policy:
        """The root YAML's `password_policy` (default preset when it names none), then the
        `ADMIN_PASSWORD_POLICY` mapping of the configuration, then 参数设置."""
        from app.system import settings

        return settings.policy(base_policy())

    def password_hashes(self, user: Any) -> list[str]:
        """The user's password hashes, newest first, the current one included."""
        if user is None:
            return []
        hashes = [user.password] if user.password else []
        hashes += [h.hash for h in user.password_history if h.hash not in hashes]
        return hashes

    def password_problem_ids(self, password: str, user: Any = None,
                             username: str | None = None) -> list[str]:
        name = username if username is not None else getattr(user, "username", None)
        return check_password(self.password_policy, password, name, self.password_hashes(user))

    def password_problems(self, password: str, user: Any = None,
                          username: str | None = None) -> list[str]:
        """Every broken rule, in the reader's language (empty: the password may be used)."""
        values = self.password_policy.placeholders()
        return [gettext(msgid, **values)
                for msgid in self.password_problem_ids(password, user, username)]

    def password_rules_text(self) -> str:
        """The rules in a few sentences, for the help text under password fields."""
        policy = self.password_policy
        chinese = current_locale().startswith("zh")
        parts = [gettext("%(min_length)s to %(max_length)s characters.",
                         min_length=policy.min_length, max_length=policy.max_length)]
        if policy.classes:
            names = ("、" if chinese else ", ").join(
                str(CLASS_NAMES[c]) for c in ("upper", "lower", "digit", "special")
                if c in policy.classes)
            parts.append(gettext("Must contain %(classes)s.", classes=names))
        if policy.not_username:
            parts.append(gettext("Must not contain the user name."))
        if policy.not_common:
            parts.append(gettext("Must not be a common password."))
        if policy.history > 1:
            parts.append(gettext("Must differ from the last %(history)s passwords.",
                                 history=policy.history))
        return ("" if chinese else " ").join(parts)

    def set_password(self, user: Any, password: str, *, by_owner: bool,
                     check: bool = True) -> None:
        """The one place a password is stored: checks the policy (unless the caller just
        did), hashes, keeps the history, and marks whether it must be changed at the next
        sign-in (an administrator's password or an initial one must). Does not commit."""
        if check:
            problems = self.password_problem_ids(password, user)
            if problems:
                raise PasswordRejected(problems, self.password_policy)
        hashed = generate_password_hash(
            password=password,
            method=current_app.config.get("FAB_PASSWORD_HASH_METHOD", "scrypt"),
            salt_length=current_app.config.get("FAB_PASSWORD_HASH_SALT_LENGTH", 16),
        )
        self._record_password(user, hashed, by_owner=by_owner)

    def _record_password(self, user: Any, hashed: str, *, by_owner: bool) -> None:
        moment = dt.datetime.now()
        user.password = hashed
        user.password_changed_at = moment
        user.must_change_password = (not by_owner) and self.password_policy.change_first_login
        if not by_owner:  # an administrator's reset also lifts a lock
            user.fail_login_count = 0
            user.locked_until = None
        user.password_history.insert(0, PasswordHistory(hash=hashed, created_at=moment))
        del user.password_history[HISTORY_KEPT:]
        if user.id is not None:
            # the owner keeps the session they changed it in; an administrator's reset ends all
            own = by_owner and getattr(current_user, "id", None) == user.id
            sessions.end_user(self.session, user.id,
                              sessions.PASSWORD_CHANGED if by_owner else sessions.PASSWORD_RESET,
                              keep=sessions.current_token() if own else None)

    def change_own_password(self, user: Any, password: str) -> None:
        self.set_password(user, password, by_owner=True)
        self.session.commit()

    def reset_password(self, userid: Any, password: str) -> None:
        """An administrator's reset (FAB's screen and `flask fab reset-password`)."""
        user = self.get_user_by_id(userid)
        self.set_password(user, password, by_owner=False)
        self.session.commit()

    def add_user(self, username: str, first_name: str, last_name: str, email: str,
                 role: Any = None, password: str = "", hashed_password: str = "",
                 groups: Any = None, commit: bool = True) -> Any:
        """FAB's add_user (`users create`, `users bootstrap`, `flask fab create-admin`, seeds),
        with the policy on a clear-text password."""
        if password and not hashed_password:
            problems = check_password(self.password_policy, password, username)
            if problems:
                raise PasswordRejected(problems, self.password_policy)
        user = super().add_user(username, first_name, last_name, email, role, password,
                                hashed_password, groups, commit=commit)
        if user and (password or hashed_password):
            self._record_password(user, user.password, by_owner=False)
            if commit:
                self.session.commit()
        return user

    # --- signing in ---------------------------------------------------------------------

    def locked(self, user: Any) -> bool:
        return user.locked_until is not None and user.locked_until > dt.datetime.now()

    def password_change_reason(self, user: Any) -> str | None:
        """Why the user must change the password before anything else (None: no need)."""
        policy = self.password_policy
        if policy.change_first_login and getattr(user, "must_change_password", False):
            return str(MUST_CHANGE)
        days = self.password_days_left(user)
        if days is not None and days <= 0:
            return str(EXPIRED) % {"expiry_days": policy.expiry_days}
        return None

    def password_days_left(self, user: Any) -> int | None:
        policy = self.password_policy
        since = getattr(user, "password_changed_at", None) or getattr(user, "created_on", None)
        if not policy.expiry_days or since is None:
            return None
        left = since + dt.timedelta(days=policy.expiry_days) - dt.datetime.now()
        return math.ceil(left.total_seconds() / 86400)

    def auth_user_db(self, username: str, password: str) -> Any:
        """FAB's sign-in with a lock per account. Unknown users, wrong passwords and locked
        accounts cost the same: two look-ups, one hash check, one write to the account and
        one audit entry each (`sign_in_refused` or the failure of `update_user_auth_stat`)."""
        if username is None or username == "":
            return None
        if is_null_password(password):
            log.info(LOGMSG_WAR_SEC_LOGIN_FAILED, username)
            return None
        first_user = self.get_first_user()
        user = self.find_user(username=username)
        if user is None:
            user = self.find_user(email=username)
        else:
            _ = self.find_user(email=username)
        if user is None or not user.is_active:
            check_password_hash(current_app.config["AUTH_DB_FAKE_PASSWORD_HASH_CHECK"],
                                "password")
            log.info(LOGMSG_WAR_SEC_LOGIN_FAILED, username)
            if first_user:
                self.noop_user_update(first_user)
            self.sign_in_refused(username, user, "unknown" if user is None else "inactive")
            return None
        right = check_password_hash(user.password, password)
        if self.locked(user):
            log.info(LOGMSG_WAR_SEC_LOGIN_FAILED + " (locked)", username)
            self.noop_user_update(user)
            self.sign_in_refused(username, user, "locked")
            return None
        if right:
            self.update_user_auth_stat(user, True)
            return user
        self.update_user_auth_stat(user, False)
        log.info(LOGMSG_WAR_SEC_LOGIN_FAILED, username)
        return None

    def sign_in_refused(self, username: str, user: Any, why: str) -> None:
        """A sign-in refused before the password counted: `why` is `unknown` (no such user
        name), `inactive` (a deactivated account), `locked`, or `captcha` (the login page's
        verification code was wrong; the password was not checked). The audit trail records it
        (app/audit/trail.py `install_sign_in`); what the user sees does not change."""

    def update_user_auth_stat(self, user: Any, success: bool = True) -> None:
        """FAB's counters; a failure is counted in the database (so every worker sees it) and
        the N-th in a row locks the account for M minutes."""
        if success:
            user.locked_until = None
            super().update_user_auth_stat(user, True)
            return
        model = self.user_model
        self.session.execute(update(model).where(model.id == user.id).values(
            fail_login_count=func.coalesce(model.fail_login_count, 0) + 1))
        self.session.commit()
        self.session.refresh(user)
        policy = self.password_policy
        if policy.lockout_attempts and (user.fail_login_count or 0) >= policy.lockout_attempts:
            user.locked_until = dt.datetime.now() + dt.timedelta(minutes=policy.lockout_minutes)
            user.fail_login_count = 0
            self.session.commit()
            log.warning("account %s locked for %s minutes after %s failed sign-ins",
                        user.username, policy.lockout_minutes, policy.lockout_attempts)
        self.on_user_login_failed(user)


def _check_overrides(overrides: Any) -> None:
    """`ADMIN_PASSWORD_POLICY` takes the YAML's parameters (docs/hooks.md); refuse others."""
    if not overrides:
        return
    from app.hooks import CATALOGUE

    _clean, errors = CATALOGUE["password_policy"].check_params(overrides)
    if errors:
        raise ValueError(f"ADMIN_PASSWORD_POLICY: {errors}")
