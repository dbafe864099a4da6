"""The Spec's rules between records and over time (automatic actions, 文书, ownership by
identifier, 填报进度, schedules): plain frozen objects like the rest of generator/spec.py,
which re-exports them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from generator.spec import Label


@dataclass(frozen=True)
class AutoRule:
    """An automatic action (`rules:` on an entity): when a row is created (`on` is
    "create") or moved by the transition `on`, a row of `target` is created with `values`
    (target field -> an expression over the row's fields, or `reference.field` read from
    the row a reference points to), in the same transaction, audited as done by the rule on
    behalf of the person who acted. `org` names a reference of the row: the new row belongs
    to the organisation of the row it points to (转办 to the reported enterprise's region)."""

    key: str
    label: Label
    on: str  # "create" or a transition key
    target: str  # qualified entity name
    values: tuple[tuple[str, str], ...]
    org: str | None = None  # a reference of the source row; None: the source row's own
    # `update: <reference>` instead of `create:`: the rule sets `values` on the row this
    # reference points to (an approved 信用等级调整 sets the 信用档案's adjusted grade)
    update: str | None = None
    where: str | None = None  # an expression over the row: the rule fires only where it holds


@dataclass(frozen=True)
class Document:
    """A 文书 of an entity (`documents:`): a DOCX template filled from a row and its lines,
    numbered by `number` ("宁药监罚〔{year}〕{seq}号": one number per row, in sequence per
    year), downloaded as DOCX or PDF by `roles` while the row is in one of `states`."""

    key: str
    label: Label
    template: str  # absolute path of the .docx
    number: str
    roles: tuple[str, ...] = ()
    states: tuple[str, ...] = ()  # empty: any state


@dataclass(frozen=True)
class Owner:
    """`visible_to_owner`: a row held by a regulator's region is also readable (only) by the
    users of `roles` whose organisation's code (a unit's 统一社会信用代码) is in `field`."""

    field: str
    roles: tuple[str, ...]


@dataclass(frozen=True)
class Completeness:
    """填报进度 of an entity: which units are expected to file per period, which have, and
    which did so on time; by region, with 催报 to those who have not (app/completeness/)."""

    label: Label
    period: str  # the batch or year field: one period at a time
    filed: tuple[str, ...]  # states that count as filed (every row of the unit in one)
    kind: str  # the expected units: every current unit of this kind under the viewer
    roles: tuple[str, ...]  # who sees it (and may 催报)
    window: str | None = None  # window_deadline series: on time = filed before it closes
    due: str | None = None  # "MM-DD" of the year after a year period: on time = filed by then
    remind: Label | None = None  # the reminder's text: {period}, {entity}, {sender}


FILED_AT = "filed_at"  # when the row last moved into a filed state (set by the engine)


@dataclass(frozen=True)
class Schedule:
    """One of a module's `schedules:`: an action of the catalogue (generator/schedules.py)
    fired by a cron expression, exactly once per planned time across all hosts."""

    module: str
    name: str
    label: Label
    cron: str  # five fields: minute hour day-of-month month day-of-week
    action: str
    params: tuple[tuple[str, Any], ...] = ()

    @property
    def qualified(self) -> str:
        return f"{self.module}.{self.name}"


@dataclass(frozen=True)
class NoticeCategory:
    key: str
    label: Label


@dataclass(frozen=True)
class Notices:
    """通知公告 of a module (`notices:`, seed 003 ch. 2): notices in `categories` with a rich
    text body and one attachment, written and published by `publishers` within their
    jurisdiction for 全国 or one province, read by everybody whose organisation lies in a
    notice's range (by anonymous visitors too when `public`); people subscribe by category
    and get a message in 消息中心 when a notice of theirs is published (app/notices/)."""

    module: str
    label: Label
    categories: tuple[NoticeCategory, ...]
    publishers: tuple[str, ...]
    public: bool = False
    attachment: Any = None  # generator.spec.HookRef of upload_limit, or None: no attachment
    latest: int = 5  # how many the 工作台 shows

    def category(self, key: str) -> NoticeCategory | None:
        return next((c for c in self.categories if c.key == key), None)


MATCH_VALUES = ("matched", "missing_other", "missing_side", "differs")


@dataclass(frozen=True)
class Matching:
    """`matching:` of an entity (进销存 关联匹配): each row of one side (`side`, e.g. the
    sales) is paired with one row of the other side (`other`, the purchases) whose
    organisation's code equals this row's `counterparty` and whose `counterparty` equals this
    row's organisation's code, equal on `keys` (and on `quantity`). The app keeps the outcome
    in the generated fields `state` (MATCH_VALUES) and `row` (the paired row's id), computed
    set-based in SQL (app/matching.py) by the schedule action `match_records` and after every
    import or bulk upload of the entity."""

    side: tuple[Any, ...]  # generator.spec.Condition: the rows matched from
    other: tuple[Any, ...]  # ... and the rows they are matched against
    counterparty: str  # a text field: the other party's organisation code (统一社会信用代码)
    keys: tuple[str, ...]  # fields equal on both rows (药品本位码, 批号)
    quantity: str | None = None  # equal too, else the pair is `differs`
    state: str = "match_state"
    row: str = "matched_id"


@dataclass(frozen=True)
class Searchable:
    """`searchable: {title, text}` of an entity: its rows are found by the global search
    (全局搜索, app/global_search/) within each person's range, by the words of `title` (a
    string field, its pinyin initials too) and of `text` (string or text fields); a result
    is the title with its matching words marked, and a link to the row."""

    title: str
    text: tuple[str, ...] = ()

    @property
    def fields(self) -> tuple[str, ...]:
        return (self.title, *[n for n in self.text if n != self.title])
