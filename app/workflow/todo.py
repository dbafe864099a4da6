"""待办: the rows waiting for a transition the signed-in person may fire, as one condition.

A row waits for the person when one of the entity's transitions with `todo` (the default;
撤回, 退回, 解绑 say `todo: false`) is theirs (a role of the transition they hold, and its right
`can_<transition>`), the row is in one of its `from` states and its `when` setting applies to
the row's region (and, where the entity says `filled_by`, the row's setting names one of the
person's roles for the transitions it governs); on entities with 变更, a pending change
request waits for its approvers. The condition is SQL: the home page counts with it (one
statement per entity) and a list narrowed with `?todo=1` (its pages, sorting and exports)
lists exactly those rows, within the user's range. `needs` and `requires` are not in it: they
are what the person still has to do (upload the 承诺函, fill 预采购量), so the row is theirs all
the same. Where the entity's reporting window holds the person (window_deadline), rows of
batches whose window is not open are left out: nobody can act on them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

from flask import has_request_context, request
from flask_appbuilder.models.filters import BaseFilter
from sqlalchemy import and_, exists, false, func, literal, or_, select
from sqlalchemy.orm import aliased

from app.context import generated, security
from app.hooks import window_deadline
from app.security.scope import current, role_names, scope_condition
from app.workflow import changes, fill
from generator.spec import Entity, Transition, When

LIST_ARGUMENT = "todo"  # ?todo=1 narrows a list (and its export) to the person's 待办


def transitions(entity: Entity, user: Any) -> list[Transition]:
    """The entity's transitions that are work for the user: their role and their right."""
    flow = entity.workflow
    if flow is None or user is None:
        return []
    held = role_names(user)
    sm = security()
    return [t for t in flow.transitions if t.todo and held & set(t.roles)
            and sm.has_access(f"can_{t.key}", entity.permission_name)]


def decides_changes(entity: Entity, user: Any) -> bool:
    flow = entity.workflow
    return (user is not None and changes.enabled(entity) and flow is not None
            and bool(role_names(user) & set(flow.change_approvers))
            and security().has_access("can_decide_change", entity.permission_name))


def applies(entity: Entity, user: Any) -> bool:
    """Whether anything of the entity can ever be the user's 待办."""
    return bool(transitions(entity, user)) or decides_changes(entity, user)


def when_condition(when: When, entity: Entity, model: Any) -> Any:
    """SQL of a `when` guard: the setting of the row's organisation or its nearest ancestor
    (the longest org_path that begins the row's), equal on `match`; none: `default`."""
    admin = generated()
    target = admin.spec.entity(when.entity)
    setting = aliased(admin.models[when.entity])
    covers = [setting.org_path.is_not(None),
              func.substr(model.org_path, 1, func.length(setting.org_path)) == setting.org_path,
              *[getattr(setting, target.field(n).column) == getattr(model, entity.field(n).column)
                for n in when.match]]
    nearest = (select(getattr(setting, target.field(when.field).column)).where(*covers)
               .order_by(func.length(setting.org_path).desc()).limit(1).scalar_subquery())
    holds = nearest.in_(list(when.values))
    if when.default in when.values:
        return or_(holds, ~exists().where(*covers))
    return holds


def condition(entity: Entity, model: Any, user: Any) -> Any:
    """The rows that are the user's 待办 (scope included), or false() when none can be."""
    flow = entity.workflow
    if flow is None or user is None:
        return false()
    state = getattr(model, flow.field)
    parts = []
    plain: set[str] = set()
    personal = {s.key: s.todo_for for s in flow.states if s.todo_for is not None}
    for t in transitions(entity, user):
        guards = [w for w in (t.when, _fill_when(entity, t, user)) if w is not None]
        if not guards:
            plain.update(t.sources)
        else:
            parts.append(and_(state.in_(t.sources),
                              *[when_condition(w, entity, model) for w in guards]))
    mine = sorted(plain & set(personal))
    plain -= set(personal)
    if plain:
        parts.insert(0, state.in_(sorted(plain)))
    for key in mine:  # todo_for: the rows of the state whose person is the user
        parts.append(and_(state == key, getattr(model, personal[key]) == user.id))
    window = _window(entity, model, user)
    if window is not None and parts:
        parts = [and_(or_(*parts), window)]
    if decides_changes(entity, user):
        parts.append(model.id.in_(select(changes.ChangeRequest.record_id).where(
            changes.ChangeRequest.entity == entity.qualified,
            changes.ChangeRequest.status == changes.PENDING)))
    if not parts:
        return false()
    wanted = or_(*parts)
    scope = scope_condition(entity, model, user)
    return wanted if scope is None else and_(scope, wanted)


def _fill_when(entity: Entity, transition: Transition, user: Any) -> When | None:
    """The entity's `filled_by` as a `when`: the settings that name one of the user's roles
    (报量方式: a city's 保存 waits only where the city fills on the institutions' behalf)."""
    rule = entity.filled_by
    if rule is None or transition.key not in rule.transitions or not fill.concerned(rule, user):
        return None
    held = role_names(user)
    return replace(rule.setting, values=tuple(v for v, roles in rule.roles if held & set(roles)))


def _window(entity: Entity, model: Any, user: Any) -> Any:
    """Rows of batches whose reporting window is open for the user, when it holds them."""
    ref = entity.hook("window_deadline")
    if ref is None or not ref.get("batch_field") or not window_deadline.held(ref, user):
        return None
    return window_deadline.batch_condition(ref, entity, model, user, opened=True)


def count(entity: Entity, model: Any, user: Any, session: Any) -> int:
    """How many rows wait for the user: one statement."""
    return counts(entity, model, user, session)[0]


def counts(entity: Entity, model: Any, user: Any, session: Any) -> tuple[int, int]:
    """How many rows wait for the user, and how many of them are past their state's time
    limit (办理期限 before today): one statement."""
    late = overdue(entity, model)
    # count(*), not count(id): without a time limit the state's index alone answers (an
    # index-only scan; reading each row's id cost 5x that on 1M rows, bench scenario 9)
    query = select(func.count(), func.count().filter(late) if late is not None
                   else literal(0))
    row = session.execute(query.select_from(model).where(condition(entity, model, user))
                          ).one()
    return int(row[0] or 0), int(row[1] or 0)


OVERDUE_ARGUMENT = "overdue"  # ?overdue=1: only rows past their state's time limit


def overdue(entity: Entity, model: Any) -> Any:
    """Rows whose due date (time_limit of their state) has passed; None: no time limits."""
    due = entity.workflow.due_field if entity.workflow is not None else None
    return None if due is None else getattr(model, due) < dt.date.today()


class OverdueFilter(BaseFilter):
    """FAB base filter of lists and their exports: with ?overdue=1 only the rows past the
    time limit of their state."""

    name = "overdue"
    arg_name = "overdue"

    def apply(self, query: Any, entity: Entity) -> Any:
        late = overdue(entity, self.model)
        if late is None or not (has_request_context()
                                and request.args.get(OVERDUE_ARGUMENT) == "1"):
            return query
        return query.filter(late)


def list_narrowed() -> bool:
    return has_request_context() and request.args.get(LIST_ARGUMENT) == "1"


class TodoFilter(BaseFilter):
    """FAB base filter of lists and their exports: with ?todo=1 only the user's 待办."""

    name = "todo"
    arg_name = "todo"

    def apply(self, query: Any, entity: Entity) -> Any:
        if not list_narrowed():
            return query
        return query.filter(condition(entity, self.model, current()))


MINE_ARGUMENT = "mine"  # ?mine=1: only rows whose `user` fields name the signed-in person


def mine_fields(entity: Entity) -> list[str]:
    """The entity's `user` fields (我承办的 lists the rows naming the person in one)."""
    return [f.name for f in entity.fields if f.kind.person]


def mine_narrowed() -> bool:
    return has_request_context() and request.args.get(MINE_ARGUMENT) == "1"


class MineFilter(BaseFilter):
    """FAB base filter of lists and their exports: with ?mine=1 only the rows naming the
    signed-in person in one of their `user` fields (我承办的)."""

    name = "mine"
    arg_name = "mine"

    def apply(self, query: Any, entity: Entity) -> Any:
        if not mine_narrowed():
            return query
        user = current()
        if user is None:
            return query.filter(false())
        return query.filter(or_(*[getattr(self.model, n) == user.id
                                  for n in mine_fields(entity)]))


def narrowing(entity: Entity) -> list[list[Any]]:
    """FAB base filters of an entity's lists, exports and REST list that narrow it on request:
    ?todo=1 (the person's 待办) and ?window=open|closed (rows of batches whose reporting
    window is open / over: the landing's 新批次报量 and 历史报量查询)."""
    filters: list[list[Any]] = []
    if mine_fields(entity):
        filters.append(["id", MineFilter, entity])
    if entity.workflow is not None:
        filters.append(["id", TodoFilter, entity])
        if entity.workflow.due_field is not None:
            filters.append(["id", OverdueFilter, entity])
    ref = entity.hook("window_deadline")
    if ref is not None and ref.get("batch_field"):
        filters.append(["id", window_deadline.WindowFilter, entity])
    return filters
