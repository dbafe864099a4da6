"""Dashboards (大数据分析): indicators counted in SQL and the charts that show them.

An indicator is one grouped query over an entity of the schema or a built-in source (the
organisations, the audit trail): a count or a sum over the rows its `where` expression keeps,
grouped by the region (the level below the one shown: province -> city -> county -> unit)
and/or a period or category (a year, a month of a date, a batch, a state). A ratio divides
two such indicators of the same dimensions, group by group (上报率: the reports filed over the
enterprises expected). A chart binds one indicator to a picture (bar, line, pie, a number
card, a table).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from generator.spec import Label

MEASURES = ("count", "sum", "ratio")
CHART_TYPES = ("bar", "line", "pie", "number", "table")
REGION = "region"  # the dimension that drills down the organisation tree
PERIODS = ("year", "month")  # `<field>.year`, `<field>.month` of a date or datetime field
MAX_DIMENSIONS = 2


@dataclass(frozen=True)
class SourceField:
    """A column of a built-in source that `where` and `by` may name."""

    name: str
    label: Label
    column: str
    calendar: bool = False  # a moment: grouped by `.year` or `.month`
    values: tuple[tuple[str, Label], ...] = ()  # the labels of its values, when grouped by it


@dataclass(frozen=True)
class Source:
    """A built-in table an indicator may count instead of an entity."""

    name: str
    label: Label
    fields: tuple[SourceField, ...]

    def field(self, name: str) -> SourceField:
        return next(f for f in self.fields if f.name == name)


SOURCES: dict[str, Source] = {
    # 监管相对人: enterprises and medical institutions are the tree's units
    "organisations": Source("organisations", Label("监管相对人", "Regulated parties"), (
        SourceField("level", Label("机构层级", "Level"), "level", values=(
            ("national", Label("国家", "National")), ("province", Label("省级", "Province")),
            ("city", Label("地市级", "City")), ("county", Label("区县级", "County")),
            ("unit", Label("单位", "Unit")))),
        SourceField("kind", Label("单位类型", "Kind"), "kind", values=(
            ("enterprise", Label("企业", "Enterprise")),
            ("institution", Label("医疗机构", "Medical institution")),
            ("person", Label("自然人", "Natural person")))),
        SourceField("valid_from", Label("启用日期", "Valid from"), "valid_from", calendar=True),
    )),
    # 绩效考核: sign-ins and records written, per organisation and month, from the audit trail
    "audit": Source("audit", Label("系统使用情况", "System use"), (
        SourceField("action", Label("操作", "Action"), "action", values=(
            ("login", Label("登录", "Sign-in")), ("create", Label("新增", "Create")),
            ("edit", Label("修改", "Edit")), ("delete", Label("删除", "Delete")),
            ("transition", Label("流转", "Transition")), ("import", Label("导入", "Import")))),
        SourceField("entity", Label("业务对象", "Entity"), "entity"),
        SourceField("transition", Label("流转操作", "Transition"), "transition"),
        SourceField("at", Label("时间", "Time"), "at", calendar=True),
    )),
}


@dataclass(frozen=True)
class Indicator:
    key: str
    label: Label
    entity: str | None  # qualified entity name, or None with `source`
    source: str | None  # a built-in source (SOURCES), or None with `entity`
    measure: str = "count"
    field: str | None = None  # summed (`sum`, and `ratio` of sums)
    where: str | None = None  # expression: the rows counted
    by: tuple[str, ...] = ()  # REGION, field names, `<field>.year`, `<field>.month`
    of: tuple[str, str] | None = None  # `ratio`: numerator and denominator indicators

    @property
    def reads(self) -> frozenset[str]:
        """The fields the indicator reads: hidden from a role, the indicator is not shown
        (a ratio's are those of its two indicators)."""
        names: set[str] = {d.split(".", 1)[0] for d in self.by if d != REGION}
        if self.field:
            names.add(self.field)
        if self.where:
            names |= _names(self.where)
        return frozenset(names)


def _names(source: str) -> set[str]:
    import ast

    return {n.id for n in ast.walk(ast.parse(source.strip(), mode="eval"))
            if isinstance(n, ast.Name) and n.id not in ("True", "False", "None")}


@dataclass(frozen=True)
class Chart:
    indicator: str
    kind: str  # CHART_TYPES
    title: Label | None = None  # default: the indicator's label


@dataclass(frozen=True)
class Dashboard:
    key: str
    label: Label
    roles: tuple[str, ...]
    indicators: tuple[Indicator, ...]
    charts: tuple[Chart, ...]
    icon: str = "fa-line-chart"
    order: int = 100
    help: Label | None = None
    _index: dict[str, Indicator] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        for indicator in self.indicators:
            self._index[indicator.key] = indicator

    def indicator(self, key: str) -> Indicator:
        return self._index[key]
