"""The 权限矩阵 page for auditors, and its xlsx download (the same rows as `schema matrix`).

Readable with `can_show` on `security:matrix`: the administrator role has it, and so does
every role whose YAML `admin:` duty is system, security or audit (security/matrix.py).
"""

from __future__ import annotations

import io
from itertools import groupby
from typing import Any

from flask import current_app, send_file
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import lazy_gettext

from app.context import generated
from app.security.matrix_table import (
    ACTION_HEADERS,
    CHECK,
    HEADERS,
    SHEET,
    role_rows,
    rows,
    write_xlsx,
)
from generator.builders.matrix import MATRIX_MENU, MATRIX_VIEW, SECURITY_CATEGORY
from generator.permissions import ACTIONS

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _context() -> tuple[Any, str]:
    return generated().spec, current_app.config["AUTH_ROLE_ADMIN"]


class PermissionMatrixView(BaseView):
    route_base = "/security/matrix"
    class_permission_name = MATRIX_VIEW
    method_permission_name = {"matrix": "show", "xlsx": "show"}
    default_view = "matrix"
    template = "admin/matrix.html"

    @expose("/")
    @has_access
    def matrix(self) -> Any:
        spec, admin_role = _context()
        roles = {r.key: r for r in role_rows(spec, admin_role)}
        groups = [(roles[key], list(items))
                  for key, items in groupby(rows(spec, admin_role), key=lambda r: r.role)]
        return self.render_template(
            self.template, title=SHEET, groups=groups, actions=list(zip(ACTIONS, ACTION_HEADERS,
                                                                        strict=True)),
            headers=HEADERS, check=CHECK, entity_count=len(spec.entities))

    @expose("/xlsx")
    @has_access
    def xlsx(self) -> Any:
        spec, admin_role = _context()
        stream = io.BytesIO()
        write_xlsx(spec, stream, admin_role)
        stream.seek(0)
        return send_file(stream, mimetype=XLSX, as_attachment=True,
                         download_name=f"{SHEET}.xlsx")


def init_app(appbuilder: Any) -> None:
    appbuilder.add_view(PermissionMatrixView, MATRIX_MENU, label=lazy_gettext("Permission matrix"),
                        category=SECURITY_CATEGORY, icon="fa-th")
