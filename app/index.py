"""Home page (工作台): the signed-in person's 待办, reporting windows, landing choices and
modules (app/workbench.py)."""

from __future__ import annotations

from typing import Any

from flask_appbuilder import IndexView as FabIndexView
from flask_appbuilder import expose
from flask_babel import gettext

from app import workbench
from app.security.scope import current


class IndexView(FabIndexView):
    index_template = "admin/index.html"

    @expose("/")
    def index(self) -> Any:
        user = current()
        if user is not None:
            bench = workbench.build(user)
        else:  # a public 通知公告 is on the sign-in invitation too
            bench = workbench.Workbench(notices=workbench.notice_panel(None))
        return self.render_template(self.index_template, appbuilder=self.appbuilder,
                                    bench=bench, modules=bench.modules, title=gettext("Home"))
