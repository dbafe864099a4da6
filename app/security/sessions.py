"""Server-side sessions: every sign-in is a row of `auth_session`, and a session cookie or an
API token is good only while its row is alive.

- The session cookie (Flask's signed cookie) carries a random token, the row only its SHA-256.
  The REST login's JWTs carry the token of their own row in the claim `sid`.
- Every request checks the row inside the one statement that loads the signed-in user
  (`load_user`: a scalar subquery on the token), and writes `last_seen` at most once per
  `ADMIN_SESSION_TOUCH_SECONDS` (60), on a connection of its own.
- A row ends (`ended_at`, `ended_reason`) on 退出 (`logout`), after the idle timeout
  (`idle`), when the password changes (the owner: every other session, `password_changed`;
  an administrator's reset: all of them, `password_reset`), when the account is deactivated
  through any door that sets `active` to false (`deactivated`), and when an administrator
  ends it (`end`, `ended_by_admin`: the 在线用户 page's 强退). Ended rows are kept.
- Every row that ends writes its `logout` entry to the audit trail in the same transaction
  (app/audit/sign_ins.py: the 登录日志); web sessions nobody came back to end as `idle` when
  `expire_idle` runs (the 在线用户 and 登录日志 pages call it).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any

from flask import current_app, has_request_context, request, session
from flask_appbuilder import Model
from flask_login import user_logged_in, user_logged_out
from sqlalchemy import (
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    event,
    func,
    insert,
    inspect,
    select,
    update,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.audit.sign_ins import record_sign_outs
from app.context import db_session
from app.security.models import AppUser

SESSION_TOKEN = "_sid"  # the key of the token in the session cookie
CLAIM = "sid"  # the claim of the token in the REST login's JWTs
WEB, API = "web", "api"

LOGOUT = "logout"
IDLE = "idle"
PASSWORD_CHANGED = "password_changed"
PASSWORD_RESET = "password_reset"
DEACTIVATED = "deactivated"
ENDED_BY_ADMIN = "ended_by_admin"
SIGNED_IN_AGAIN = "signed_in_again"

TOUCH_SECONDS = 60


class AuthSession(Model):
    """One sign-in: through the login page (`web`, the cookie) or the REST login (`api`)."""

    __tablename__ = "auth_session"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    user_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("ab_user.id", ondelete="CASCADE"), nullable=False, index=True)
    kind: Mapped[str] = mapped_column(String(8), nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False)
    last_seen: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False)
    address: Mapped[str | None] = mapped_column(String(64), nullable=True)
    user_agent: Mapped[str | None] = mapped_column(String(255), nullable=True)
    ended_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    ended_reason: Mapped[str | None] = mapped_column(String(32), nullable=True)
    # the administrator who ended it
    ended_by: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # who is online: alive rows by their last request
    __table_args__ = (Index("ix_auth_session_alive", "ended_at", "last_seen"),)


TABLE: Any = AuthSession.__table__


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _client() -> dict[str, Any]:
    if not has_request_context():
        return {"address": None, "user_agent": None}
    address = request.headers.get("X-Forwarded-For", request.remote_addr or "")
    return {"address": address.split(",")[0].strip()[:64] or None,
            "user_agent": (request.user_agent.string or "")[:255] or None}


# --- writing rows ---------------------------------------------------------------------------


def start(db: Any, user: Any, kind: str) -> str:
    """A new session of `user`; returns its token (only its hash is stored). Commits."""
    token = secrets.token_urlsafe(32)
    now = dt.datetime.now()
    db.execute(insert(TABLE).values(token_hash=digest(token), user_id=user.id, kind=kind,
                                    created_at=now, last_seen=now, **_client()))
    db.commit()
    return token


def _end(executor: Any, condition: Any, reason: str, by: int | None = None,
         at: dt.datetime | None = None) -> int:
    """End the alive rows matching `condition` and log their sign-outs; how many ended.
    RETURNING names exactly the rows this statement ended, so two hosts ending one session
    at once write one entry."""
    ended = executor.execute(
        update(TABLE).where(condition, TABLE.c.ended_at.is_(None))
        .values(ended_at=at or dt.datetime.now(), ended_reason=reason, ended_by=by)
        .returning(TABLE.c.id, TABLE.c.user_id, TABLE.c.address, TABLE.c.user_agent,
                   TABLE.c.ended_at)).all()
    record_sign_outs(executor, ended, reason)
    return len(ended)


def end_token(db: Any, token: str, reason: str) -> None:
    """End the session of this token (if it is still alive). Does not commit."""
    _end(db, TABLE.c.token_hash == digest(token), reason)


def end_user(db: Any, user_id: int, reason: str, keep: str | None = None,
             by: int | None = None) -> None:
    """End every session of the user, except the one of the token `keep`. Does not commit."""
    condition = TABLE.c.user_id == user_id
    if keep:
        condition = condition & (TABLE.c.token_hash != digest(keep))
    _end(db, condition, reason, by)


def end(db: Any, session_id: int, by: int | None = None,
        reason: str = ENDED_BY_ADMIN, commit: bool = True) -> bool:
    """An administrator ends one session (强退); False when it had ended already. Commits
    unless told not to (the caller adds its own audit entry to the same transaction)."""
    done = _end(db, TABLE.c.id == session_id, reason, by) == 1
    if commit:
        db.commit()
    return done


def idle_since(minutes: int) -> dt.datetime:
    """Sessions whose last request is older than this are idle. `last_seen` is written at most
    every ADMIN_SESSION_TOUCH_SECONDS, so that much is allowed on top of the timeout."""
    touch = current_app.config.get("ADMIN_SESSION_TOUCH_SECONDS", TOUCH_SECONDS)
    return dt.datetime.now() - dt.timedelta(minutes=minutes, seconds=touch)


def alive(minutes: int | None = None) -> Any:
    """The sessions that are still alive, newest request first; with `minutes`, without the
    idle ones (which end at their next request, or at `expire_idle`)."""
    query = select(AuthSession).where(AuthSession.ended_at.is_(None))
    if minutes is not None:
        query = query.where(AuthSession.last_seen >= idle_since(minutes))
    return query.order_by(AuthSession.last_seen.desc())


def _idle(minutes: int) -> Any:
    return (TABLE.c.ended_at.is_(None)) & (TABLE.c.last_seen < idle_since(minutes))


def idle_count(db: Any, minutes: int) -> int:
    """How many open sessions `expire_idle` would end now."""
    return int(db.execute(select(func.count()).select_from(TABLE).where(_idle(minutes)))
               .scalar_one())


def expire_idle(db: Any, minutes: int) -> int:
    """End the sessions idle past the timeout that nobody came back to (their sign-out is
    dated when the timeout passed, as the guard would have dated it). Commits."""
    stale = db.execute(select(TABLE.c.id, TABLE.c.last_seen).where(_idle(minutes))).all()
    count = sum(_end(db, TABLE.c.id == row.id, IDLE,
                     at=row.last_seen + dt.timedelta(minutes=minutes)) for row in stale)
    db.commit()
    return count


def current_token() -> str | None:
    return session.get(SESSION_TOKEN) if has_request_context() else None


def end_current(reason: str) -> None:
    """End the session of this request's cookie and forget its token. Commits."""
    token = session.pop(SESSION_TOKEN, None)
    if token:
        db = db_session()
        end_token(db, token, reason)
        db.commit()


# --- reading them: inside the statement that loads the signed-in user ------------------------


def last_seen_column(token: str, user_id: Any) -> Any:
    """`last_seen` of the alive session of `token` for this user, NULL when there is none."""
    return (select(TABLE.c.last_seen)
            .where(TABLE.c.token_hash == digest(token), TABLE.c.user_id == user_id,
                   TABLE.c.ended_at.is_(None))
            .scalar_subquery().label("session_last_seen"))


def load_user(sm: Any, pk: Any, token: str | None, kind: str) -> Any:
    """The active user `pk` when `token` names an alive session of theirs, else None. One
    statement; a second one at most once a minute (`last_seen`)."""
    if not token:
        return None
    query = sm.user_query(pk)
    if query is None:
        return None
    row = sm.session.execute(
        query.add_columns(last_seen_column(token, sm.user_model.id))).unique().first()
    if row is None:
        return None
    user, last_seen = row
    if last_seen is None or not user.is_active:
        return None
    now = dt.datetime.now()
    if kind == API and now - last_seen > dt.timedelta(minutes=sm.password_policy.idle_minutes):
        # the API's idle timeout (the page's is in the cookie: login.guard)
        end_token(sm.session, token, IDLE)
        sm.session.commit()
        return None
    touch = current_app.config.get("ADMIN_SESSION_TOUCH_SECONDS", TOUCH_SECONDS)
    if (now - last_seen).total_seconds() >= touch:
        # on a connection of its own: the request's session and its objects stay as they are
        with sm.session.get_bind().begin() as connection:
            connection.execute(update(TABLE).where(TABLE.c.token_hash == digest(token))
                               .values(last_seen=now))
    return user


# --- wiring ---------------------------------------------------------------------------------


def _signed_in(app: Any, user: Any) -> None:
    """Every `login_user` (the login page and any other door): a new session row."""
    db = app.appbuilder.session
    previous = session.pop(SESSION_TOKEN, None)
    if previous:
        end_token(db, previous, SIGNED_IN_AGAIN)
    session[SESSION_TOKEN] = start(db, user, WEB)


def _signed_out(_app: Any, user: Any = None) -> None:
    """`logout_user` (退出, and the guard's sign-outs): the row ends unless it has already."""
    end_current(LOGOUT)


def _deactivations(db: Any, _context: Any) -> None:
    """An account set inactive through the ORM (注销, the sweep, FAB's user form): its
    sessions end in the same transaction."""
    ids = []
    for obj in db.dirty:
        if isinstance(obj, AppUser):
            added: Any = inspect(obj).attrs.active.history.added
            if added and not added[0]:
                ids.append(obj.id)
    if ids:
        _end(db.connection(), TABLE.c.user_id.in_(ids), DEACTIVATED)


def init_app(app: Any, db: Any) -> None:
    app.config.setdefault("ADMIN_SESSION_TOUCH_SECONDS", TOUCH_SECONDS)
    user_logged_in.connect(_signed_in, app)
    user_logged_out.connect(_signed_out, app)
    event.listen(db, "after_flush", _deactivations)
