"""The permission vocabulary: every right a role can hold on an entity, and the FAB names
they become. The only place these words are defined; the checks refuse YAML names that
would collide with them, and app/security/matrix.py builds the matrix from here.

A right on an entity is an *action*:
- one of ACTIONS (list, show, add, edit, delete, export, import);
- one per workflow transition (its key);
- CHANGE_ACTIONS: asking for a change of a submitted record (变更) and deciding on it;
- one per summary screen (its key), and `completeness` for 填报进度.
FAB stores each as the permission `can_<action>` on the view menu `<module>:<resource>`.

A dashboard (数据分析) is an object of its own: the right `can_show` on the view menu
`dashboard:<key>`, with its menu item `dashboard.<key>` in the category `analytics`.

The built-in screens of the administrators' duties have their rights named here too: 在线用户
(list, and FORCE_LOGOUT: 强退), 登录日志 (list, export), 数据字典 and 参数设置 (list, edit), each
a view menu of its own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from generator.spec import Entity, Summary

ACTIONS = ("list", "show", "add", "edit", "delete", "export", "import")
# What a role may do on rows it reads only (visible_to_owner: an enterprise's own 信用档案).
READING_ACTIONS = ("list", "show", "export")
REQUEST_CHANGE, DECIDE_CHANGE = "request_change", "decide_change"
CHANGE_ACTIONS = (REQUEST_CHANGE, DECIDE_CHANGE)
# What transitions and summaries may not be called: the rights above, and words FAB and the
# generated screens use for routes and rights of their own.
BUILT_IN = ACTIONS + CHANGE_ACTIONS + ("all", "menu_access", "action", "action_post",
                                       "download", "choices", "transition", "transition_all",
                                       "info", "get", "get_list", "post", "put",
                                       "force_logout", "completeness", "exam")
MENU_ACCESS = "menu_access"
# 在线用户 and 登录日志 (app/security/online.py, app/audit/login_log.py): view menus, menu
# items, and the one right that is not a reading one (强退 ends somebody else's session).
ONLINE_VIEW, ONLINE_MENU = "security:online", "online_users"
LOGIN_LOG_VIEW, LOGIN_LOG_MENU = "security:login_log", "login_log"
FORCE_LOGOUT = "force_logout"
# 数据字典 and 参数设置 (app/system/): read and changed by the system administrators (系统管理).
DICTIONARY_VIEW, DICTIONARY_MENU = "system:dictionary", "dictionary"
SETTINGS_VIEW, SETTINGS_MENU = "system:settings", "settings"
# 注册审核 (app/identity/review.py): the system administrators read (can_list) and decide
# (can_edit) the applications of their region, when the schema has `registration:`.
REGISTRATION_VIEW, REGISTRATION_MENU = "system:registrations", "registrations"
SYSTEM_CATEGORY = "system_admin"
# 通知公告 (app/notices/): everybody with a role reads (can_list) and subscribes; the
# publishers write, publish and withdraw (can_publish) within their jurisdiction.
PUBLISH = "publish"
# 办理进度 (app/progress/): the menu item of whoever files applications (add and list on an
# entity with `progress:`), in the group of the first module holding such an entity
PROGRESS_MENU = "progress"
DASHBOARD_CATEGORY = "analytics"  # 数据分析
DASHBOARD_ACTION = "show"
PREFIX = "can_"


def right(action: str) -> str:
    """The FAB permission name of an action: can_list, can_submit ..."""
    return f"{PREFIX}{action}"


def action_of(permission: str) -> str:
    return permission.removeprefix(PREFIX)


def entity_actions(entity: Entity) -> tuple[str, ...]:
    """Every action there is on the entity, granted to anybody or not."""
    out = list(ACTIONS)
    flow = entity.workflow
    if flow is not None:
        out += [t.key for t in flow.transitions]
        if flow.change_states:
            out += list(CHANGE_ACTIONS)
    out += [s.key for s in entity.summaries]
    if entity.completeness is not None:
        out.append(COMPLETENESS)
    if entity.exam is not None:
        out.append(EXAM)
    return tuple(out)


COMPLETENESS = "completeness"  # the right to 填报进度 (and its 催报) of an entity
EXAM = "exam"  # the right to take the exam of a course entity (药监网校)


def exam_menu(entity: Entity) -> str:
    """Menu name of a course entity's 在线考试 screen; its right is `can_exam`."""
    return f"{entity.qualified}.exam"


def completeness_menu(entity: Entity) -> str:
    """Menu name of an entity's 填报进度 screen; its right is `can_completeness`."""
    return f"{entity.qualified}.completeness"


def notices_view(module: str) -> str:
    """View menu of a module's 通知公告: `can_list` (read) and `can_publish` on it."""
    return f"{module}:notices"


def notices_menu(module: str) -> str:
    return f"{module}.notices"


def subscriptions_menu(module: str) -> str:
    """Menu name of 订阅设置 (the reader's categories)."""
    return f"{module}.notice_subscriptions"


def summary_menu(entity: Entity, summary: Summary) -> str:
    """Menu name of a summary screen; its right is `can_<summary key>` on the entity."""
    return f"{entity.qualified}.summary.{summary.key}"


def dashboard_view(key: str) -> str:
    """View menu (permission name) of a dashboard; its right is `can_show`."""
    return f"dashboard:{key}"


def dashboard_menu(key: str) -> str:
    """Menu name of a dashboard, in the category DASHBOARD_CATEGORY."""
    return f"dashboard.{key}"
