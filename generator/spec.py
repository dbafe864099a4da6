"""The checked schema as plain frozen objects: what every builder reads, and nothing else."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any

from generator.spec_portal import MenuLink as MenuLink
from generator.spec_portal import Registration as Registration
from generator.spec_rules import FILED_AT as FILED_AT
from generator.spec_rules import PROGRESS_CATEGORIES as PROGRESS_CATEGORIES
from generator.spec_rules import (
    AutoRule,
    Completeness,
    Document,
    Matching,
    Notices,
    Owner,
    Progress,
    Schedule,
    Searchable,
)
from generator.spec_rules import (
    NoticeCategory as NoticeCategory,
)

if TYPE_CHECKING:
    from generator.spec_dashboards import Dashboard
    from generator.spec_exam import Employer, Exam
    from generator.spec_help import Page, PublicRows, Similar
    from generator.types import FieldType

@cache
def _types() -> dict[str, FieldType]:
    """generator.types, imported on first use (it imports this module)."""
    from generator.types import TYPES

    return TYPES


# Data ranges, in the words Chinese admins know: 全部数据 / 本级及下级 / 本单位.
SCOPES = ("all", "jurisdiction", "own")
LEVELS = ("national", "province", "city", "county", "unit")
USER_CLASSES = ("regulator", "legal_person", "agent", "institution", "admin", "citizen")
ADMIN_DUTIES = ("system", "security", "audit")


@dataclass(frozen=True)
class Label:
    zh: str
    en: str

    def get(self, locale: str) -> str:
        return self.en if locale.startswith("en") else self.zh


@dataclass(frozen=True)
class EnumValue:
    value: str
    label: Label
    enabled: bool = True  # a disabled value (数据字典) stays on rows, offered for no new input


@dataclass(frozen=True)
class RequiredIf:
    """`required_if: other` (when filled), `{field, equals|in}`, or an expression of the
    computed-field language over the row's fields (`expr`, then `field` is empty)."""

    field: str
    values: tuple[Any, ...]  # the other field's values that make this one required
    expr: str | None = None


@dataclass(frozen=True)
class DependsOn:
    """A cascading reference: the chosen row's reference `match` must point at the row this
    entity's field `field` holds (市 of the chosen 省: `{field: province, match: parent}`)."""

    field: str
    match: str


@dataclass(frozen=True)
class ChoicesBy:
    """A cascading enum: which of its values go with each value of another field
    (`{field: kind, map: {domestic: [tablet, capsule]}}`); a value of that field the map
    does not list, or a blank one, leaves every value open."""

    field: str
    map: tuple[tuple[Any, tuple[str, ...]], ...]

    def allowed(self, parent: Any) -> tuple[str, ...] | None:
        """The values that go with `parent` (None: every value)."""
        return next((values for key, values in self.map if key == parent), None)


@dataclass(frozen=True)
class Condition:
    """`where: {field: value}` or `{field: [values]}`: the field holds one of the values."""

    field: str
    values: tuple[Any, ...]


@dataclass(frozen=True)
class Rollup:
    """A `rollup` field: `aggregate` (sum, count, min, max) of `field` over the rows of the
    field's `entity` whose reference `via` points at this row and that match `where`; the
    app keeps the stored value exact on every write that moves it (app/rollups.py)."""

    aggregate: str
    via: str = ""  # the reference field of `entity` pointing back (the checks fill it in)
    field: str | None = None  # None: count
    where: tuple[Condition, ...] = ()
    # `match`: a reference field of this entity; the rows counted are those whose `via`
    # equals it (both point at the same row), not those pointing at this row itself
    match: str | None = None


@dataclass(frozen=True)
class Choices:
    """Which rows a reference field may point to, beyond the chooser's data range.

    `where` filters the target's own fields. With `via`, a row of the entity `via` whose
    reference `via_field` points to the target (and that matches `via_where`) must exist
    (`exists`) or must not exist (`exists: False`); `own` limits those rows to the
    organisation of the person choosing (e.g. products bound to my enterprise)."""

    where: tuple[Condition, ...] = ()
    via: str | None = None  # qualified entity name
    via_field: str | None = None
    via_where: tuple[Condition, ...] = ()
    own: bool = True
    exists: bool = True
    message: Label | None = None  # shown when a value outside the choices is sent


@dataclass(frozen=True)
class HookRef:
    """A hook named in the YAML with its checked parameters."""

    name: str
    params: tuple[tuple[str, Any], ...] = ()

    def get(self, key: str, default: Any = None) -> Any:
        return dict(self.params).get(key, default)

    @property
    def as_dict(self) -> dict[str, Any]:
        return dict(self.params)


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    label: Label
    help: Label | None = None
    required: bool = False
    unique: bool = False
    index: bool = False
    default: Any = None
    min: Any = None  # length for string/text, value for numbers and dates
    max: Any = None
    regex: str | None = None
    regex_message: Label | None = None
    required_if: RequiredIf | None = None
    visible_if: str | None = None  # an expression: shown (and kept) only when it is true
    readonly_if: str | None = None  # an expression: cannot be changed while it is true
    validators: tuple[str, ...] = ()
    values: tuple[EnumValue, ...] = ()  # enum (with `dictionary`: the seed of the table)
    # enum `dictionary: true`: "<module>.<Entity>.<field>", the key of its 数据字典 rows
    dictionary: str = ""
    precision: int = 18  # decimal
    scale: int = 2
    to: str | None = None  # reference: qualified entity name
    on_delete: str = "restrict"
    entity: str | None = None  # child: qualified entity name of the lines
    expr: str | None = None  # computed
    format: str = "number"
    places: int = 2
    hook: HookRef | None = None  # file fields: upload_limit
    choices: Choices | None = None  # reference: which targets may be chosen
    depends_on: DependsOn | None = None  # reference: cascading from another field
    rollup: Rollup | None = None  # rollup: what it aggregates (`entity` holds the rows)
    choices_by: ChoicesBy | None = None  # enum: cascading from another field
    roles: tuple[str, ...] = ()  # user: the roles the chosen account holds one of

    @property
    def kind(self) -> FieldType:
        """The type object: everything the field's type means (generator/types)."""
        return _types()[self.type]  # read per cell by imports: no import statement per call

    @property
    def target(self) -> str:
        """The qualified entity a reference points to (the checks made sure it has one)."""
        if self.to is None:
            raise ValueError(f"{self.name} is not a reference")
        return self.to

    @property
    def is_column(self) -> bool:
        """Stored in a column of the entity's own table."""
        return self.kind.stored

    @property
    def column(self) -> str:
        """Database column holding the value (references hold the id)."""
        return self.kind.column_name(self)

    @property
    def max_length(self) -> int | None:
        return self.kind.max_length(self)


@dataclass(frozen=True)
class Grant:
    """What one role may do with one entity."""

    role: str
    actions: tuple[str, ...]
    scope: str  # one of SCOPES; meaningful for org-scoped entities
    readonly: tuple[str, ...] = ()
    hidden: tuple[str, ...] = ()
    # `user` fields: the role reaches only the rows naming the person in one of them (承办人)
    assigned: tuple[str, ...] = ()


@dataclass(frozen=True)
class Role:
    key: str
    label: Label
    levels: tuple[str, ...]  # organisation levels whose users may hold it
    user_class: str | None = None
    admin: str | None = None  # system | security | audit: an administrator duty (三员)
    issues: tuple[str, ...] = ()  # roles whose accounts it issues in its jurisdiction (账号发放)

    @property
    def rank(self) -> int:
        """Highest level it lives at: 0 national ... 4 unit."""
        return min(LEVELS.index(level) for level in self.levels)


@dataclass(frozen=True)
class TimeLimit:
    """`time_limit` of a state: a row entering it is due `days` later (working days of
    China's official calendar, or calendar days: generator/working_days.py)."""

    days: int
    calendar: str = "working"


@dataclass(frozen=True)
class State:
    key: str
    label: Label
    edit: bool = False  # rows in this state may be edited
    delete: bool = False  # ... and deleted
    hidden_from: tuple[str, ...] = ()  # roles that do not see rows in this state
    correction: bool = False  # 退回补正: the rounds of 补正历史 start here
    time_limit: TimeLimit | None = None  # rows in it are due (办理期限)
    todo_for: str | None = None  # a `user` field: its rows are 待办 only of that person


@dataclass(frozen=True)
class Notify:
    """Who is told when a transition moves a row (消息中心), and what: `to` is `org` (users
    of the row's organisation holding `roles`), `next` (users who may fire a transition from
    the new state, in their range) or `actor` (who fired transition `of` on the row last).
    `message` is a template: `{field}` of the row, `{reason}`, `{actor}`, `{action}`."""

    to: str
    message: Label
    roles: tuple[str, ...] = ()
    of: str | None = None


NOTIFY_TARGETS = ("org", "next", "actor")
# a `{name}` of a message template (notify, reminders)
PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


@dataclass(frozen=True)
class Transition:
    key: str
    label: Label
    sources: tuple[str, ...]
    target: str
    roles: tuple[str, ...]
    reason: bool = False  # a reason must be given (退回补正)
    requires: tuple[str, ...] = ()  # fields that must be filled
    batch: bool = False  # offered on the list for many rows at once
    all: bool = False  # a button above the list fires it on every reachable row at once
    needs: Needs | None = None  # a related record that must exist first (e.g. 承诺函)
    when: When | None = None  # a setting of the row's region decides whether it applies
    todo: bool = True  # rows waiting for it are someone's 待办 (not 撤回, 退回, 解绑 …)
    notify: tuple[Notify, ...] = ()  # messages to the inbox (消息中心) when it moves a row
    extend: bool = False  # 延长期限: the due date moves on by the target's limit, not from today


@dataclass(frozen=True)
class When:
    """A transition's guard read from a setting row (e.g. the province's 审核方式): the row of
    `entity` belonging to the row's organisation or its nearest ancestor, equal on `match`,
    must hold one of `values` in `field` (`default` counts when there is no such row)."""

    entity: str  # qualified entity name (org-scoped)
    match: tuple[str, ...]
    field: str
    values: tuple[Any, ...]
    default: Any = None


@dataclass(frozen=True)
class FilledBy:
    """Who fills a row (`filled_by` on an entity): the setting (read like a `When`: the row of
    `setting.entity` of the row's organisation or its nearest ancestor, equal on `match`)
    names, per value, the roles that write `fields` and fire `transitions`. A user holding
    one of the roles named for any value does so only where the row's value names one of
    their roles (e.g. 报量方式: institutions fill their own demand, or the city or the province
    fills it on their behalf); other users are not concerned."""

    setting: When  # `values` unused
    roles: tuple[tuple[Any, tuple[str, ...]], ...]  # (setting value, roles that fill)
    fields: tuple[str, ...]
    transitions: tuple[str, ...] = ()

    def fillers(self, value: Any) -> tuple[str, ...]:
        return next((roles for key, roles in self.roles if key == value), ())

    @property
    def governed(self) -> frozenset[str]:
        """Every role named: only these are held to the setting."""
        return frozenset(r for _value, roles in self.roles for r in roles)


@dataclass(frozen=True)
class Needs:
    """A transition's guard: a row of `entity` of the same organisation, equal on `match`
    (fields of the same name on both rows) and with `filled` fields not empty, must exist."""

    entity: str  # qualified entity name (org-scoped)
    match: tuple[str, ...]
    filled: tuple[str, ...]
    message: Label


@dataclass(frozen=True)
class Workflow:
    key: str
    field: str  # column holding the state
    initial: str
    states: tuple[State, ...]
    transitions: tuple[Transition, ...]
    # 变更: in these (locked) states a change is requested and decided, not edited in place
    change_states: tuple[str, ...] = ()
    change_roles: tuple[str, ...] = ()
    change_approvers: tuple[str, ...] = ()
    # 审核记录: a text field every transition appends one line to (when, who, what, why)
    log_field: str | None = None
    state_title: Label | None = None  # YAML state_label: the state column's title

    @property
    def state_field(self) -> Field:
        """The state column as an enum field: its title and state labels for lists, filters,
        exports and the history."""
        return Field(self.field, "enum", self.state_title or Label("状态", "State"),
                     values=tuple(EnumValue(s.key, s.label) for s in self.states))

    @property
    def due_field(self) -> str | None:
        """The stored due date of the row's state (`<field>_due`), when a state has a limit."""
        limited = any(s.time_limit is not None for s in self.states)
        return f"{self.field}_due" if limited else None

    def state(self, key: str | None) -> State | None:
        return next((s for s in self.states if s.key == key), None)

    def transition(self, key: str) -> Transition | None:
        return next((t for t in self.transitions if t.key == key), None)

    def state_label(self, key: str | None, locale: str) -> str:
        state = self.state(key)
        return state.label.get(locale) if state else (key or "")


@dataclass(frozen=True)
class Index:
    name: str
    fields: tuple[str, ...]  # columns
    unique: bool = False
    # a partial index: only rows matching these hold it ("at most one *bound* row per
    # product"); conditions name columns (the workflow's state, enum or boolean fields)
    where: tuple[Condition, ...] = ()


@dataclass(frozen=True)
class ListEdit:
    """Fields typed straight into the list; a list action saves the selected rows and, when
    `transition` is set, moves each row it may move (e.g. 未填报 -> 已保存)."""

    fields: tuple[str, ...]
    transition: str | None = None
    label: Label = Label("保存", "Save")


SUMMARY_ORG_LEVELS = ("org.province", "org.city", "org.county", "org")


@dataclass(frozen=True)
class Summary:
    """An aggregate screen over an entity: sums of `sums` per `group_by`, rows limited by
    `where` and by the viewer's data range; a row drills down into `drill`.

    Dimensions are stored field names or the organisation at a level (SUMMARY_ORG_LEVELS)."""

    key: str
    label: Label
    group_by: tuple[str, ...]
    sums: tuple[str, ...]
    where: tuple[Condition, ...] = ()
    drill: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()
    # the batch or period field: the screen shows one of its values at a time (the newest
    # by default), never two periods added together unless it is grouped by too
    period: str | None = None


@dataclass(frozen=True)
class Entity:
    key: str  # the YAML key, e.g. DemandLine
    module: str
    label: Label
    table: str
    fields: tuple[Field, ...]
    display: str
    icon: str = "fa-table"
    list_columns: tuple[str, ...] = ()
    search_columns: tuple[str, ...] = ()
    filter_columns: tuple[str, ...] = ()
    order_columns: tuple[str, ...] = ()
    default_order: tuple[str, str] | None = None  # (field, "asc"|"desc")
    form_columns: tuple[str, ...] = ()
    indexes: tuple[Index, ...] = ()
    page_size: int = 20
    menu: bool = True  # child-line entities are usually edited only inside their parent
    scope: str | None = None  # rows belong to an organisation: default data range (SCOPES)
    parent_scoped: bool = False  # lines of an org-scoped parent: they share its organisation
    grants: tuple[Grant, ...] = ()
    hooks: tuple[HookRef, ...] = ()  # entity hooks, e.g. window_deadline
    import_key: tuple[str, ...] = ()  # natural key: an imported row matching it updates
    workflow: Workflow | None = None
    list_edit: ListEdit | None = None
    summaries: tuple[Summary, ...] = ()
    filled_by: FilledBy | None = None
    owner: Owner | None = None  # visible_to_owner
    rules: tuple[AutoRule, ...] = ()  # automatic actions
    documents: tuple[Document, ...] = ()  # 文书
    completeness: Completeness | None = None
    # `org_from: <reference>`: each row belongs to the organisation of the row the reference
    # points to (a 检查任务 is held by the enterprise inspected), set on every write
    org_from: str | None = None
    matching: Matching | None = None  # 进销存 关联匹配 (generator/spec_rules.py)
    progress: Progress | None = None  # its rows are applications on 办理进度
    exam: Exam | None = None  # 药监网校: a random paper per attempt (generator/spec_exam.py)
    employer: Employer | None = None  # visible_to_employer: results read by the employer
    similar: Similar | None = None  # 常见问题 matching (generator/spec_help.py)
    public: PublicRows | None = None  # rows readable without signing in (spec_help.py)
    favourites: bool = False  # 收藏: a star on each row, 已收藏, 我的收藏 (app/favourites/)
    tabs: str | None = None  # a field of fixed values: the list's tabs with their counts
    searchable: Searchable | None = None  # found by the global search (全局搜索)

    def document(self, key: str) -> Document | None:
        return next((d for d in self.documents if d.key == key), None)

    def hook(self, name: str) -> HookRef | None:
        return next((h for h in self.hooks if h.name == name), None)

    @property
    def org_scoped(self) -> bool:
        return self.scope is not None or self.parent_scoped

    @property
    def permission_name(self) -> str:
        """FAB view-menu name shared by the entity's screens and API: module:resource."""
        return f"{self.module}:{self.resource}"

    def grant(self, role: str) -> Grant | None:
        return next((g for g in self.grants if g.role == role), None)

    @property
    def qualified(self) -> str:
        return f"{self.module}.{self.key}"

    @property
    def resource(self) -> str:
        """REST resource name: the YAML key in lower snake case."""
        return snake(self.key)

    def field(self, name: str) -> Field:
        for item in self.fields:
            if item.name == name:
                return item
        raise KeyError(name)

    def has_field(self, name: str) -> bool:
        return any(item.name == name for item in self.fields)

    @property
    def column_fields(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if f.is_column)

    @property
    def searched(self) -> tuple[str, ...]:
        """The fields of the list's search form, in the YAML's order (`search`, then
        `filters`; `org` where named); the first four string/enum fields if none is named.
        The workflow's state is offered besides (not listed here)."""
        named = [n for n in dict.fromkeys(self.search_columns + self.filter_columns)
                 if n == "org" or self.field(n).kind.search_control is not None]
        if not named:
            named = [f.name for f in self.fields if f.kind.search_default][:4]
        return tuple(named)

    @property
    def initials_fields(self) -> tuple[str, ...]:
        """Fields whose pinyin initials are stored beside them (`<name>_initials`): the
        searched text fields and the display field, which reference pickers search; not
        identifiers checked by validators (统一社会信用代码, 批准文号 …)."""
        names = [n for n in self.searched if n != "org"] + [self.display]
        if self.searchable is not None:  # 全局搜索 finds the title by its initials too
            names.append(self.searchable.title)
        return tuple(n for n in dict.fromkeys(names) if self.has_field(n)
                     and self.field(n).kind.initials and not self.field(n).validators)


@dataclass(frozen=True)
class Gate:
    """Users of `user_classes` enter the module only once their organisation has a row of
    `entity` with `fields` filled (and matching `where`): e.g. 企业信息 completed first."""

    entity: str  # qualified entity name (org-scoped)
    fields: tuple[str, ...]
    message: Label
    where: tuple[Condition, ...] = ()
    user_classes: tuple[str, ...] = ("legal_person", "agent")


@dataclass(frozen=True)
class LandingChoice:
    """One big button of a module's landing: the list of `entity`, with `window` the rows
    whose reporting window is open (新批次报量) or over (历史报量查询)."""

    key: str
    label: Label
    entity: str  # qualified entity name
    help: Label | None = None
    icon: str = "fa-arrow-right"
    window: str | None = None  # open | closed (the entity's window_deadline hook)


@dataclass(frozen=True)
class Landing:
    """A module's own landing (seed 002 §4.2.1.2): after sign-in its users choose here."""

    title: Label
    choices: tuple[LandingChoice, ...]
    user_classes: tuple[str, ...] = ()  # empty: everyone who may open a choice



@dataclass(frozen=True)
class Module:
    key: str
    label: Label
    icon: str
    order: int
    entities: tuple[Entity, ...]
    gate: Gate | None = None
    landing: Landing | None = None
    manual: str | None = None  # the operation manual (帮助文档): absolute path of a text file
    schedules: tuple[Schedule, ...] = ()
    notices: Notices | None = None  # 通知公告 (at most one module of a schema has them)
    pages: tuple[Page, ...] = ()  # content pages (generator/spec_help.py)
    links: tuple[MenuLink, ...] = ()  # menu entries opening other modules' lists, first



@dataclass(frozen=True)
class Spec:
    title: Label
    modules: tuple[Module, ...]
    source: str = ""  # path of the root schema file
    roles: tuple[Role, ...] = ()
    hooks: tuple[HookRef, ...] = ()  # application hooks, e.g. password_policy
    dashboards: tuple[Dashboard, ...] = ()  # 数据分析 (spec_dashboards.py)
    registration: Registration | None = None  # 注册账号 (checks/registration.py)
    _index: dict[str, Entity] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        for module in self.modules:
            for entity in module.entities:
                self._index[entity.qualified] = entity

    @property
    def entities(self) -> tuple[Entity, ...]:
        return tuple(e for m in self.modules for e in m.entities)

    def entity(self, qualified: str) -> Entity:
        return self._index[qualified]

    def hook(self, name: str) -> HookRef | None:
        return next((h for h in self.hooks if h.name == name), None)

    def module(self, key: str) -> Module:
        return next(m for m in self.modules if m.key == key)

    def dashboard(self, key: str) -> Dashboard:
        return next(d for d in self.dashboards if d.key == key)

    def role(self, key: str) -> Role:
        return next(r for r in self.roles if r.key == key)

    @property
    def notices(self) -> Notices | None:
        return next((m.notices for m in self.modules if m.notices is not None), None)

    def children_of(self, entity: Entity) -> list[tuple[Field, Entity, Field]]:
        """(child field on parent, line entity, reference field on the line back to parent)."""
        result = []
        for item in entity.fields:
            if item.kind.lines and item.entity:
                line = self.entity(item.entity)
                back = parent_reference(line, entity.qualified)
                if back is not None:
                    result.append((item, line, back))
        return result


def parent_reference(line: Entity, parent: str) -> Field | None:
    for item in line.fields:
        if item.kind.refers and item.to == parent:
            return item
    return None


def snake(name: str) -> str:
    name = re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name)
    name = re.sub(r"(?<=[A-Z])([A-Z][a-z])", r"_\1", name)
    return name.lower()
