"""系统管理 → 用户管理 → 批量导入账号: the screen of `bulk_accounts` (template, check, create)."""

from __future__ import annotations

import io
from typing import Any

from flask import Response, g, request
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _
from sqlalchemy import select

from app.audit import trail
from app.context import db_session
from app.security import bulk_accounts
from app.security.headers import send_attachment
from app.security.models import AppUser
from app.security.user_rules import managed_users

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _workbook(sheets: list[tuple[str, list[list[str]]]]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    book.remove(book.active)
    for title, rows in sheets:
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for column in sheet.columns:
            width = max(len(str(c.value or "")) for c in column)
            sheet.column_dimensions[column[0].column_letter].width = min(60, 4 + 2 * width)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _download(data: bytes, name: str) -> Response:
    response = send_attachment(io.BytesIO(data), name, XLSX)  # ASCII name, nosniff
    response.headers["Cache-Control"] = "no-store"  # the sheet of passwords: never cached
    return response


class BulkAccountsView(BaseView):
    """Upload an xlsx of accounts; all are created, or none and every problem is listed."""

    route_base = "/system/users/bulk"
    default_view = "index"
    class_permission_name = "system:users"  # whoever may add users (each row checked alike)
    method_permission_name = {"index": "add", "template": "add", "passwords": "add"}

    @expose("/", methods=["GET", "POST"])
    @has_access
    def index(self) -> Any:
        problems: list[bulk_accounts.Problem] = []
        made: list[dict[str, str]] = []
        file_name = ""
        if request.method == "POST":
            upload = request.files.get("file")
            file_name = (upload.filename or "") if upload is not None else ""
            data = upload.read() if upload is not None else b""
            if not data:
                problems = [bulk_accounts.Problem(0, "", _("Choose the file to import."))]
            else:
                problems, made = self._import(data, file_name or "")
        return self.render_template(
            "admin/users_bulk.html", title=_("Import accounts"), problems=problems,
            made=made, file_name=file_name, max_rows=bulk_accounts.max_rows())

    def _import(self, data: bytes, file_name: str
                ) -> tuple[list[bulk_accounts.Problem], list[dict[str, str]]]:
        session = db_session()
        try:
            headers, rows = bulk_accounts.read_rows(data)
        except ValueError as exc:
            return [bulk_accounts.Problem(0, "", str(exc))], []
        checked = bulk_accounts.check(session, g.user, headers, rows)
        if checked.problems:
            return checked.problems, []
        try:
            made = bulk_accounts.create(session, self.appbuilder.sm, checked.accounts)
            trail.record(session, "accounts_import", changes={
                "file": [None, file_name], "created": [None, len(made)]})
            session.commit()
        except Exception:
            session.rollback()
            raise
        return [], made

    @expose("/template")
    @has_access
    def template(self) -> Any:
        data = _workbook([("账号", bulk_accounts.template_rows(g.user)),
                          ("填写说明", bulk_accounts.legend(g.user))])
        return _download(data, "批量导入账号模板.xlsx")

    @expose("/passwords", methods=["POST"])
    @has_access
    def passwords(self) -> Any:
        """The initial passwords just shown, as a sheet to hand out: only of the accounts the
        administrator manages that still wait for their first change of password."""
        names = request.form.getlist("username")
        secrets_ = dict(zip(names, request.form.getlist("password"), strict=False))
        query = select(AppUser).where(AppUser.username.in_(names),
                                      AppUser.must_change_password.is_(True))
        reach = managed_users(g.user)
        if reach is not None:
            query = query.where(reach)
        users = {u.username: u for u in db_session().execute(query).unique().scalars()}
        rows = [["用户名", "姓名", "所属机构", "初始密码"]]
        rows += [[n, users[n].first_name, users[n].org.name if users[n].org else "",
                  secrets_.get(n, "")] for n in names if n in users]
        return _download(_workbook([("初始密码", rows)]), "初始密码.xlsx")


def init_app(appbuilder: Any) -> None:
    appbuilder.add_view_no_menu(BulkAccountsView)

