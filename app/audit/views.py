"""审计日志: the audit administrator's page over the trail, with filters and export."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from flask import Response, current_app, stream_with_context
from flask_appbuilder import ModelView, expose, has_access
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.urltools import get_filter_args
from flask_babel import lazy_gettext
from markupsafe import Markup, escape

from app.audit.models import AuditEntry
from app.labels import current_locale
from app.security.matrix import MENU_ACCESS, Perm
from generator.spec import Spec

AUDIT_VIEW = "audit:log"
AUDIT_MENU = "audit_log"
ACTIONS = {
    "create": lazy_gettext("Created"), "edit": lazy_gettext("Changed"),
    "delete": lazy_gettext("Deleted"), "transition": lazy_gettext("State changed"),
    "import": lazy_gettext("Imported"), "login": lazy_gettext("Signed in"),
    "login_failed": lazy_gettext("Failed sign-in"),
    "permissions": lazy_gettext("Permissions changed"),
    "user_created": lazy_gettext("User created"),
    "user_edited": lazy_gettext("User details changed"),
    "user_deactivated": lazy_gettext("User deactivated"),
    "user_activated": lazy_gettext("User re-enabled"),
    "password_reset": lazy_gettext("Password reset by an administrator"),
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


def _entity_label(name: str | None) -> str:
    if not name:
        return ""
    spec = current_app.extensions["admin"].spec
    try:
        return spec.entity(name).label.get(current_locale())
    except KeyError:
        return name


def _changes(raw: str | None) -> str:
    if not raw:
        return ""
    return "；".join(f"{k}: {v[0]} → {v[1]}" for k, v in json.loads(raw).items())


class AuditLogView(ModelView):
    route_base = "/security/audit"
    class_permission_name = AUDIT_VIEW
    method_permission_name = {"list": "list", "show": "show", "export_csv": "export"}
    datamodel = SQLAInterface(AuditEntry)
    base_permissions = ["can_list", "can_show", "can_export"]
    list_title = lazy_gettext("Audit log")
    show_title = lazy_gettext("Audit entry")
    list_columns = ["at", "username", "org_name", "address", "action", "entity", "record_id",
                    "reason"]
    show_columns = list_columns + ["transition", "changes"]
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
        "action": lambda v: str(ACTIONS.get(v, v or "")),
        "entity": _entity_label,
        "changes": lambda v: Markup("<br>").join(escape(p) for p in _changes(v).split("；")),
        "reason": lambda v: v or "", "org_name": lambda v: v or "",
        "address": lambda v: v or "", "record_id": lambda v: v or "",
    }
    list_template = "admin/audit_list.html"

    @expose("/export.csv")
    @has_access
    def export_csv(self) -> Any:
        get_filter_args(self._filters)
        joined = self._filters.get_joined_filters(self._base_filters)
        query = self.datamodel.apply_all(self.datamodel.session.query(AuditEntry), joined,
                                         "id", "desc")
        headers = [str(self.label_columns[c]) for c in self.show_columns]

        def rows() -> Any:
            buffer = io.StringIO()
            writer = csv.writer(buffer)
            writer.writerow(headers)
            yield "\ufeff" + buffer.getvalue()
            for entry in query.yield_per(2000):
                buffer.seek(0)
                buffer.truncate()
                writer.writerow([
                    entry.at.strftime("%Y-%m-%d %H:%M:%S"), entry.username or "",
                    entry.org_name or "", entry.address or "",
                    str(ACTIONS.get(entry.action, entry.action)), _entity_label(entry.entity),
                    entry.record_id or "", entry.reason or "", entry.transition or "",
                    _changes(entry.changes)])
                yield buffer.getvalue()

        response = Response(stream_with_context(r.encode("utf-8") for r in rows()),
                            mimetype="text/csv; charset=utf-8")
        response.headers["Content-Disposition"] = "attachment; filename=audit.csv"
        return response


def init_app(appbuilder: Any) -> None:
    appbuilder.add_view(AuditLogView, AUDIT_MENU, label=lazy_gettext("Audit log"),
                        category="Security", icon="fa-history")
