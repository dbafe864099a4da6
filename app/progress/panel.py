"""办理进度 on the 工作台: how many of the person's applications are 在办 and how many 历史,
by kind, each a link to the page (the same counts as the page's, one statement per entity)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import url_for

from app.context import db_session
from app.progress import CATEGORY_LABELS, ENDPOINT, TITLE, query
from generator.spec import PROGRESS_CATEGORIES


@dataclass
class Panel:
    title: str
    url: str
    open: int
    history: int
    open_url: str
    history_url: str
    kinds: list[tuple[str, int, str]] = field(default_factory=list)  # label, count, url


def panel(user: Any) -> Panel | None:
    found = query.entities(user)
    if not found:
        return None
    counts = query.counts(found, user, db_session(), query.Filters())
    kinds = {e.progress.category for e in found if e.progress is not None}
    return Panel(str(TITLE), url_for(ENDPOINT), counts.tabs["open"], counts.tabs["history"],
                 url_for(ENDPOINT, tab="open"), url_for(ENDPOINT, tab="history"),
                 [(str(CATEGORY_LABELS[k]), counts.categories[k], url_for(ENDPOINT, category=k))
                  for k in PROGRESS_CATEGORIES if k in kinds])
