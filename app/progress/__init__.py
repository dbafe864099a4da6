"""办理进度 (seed 003 ch. 4): the applications a person filed, across every entity with
`progress:` — 在办 and 历史, counted by kind, searched by 核对码, 申报事项, state, 产品名称 and
提交时间, each with its 详情 and the transitions the person may fire on it (撤回, 申请撤回).
query.py reads the rows with the list door's conditions; views.py draws the page."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext

from generator.spec import Spec

ENDPOINT = "ProgressView.index"
# 事项类型: the kinds of application (generator.spec.PROGRESS_CATEGORIES), as the page names
CATEGORY_LABELS = {
    "licence": lazy_gettext("Licensing items"),
    "service": lazy_gettext("Service items"),
    "report": lazy_gettext("Data reports"),
    "testing": lazy_gettext("Inspection and testing"),
}
TITLE = lazy_gettext("Application progress")


def declared(spec: Spec) -> bool:
    """Whether any entity of the schema is an application (the page exists then)."""
    return any(e.progress is not None for e in spec.entities)


def init_app(appbuilder: Any) -> None:
    from app.progress.views import ProgressView

    appbuilder.add_view_no_menu(ProgressView)
