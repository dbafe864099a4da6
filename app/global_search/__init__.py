"""全局搜索 (seed 003 ch. 3): /search/?q= over the entities that declare `searchable` and the
通知公告, each within the person's range; a box in the top bar and on the 工作台."""

from __future__ import annotations

from typing import Any


def init_app(appbuilder: Any) -> None:
    from app.global_search.views import GlobalSearchView

    appbuilder.add_view_no_menu(GlobalSearchView())
