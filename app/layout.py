"""The frame around every page: the sidebar's groups and links and the breadcrumbs.

`sidebar` and `breadcrumbs` are pure functions: the Spec (one group per module, its entities'
lists and summaries), the system menus Flask-AppBuilder holds (系统管理, 安全, 上报时间管理 …,
read once per request by `system_groups`), and the person's rights as a predicate over menu
names — the `menu_access` right FAB's own menu asks, so the sidebar offers exactly what the
menu did. `init_app` hands them to the templates (admin/base.html) as `admin_frame(title)`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from app import completeness, exam, summary
from app.forms import endpoint_for
from generator.permissions import (
    MENU_ACCESS,
    PROGRESS_MENU,
    completeness_menu,
    exam_menu,
    notices_menu,
    subscriptions_menu,
    summary_menu,
)
from generator.spec import Label, Spec

INDEX_ENDPOINT = "IndexView.index"
NOTICES_ENDPOINT = "NoticeView.index"
SUBSCRIPTIONS_ENDPOINT = "NoticeSubscriptionView.index"
SUBSCRIPTIONS = Label("订阅设置", "Subscriptions")
PROGRESS_ENDPOINT = "ProgressView.index"
PROGRESS = Label("办理进度", "Application progress")
CONSULT = Label("咨询", "Ask a question")
# menu names that are no FAB menu: a content page (its readers) and 咨询 (the entity's list)
PAGE_PREFIX, CONSULT_PREFIX = "page:", "consult:"
# Open every group on first sight when there are this few; more start closed except the
# current page's (the person opens and closes them, the browser remembers).
OPEN_GROUPS_UP_TO = 3
# 数据分析 (app/dashboards/) and the system menus in this order after the modules (FAB's
# registration order for the rest).
SYSTEM_FIRST = ("analytics", "system_admin", "Security")


@dataclass(frozen=True)
class Link:
    name: str  # the menu name; `menu_access` on it decides whether the person sees it
    label: str
    icon: str
    endpoint: str  # the Flask endpoint the link opens ("" with an href)
    href: str = ""  # a menu link of FAB's that names an address, not a view
    user_classes: tuple[str, ...] = ()  # a module's `links`: only for these (empty: all)

    @property
    def blueprint(self) -> str:
        return self.endpoint.split(".", 1)[0]


@dataclass(frozen=True)
class Group:
    key: str  # the menu category; `menu_access` on it too
    label: str
    icon: str
    links: tuple[Link, ...]


@dataclass(frozen=True)
class Crumb:
    label: str
    endpoint: str = ""  # a link to this endpoint; "" for the page itself
    href: str = ""


def module_groups(spec: Spec, locale: str) -> tuple[Group, ...]:
    """Every module with its menu entries (通知公告 and 订阅设置 first where the module has
    notices, then its `links` to other modules' lists, then lists and each entity's
    summaries), rights not applied, in the modules' order."""
    groups = []
    progress_at = next((m.key for m in sorted(spec.modules, key=lambda m: (m.order, m.key))
                        if any(e.progress is not None for e in m.entities)), None)
    for module in sorted(spec.modules, key=lambda m: (m.order, m.key)):
        links: list[Link] = []
        if module.key == progress_at:  # 办理进度 spans every module's applications
            links.append(Link(PROGRESS_MENU, PROGRESS.get(locale), "fa-tasks",
                              PROGRESS_ENDPOINT))
        if module.notices is not None:
            links += [Link(notices_menu(module.key), module.notices.label.get(locale),
                           "fa-bullhorn", NOTICES_ENDPOINT),
                      Link(subscriptions_menu(module.key), SUBSCRIPTIONS.get(locale), "fa-rss",
                           SUBSCRIPTIONS_ENDPOINT)]
        for link in module.links:  # another module's list, seen by whoever may open it
            target = spec.entity(link.entity)
            links.append(Link(target.qualified, link.label.get(locale), link.icon,
                              f"{endpoint_for(target)}.list",
                              user_classes=link.user_classes))
        for entity in module.entities:
            if entity.similar is not None:  # 咨询 before the entries' list
                links.append(Link(f"{CONSULT_PREFIX}{entity.qualified}",
                                  (entity.similar.label or CONSULT).get(locale),
                                  "fa-commenting", "",
                                  f"/consult/{entity.module}/{entity.resource}/"))
            if entity.menu:
                links.append(Link(entity.qualified, entity.label.get(locale), entity.icon,
                                  f"{endpoint_for(entity)}.list"))
            links += [Link(summary_menu(entity, s), s.label.get(locale), "fa-bar-chart",
                           f"{summary.endpoint_for(entity, s)}.table") for s in entity.summaries]
            if entity.completeness is not None:
                links.append(Link(completeness_menu(entity),
                                  entity.completeness.label.get(locale), "fa-tasks",
                                  f"{completeness.endpoint_for(entity)}.table"))
            if entity.exam is not None:
                links.append(Link(exam_menu(entity), entity.exam.label.get(locale),
                                  "fa-pencil", f"{exam.endpoint_for(entity)}.index"))
        links += [Link(page.menu_name, page.title.get(locale), page.icon, "",
                       f"/pages/{page.key}") for page in module.pages if page.menu]
        if links:
            groups.append(Group(module.key, module.label.get(locale), module.icon, tuple(links)))
    return tuple(groups)


def sidebar(spec: Spec, system: Sequence[Group], may: Callable[[str], bool],
            locale: str, user_class: str | None = None) -> tuple[Group, ...]:
    """The groups the person may open: the modules, then the system menus; a group only with
    a link in it, a link only with `menu_access` on it and on its group (as FAB's menu), and
    a module's link to another list only for its `user_classes`."""
    shown = []
    for group in (*module_groups(spec, locale), *system):
        if not may(group.key):
            continue
        links = tuple(link for link in group.links if may(link.name) and (
            not link.user_classes or user_class in link.user_classes))
        if links:
            shown.append(replace(group, links=links))
    return tuple(shown)


def current(groups: Iterable[Group], endpoint: str | None) -> tuple[Group, Link] | None:
    """The group and link of the page at `endpoint`: the link to the same screens
    (blueprint), so a detail or edit page lights up its list's entry."""
    if not endpoint:
        return None
    blueprint = endpoint.split(".", 1)[0]
    for group in groups:
        for link in group.links:
            if link.endpoint and link.blueprint == blueprint:
                return group, link
    return None


def breadcrumbs(spec: Spec, groups: Sequence[Group], endpoint: str | None, title: str,
                locale: str, home: str) -> tuple[Crumb, ...]:
    """首页 / 模块 / 实体 / 页面. The entity links to its list unless the page is the list; an
    entity without a menu entry (child lines, letters) is found in the Spec; pages outside the
    modules (个人信息, 修改密码) are 首页 / 页面. The home page has none."""
    if not endpoint or endpoint == INDEX_ENDPOINT:
        return ()
    crumbs = [Crumb(home, INDEX_ENDPOINT)]
    found = current(groups, endpoint)
    if found is not None:
        group, link = found
        here = endpoint == link.endpoint
        crumbs += [Crumb(group.label), Crumb(link.label, "" if here else link.endpoint,
                                              "" if here else link.href)]
        if not here and title and title != link.label:
            crumbs.append(Crumb(title))
        return tuple(crumbs)
    blueprint = endpoint.split(".", 1)[0]
    for module in spec.modules:
        for entity in module.entities:
            if endpoint_for(entity) == blueprint:
                crumbs += [Crumb(module.label.get(locale)), Crumb(entity.label.get(locale))]
                if title and title != entity.label.get(locale):
                    crumbs.append(Crumb(title))
                return tuple(crumbs)
    if title:
        crumbs.append(Crumb(title))
    return tuple(crumbs)


def open_groups(groups: Sequence[Group], active: Group | None) -> frozenset[str]:
    """Groups shown open before the browser's remembered choice applies."""
    if len(groups) <= OPEN_GROUPS_UP_TO:
        return frozenset(g.key for g in groups)
    return frozenset({active.key} if active else ())


# --- Flask -------------------------------------------------------------------------------


def system_groups(menu: Any, module_keys: Iterable[str]) -> tuple[Group, ...]:
    """FAB's menu categories that are not modules (系统管理, 安全, 上报时间管理 …) as groups,
    their labels in the reader's language."""
    modules = set(module_keys)
    groups = []
    for item in menu.get_list():
        if item.name in modules or not item.childs or not item.should_render():
            continue
        links = []
        for child in item.childs:
            if not child or child.name == "-" or not child.should_render():
                continue
            view = child.baseview
            endpoint = f"{view.endpoint}.{view.default_view}" if view and not child.href else ""
            links.append(Link(child.name, _text(child.label or child.name), child.icon or "",
                              endpoint, "" if endpoint else child.get_url()))
        groups.append(Group(item.name, _text(item.label or item.name), item.icon or "",
                            tuple(links)))
    rank = {key: i for i, key in enumerate(SYSTEM_FIRST)}
    return tuple(sorted(groups, key=lambda g: rank.get(g.key, len(rank))))


def _text(label: Any) -> str:
    from flask_babel import gettext

    return gettext(str(label))  # FAB's own labels are plain msgids ("List Users")


@dataclass(frozen=True)
class Frame:
    groups: tuple[Group, ...]
    active: Link | None
    crumbs: tuple[Crumb, ...]
    open: frozenset[str]


def frame(title: Any = "") -> Frame:
    """The sidebar and breadcrumbs of the page being rendered, for the signed-in person."""
    from flask import current_app, request
    from flask_babel import gettext
    from flask_login import current_user

    from app.labels import current_locale

    admin = current_app.extensions["admin"]
    appbuilder = current_app.appbuilder  # type: ignore[attr-defined]
    locale = current_locale()
    if not current_user.is_authenticated:
        return Frame((), None, (), frozenset())  # the sign-in page: no menu, no path
    sm = appbuilder.sm
    system = system_groups(appbuilder.menu, (m.key for m in admin.spec.modules))
    groups = sidebar(admin.spec, system, lambda name: _may(sm, admin.spec, name, current_user),
                     locale, getattr(current_user, "user_class", None))
    found = current(groups, request.endpoint)
    crumbs = breadcrumbs(admin.spec, groups, request.endpoint, str(title or ""), locale,
                         gettext("Home"))
    return Frame(groups, found[1] if found else None, crumbs,
                 open_groups(groups, found[0] if found else None))


def _may(sm: Any, spec: Spec, name: str, user: Any) -> bool:
    """`menu_access` on a FAB menu; a page's readers; 咨询 for those who list its entries."""
    if name.startswith(PAGE_PREFIX):
        from app.helpdesk import pages

        page = pages.find(name.removeprefix(PAGE_PREFIX))
        return page is not None and pages.may_read(page, user)
    if name.startswith(CONSULT_PREFIX):
        entity = spec.entity(name.removeprefix(CONSULT_PREFIX))
        return bool(sm.has_access("can_list", entity.permission_name))
    return bool(sm.has_access(MENU_ACCESS, name))


def init_app(app: Any) -> None:
    app.jinja_env.globals["admin_frame"] = frame
