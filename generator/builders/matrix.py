"""The permission matrix the YAML asks for, as FAB (permission, view-menu) pairs per role.

A pure function of the Spec (plus, for the administrator, the permissions FAB's own screens
declare). `sync` writes it; `drift` compares it with the database; the 权限矩阵 page and
`schema matrix` show it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from generator.permissions import (
    CHANGE_ACTIONS,
    COMPLETENESS,
    DASHBOARD_ACTION,
    DASHBOARD_CATEGORY,
    DICTIONARY_MENU,
    DICTIONARY_VIEW,
    EXAM,
    FORCE_LOGOUT,
    LOGIN_LOG_MENU,
    LOGIN_LOG_VIEW,
    MENU_ACCESS,
    ONLINE_MENU,
    ONLINE_VIEW,
    PROGRESS_MENU,
    PUBLISH,
    REGISTRATION_MENU,
    REGISTRATION_VIEW,
    SETTINGS_MENU,
    SETTINGS_VIEW,
    SYSTEM_CATEGORY,
    completeness_menu,
    dashboard_menu,
    dashboard_view,
    entity_actions,
    exam_menu,
    notices_menu,
    notices_view,
    right,
    subscriptions_menu,
    summary_menu,
)
from generator.spec import Spec

# What every signed-in user needs on FAB's own screens: their info and their password.
SELF_SERVICE = (
    ("can_userinfo", "UserDBModelView"),
    ("resetmypassword", "UserDBModelView"),
    ("can_this_form_get", "ResetMyPasswordView"),
    ("can_this_form_post", "ResetMyPasswordView"),
    ("can_this_form_get", "UserInfoEditView"),
    ("can_this_form_post", "UserInfoEditView"),
)
# The 权限矩阵 page (matrix_view.py): its permission name, menu item and FAB's menu category.
MATRIX_VIEW = "security:matrix"
MATRIX_MENU = "permission_matrix"
SECURITY_CATEGORY = "Security"
# Roles with an administrator duty (三员: system, security, audit) may read the matrix.
MATRIX_READER = (
    ("can_show", MATRIX_VIEW),
    (MENU_ACCESS, MATRIX_MENU),
    (MENU_ACCESS, SECURITY_CATEGORY),
)
# 在线用户 and 登录日志 are read by the security and the audit administrators; only the security
# administrator ends a session (强退): the auditor watches, it does not act (三员分立).
SIGN_IN_READER = (
    (right("list"), ONLINE_VIEW),
    (MENU_ACCESS, ONLINE_MENU),
    (right("list"), LOGIN_LOG_VIEW),
    (right("export"), LOGIN_LOG_VIEW),
    (MENU_ACCESS, LOGIN_LOG_MENU),
    (MENU_ACCESS, SECURITY_CATEGORY),
)
SESSION_ENDER = ((right(FORCE_LOGOUT), ONLINE_VIEW),)
# 参数设置 and (when some enum is one) 数据字典 are the system administrator's (系统管理).
SETTINGS_KEEPER = (
    (right("list"), SETTINGS_VIEW),
    (right("edit"), SETTINGS_VIEW),
    (MENU_ACCESS, SETTINGS_MENU),
    (MENU_ACCESS, SYSTEM_CATEGORY),
)
REGISTRATION_KEEPER = (
    (right("list"), REGISTRATION_VIEW),
    (right("edit"), REGISTRATION_VIEW),
    (MENU_ACCESS, REGISTRATION_MENU),
    (MENU_ACCESS, SYSTEM_CATEGORY),
)
DICTIONARY_KEEPER = (
    (right("list"), DICTIONARY_VIEW),
    (right("edit"), DICTIONARY_VIEW),
    (MENU_ACCESS, DICTIONARY_MENU),
    (MENU_ACCESS, SYSTEM_CATEGORY),
)



class Perm(NamedTuple):
    permission: str  # can_list, menu_access, ...
    view: str  # module:resource, a menu name, or a FAB view


def entity_perms(spec: Spec) -> set[Perm]:
    """Every action on every entity, granted or not: the matrix's full set of columns."""
    perms: set[Perm] = set()
    for module in spec.modules:
        for entity in module.entities:
            perms.update(Perm(right(a), entity.permission_name) for a in entity_actions(entity))
            if entity.menu:
                perms.add(Perm(MENU_ACCESS, entity.qualified))
            for summary in entity.summaries:
                perms.add(Perm(MENU_ACCESS, summary_menu(entity, summary)))
            if entity.completeness is not None:
                perms.add(Perm(MENU_ACCESS, completeness_menu(entity)))
            if entity.progress is not None:
                perms.add(Perm(MENU_ACCESS, PROGRESS_MENU))
            if entity.exam is not None:
                perms.add(Perm(MENU_ACCESS, exam_menu(entity)))
        perms.add(Perm(MENU_ACCESS, module.key))
        if module.notices is not None:
            perms.update(notice_reader(module.key))
            perms.add(Perm(right(PUBLISH), notices_view(module.key)))
    for dashboard in spec.dashboards:
        perms.update(dashboard_perms(dashboard.key))
    return perms


def notice_reader(module: str) -> set[Perm]:
    """通知公告 and 订阅设置 with their menu items: every role's."""
    return {Perm(right("list"), notices_view(module)), Perm(MENU_ACCESS, notices_menu(module)),
            Perm(MENU_ACCESS, subscriptions_menu(module)), Perm(MENU_ACCESS, module)}


def dashboard_perms(key: str) -> tuple[Perm, ...]:
    """A dashboard's right, its menu item and the 数据分析 category."""
    return (Perm(right(DASHBOARD_ACTION), dashboard_view(key)),
            Perm(MENU_ACCESS, dashboard_menu(key)), Perm(MENU_ACCESS, DASHBOARD_CATEGORY))


def role_perms(spec: Spec) -> dict[str, set[Perm]]:
    """role key -> the pairs its grants give (menus follow the right to list)."""
    result: dict[str, set[Perm]] = {role.key: set(Perm(*p) for p in SELF_SERVICE)
                                    for role in spec.roles}
    for defined in spec.roles:
        if defined.admin is not None:
            result[defined.key].update(Perm(*p) for p in MATRIX_READER)
        if defined.admin in ("security", "audit"):
            result[defined.key].update(Perm(*p) for p in SIGN_IN_READER)
        if defined.admin == "security":
            result[defined.key].update(Perm(*p) for p in SESSION_ENDER)
        if defined.admin == "system":
            result[defined.key].update(Perm(*p) for p in SETTINGS_KEEPER)
        if defined.admin == "system" and spec.registration is not None:
            result[defined.key].update(Perm(*p) for p in REGISTRATION_KEEPER)
        if defined.admin == "system" and any(f.dictionary for e in spec.entities
                                             for f in e.fields):
            result[defined.key].update(Perm(*p) for p in DICTIONARY_KEEPER)
    for module in spec.modules:
        board = module.notices
        if board is not None:
            for perms in result.values():
                perms.update(notice_reader(module.key))
            for key in board.publishers:
                result[key].add(Perm(right(PUBLISH), notices_view(module.key)))
        for entity in module.entities:
            for grant in entity.grants:
                perms = result[grant.role]
                perms.update(Perm(right(a), entity.permission_name) for a in grant.actions)
                if "list" in grant.actions and entity.menu:
                    perms.add(Perm(MENU_ACCESS, entity.qualified))
                    perms.add(Perm(MENU_ACCESS, module.key))
                if entity.progress is not None and {"list", "add"} <= set(grant.actions):
                    perms.add(Perm(MENU_ACCESS, PROGRESS_MENU))  # 办理进度: who files
            for transition in entity.workflow.transitions if entity.workflow else ():
                for role in transition.roles:  # one action per transition, for its roles
                    result[role].add(Perm(right(transition.key), entity.permission_name))
            flow = entity.workflow
            if flow is not None and flow.change_states:
                for role in flow.change_roles:
                    result[role].add(Perm(right(CHANGE_ACTIONS[0]), entity.permission_name))
                for role in flow.change_approvers:
                    result[role].add(Perm(right(CHANGE_ACTIONS[1]), entity.permission_name))
            for summary in entity.summaries:  # a screen of its own, with its menu item
                for key in summary.roles:
                    result[key].update((Perm(right(summary.key), entity.permission_name),
                                         Perm(MENU_ACCESS, summary_menu(entity, summary)),
                                         Perm(MENU_ACCESS, module.key)))
            for key in entity.exam.takers if entity.exam is not None else ():  # 在线考试
                result[key].update((Perm(right(EXAM), entity.permission_name),
                                    Perm(MENU_ACCESS, exam_menu(entity)),
                                    Perm(MENU_ACCESS, module.key)))
            done = entity.completeness
            for key in done.roles if done is not None else ():  # 填报进度, a screen too
                result[key].update((Perm(right(COMPLETENESS), entity.permission_name),
                                    Perm(MENU_ACCESS, completeness_menu(entity)),
                                    Perm(MENU_ACCESS, module.key)))
    for dashboard in spec.dashboards:
        for key in dashboard.roles:
            result[key].update(dashboard_perms(dashboard.key))
    return result


def desired(spec: Spec, fab_perms: Iterable[Perm], admin_role: str) -> dict[str, set[Perm]]:
    """Every managed role with its pairs; the administrator role gets every pair there is."""
    roles = role_perms(spec)
    everything = entity_perms(spec) | set(fab_perms)
    roles[admin_role] = everything
    return roles
