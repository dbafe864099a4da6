"""办理进度's rows: the applications (entities with `progress:`) the signed-in person follows,
read with the list door's conditions (scope, owner rules, states hidden from them), across
every such entity at once.

Which entities: those the person may list and add on (who files an application follows it
here; module choice and the module's gate included, as on the 工作台). A page is one
`UNION ALL` of a narrow select per entity (its kind, row id and 提交时间), ordered by
提交时间, newest first; the rows of the page are then read per entity by id, with the scope
again. Counts are one statement per entity (FILTER clauses).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, false, func, literal, select, true, union_all

from app import gate
from app.context import generated, security
from app.labels import current_locale, render
from app.search_filters import text_condition
from app.security.scope import scope_condition
from generator.spec import PROGRESS_CATEGORIES, Entity, Progress
from generator.types import Invalid

PAGE = 10  # rows per page, as the seed's 「10 条/页」
TABS = ("open", "history")


@dataclass(frozen=True)
class Filters:
    """What the search form sends (blank: no filter)."""

    tab: str = "open"
    category: str = ""
    item: str = ""
    code: str = ""
    state: str = ""
    product: str = ""
    since: dt.date | None = None
    until: dt.date | None = None

    @classmethod
    def of(cls, args: Any) -> Filters:
        def day(name: str) -> dt.date | None:
            try:
                return dt.date.fromisoformat((args.get(name) or "").strip())
            except ValueError:
                return None  # the date input sends YYYY-MM-DD or nothing

        tab = args.get("tab") if args.get("tab") in TABS else "open"
        category = args.get("category") if args.get("category") in PROGRESS_CATEGORIES else ""
        def typed(name: str) -> str:
            return str(args.get(name) or "").strip()[:100]

        return cls(tab, category or "", typed("item"), typed("code"), typed("state"),
                   typed("product"), day("since"), day("until"))

    def args(self) -> dict[str, str]:
        """The filters as query arguments (the tabs' and pages' links keep them)."""
        out = {"category": self.category, "item": self.item, "code": self.code,
               "state": self.state, "product": self.product,
               "since": self.since.isoformat() if self.since else "",
               "until": self.until.isoformat() if self.until else ""}
        return {k: v for k, v in out.items() if v}


def entities(user: Any) -> list[Entity]:
    """The application entities the person files and follows, in menu order."""
    if user is None:
        return []
    admin, sm = generated(), security()
    modules = sorted(admin.spec.modules, key=lambda m: (m.order, m.key))
    out = []
    for module in modules:
        for entity in module.entities:
            if entity.progress is None or not (
                    sm.has_access("can_list", entity.permission_name)
                    and sm.has_access("can_add", entity.permission_name)):
                continue
            if gate.gate_of(entity) is not None and gate.refusal(entity) is not None:
                continue  # the module's gate holds them back (企业信息 first)
            out.append(entity)
    return out


def _model(entity: Entity) -> Any:
    return generated().models[entity.qualified]


def _progress(entity: Entity) -> Progress:
    assert entity.progress is not None
    return entity.progress


def item_text(entity: Entity, row: Any) -> str:
    """申报事项 of a row: the entity's item, or the value of its item field."""
    p = _progress(entity)
    if p.item_field is None:
        return p.item.get(current_locale()) if p.item is not None else ""
    f = entity.field(p.item_field)
    return f.kind.display(f, getattr(row, f.name), render())


def _item_condition(entity: Entity, model: Any, term: str) -> Any:
    p = _progress(entity)
    if p.item_field is None:
        label = p.item.get(current_locale()) if p.item is not None else ""
        return None if term in label else false()
    f = entity.field(p.item_field)
    if f.kind.choices_fixed:  # an enum: the values whose label has the term
        values = [v for v, label in f.kind.choices(f, render(), every=True) if term in label]
        return getattr(model, f.column).in_(values) if values else false()
    return text_condition(model, f.name, term, f.name in entity.initials_fields)


def conditions(entity: Entity, model: Any, user: Any, filters: Filters) -> list[Any]:
    """The filters of the form as SQL on one entity (the tab and the scope apart)."""
    p = _progress(entity)
    out: list[Any] = []
    if filters.category and p.category != filters.category:
        out.append(false())
    if filters.item:
        found = _item_condition(entity, model, filters.item)
        if found is not None:
            out.append(found)
    if filters.code:
        f = entity.field(p.code)
        try:
            out.append(getattr(model, f.column) == f.kind.parse(f, filters.code))
        except Invalid:
            out.append(false())  # not a code any row can have
    if filters.state:
        flow = entity.workflow
        assert flow is not None
        out.append(getattr(model, flow.field) == filters.state)
    if filters.product:
        if p.product is None:
            out.append(false())
        else:
            out.append(text_condition(model, p.product, filters.product,
                                      p.product in entity.initials_fields))
    at = getattr(model, entity.field(p.submitted).column)
    if filters.since is not None:
        out.append(at >= dt.datetime.combine(filters.since, dt.time()))
    if filters.until is not None:
        out.append(at < dt.datetime.combine(filters.until + dt.timedelta(days=1), dt.time()))
    return out


def _scoped(entity: Entity, model: Any, user: Any) -> list[Any]:
    scope = scope_condition(entity, model, user)
    return [] if scope is None else [scope]


def _states(entity: Entity, tab: str) -> tuple[str, ...]:
    p = _progress(entity)
    return p.open if tab == "open" else p.history


@dataclass
class Counts:
    tabs: dict[str, int] = field(default_factory=lambda: dict.fromkeys(TABS, 0))
    categories: dict[str, int] = field(default_factory=lambda: dict.fromkeys(
        PROGRESS_CATEGORIES, 0))


def counts(found: list[Entity], user: Any, session: Any, filters: Filters) -> Counts:
    """在办 and 历史 under the filters; every application of each kind (one statement per
    entity)."""
    out = Counts()
    for entity in found:
        model, p = _model(entity), _progress(entity)
        state = getattr(model, entity.workflow.field)  # type: ignore[union-attr]
        narrowed = and_(true(), *conditions(entity, model, user, filters))
        query = select(func.count().filter(state.in_(p.open + p.history)),
                       func.count().filter(and_(state.in_(p.open), narrowed)),
                       func.count().filter(and_(state.in_(p.history), narrowed)))
        every, opened, done = session.execute(
            query.select_from(model).where(*_scoped(entity, model, user))).one()
        out.categories[p.category] += int(every or 0)
        out.tabs["open"] += int(opened or 0)
        out.tabs["history"] += int(done or 0)
    return out


@dataclass(frozen=True)
class Found:
    entity: Entity
    row: Any


def page(found: list[Entity], user: Any, session: Any, filters: Filters, number: int
         ) -> list[Found]:
    """The rows of page `number` of the tab, newest 提交时间 first."""
    selects = []
    for index, entity in enumerate(found):
        model, p = _model(entity), _progress(entity)
        state = getattr(model, entity.workflow.field)  # type: ignore[union-attr]
        # no CAST: SQLite's CAST AS DATETIME is numeric (a year); PostgreSQL's UNION reads
        # a date beside a timestamp as a timestamp
        at = getattr(model, entity.field(p.submitted).column)
        selects.append(select(literal(index).label("kind"), model.id.label("pk"),
                              at.label("at")).where(
            state.in_(_states(entity, filters.tab)), *_scoped(entity, model, user),
            *conditions(entity, model, user, filters)))
    if not selects:
        return []
    union = union_all(*selects).subquery()
    picked = session.execute(
        select(union.c.kind, union.c.pk).order_by(union.c.at.desc(), union.c.kind,
                                                  union.c.pk.desc())
        .offset((number - 1) * PAGE).limit(PAGE)).all()
    rows: dict[tuple[int, int], Any] = {}
    for index, entity in enumerate(found):
        ids = [pk for kind, pk in picked if kind == index]
        if ids:
            model = _model(entity)
            for row in session.execute(select(model).where(
                    model.id.in_(ids), *_scoped(entity, model, user))).scalars():
                rows[(index, row.id)] = row
    return [Found(found[kind], rows[(kind, pk)]) for kind, pk in picked if (kind, pk) in rows]


def state_choices(found: list[Entity], tab: str) -> list[tuple[str, str]]:
    """申请状态 of the tab: every state of the entities' (key, label), each once."""
    locale = current_locale()
    out: dict[str, str] = {}
    for entity in found:
        flow = entity.workflow
        assert flow is not None
        for key in _states(entity, tab):
            out.setdefault(key, flow.state_label(key, locale))
    return list(out.items())
