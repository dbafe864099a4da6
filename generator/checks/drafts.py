"""What the checks read, before the Spec exists: the arguments of each Spec object, with the
YAML nodes they came from (for the locations of later problems). Cross-references are
resolved on these drafts; `build` turns them into the frozen Spec once, at the end."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from generator.loader import Location, Node
from generator.spec import Entity, Field, Label, Module, Transition, Workflow
from generator.types import TYPES, FieldType


@dataclass
class FieldDraft:
    kw: dict[str, Any]  # generator.spec.Field arguments
    node: Node  # the field's YAML mapping
    where: Location
    choices_node: Node | None = None  # raw `choices` of a reference, resolved later

    @property
    def name(self) -> str:
        return str(self.kw["name"])

    @property
    def kind(self) -> FieldType:
        return TYPES[self.kw["type"]]

    @property
    def stored(self) -> bool:
        return self.kind.stored

    @property
    def column(self) -> str:
        return self.kind.column_name(self.build())

    def get(self, key: str, default: Any = None) -> Any:
        return self.kw.get(key, default)

    def build(self) -> Field:
        return Field(**self.kw)


@dataclass
class TransitionDraft:
    kw: dict[str, Any]  # generator.spec.Transition arguments
    node: Node
    path: str
    guards: dict[str, Node | None] = field(default_factory=dict)  # raw `needs`, `when`

    @property
    def key(self) -> str:
        return str(self.kw["key"])

    def build(self) -> Transition:
        return Transition(**self.kw)


@dataclass
class WorkflowDraft:
    key: str
    kw: dict[str, Any]  # generator.spec.Workflow arguments but transitions
    transitions: list[TransitionDraft]
    node: Node
    path: str
    broken_transitions: set[str] = field(default_factory=set)  # defined with problems
    built: Workflow | None = None

    @property
    def field(self) -> str:
        return str(self.kw["field"])

    @property
    def log_field(self) -> str | None:
        return self.kw.get("log_field")

    @property
    def state_keys(self) -> list[str]:
        return [s.key for s in self.kw["states"]]

    def build(self) -> Workflow:
        if self.built is None:  # entities sharing the workflow share the object
            self.built = Workflow(transitions=tuple(t.build() for t in self.transitions),
                                  **self.kw)
        return self.built


@dataclass
class EntityDraft:
    module: str
    key: str
    node: Node
    kw: dict[str, Any] = field(default_factory=dict)  # generator.spec.Entity arguments
    fields: list[FieldDraft] = field(default_factory=list)
    broken_fields: set[str] = field(default_factory=set)  # defined with problems
    workflow: WorkflowDraft | None = None
    filled_by_node: Node | None = None  # raw `filled_by`, resolved once every entity is known
    exam_node: Node | None = None  # raw `exam` and `visible_to_employer` (checks/exam.py)
    employer_node: Node | None = None
    similar_node: Node | None = None  # raw `similar`, its `ask` resolved once all are known

    @property
    def path(self) -> str:
        return f"entities.{self.key}"

    @property
    def qualified(self) -> str:
        return f"{self.module}.{self.key}"

    @property
    def scoped(self) -> bool:
        """Rows belong to an organisation (`scope:` or lines of a scoped parent)."""
        return self.kw.get("scope") is not None or bool(self.kw.get("parent_scoped"))

    def field(self, name: str) -> FieldDraft | None:
        return next((f for f in self.fields if f.name == name), None)

    def names(self, *, stored: bool = False, readable: bool = False) -> set[str]:
        """Field names; `stored`: those with a column; `readable`: stored and not a file
        (what conditions, keys and expressions may name)."""
        return {f.name for f in self.fields
                if (not stored or f.stored) and (not readable or f.kind.in_expressions)}

    def condition_pool(self) -> set[str]:
        """What a `where` may name: readable fields and the workflow's state."""
        pool = self.names(readable=True)
        if self.workflow is not None:
            pool.add(self.workflow.field)
        return pool

    def _named(self, built: Field) -> Field:
        """A 数据字典 field (`dictionary: true`) gets its key: entity and field."""
        if not built.dictionary:
            return built
        return replace(built, dictionary=f"{self.qualified}.{built.name}")

    def build(self) -> Entity:
        return Entity(module=self.module, key=self.key,
                      fields=tuple(self._named(f.build()) for f in self.fields),
                      workflow=self.workflow.build() if self.workflow is not None else None,
                      **self.kw)


@dataclass
class ModuleDraft:
    key: str
    label: Label
    icon: str
    order: int
    node: Node
    entities: list[EntityDraft] = field(default_factory=list)
    gate_node: Node | None = None  # raw `gate`, resolved once every entity is known
    gate: Any = None  # generator.spec.Gate, once resolved
    landing_node: Node | None = None  # raw `landing`, resolved once every entity is known
    landing: Any = None  # generator.spec.Landing, once resolved
    manual: str | None = None
    schedules: tuple[Any, ...] = ()  # generator.spec.Schedule
    notices: Any = None  # generator.spec.Notices
    pages: tuple[Any, ...] = ()  # generator.spec_help.Page
    links_node: Any = None  # raw `links`, resolved once every entity is known
    links: tuple[Any, ...] = ()  # generator.spec.MenuLink

    def build(self) -> Module:
        return Module(self.key, self.label, self.icon, self.order,
                      tuple(e.build() for e in self.entities), self.gate, self.landing,
                      self.manual, self.schedules, self.notices, self.pages, self.links)
