"""Home page: the modules and entities the signed-in person can open."""

from __future__ import annotations

from typing import Any

from flask import current_app, url_for
from flask_appbuilder import IndexView as FabIndexView
from flask_appbuilder import expose
from flask_babel import gettext

from app.forms import endpoint_for
from app.labels import current_locale


class IndexView(FabIndexView):
    index_template = "admin/index.html"

    @expose("/")
    def index(self) -> Any:
        admin = current_app.extensions.get("admin")
        sm = self.appbuilder.sm
        locale = current_locale()
        modules = []
        for module in sorted(admin.spec.modules, key=lambda m: (m.order, m.key)) if admin else []:
            entities = [
                {"label": e.label.get(locale), "icon": e.icon,
                 "url": url_for(f"{endpoint_for(e)}.list")}
                for e in module.entities
                # Rights are named after the entity (`module:resource`), not the view class.
                if e.menu and sm.has_access("can_list", e.permission_name)
            ]
            if entities:
                modules.append({"label": module.label.get(locale), "icon": module.icon,
                                "entities": entities})
        return self.render_template(self.index_template, appbuilder=self.appbuilder,
                                    modules=modules, title=gettext("Home"))
