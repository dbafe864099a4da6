"""帮助中心 of the service portal (seed 003 ch. 3, 7-10): content pages in Markdown
(`pages:` of a module), 咨询 with the closest 常见问题 (`similar:` of an entity: similar.py),
the rows anybody may read and download (`public:` of an entity), and the floating 帮助中心
entry on every page. Views: views.py."""

from __future__ import annotations

from typing import Any


def init_app(appbuilder: Any) -> None:
    from app.helpdesk.views import init_app as views_init_app

    views_init_app(appbuilder)
