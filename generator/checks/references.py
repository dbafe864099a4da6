"""Names of other entities, resolved once every module is read: reference targets, child
lines and the reference back, lines that follow their parent's organisation, gates,
reference choices and the `needs` and `when` of transitions."""

from __future__ import annotations

from typing import Any

from generator.checks.context import Context, listing
from generator.checks.drafts import EntityDraft, ModuleDraft, WorkflowDraft
from generator.checks.features import check_condition_fields, conditions
from generator.loader import Location, Node
from generator.spec import (
    USER_CLASSES,
    Choices,
    DependsOn,
    FilledBy,
    Gate,
    Label,
    Needs,
    When,
)

GATE_MESSAGE = Label("请先完善企业信息后再办理本模块业务。",
                     "Complete your enterprise information first.")
NEEDS_MESSAGE = Label("请先完成前置事项。", "A required record is missing.")


class Index:
    """Every entity by qualified name, and the qualified names of each entity key."""

    def __init__(self, modules: list[ModuleDraft]):
        self.by_name: dict[str, EntityDraft] = {}
        self.known: dict[str, list[str]] = {}
        for module in modules:
            for entity in module.entities:
                self.known.setdefault(entity.key, []).append(entity.qualified)
                self.by_name.setdefault(entity.qualified, entity)

    def lookup(self, raw: str, module: str) -> str | None:
        """`Entity` (this module's first, else the only one of that name) or `module.Entity`."""
        if "." in raw:
            return raw if raw in self.by_name else None
        matches = self.known.get(raw, [])
        local = f"{module}.{raw}"
        if local in matches:
            return local
        return matches[0] if len(matches) == 1 else None

    def resolve(self, ctx: Context, node: Node, key: str, path: str, module: str,
                missing: bool = False) -> EntityDraft | None:
        """node[key] as an entity; reported when unknown (or, with `missing`, absent)."""
        raw = node.get(key)
        if raw is None:
            if missing:
                ctx.err("SCHEMA-E004", node.where(), path, f"required key '{key}' is missing",
                        "an entity name, or module.Entity")
            return None
        if not ctx.expect(raw, str, node.where(key), f"{path}.{key}"):
            return None
        name = self.lookup(raw, module)
        if name is None:
            ctx.err("SCHEMA-E013", node.where(key), f"{path}.{key}", f"unknown entity '{raw}'",
                    f"one of {listing(sorted(self.by_name))}")
            return None
        return self.by_name[name]


def check_names(ctx: Context, modules: list[ModuleDraft]) -> None:
    """Module names and table names are used once."""
    seen: dict[str, Location] = {}
    tables: dict[str, str] = {}
    for module in modules:
        if module.key in seen:
            ctx.err("SCHEMA-E006", module.node.where("module"), "module",
                    f"module '{module.key}' is already defined at {seen[module.key]}",
                    "a module name used once")
        seen.setdefault(module.key, module.node.where("module"))
        for entity in module.entities:
            table = entity.kw["table"]
            if table in tables:
                ctx.err("SCHEMA-E006", entity.node.where("table") if "table" in entity.node
                        else module.node.where("entities"), f"{entity.path}.table",
                        f"table '{table}' is already used by {tables[table]}",
                        "a table name used once")
            tables.setdefault(table, entity.qualified)


def resolve_targets(ctx: Context, index: Index) -> None:
    """`to` of references and `entity` of child lines; every child's line refers back."""
    for entity in index.by_name.values():
        for f in entity.fields:
            key = f.kind.target_key
            if key is None:
                continue
            target = index.resolve(ctx, f.node, key, f"{entity.path}.fields.{f.name}",
                                   entity.module, missing=True)
            f.kw[key] = target.qualified if target is not None else None
    for entity in index.by_name.values():
        for f in entity.fields:
            line = index.by_name.get(f.kw.get("entity") or "") if f.kind.lines else None
            if line is None:
                continue
            if not any(lf.kind.refers and lf.get("to") == entity.qualified
                       for lf in line.fields):
                ctx.err("SCHEMA-E014", f.node.where("entity"),
                        f"{entity.path}.fields.{f.name}.entity",
                        f"'{line.key}' has no reference field to '{entity.key}'",
                        f"a field of type reference with to: {entity.key} in {line.key}")


def lines_follow_parents(index: Index) -> None:
    """Lines of an org-scoped parent share its organisation and, unless they say
    otherwise, its permissions."""
    import dataclasses

    for parent in index.by_name.values():
        if parent.kw.get("scope") is None:
            continue
        for f in parent.fields:
            line = index.by_name.get(f.kw.get("entity") or "") if f.kind.lines else None
            if line is None or line.kw.get("scope") is not None or line.kw.get(
                    "parent_scoped"):
                continue
            names = line.names()
            inherited = tuple(dataclasses.replace(
                g, readonly=tuple(n for n in g.readonly if n in names),
                hidden=tuple(n for n in g.hidden if n in names),
                assigned=()) for g in parent.kw["grants"])
            line.kw["parent_scoped"] = True
            line.kw["grants"] = line.kw["grants"] or inherited


def _org_scoped(ctx: Context, entity: EntityDraft, node: Node, key: str, path: str) -> bool:
    if entity.scoped:
        return True
    ctx.err("SCHEMA-E019", node.where(key), f"{path}.{key}",
            f"'{entity.key}' has no organisation (no scope)",
            "an entity with `scope:` whose rows belong to an organisation")
    return False


def resolve_gates(ctx: Context, modules: list[ModuleDraft], index: Index) -> None:
    for module in modules:
        node = module.gate_node
        if node is None:
            continue
        entity = index.resolve(ctx, node, "entity", "gate", module.key)
        if entity is None or not _org_scoped(ctx, entity, node, "entity", "gate"):
            continue
        pool = entity.condition_pool()
        fields = ctx.pick(node, "fields", "gate", pool)
        where = conditions(ctx, node, "where", "gate")
        check_condition_fields(ctx, where, pool, node, "where", "gate")
        classes = tuple(c for c, _ in ctx.names(node, "user_classes", "gate")
                        if c in USER_CLASSES) or ("legal_person", "agent")
        message = ctx.label(node, "message", "gate", GATE_MESSAGE.zh) if "message" in node \
            else GATE_MESSAGE
        module.gate = Gate(entity.qualified, fields, message, where, classes)


def resolve_choices(ctx: Context, index: Index) -> None:
    for entity in index.by_name.values():
        for f in entity.fields:
            target = index.by_name.get(f.kw.get("to") or "")
            if "depends_on" in f.node and target is not None:
                f.kw["depends_on"] = _depends_on(ctx, entity, f, target, index)
            if f.choices_node is None:
                continue
            if target is not None:
                f.kw["choices"] = _choices(ctx, f.choices_node,
                                           f"{entity.path}.fields.{f.name}.choices",
                                           entity.module, target, index)
        _cascade_circles(ctx, entity)


def _depends_on(ctx: Context, entity: EntityDraft, f: Any, target: EntityDraft,
                index: Index) -> DependsOn | None:
    """`depends_on: {field, match}`: `field` is another reference of this entity, `match` a
    reference of the target pointing where `field` points (市.parent -> 省)."""
    at = f"{entity.path}.fields.{f.name}.depends_on"
    node = f.node["depends_on"]
    if not ctx.expect(node, dict, f.node.where("depends_on"), at):
        return None
    ctx.keys(node, ("field", "match"), at, required=("field", "match"))
    name, match = node.get("field"), node.get("match")
    parents = sorted(x.name for x in entity.fields if x.kind.refers and x.name != f.name)
    parent = entity.field(name) if isinstance(name, str) and name in parents else None
    if parent is None:
        if "field" in node:
            ctx.err("SCHEMA-E019", node.where("field"), f"{at}.field",
                    f"'{name}' is not another reference of {entity.key}",
                    f"one of {listing(parents) or '(none)'}")
        return None
    points_to = parent.get("to")
    if points_to not in index.by_name:
        return None  # the parent's own target was reported
    links = sorted(x.name for x in target.fields if x.kind.refers and x.get("to") == points_to)
    if match not in links:
        if "match" in node:
            ctx.err("SCHEMA-E032", node.where("match"), f"{at}.match",
                    f"'{match}' is not a reference of {target.key} to "
                    f"{index.by_name[points_to].key} (what {name} holds)",
                    f"one of {listing(links) or '(none)'}")
        return None
    return DependsOn(str(name), str(match))


def _cascade_circles(ctx: Context, entity: EntityDraft) -> None:
    """省 -> 市 -> 县 is a chain; 市 depending on 县 again would never offer anything."""
    edges = {f.name: (f.get("depends_on") or f.get("choices_by")).field
             for f in entity.fields
             if f.get("depends_on") is not None or f.get("choices_by") is not None}
    for start in edges:
        name, seen = edges[start], {start}
        while name in edges and name not in seen:
            seen.add(name)
            name = edges[name]
        if name == start:
            f = entity.field(start)
            assert f is not None
            key = "depends_on" if f.get("depends_on") is not None else "choices_by"
            ctx.err("SCHEMA-E031", f.node.where(key), f"{entity.path}.fields.{start}.{key}",
                    "fields depend on each other in a circle",
                    "a chain such as province -> city -> county")


def _choices(ctx: Context, node: Node, path: str, module: str, target: EntityDraft,
             index: Index) -> Choices | None:
    where = conditions(ctx, node, "where", path)
    check_condition_fields(ctx, where, target.condition_pool(), node, "where", path)
    message = ctx.label(node, "message", path, "") if "message" in node else None
    via_node = node.get("via")
    if not isinstance(via_node, Node):
        return Choices(where=where, message=message)
    at = f"{path}.via"
    via = index.resolve(ctx, via_node, "entity", at, module)
    if via is None:
        return None
    link = via_node.get("field")
    links = sorted(f.name for f in via.fields
                   if f.kind.refers and f.get("to") == target.qualified)
    if link not in links:
        ctx.err("SCHEMA-E019", via_node.where("field"), f"{at}.field",
                f"'{link}' is not a reference of {via.key} to {target.key}",
                f"one of {listing(links) or '(none)'}")
        return None
    own = ctx.flag(via_node, "own", at, True)
    if own and not _org_scoped(ctx, via, via_node, "entity", at):
        return None
    via_where = conditions(ctx, via_node, "where", at)
    check_condition_fields(ctx, via_where, via.condition_pool(), via_node, "where", at)
    return Choices(where, via.qualified, str(link), via_where, own,
                   ctx.flag(via_node, "exists", at, True), message)


def resolve_guards(ctx: Context, flows: list[WorkflowDraft], index: Index) -> None:
    """Each transition's `needs` and `when` (workflows are schema-wide: an unqualified
    entity name must be unique among the modules)."""
    for flow in flows:
        for t in flow.transitions:
            node = t.guards.get("needs")
            if node is not None:
                t.kw["needs"] = _needs(ctx, node, f"{t.path}.needs", index)
            node = t.guards.get("when")
            if node is not None:
                t.kw["when"] = _when(ctx, node, f"{t.path}.when", index)


def _needs(ctx: Context, node: Node, path: str, index: Index) -> Needs | None:
    entity = index.resolve(ctx, node, "entity", path, "")
    if entity is None or not _org_scoped(ctx, entity, node, "entity", path):
        return None
    pool = entity.names(stored=True)
    match = ctx.pick(node, "match", path, pool)
    filled = ctx.pick(node, "filled", path, pool)
    message = ctx.label(node, "message", path, NEEDS_MESSAGE.zh) if "message" in node \
        else NEEDS_MESSAGE
    return Needs(entity.qualified, match, filled, message)


def _when(ctx: Context, node: Node, path: str, index: Index) -> When | None:
    entity = index.resolve(ctx, node, "entity", path, "")
    if entity is None or not _org_scoped(ctx, entity, node, "entity", path):
        return None
    pool = entity.names(readable=True)
    match = ctx.pick(node, "match", path, pool)
    name = node.get("field")
    setting = entity.field(name) if isinstance(name, str) and name in pool else None
    if setting is None:
        ctx.err("SCHEMA-E019", node.where("field"), f"{path}.field",
                f"unknown field '{name}'", f"one of {listing(sorted(pool))}")
        return None
    raw = node.get("in")
    values = tuple(raw) if isinstance(raw, list) else (raw,)
    allowed = [v.value for v in setting.get("values", ())] or None
    default = node.get("default")
    checked: list[tuple[Any, str]] = [(v, "in") for v in values]
    if "default" in node:
        checked.append((default, "default"))
    for value, key in checked:
        if allowed is not None and value not in allowed:
            ctx.err("SCHEMA-E020", node.where(key), f"{path}.{key}",
                    f"'{value}' is not one of the values of {name}",
                    f"one of {listing(allowed)}")
            return None
    return When(entity.qualified, match, str(name), values, default)


def resolve_filled_by(ctx: Context, index: Index) -> None:
    """Each entity's `filled_by`: the setting entity and field, the roles of each value, the
    fields and transitions it governs."""
    for entity in index.by_name.values():
        node = entity.filled_by_node
        if node is not None:
            entity.kw["filled_by"] = _filled_by(ctx, entity, node, index)


def _filled_by(ctx: Context, entity: EntityDraft, node: Node, index: Index
               ) -> FilledBy | None:
    path = f"{entity.path}.filled_by"
    setting = index.resolve(ctx, node, "entity", path, entity.module)
    if setting is None or not _org_scoped(ctx, setting, node, "entity", path):
        return None
    pool = setting.names(readable=True)
    match = ctx.pick(node, "match", path, pool)
    own = entity.names(stored=True)
    for matched, spot in ctx.names(node, "match", path):
        if matched in pool and matched not in own:
            ctx.err("SCHEMA-E019", spot, f"{path}.match", f"'{matched}' is not a field of "
                    f"{entity.qualified}", f"one of {listing(sorted(own))}")
    name = node.get("field")
    field = setting.field(name) if isinstance(name, str) and name in pool else None
    if field is None:
        ctx.err("SCHEMA-E019", node.where("field"), f"{path}.field",
                f"unknown field '{name}'", f"one of {listing(sorted(pool))}")
        return None
    allowed = [v.value for v in field.get("values", ())] or None
    raw = ctx.mapping(node, "roles", f"{path}.roles")
    roles: list[tuple[Any, tuple[str, ...]]] = []
    for value, _names in (raw or {}).items():
        at = f"{path}.roles.{value}"
        if allowed is not None and value not in allowed:
            ctx.err("SCHEMA-E020", raw.where(value), at,  # type: ignore[union-attr]
                    f"'{value}' is not one of the values of {name}",
                    f"one of {listing(allowed)}")
            continue
        fillers = tuple(r for r, where in ctx.names(raw, value, f"{path}.roles")  # type: ignore[arg-type]
                        if ctx.known_role(r, where, at))
        roles.append((value, fillers))
    default = node.get("default")
    if "default" in node and allowed is not None and default not in allowed:
        ctx.err("SCHEMA-E020", node.where("default"), f"{path}.default",
                f"'{default}' is not one of the values of {name}", f"one of {listing(allowed)}")
    writable = {f.name for f in entity.fields if f.stored}
    fields = ctx.pick(node, "fields", path, writable)
    known = [t.key for t in entity.workflow.transitions] if entity.workflow else []
    transitions = []
    for key, spot in ctx.names(node, "transitions", path):
        if key not in known:
            ctx.err("SCHEMA-E027", spot, f"{path}.transitions", f"unknown transition '{key}'",
                    f"one of {listing(known) or '(the entity has no workflow)'}")
        else:
            transitions.append(key)
    when = When(setting.qualified, match, str(name), (), default)
    return FilledBy(when, tuple(roles), fields, tuple(transitions))


def check_guard_fields(ctx: Context, entity: EntityDraft) -> None:
    """The `match` fields of a transition's `needs` or `when` must exist on the entity
    using the workflow too, and that entity must belong to organisations."""
    flow = entity.workflow
    if flow is None:
        return
    names = entity.names(stored=True)
    for t in flow.transitions:
        for kind in ("needs", "when"):
            guard, node = t.kw.get(kind), t.guards.get(kind)
            if guard is None or node is None:
                continue
            for name in guard.match:
                if name not in names:
                    ctx.err("SCHEMA-E019", node.where("match"), f"{t.path}.{kind}.match",
                            f"'{name}' is not a field of {entity.qualified}, which uses the "
                            "workflow", f"one of {listing(sorted(names))}")
            if not entity.scoped:
                ctx.err("SCHEMA-E019", node.where(), f"{t.path}.{kind}",
                        f"{entity.qualified} uses the workflow but has no organisation",
                        "entities with `scope:`")
