"""审计日志: the audit administrator's page over the trail, with filters and export."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import abort
from flask_appbuilder import ModelView, expose, has_access
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.urltools import get_filter_args
from flask_babel import lazy_gettext

from app.audit import render
from app.audit.models import AuditEntry
from app.io.downloads import csv_download, xlsx_download
from app.io.export import batched
from generator.builders.matrix import MENU_ACCESS, Perm
from generator.spec import Spec

AUDIT_VIEW = "audit:log"
AUDIT_MENU = "audit_log"
ACTIONS = {
    "create": lazy_gettext("Created"), "edit": lazy_gettext("Changed"),
    "delete": lazy_gettext("Deleted"), "transition": lazy_gettext("State changed"),
    "import": lazy_gettext("Imported"), "login": lazy_gettext("Signed in"),
    "login_failed": lazy_gettext("Failed sign-in"),
    "logout": lazy_gettext("Sign-out"),
    "force_logout": lazy_gettext("Force sign-out"),
    "permissions": lazy_gettext("Permissions changed"),
    "change_request": lazy_gettext("Change requested"),
    "change_decision": lazy_gettext("Change decided"),
    "user_created": lazy_gettext("User created"),
    "accounts_import": lazy_gettext("Accounts imported"),
    "user_edited": lazy_gettext("User details changed"),
    "user_deactivated": lazy_gettext("User deactivated"),
    "user_activated": lazy_gettext("User re-enabled"),
    "password_reset": lazy_gettext("Password reset by an administrator"),
    "feedback": lazy_gettext("Feedback sent"),
    "document": lazy_gettext("Document generated"),
    "dictionary": lazy_gettext("Dictionary changed"),
    "settings": lazy_gettext("Settings changed"),
    "remind": lazy_gettext("Reminder sent"),
    "notice_add": lazy_gettext("Notice added"),
    "notice_edit": lazy_gettext("Notice changed"),
    "notice_publish": lazy_gettext("Notice published"),
    "notice_unpublish": lazy_gettext("Notice withdrawn"),
    "notice_delete": lazy_gettext("Notice deleted"),
}


def duty_perms(spec: Spec) -> dict[str, set[Perm]]:
    """Audit (and security) administrators read the audit log (三员分立)."""
    out: dict[str, set[Perm]] = {}
    for role in spec.roles:
        if role.admin in ("audit", "security"):
            out[role.key] = {Perm("can_list", AUDIT_VIEW), Perm("can_show", AUDIT_VIEW),
                             Perm("can_export", AUDIT_VIEW), Perm(MENU_ACCESS, AUDIT_MENU),
                             Perm(MENU_ACCESS, "Security")}
    return out


def rendered(entry: AuditEntry) -> render.Rendered:
    return render.render(entry, ACTIONS)


class AuditLogView(ModelView):
    route_base = "/security/audit"
    class_permission_name = AUDIT_VIEW
    method_permission_name = {"list": "list", "show": "show", "export_csv": "export",
                              "export_xlsx": "export"}
    datamodel = SQLAInterface(AuditEntry)
    base_permissions = ["can_list", "can_show", "can_export"]
    list_title = lazy_gettext("Audit log")
    show_title = lazy_gettext("Audit entry")
    list_columns = ["at", "username", "org_name", "address", "action", "entity", "record_id",
                    "reason"]
    search_columns = ["at", "username", "org_name", "address", "action", "entity",
                      "record_id"]
    base_order = ("id", "desc")
    label_columns = {
        "at": lazy_gettext("Time"), "username": lazy_gettext("User"),
        "org_name": lazy_gettext("Organisation"), "address": lazy_gettext("Address"),
        "action": lazy_gettext("Action"), "entity": lazy_gettext("Data"),
        "record_id": lazy_gettext("Record"), "reason": lazy_gettext("Reason"),
        "transition": lazy_gettext("Transition"), "changes": lazy_gettext("Changes"),
    }
    formatters_columns = {
        "at": lambda v: v.strftime("%Y-%m-%d %H:%M:%S") if v else "",
        "action": lambda v: render.action_label(ACTIONS, v),
        "entity": render.entity_label,
        "reason": lambda v: v or "", "org_name": lambda v: v or "",
        "username": lambda v: v or "", "address": lambda v: v or "",
        "record_id": lambda v: "" if v is None else v,
    }
    list_template = "admin/audit_list.html"
    show_template = "admin/audit_show.html"
    # what an export holds, in this order (the detail page shows the same)
    export_columns = ["at", "username", "org_name", "address", "action", "entity", "record_id",
                      "transition", "reason", "changes"]

    @expose("/show/<pk>")
    @has_access
    def show(self, pk: Any) -> Any:
        entry = self.datamodel.get(int(pk), self._base_filters) if pk.isdigit() else None
        if entry is None:
            abort(404)
        return self.render_template(self.show_template, pk=pk, title=self.show_title,
                                    entry=rendered(entry), widgets={})

    def export_query(self) -> Any:
        """The entries the list shows (its filters applied), newest first, in batches."""
        get_filter_args(self._filters)
        joined = self._filters.get_joined_filters(self._base_filters)
        query = self.datamodel.apply_all(self.datamodel.session.query(AuditEntry), joined,
                                         "id", "desc")
        return batched(query)

    def export_headers(self) -> list[str]:
        return [str(self.label_columns[c]) for c in self.export_columns]

    @staticmethod
    def export_line(entry: AuditEntry) -> list[Any]:
        r = rendered(entry)
        return [entry.at, r.who, r.org, r.address, r.action, r.subject, entry.record_id,
                r.transition, r.reason, r.changes_text()]

    def _file_name(self, suffix: str) -> str:
        return f"{self.list_title}_{dt.date.today():%Y%m%d}{suffix}"

    @expose("/export.csv")
    @has_access
    def export_csv(self) -> Any:
        lines = (self.export_line(e) for e in self.export_query())
        return csv_download(self.export_headers(), lines, self._file_name(".csv"))

    @expose("/export.xlsx")
    @has_access
    def export_xlsx(self) -> Any:
        lines = (self.export_line(e) for e in self.export_query())
        return xlsx_download(self.export_headers(), lines, str(self.list_title),
                             self._file_name(".xlsx"))


def init_app(appbuilder: Any) -> None:
    appbuilder.add_view(AuditLogView, AUDIT_MENU, label=lazy_gettext("Audit log"),
                        category="Security", icon="fa-history")
