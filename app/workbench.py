"""工作台, the home page of each person: their 待办, the reporting windows of their batches,
the landing choices of their modules and the modules as tiles.

Everything is read for the signed-in person with the rights the screens use: an entity
appears only when they may list it (module choice included) and its module's gate lets them
in; 待办 counts with app/workflow/todo.py, one statement per entity.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from flask import url_for
from flask_babel import gettext as _

from app import favourites, gate
from app.context import db_session, generated, security
from app.forms import endpoint_for
from app.global_search import query as global_search
from app.hooks import window_deadline
from app.hooks.models import beijing_now
from app.labels import current_locale
from app.workflow import todo
from generator.spec import Entity, Landing, Module

SOON = dt.timedelta(days=3)  # an open window closing within this is marked 即将截止
JUST_CLOSED = dt.timedelta(days=7)  # a window closed within this is still shown
OPENS_SOON = dt.timedelta(days=30)  # a window opening within this is announced


@dataclass
class Todo:
    module: str
    entity: str
    icon: str
    count: int
    url: str
    overdue: int = 0  # of them past their state's time limit
    overdue_url: str = ""


@dataclass
class WindowLine:
    batch: str
    status: str  # open | soon | not_yet | closed
    span: str
    left: str
    url: str


@dataclass
class LandingBox:
    module: str
    title: str
    choices: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class NoticeLine:
    category: str
    title: str
    day: str
    url: str


@dataclass
class NoticePanel:
    """通知公告's newest notices of the person's range (seed 003 ch. 1: 首页消息提示)."""

    label: str
    url: str
    lines: list[NoticeLine] = field(default_factory=list)


@dataclass
class Workbench:
    todos: list[Todo] = field(default_factory=list)
    windows: list[WindowLine] = field(default_factory=list)
    landings: list[LandingBox] = field(default_factory=list)
    modules: list[dict[str, Any]] = field(default_factory=list)
    notices: NoticePanel | None = None
    favourites: list[favourites.FavouriteLine] | None = None  # 我的收藏; None: nothing to star
    searchable: bool = False  # the 全局搜索 box: something the person may search


def _list_url(entity: Entity, **args: Any) -> str:
    return url_for(f"{endpoint_for(entity)}.list", **args)


def reachable(spec_modules: tuple[Module, ...]) -> list[tuple[Module, list[Entity]]]:
    """The modules with the entities the person may list, in menu order."""
    sm = security()
    out = []
    for module in sorted(spec_modules, key=lambda m: (m.order, m.key)):
        entities = [e for e in module.entities
                    if e.menu and sm.has_access("can_list", e.permission_name)]
        if entities:
            out.append((module, entities))
    return out


def _gated(module: Module, entities: list[Entity], user: Any) -> set[str]:
    """The entities the module's gate still holds the person back from (one query)."""
    if module.gate is None or not gate.held(module.gate, user):
        return set()
    behind = [e for e in entities if gate.gate_of(e) is not None]
    if not behind or gate.refusal(behind[0]) is None:
        return set()
    return {e.qualified for e in behind}


def build(user: Any) -> Workbench:
    admin = generated()
    session = db_session()
    locale = current_locale()
    bench = Workbench()
    modules = reachable(admin.spec.modules)
    for module, entities in modules:
        bench.modules.append({"label": module.label.get(locale), "icon": module.icon,
                              "entities": [{"label": e.label.get(locale), "icon": e.icon,
                                            "url": _list_url(e)} for e in entities]})
        gated = _gated(module, entities, user)
        for entity in entities:
            if entity.qualified not in gated and todo.applies(entity, user):
                waiting, late = todo.counts(entity, admin.models[entity.qualified], user,
                                            session)
                bench.todos.append(Todo(
                    module.label.get(locale), entity.label.get(locale), entity.icon, waiting,
                    _list_url(entity, **{todo.LIST_ARGUMENT: "1"}), late,
                    _list_url(entity, **{todo.LIST_ARGUMENT: "1", todo.OVERDUE_ARGUMENT: "1"})))
        if module.landing is not None:
            box = _landing(module, module.landing, entities, user)
            if box is not None:
                bench.landings.append(box)
    bench.windows = _windows([e for _m, es in modules for e in es], user, session)
    bench.notices = notice_panel(user)
    listed = [e for _m, es in modules for e in es]
    if any(e.favourites for e in listed):
        bench.favourites = favourites.panel(user, listed)
    bench.searchable = bool(global_search.sources(user))
    return bench


def notice_panel(user: Any) -> NoticePanel | None:
    """The newest published notices the person (or an anonymous visitor) reads."""
    from app.notices import board as notice_rules
    from app.notices.views import category_label, latest

    board = notice_rules.board()
    if board is None or not notice_rules.may_read(user):
        return None
    panel = NoticePanel(board.label.get(current_locale()), url_for("NoticeView.index"))
    for notice in latest(user, board.latest):
        day = notice.published_at.strftime("%Y-%m-%d") if notice.published_at else ""
        panel.lines.append(NoticeLine(category_label(notice.category), notice.title, day,
                                      url_for("NoticeView.show", pk=notice.id)))
    return panel


def _landing(module: Module, landing: Landing, entities: list[Entity], user: Any
             ) -> LandingBox | None:
    if landing.user_classes and getattr(user, "user_class", None) not in landing.user_classes:
        return None
    locale = current_locale()
    listed = {e.qualified: e for e in entities}
    box = LandingBox(module.label.get(locale), landing.title.get(locale))
    for choice in landing.choices:
        entity = listed.get(choice.entity)
        if entity is None:
            continue
        args = {window_deadline.LIST_ARGUMENT: choice.window} if choice.window else {}
        box.choices.append({"key": choice.key, "label": choice.label.get(locale),
                            "help": choice.help.get(locale) if choice.help else "",
                            "icon": choice.icon, "url": _list_url(entity, **args)})
    return box if box.choices else None


def _windows(entities: list[Entity], user: Any, session: Any) -> list[WindowLine]:
    """The windows of the series the person's entities name, as they hold for their
    organisation: open ones with the time left, those opening soon, those just closed."""
    seen: dict[str, Entity] = {}
    for entity in entities:
        ref = entity.hook("window_deadline")
        if ref is not None and ref.get("window") not in seen:
            seen[ref.get("window")] = entity
    now = beijing_now()
    lines: list[tuple[dt.datetime, WindowLine]] = []
    org = getattr(user, "org", None)
    for name, entity in seen.items():
        found = window_deadline.batches(session, name, org)
        done: set[int] = set()
        for batch, applied in found.applied.items():
            if applied.window.id in done:
                continue
            done.add(applied.window.id)
            line = _window_line(name, batch, applied, now, entity)
            if line is not None:
                lines.append((applied.closes_at, line))
    order = {"soon": 0, "open": 1, "not_yet": 2, "closed": 3}
    return [line for _at, line in sorted(lines, key=lambda p: (order[p[1].status], p[0]))]


def _window_line(name: str, batch: str | None, applied: Any, now: dt.datetime,
                 entity: Entity) -> WindowLine | None:
    window = applied.window
    status = applied.status(now)
    if status == "open":
        soon = applied.closes_at - now <= SOON
        shown, left = ("soon" if soon else "open"), left_text(applied.closes_at - now)
    elif status == "not_yet" and window.opens_at - now <= OPENS_SOON:
        shown, left = "not_yet", _("Opens in %(left)s", left=duration(window.opens_at - now))
    elif status == "off" and now - applied.closes_at <= JUST_CLOSED:  # switched off
        shown, left = "closed", _("Reporting closed")
    elif status == "ended" and now - applied.closes_at <= JUST_CLOSED:
        shown, left = "closed", _("Closed")
    else:
        return None
    fmt = window_deadline.TIME_FORMAT
    span = _("%(opens)s to %(closes)s (Beijing time)", opens=window.opens_at.strftime(fmt),
             closes=applied.closes_at.strftime(fmt))
    return WindowLine(window_deadline.batch_label(name, batch), shown, span, left,
                      _list_url(entity))


def duration(left: dt.timedelta) -> str:
    """N 天 / N 小时 / N 分钟: the largest whole unit."""
    seconds = max(0, int(left.total_seconds()))
    if seconds >= 86400:
        return _("%(n)s days", n=seconds // 86400)
    if seconds >= 3600:
        return _("%(n)s hours", n=seconds // 3600)
    return _("%(n)s minutes", n=max(1, seconds // 60))


def left_text(left: dt.timedelta) -> str:
    return _("%(left)s left", left=duration(left))
