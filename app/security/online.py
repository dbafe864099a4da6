"""在线用户 (安全 → 在线用户): who is signed in now, and 强退.

A session is online while its row in `auth_session` has not ended and its last request is
within the idle timeout (app/security/sessions.py). The page lists them with the user, the
organisation, where from and with which browser; a search narrows by user, organisation or
address. 强退 (a POST with the form's CSRF token, after a confirmation) ends one session: the
next request with its cookie, or with a REST token of it, is signed out, on every host, since
every host reads the same row. Both the sign-out (登录日志) and who ended whose session
(审计日志) are in the audit trail.

Who sees whom follows the user screens (app/security/user_rules.py): an administrator of a
national organisation (or the built-in administrator) sees everybody, one of a region only the
users of its subtree. A session outside that range answers 404, like one that never was.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from sqlalchemy import false, func, or_, select

from app.audit import trail
from app.audit.sign_ins import FORCED
from app.context import db_session, security
from app.security import sessions
from app.security.agents import browser
from app.security.models import AppUser, Organisation
from app.security.scope import is_admin, within
from generator.builders.matrix import SECURITY_CATEGORY
from generator.permissions import FORCE_LOGOUT, ONLINE_MENU, ONLINE_VIEW, right

PAGE_SIZE = 50
KINDS = {sessions.WEB: lazy_gettext("Web page"), sessions.API: lazy_gettext("REST API")}


def stamp(value: dt.datetime | None) -> str:
    """A time as every screen shows it: to the second."""
    return value.strftime("%Y-%m-%d %H:%M:%S") if value else ""


def people_in_range(viewer: Any) -> Any:
    """Condition on the (outer-joined) Organisation of the users `viewer` may see; None:
    everybody. National and the built-in administrator see all (users without an
    organisation too); a region its subtree; nobody else anybody."""
    if viewer is None:
        return false()
    if is_admin(viewer):
        return None
    org = getattr(viewer, "org", None)
    if org is None:
        return false()
    if org.level == "national":
        return None
    return within(Organisation.path, org.path)


def contains(column: Any, text: str) -> Any:
    """`column` contains `text` literally (the user's % and _ are not wildcards)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return column.ilike(f"%{escaped}%", escape="\\")


def display_name(username: str | None, first: str | None, last: str | None) -> str:
    """"张三（ln_reg）": the name people know, and the login that identifies it."""
    name = " ".join(p for p in (first, last) if p).strip()
    if not username:
        return name
    return f"{name}（{username}）" if name and name != username else username


@dataclass
class Online:
    """One row of the page."""

    id: int
    user: str
    org: str
    address: str
    browser: str
    user_agent: str
    kind: str
    since: str
    last_seen: str
    own: bool  # the viewer's own session (退出 ends it; no 强退 here)


def online_query(viewer: Any, minutes: int, user: str = "", org: str = "",
                 address: str = "") -> Any:
    """The live sessions `viewer` may see, searched, newest request first."""
    query = (sessions.alive(minutes)
             .join(AppUser, AppUser.id == sessions.AuthSession.user_id)
             .outerjoin(Organisation, Organisation.id == AppUser.org_id)
             .add_columns(AppUser.username, AppUser.first_name, AppUser.last_name,
                          Organisation.name.label("org_name")))
    condition = people_in_range(viewer)
    if condition is not None:
        query = query.where(condition)
    if user:
        query = query.where(or_(contains(AppUser.username, user),
                                contains(AppUser.first_name, user)))
    if org:
        query = query.where(contains(Organisation.name, org))
    if address:
        query = query.where(contains(sessions.AuthSession.address, address))
    return query


def in_range(db: Any, viewer: Any, pk: int) -> bool:
    """Whether the session `pk` (alive or not) belongs to a user `viewer` may see."""
    query = (select(sessions.AuthSession.id)
             .join(AppUser, AppUser.id == sessions.AuthSession.user_id)
             .outerjoin(Organisation, Organisation.id == AppUser.org_id)
             .where(sessions.AuthSession.id == pk))
    condition = people_in_range(viewer)
    if condition is not None:
        query = query.where(condition)
    return db.execute(query).first() is not None


class OnlineUsersView(BaseView):
    route_base = "/security/online"
    class_permission_name = ONLINE_VIEW
    base_permissions = [right("list"), right(FORCE_LOGOUT)]
    method_permission_name = {"list": "list", "end": FORCE_LOGOUT}
    default_view = "list"
    template = "admin/online_users.html"
    title = lazy_gettext("Online users")

    @staticmethod
    def _minutes() -> int:
        return int(security().password_policy.idle_minutes)

    @expose("/")
    @has_access
    def list(self) -> Any:
        db = db_session()
        sessions.expire_idle(db, self._minutes())  # those nobody came back to sign out now
        search = {k: (request.args.get(k) or "").strip()[:100] for k in ("user", "org", "ip")}
        query = online_query(g.user, self._minutes(), search["user"], search["org"],
                             search["ip"])
        total = db.execute(select(func.count()).select_from(query.subquery())).scalar_one()
        pages = max(1, -(-total // PAGE_SIZE))
        page = min(max(request.args.get("page", 1, type=int) or 1, 1), pages)
        mine = sessions.current_token()
        own_hash = sessions.digest(mine) if mine else None
        rows = [Online(id=s.id, user=display_name(username, first, last), org=org_name or "",
                       address=s.address or "", browser=browser(s.user_agent),
                       user_agent=s.user_agent or "", kind=str(KINDS.get(s.kind, s.kind)),
                       since=stamp(s.created_at), last_seen=stamp(s.last_seen),
                       own=s.token_hash == own_hash)
                for s, username, first, last, org_name in db.execute(
                    query.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE))]
        may_end = security().has_access(right(FORCE_LOGOUT), ONLINE_VIEW)
        return self.render_template(self.template, title=self.title, rows=rows, total=total,
                                    page=page, pages=pages, search=search,
                                    args={k: v for k, v in search.items() if v},
                                    may_end=may_end,
                                    minutes=self._minutes())

    @expose("/end/<int:pk>", methods=["POST"])
    @has_access
    def end(self, pk: int) -> Any:
        """强退: end one session the viewer can see (404 otherwise), and say whose it was."""
        db = db_session()
        found = db.execute(online_query(g.user, self._minutes()).where(
            sessions.AuthSession.id == pk)).first()
        kept: dict[str, Any] = {k: v for k, v in request.args.items()
                                if k in ("user", "org", "ip", "page")}
        back = redirect(url_for(".list", **kept))
        if found is None:
            if not in_range(db, g.user, pk):
                abort(404)
            flash(_("That session has already ended."), "info")
            return back
        row, username, first, last, _org = found
        who = display_name(username, first, last)
        if sessions.end(db, row.id, by=g.user.id, commit=False):
            trail.record(db, FORCED, changes={"user": who}, record_id=row.id)
        db.commit()
        flash(_("The session of %(user)s has been ended; they must sign in again.", user=who),
              "success")
        return back


def init_app(appbuilder: Any) -> None:
    appbuilder.add_view(OnlineUsersView, ONLINE_MENU, label=lazy_gettext("Online users"),
                        category=SECURITY_CATEGORY, icon="fa-users")
