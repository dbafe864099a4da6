"""系统管理 → 参数设置: the declared parameters (app/system/settings.py) on one page, as RuoYi's
参数设置: 参数名称, 参数键名, 参数键值 (the input), the default and what it means; 保存 checks every
value (all refused together, in Chinese), stores what changed, writes it to 审计日志."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext

from app.context import db_session, security
from app.system import settings
from generator.permissions import SETTINGS_MENU, SETTINGS_VIEW, SYSTEM_CATEGORY, right


class SettingsView(BaseView):
    route_base = "/system/settings"
    class_permission_name = SETTINGS_VIEW
    base_permissions = [right("list"), right("edit")]
    method_permission_name = {"list": "list", "save": "edit"}
    default_view = "list"

    @expose("/")
    @has_access
    def list(self) -> Any:
        found = settings.stored()[1]
        rows = [{"p": p, "value": settings.value(p.key), "default": p.default(),
                 "set": p.key in found, "bounds": p.bounds()} for p in settings.PARAMETERS]
        return self.render_template(
            "admin/settings.html", title=_("Parameter settings"), rows=rows,
            may_edit=security().has_access(right("edit"), SETTINGS_VIEW))

    @expose("/save", methods=["POST"])
    @has_access
    def save(self) -> Any:
        values: dict[str, Any] = {}
        problems: list[str] = []
        for p in settings.PARAMETERS:
            if p.kind != settings.FLAG and p.key not in request.form:
                continue
            try:
                values[p.key] = settings.parse(p, request.form.get(p.key))
            except settings.Refused as exc:
                problems.append(str(exc))
        if problems:
            for problem in problems:
                flash(problem, "danger")
            return redirect(url_for(".list"))
        session = db_session()
        changed = settings.save(session, values)
        session.commit()
        flash(_("Saved; the new values apply from the next page on every server.")
              if changed else _("Nothing was changed."), "success" if changed else "info")
        return redirect(url_for(".list"))


def init_app(appbuilder: Any) -> None:
    appbuilder.add_view(SettingsView, SETTINGS_MENU, label=lazy_gettext("Parameter settings"),
                        category=SYSTEM_CATEGORY, icon="fa-sliders")
