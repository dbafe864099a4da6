"""Checks of the keys that tie entities together: module gates, reference choices, transition
guards (`needs`), the review log, list editing and summaries.

A mixin of `checks.Checker`: the simple keys are read where they stand; names of other
entities are resolved once every module is known (`resolve_features`), so each problem is
still reported with its file, line and key path.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from generator.loader import Location, Node
from generator.spec import (
    ACTIONS,
    SUMMARY_ORG_LEVELS,
    USER_CLASSES,
    Choices,
    Condition,
    Entity,
    Field,
    Gate,
    Label,
    ListEdit,
    Module,
    Needs,
    Summary,
    When,
    Workflow,
)

GATE_KEYS = ("entity", "fields", "where", "user_classes", "message")
CHOICES_KEYS = ("where", "via", "message")
VIA_KEYS = ("entity", "field", "where", "own", "exists")
NEEDS_KEYS = ("entity", "match", "filled", "message")
WHEN_KEYS = ("entity", "match", "field", "in", "default")
LIST_EDIT_KEYS = ("fields", "transition", "label")
SUMMARY_KEYS = ("label", "group_by", "sum", "where", "drill", "roles")
SUMMABLE = ("integer", "decimal")
NOT_EDITABLE_IN_LIST = ("child", "computed", "file", "reference", "text")
GATE_MESSAGE = Label("请先完善企业信息后再办理本模块业务。",
                     "Complete your enterprise information first.")
NEEDS_MESSAGE = Label("请先完成前置事项。", "A required record is missing.")


def _choices(items: Any) -> str:
    return ", ".join(str(i) for i in items)


@dataclasses.dataclass
class _Pending:
    """A name of another entity, checked once all entities are known."""

    kind: str  # gate | choices | needs
    node: Node  # the raw mapping, for locations
    path: str
    module: str  # where the name was written (unqualified names are looked up here first)
    owner: str = ""  # gate: module key; choices: qualified entity + field; needs: workflow


class FeatureChecks:
    """Methods used by Checker; they report through `self.err` like every other check."""

    pending: list[_Pending]
    role_index: dict[str, Any]

    # provided by Checker
    def err(self, code: str, where: Location, path: str, message: str, allowed: str = ""
            ) -> None: raise NotImplementedError
    def keys(self, node: Node, allowed: tuple[str, ...], path: str,
             required: tuple[str, ...] = ()) -> None: raise NotImplementedError
    def expect(self, value: Any, kind: type, where: Location, path: str
               ) -> bool: raise NotImplementedError
    def label(self, node: Node, key: str, path: str, fallback: str
              ) -> Label: raise NotImplementedError
    def flag(self, node: Node, key: str, path: str, default: bool = False
             ) -> bool: raise NotImplementedError
    def names(self, node: Node, key: str, path: str
              ) -> list[tuple[str, Location]]: raise NotImplementedError
    def known_role(self, role: str, where: Location, path: str) -> bool: raise NotImplementedError

    # -- small readers -----------------------------------------------------------------------
    def conditions(self, node: Node, key: str, path: str) -> tuple[Condition, ...]:
        """`where: {field: value or [values]}`; field names are checked by the caller."""
        raw = node.get(key)
        if raw is None or not self.expect(raw, dict, node.where(key), f"{path}.{key}"):
            return ()
        out = []
        for name, value in raw.items():
            values = tuple(value) if isinstance(value, list) else (value,)
            if not values or any(isinstance(v, (dict, list)) for v in values):
                self.err("SCHEMA-E002", raw.where(name), f"{path}.{key}.{name}",
                         f"is {type(value).__name__}", "a value or a list of values")
                continue
            out.append(Condition(str(name), values))
        return tuple(out)

    def check_condition_fields(self, conditions: tuple[Condition, ...], allowed: set[str],
                               node: Node, key: str, path: str) -> None:
        raw = node.get(key)
        for c in conditions:
            if c.field not in allowed:
                where = raw.where(c.field) if isinstance(raw, Node) else node.where(key)
                self.err("SCHEMA-E019", where, f"{path}.{key}", f"unknown field '{c.field}'",
                         f"one of {_choices(sorted(allowed))}")

    # -- read where they stand -----------------------------------------------------------------
    def read_gate(self, data: Node, module: str) -> None:
        if "gate" not in data or not self.expect(data["gate"], dict, data.where("gate"), "gate"):
            return
        node = data["gate"]
        self.keys(node, GATE_KEYS, "gate", required=("entity",))
        for cls, where in self.names(node, "user_classes", "gate"):
            if cls not in USER_CLASSES:
                self.err("SCHEMA-E017", where, "gate.user_classes", f"'{cls}' is not allowed",
                         f"one of {_choices(USER_CLASSES)}")
        self.pending.append(_Pending("gate", node, "gate", module, module))

    def read_choices(self, body: Node, path: str, module: str, owner: str) -> None:
        node = body.get("choices")
        if node is None or not self.expect(node, dict, body.where("choices"), f"{path}.choices"):
            return
        self.keys(node, CHOICES_KEYS, f"{path}.choices")
        if "via" in node and self.expect(node["via"], dict, node.where("via"),
                                         f"{path}.choices.via"):
            self.keys(node["via"], VIA_KEYS, f"{path}.choices.via", required=("entity", "field"))
        self.pending.append(_Pending("choices", node, f"{path}.choices", module, owner))

    def read_needs(self, spec: Node, at: str, flow: str) -> None:
        node = spec.get("needs")
        if node is None or not self.expect(node, dict, spec.where("needs"), f"{at}.needs"):
            return
        self.keys(node, NEEDS_KEYS, f"{at}.needs", required=("entity",))
        self.pending.append(_Pending("needs", node, f"{at}.needs", "", f"{flow}:{at}"))

    def read_when(self, spec: Node, at: str, flow: str) -> None:
        node = spec.get("when")
        if node is None or not self.expect(node, dict, spec.where("when"), f"{at}.when"):
            return
        self.keys(node, WHEN_KEYS, f"{at}.when", required=("entity", "field", "in"))
        self.pending.append(_Pending("when", node, f"{at}.when", "", f"{flow}:{at}"))

    def read_log_field(self, body: Node, path: str) -> str | None:
        value = body.get("log_field")
        if value is None:
            return None
        return value if self.expect(value, str, body.where("log_field"),
                                    f"{path}.log_field") else None

    def check_log_field(self, flow: Workflow, body: Node, path: str, fields: list[Field]) -> None:
        if flow.log_field is None:
            return
        found = next((f for f in fields if f.name == flow.log_field), None)
        if found is None or found.type != "text":
            self.err("SCHEMA-E019", body.where("workflow"), f"{path}.workflow",
                     f"the workflow writes its review log into '{flow.log_field}', which is "
                     "not a text field here", f"a field {flow.log_field}: {{type: text}}")

    def read_list_edit(self, body: Node, path: str, fields: list[Field],
                       flow: Workflow | None) -> ListEdit | None:
        node = body.get("list_edit")
        at = f"{path}.list_edit"
        if node is None or not self.expect(node, dict, body.where("list_edit"), at):
            return None
        self.keys(node, LIST_EDIT_KEYS, at, required=("fields",))
        by_name = {f.name: f for f in fields}
        form = body.get("form")  # a field kept off the form is not typed into the list either
        editable = sorted(n for n, f in by_name.items() if f.type not in NOT_EDITABLE_IN_LIST
                          and (not isinstance(form, list) or n in form))
        chosen = []
        for name, where in self.names(node, "fields", at):
            if name not in editable:
                self.err("SCHEMA-E019", where, f"{at}.fields", f"'{name}' cannot be edited in "
                         "the list", f"one of {_choices(editable) or '(no such field)'}")
            else:
                chosen.append(name)
        transition = node.get("transition")
        if transition is not None:
            known = [t.key for t in flow.transitions] if flow is not None else []
            if transition not in known:
                self.err("SCHEMA-E027", node.where("transition"), f"{at}.transition",
                         f"unknown transition '{transition}'",
                         f"one of {_choices(known) or '(the entity has no workflow)'}")
                transition = None
        if not chosen:
            return None
        return ListEdit(tuple(chosen), transition, self.label(node, "label", at, "保存")
                        if "label" in node else Label("保存", "Save"))

    def read_summaries(self, body: Node, path: str, fields: list[Field], scoped: bool,
                       flow: Workflow | None) -> tuple[Summary, ...]:
        raw = body.get("summaries")
        if raw is None or not self.expect(raw, dict, body.where("summaries"),
                                          f"{path}.summaries"):
            return ()
        by_name = {f.name: f for f in fields}
        dims = {n for n, f in by_name.items() if f.is_column and f.type not in ("file", "text")}
        if flow is not None:
            dims.add(flow.field)
        if scoped:
            dims.update(SUMMARY_ORG_LEVELS)
        sums = {n for n, f in by_name.items() if f.type in SUMMABLE}
        taken = set(ACTIONS) | {"request_change", "decide_change"}
        taken |= {t.key for t in flow.transitions} if flow is not None else set()
        out = []
        for key, node in raw.items():
            at = f"{path}.summaries.{key}"
            if not isinstance(key, str) or not key.isidentifier() or key in taken:
                self.err("SCHEMA-E005", raw.where(key), at, f"'{key}' is not allowed",
                         "lower-case letters, digits and _, not an action or transition name")
                continue
            if not self.expect(node, dict, raw.where(key), at):
                continue
            self.keys(node, SUMMARY_KEYS, at, required=("group_by", "sum"))
            picked: dict[str, list[str]] = {}
            for part, pool in (("group_by", dims), ("sum", sums), ("drill", dims)):
                picked[part] = []
                for name, where in self.names(node, part, at):
                    if name not in pool:
                        self.err("SCHEMA-E019", where, f"{at}.{part}",
                                 f"'{name}' cannot be used here",
                                 f"one of {_choices(sorted(pool)) or '(none)'}")
                    else:
                        picked[part].append(name)
            where_conditions = self.conditions(node, "where", at)
            self.check_condition_fields(where_conditions, dims, node, "where", at)
            roles = tuple(r for r, where in self.names(node, "roles", at)
                          if self.known_role(r, where, f"{at}.roles"))
            if not picked["group_by"] or not picked["sum"]:
                continue
            out.append(Summary(key, self.label(node, "label", at, key),
                               tuple(picked["group_by"]), tuple(picked["sum"]),
                               where_conditions, tuple(picked["drill"]), roles))
        return tuple(out)

    # -- names of other entities, once all are known ----------------------------------------
    def resolve_features(self, modules: list[Module], known: dict[str, list[str]]
                         ) -> list[Module]:
        index = {e.qualified: e for m in modules for e in m.entities}
        gates: dict[str, Gate] = {}
        choices: dict[str, Choices] = {}
        needs: dict[str, Needs] = {}
        whens: dict[str, When] = {}
        needs_nodes = {item.owner: item for item in self.pending if item.kind == "needs"}
        when_nodes = {item.owner: item for item in self.pending if item.kind == "when"}
        for item in self.pending:
            if item.kind == "gate":
                gate = self._gate(item, index, known)
                if gate is not None:
                    gates[item.owner] = gate
            elif item.kind == "choices":
                found = self._choices(item, index, known)
                if found is not None:
                    choices[item.owner] = found
            elif item.kind == "when":
                when = self._when(item, index, known)
                if when is not None:
                    whens[item.owner] = when
            else:
                need = self._needs(item, index, known)
                if need is not None:
                    needs[item.owner] = need
        out = []
        for module in modules:
            entities = []
            for entity in module.entities:
                new_fields = tuple(
                    dataclasses.replace(f, choices=choices[f"{entity.qualified}.{f.name}"])
                    if f"{entity.qualified}.{f.name}" in choices else f
                    for f in entity.fields)
                flow = entity.workflow
                if flow is not None:
                    flow = self._flow_with_needs(flow, needs, whens)
                    self._check_guard_fields(entity, flow, "needs", needs_nodes)
                    self._check_guard_fields(entity, flow, "when", when_nodes)
                entities.append(dataclasses.replace(entity, fields=new_fields, workflow=flow))
            out.append(dataclasses.replace(module, entities=tuple(entities),
                                           gate=gates.get(module.key)))
        return out

    @staticmethod
    def _flow_with_needs(flow: Workflow, needs: dict[str, Needs], whens: dict[str, When]
                         ) -> Workflow:
        prefix = f"{flow.key}:workflows.{flow.key}.transitions."
        transitions = tuple(
            dataclasses.replace(t, needs=needs.get(prefix + t.key), when=whens.get(prefix + t.key))
            for t in flow.transitions)
        return dataclasses.replace(flow, transitions=transitions)

    def _resolve(self, node: Node, key: str, path: str, module: str,
                 known: dict[str, list[str]], index: dict[str, Entity]) -> Entity | None:
        raw = node.get(key)
        if not isinstance(raw, str):
            if raw is not None:
                self.expect(raw, str, node.where(key), f"{path}.{key}")
            return None
        every = sorted(index)
        name: str | None = None
        if "." in raw:
            name = raw if raw in index else None
        else:
            matches = known.get(raw, [])
            local = f"{module}.{raw}"
            name = local if local in matches else (matches[0] if len(matches) == 1 else None)
        if name is None or name not in index:
            self.err("SCHEMA-E013", node.where(key), f"{path}.{key}", f"unknown entity '{raw}'",
                     f"one of {_choices(every)}")
            return None
        return index[name]

    def _org_scoped(self, entity: Entity, node: Node, key: str, path: str) -> bool:
        if entity.org_scoped:
            return True
        self.err("SCHEMA-E019", node.where(key), f"{path}.{key}",
                 f"'{entity.key}' has no organisation (no scope)",
                 "an entity with `scope:` whose rows belong to an organisation")
        return False

    @staticmethod
    def _condition_pool(entity: Entity) -> set[str]:
        pool = {f.name for f in entity.fields if f.is_column and f.type != "file"}
        if entity.workflow is not None:
            pool.add(entity.workflow.field)
        return pool

    def _field_names(self, node: Node, key: str, path: str, pool: set[str]) -> tuple[str, ...]:
        out = []
        for name, where in self.names(node, key, path):
            if name not in pool:
                self.err("SCHEMA-E019", where, f"{path}.{key}", f"unknown field '{name}'",
                         f"one of {_choices(sorted(pool))}")
            else:
                out.append(name)
        return tuple(out)

    def _gate(self, item: _Pending, index: dict[str, Entity], known: dict[str, list[str]]
              ) -> Gate | None:
        node, path = item.node, item.path
        entity = self._resolve(node, "entity", path, item.module, known, index)
        if entity is None or not self._org_scoped(entity, node, "entity", path):
            return None
        pool = self._condition_pool(entity)
        fields = self._field_names(node, "fields", path, pool)
        where = self.conditions(node, "where", path)
        self.check_condition_fields(where, pool, node, "where", path)
        classes = tuple(c for c, _ in self.names(node, "user_classes", path)
                        if c in USER_CLASSES) or ("legal_person", "agent")
        message = self.label(node, "message", path, GATE_MESSAGE.zh) if "message" in node \
            else GATE_MESSAGE
        return Gate(entity.qualified, fields, message, where, classes)

    def _choices(self, item: _Pending, index: dict[str, Entity], known: dict[str, list[str]]
                 ) -> Choices | None:
        node, path = item.node, item.path
        owner_entity, _, field_name = item.owner.rpartition(".")
        owner = index.get(owner_entity)
        if owner is None:
            return None
        target_name = owner.field(field_name).to
        target = index.get(target_name or "")
        if target is None:
            return None
        where = self.conditions(node, "where", path)
        self.check_condition_fields(where, self._condition_pool(target), node, "where", path)
        message = self.label(node, "message", path, "") if "message" in node else None
        via_node = node.get("via")
        if not isinstance(via_node, Node):
            return Choices(where=where, message=message)
        at = f"{path}.via"
        via = self._resolve(via_node, "entity", at, item.module, known, index)
        if via is None:
            return None
        link = via_node.get("field")
        links = sorted(f.name for f in via.fields
                       if f.type == "reference" and f.to == target.qualified)
        if link not in links:
            self.err("SCHEMA-E019", via_node.where("field"), f"{at}.field",
                     f"'{link}' is not a reference of {via.key} to {target.key}",
                     f"one of {_choices(links) or '(none)'}")
            return None
        own = self.flag(via_node, "own", at, True)
        if own and not self._org_scoped(via, via_node, "entity", at):
            return None
        via_where = self.conditions(via_node, "where", at)
        self.check_condition_fields(via_where, self._condition_pool(via), via_node, "where", at)
        return Choices(where, via.qualified, str(link), via_where, own,
                       self.flag(via_node, "exists", at, True), message)

    def _needs(self, item: _Pending, index: dict[str, Entity], known: dict[str, list[str]]
               ) -> Needs | None:
        node, path = item.node, item.path
        # Workflows are schema-wide: an unqualified name must be unique among the modules.
        entity = self._resolve(node, "entity", path, "", known, index)
        if entity is None or not self._org_scoped(entity, node, "entity", path):
            return None
        pool = {f.name for f in entity.fields if f.is_column}
        match = self._field_names(node, "match", path, pool)
        filled = self._field_names(node, "filled", path, pool)
        message = self.label(node, "message", path, NEEDS_MESSAGE.zh) if "message" in node \
            else NEEDS_MESSAGE
        return Needs(entity.qualified, match, filled, message)

    def _when(self, item: _Pending, index: dict[str, Entity], known: dict[str, list[str]]
              ) -> When | None:
        node, path = item.node, item.path
        entity = self._resolve(node, "entity", path, "", known, index)
        if entity is None or not self._org_scoped(entity, node, "entity", path):
            return None
        pool = {f.name for f in entity.fields if f.is_column and f.type != "file"}
        match = self._field_names(node, "match", path, pool)
        name = node.get("field")
        if name not in pool:
            self.err("SCHEMA-E019", node.where("field"), f"{path}.field",
                     f"unknown field '{name}'", f"one of {_choices(sorted(pool))}")
            return None
        raw = node.get("in")
        values = tuple(raw) if isinstance(raw, list) else (raw,)
        setting = entity.field(str(name))
        allowed = [v.value for v in setting.values] if setting.type == "enum" else None
        default = node.get("default")
        for value, key in [(v, "in") for v in values] + ([(default, "default")]
                                                         if "default" in node else []):
            if allowed is not None and value not in allowed:
                self.err("SCHEMA-E020", node.where(key), f"{path}.{key}",
                         f"'{value}' is not one of the values of {name}",
                         f"one of {_choices(allowed)}")
                return None
        return When(entity.qualified, match, str(name), values, default)

    def _check_guard_fields(self, entity: Entity, flow: Workflow, kind: str,
                            nodes: dict[str, _Pending]) -> None:
        """The `match` fields of a transition's `needs` or `when` must exist on the entity
        using the workflow too, and that entity must belong to organisations."""
        names = {f.name for f in entity.fields if f.is_column}
        for t in flow.transitions:
            guard = getattr(t, kind)
            item = nodes.get(f"{flow.key}:workflows.{flow.key}.transitions.{t.key}")
            if guard is None or item is None:
                continue
            for name in guard.match:
                if name not in names:
                    self.err("SCHEMA-E019", item.node.where("match"), f"{item.path}.match",
                             f"'{name}' is not a field of {entity.qualified}, which uses the "
                             "workflow", f"one of {_choices(sorted(names))}")
            if not entity.org_scoped:
                self.err("SCHEMA-E019", item.node.where(), item.path,
                         f"{entity.qualified} uses the workflow but has no organisation",
                         "entities with `scope:`")
