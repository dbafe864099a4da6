"""登录日志 (安全 → 登录日志): every sign-in, failed sign-in and sign-out, read-only.

A view over the audit trail's `login`, `login_failed` and `logout` entries (app/audit/
sign_ins.py says who writes them), with the account's name, the organisation, the address,
the browser and, for failures and sign-outs, why. Filters: user, result, time range, address;
导出 Excel / 导出 CSV go through the same export path as every list (formulas neutralised,
text stored as text, bounded memory) with the filters applied. Who sees which entries follows
在线用户: national sees all, a region the entries of its subtree's organisations.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from flask import flash, g, request
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from sqlalchemy import func, or_, select

from app.audit.models import AuditEntry
from app.audit.sign_ins import FAILED, SIGN_IN, SIGN_IN_ACTIONS, SIGN_OUT
from app.context import db_session, security
from app.io.downloads import csv_download, xlsx_download
from app.io.export import BATCH
from app.security import sessions
from app.security.agents import browser
from app.security.models import AppUser, Organisation
from app.security.online import contains, people_in_range, stamp
from generator.builders.matrix import SECURITY_CATEGORY
from generator.permissions import LOGIN_LOG_MENU, LOGIN_LOG_VIEW, right

PAGE_SIZE = 50
TITLE = lazy_gettext("Login log")
RESULTS = {SIGN_IN: lazy_gettext("Sign-in succeeded"), FAILED: lazy_gettext("Failed sign-in"),
           SIGN_OUT: lazy_gettext("Sign-out")}
HEADERS = (lazy_gettext("Time"), lazy_gettext("User Name"), lazy_gettext("Full name"),
           lazy_gettext("Organisation"), lazy_gettext("IP address"), lazy_gettext("Browser"),
           lazy_gettext("Result"), lazy_gettext("Reason"))
# the export also keeps the browser's own words (the readable label loses detail)
EXPORT_HEADERS = (*HEADERS, lazy_gettext("User agent"))


@dataclass
class Search:
    """The filters of the page, as the query string carries them."""

    user: str = ""
    result: str = ""
    start: str = ""  # YYYY-MM-DD, inclusive
    end: str = ""  # YYYY-MM-DD, inclusive
    ip: str = ""

    @classmethod
    def from_args(cls, args: Any) -> Search:
        found = cls(**{k: (args.get(k) or "").strip()[:100]
                       for k in ("user", "result", "start", "end", "ip")})
        if found.result not in RESULTS:
            found.result = ""
        return found

    def args(self) -> dict[str, str]:
        return {k: v for k, v in vars(self).items() if v}


def day(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text) if text else None
    except ValueError:
        flash(_("Dates are written YYYY-MM-DD, e.g. 2026-03-01; %(value)s was ignored.",
                value=text), "warning")
        return None


def log_query(viewer: Any, search: Search) -> Any:
    """The sign-in entries `viewer` may read, filtered, newest first."""
    query = (select(AuditEntry, AppUser.first_name, AppUser.last_name)
             .outerjoin(AppUser, AppUser.id == AuditEntry.user_id)
             .outerjoin(Organisation, Organisation.id == AuditEntry.org_id)
             .where(AuditEntry.action.in_(SIGN_IN_ACTIONS)))
    condition = people_in_range(viewer)
    if condition is not None:
        query = query.where(condition)
    if search.user:
        query = query.where(or_(contains(AuditEntry.username, search.user),
                                contains(AppUser.first_name, search.user)))
    if search.result:
        query = query.where(AuditEntry.action == search.result)
    start, end = day(search.start), day(search.end)
    if start is not None:
        query = query.where(AuditEntry.at >= dt.datetime.combine(start, dt.time()))
    if end is not None:
        query = query.where(AuditEntry.at < dt.datetime.combine(end + dt.timedelta(days=1),
                                                                dt.time()))
    if search.ip:
        query = query.where(contains(AuditEntry.address, search.ip))
    return query.order_by(AuditEntry.id.desc())


def line(entry: AuditEntry, first: str | None, last: str | None) -> list[Any]:
    """One entry as the exports write it, in HEADERS' order (the time to the second)."""
    name = " ".join(p for p in (first, last) if p)
    return [entry.at.replace(microsecond=0), entry.username or "", name, entry.org_name or "",
            entry.address or "", browser(entry.user_agent),
            str(RESULTS.get(entry.action, entry.action)), entry.reason or ""]


class LoginLogView(BaseView):
    route_base = "/security/login-log"
    class_permission_name = LOGIN_LOG_VIEW
    base_permissions = [right("list"), right("export")]
    method_permission_name = {"entries": "list", "export_csv": "export",
                              "export_xlsx": "export"}
    default_view = "entries"
    template = "admin/login_log.html"

    @staticmethod
    def _expire() -> None:
        """Sessions nobody came back to are signed out (超时) before the log is read."""
        sessions.expire_idle(db_session(), int(security().password_policy.idle_minutes))

    @expose("/")
    @has_access
    def entries(self) -> Any:
        self._expire()
        db = db_session()
        search = Search.from_args(request.args)
        query = log_query(g.user, search)
        total = db.execute(select(func.count()).select_from(query.subquery())).scalar_one()
        pages = max(1, -(-total // PAGE_SIZE))
        page = min(max(request.args.get("page", 1, type=int) or 1, 1), pages)
        rows = [([stamp(entry.at), *line(entry, first, last)[1:]], entry.user_agent or "")
                for entry, first, last
                in db.execute(query.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE))]
        return self.render_template(
            self.template, title=TITLE, rows=rows, total=total, page=page, pages=pages,
            search=search, args=search.args(), headers=[str(h) for h in HEADERS],
            results=[(k, str(v)) for k, v in RESULTS.items()],
            may_export=security().has_access(right("export"), LOGIN_LOG_VIEW))

    @staticmethod
    def _lines() -> Iterator[list[Any]]:
        """The export's lines, in batches. The statement is built now, inside the view (the
        viewer's range reads its roles); it runs once the response streams, on the session
        of the streaming context (the view's own is closed when the view returns)."""
        query = log_query(g.user, Search.from_args(request.args))

        def lines() -> Iterator[list[Any]]:
            for entry, first, last in db_session().execute(
                    query.execution_options(yield_per=BATCH)):
                yield [*line(entry, first, last), entry.user_agent or ""]

        return lines()

    @staticmethod
    def _file_name(suffix: str) -> str:
        return f"{TITLE}_{dt.date.today():%Y%m%d}{suffix}"

    @expose("/export.csv")
    @has_access
    def export_csv(self) -> Any:
        self._expire()
        return csv_download([str(h) for h in EXPORT_HEADERS], self._lines(),
                            self._file_name(".csv"))

    @expose("/export.xlsx")
    @has_access
    def export_xlsx(self) -> Any:
        self._expire()
        return xlsx_download([str(h) for h in EXPORT_HEADERS], self._lines(), str(TITLE),
                             self._file_name(".xlsx"))


def init_app(appbuilder: Any) -> None:
    appbuilder.add_view(LoginLogView, LOGIN_LOG_MENU, label=TITLE, category=SECURITY_CATEGORY,
                        icon="fa-sign-in")
