"""`rules:` on an entity, once every module is read: automatic actions that create a row of
another entity when a row is created or moved by a transition (a failed 日常检查 item opens a
扣分记录). What fires them, the entity they create, each value (an expression over the row's
fields, or `reference.field` read through one of its references) and that no chain of
`on: create` rules leads back to where it started."""

from __future__ import annotations

import re
from typing import Any

from generator.checks.context import Context, listing
from generator.checks.drafts import EntityDraft
from generator.checks.references import Index
from generator.expr import ExprError, compile_expr
from generator.loader import Node
from generator.spec import AutoRule

RULE_KEYS = ("label", "on", "create", "update", "values", "where")
RULE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,40}$")
LOOKUP = re.compile(r"^([a-z][a-z0-9_]*)\.([a-z][a-z0-9_]*)$")


def resolve_rules(ctx: Context, index: Index) -> None:
    edges: dict[str, list[tuple[str, str, Node]]] = {}  # on: create rules: entity -> targets
    for entity in index.by_name.values():
        _org_from(ctx, entity, index)
        raw = ctx.mapping(entity.node, "rules", f"{entity.path}.rules")
        if raw is None:
            continue
        found = []
        for key, body in raw.items():
            path = f"{entity.path}.rules.{key}"
            if not isinstance(key, str) or not RULE_NAME.match(key):
                ctx.err("SCHEMA-E005", raw.where(key), path, f"rule name '{key}' is not "
                        "allowed", "lower-case letters, digits and _ starting with a letter")
                continue
            if not ctx.expect(body, dict, raw.where(key), path):
                continue
            rule = _rule(ctx, entity, key, body, path, index)
            if rule is not None:
                found.append(rule)
                if rule.on == "create" and rule.update is None:
                    edges.setdefault(entity.qualified, []).append((rule.target, key, body))
        entity.kw["rules"] = tuple(found)
    _circles(ctx, edges, index)


def _rule(ctx: Context, entity: EntityDraft, key: str, body: Node, path: str,
          index: Index) -> AutoRule | None:
    ctx.keys(body, RULE_KEYS, path, required=("on", "values"))
    on = _trigger(ctx, entity, body, path)
    update = body.get("update")
    if ("create" in body) == (update is not None):
        ctx.err("SCHEMA-E004", body.where(), path, "say either 'create' or 'update'",
                "create: <entity> (a new row), or update: <reference> (the row it points to)")
        return None
    target = _updated(ctx, entity, body, path, index) if update is not None else \
        index.resolve(ctx, body, "create", path, entity.module)
    values = ctx.mapping(body, "values", f"{path}.values")
    if on is None or target is None or values is None:
        return None
    writable = {f.name: f for f in target.fields if f.stored and not f.kind.kept
                and not f.kind.uploads}  # and `org` on an entity with `scope`
    out, org = [], None
    for name, source in values.items():
        at = f"{path}.values.{name}"
        if name == "org" and update is None and target.scoped and not target.kw.get(
                "parent_scoped"):
            if ctx.expect(source, str, values.where(name), at):
                org = _org_ok(ctx, entity, str(source), values, name, at, index)
            continue
        if name not in writable:
            ctx.err("SCHEMA-E019", values.where(name), at, f"'{name}' is not a field the rule "
                    f"can set on {target.key}", f"one of {listing(sorted(writable))}")
            continue
        if ctx.expect(source, str, values.where(name), at) and _value_ok(
                ctx, entity, writable[name], str(source), values, name, at, index):
            out.append((str(name), str(source)))
    label = ctx.label(body, "label", path, key)
    return AutoRule(key, label, on, target.qualified, tuple(out), org,
                    None if update is None else str(update), _where(ctx, entity, body, path))


def _where(ctx: Context, entity: EntityDraft, body: Node, path: str) -> str | None:
    """`where: <expression>`: the rule fires only for rows on which it holds (a task
    approved with the conclusion 不符合)."""
    source = body.get("where")
    if source is None:
        return None
    if not ctx.expect(source, str, body.where("where"), f"{path}.where"):
        return None
    try:
        compile_expr(str(source), sorted(entity.names(readable=True)))
    except ExprError as exc:
        ctx.err("SCHEMA-E015", body.where("where"), f"{path}.where", exc.message.rstrip("."),
                exc.allowed.rstrip("."))
        return None
    return str(source)


def _org_ok(ctx: Context, entity: EntityDraft, source: str, values: Node, name: Any,
            at: str, index: Index) -> str | None:
    """`org: <reference>`: a reference of the row to an org-scoped entity, whose row's
    organisation the created row takes."""
    scoped = sorted(f.name for f in entity.fields if f.kind.refers and (
        (other := index.by_name.get(f.get("to") or "")) is not None and other.scoped))
    if source.strip() in scoped:
        return source.strip()
    ctx.err("SCHEMA-E020", values.where(name), at, f"'{source}' is not a reference to rows "
            "that belong to an organisation", f"one of {listing(scoped) or '(none)'}")
    return None


def _org_from(ctx: Context, entity: EntityDraft, index: Index) -> None:
    """`org_from: <reference>` on an entity with `scope`: its rows belong to the organisation
    of the row the reference points to (an org-scoped entity's); no import writes them in
    bulk past that rule."""
    body, at = entity.node, f"{entity.path}.org_from"
    source = body.get("org_from")
    if source is None:
        return
    if not ctx.expect(source, str, body.where("org_from"), at):
        return
    if entity.kw.get("scope") is None:
        ctx.err("SCHEMA-E017", body.where("org_from"), at, "only rows held by an "
                "organisation take one from a reference", "an entity with scope")
        return
    importers = sorted(g.role for g in entity.kw.get("grants", ()) if "import" in g.actions)
    if importers:
        ctx.err("SCHEMA-E017", body.where("org_from"), at, f"{listing(importers)} may import "
                f"{entity.key}, whose rows take their organisation from '{source}'",
                "no import grant on an entity with org_from")
        return
    name = _org_ok(ctx, entity, str(source), body, "org_from", at, index)
    if name is not None:
        entity.kw["org_from"] = name


def _updated(ctx: Context, entity: EntityDraft, body: Node, path: str,
             index: Index) -> EntityDraft | None:
    """`update: <reference>`: the entity of the row a reference of this entity points to."""
    references = {f.name: f for f in entity.fields if f.kind.refers}
    name = body.get("update")
    target = index.by_name.get(references[name].get("to") or "") \
        if isinstance(name, str) and name in references else None
    if target is None:
        ctx.err("SCHEMA-E019", body.where("update"), f"{path}.update", f"'{name}' is not a "
                f"reference of {entity.key}", f"one of {listing(sorted(references)) or '(none)'}")
    return target


def _trigger(ctx: Context, entity: EntityDraft, body: Node, path: str) -> str | None:
    raw = body.get("on")
    if raw == "create":
        return "create"
    known = entity.workflow.transitions if entity.workflow is not None else []
    names = [t.key for t in known]
    if isinstance(raw, Node) and set(raw) == {"transition"}:
        if raw["transition"] in names:
            return str(raw["transition"])
        ctx.err("SCHEMA-E027", raw.where("transition"), f"{path}.on.transition",
                f"unknown transition '{raw['transition']}'",
                f"one of {listing(names) or '(the entity has no workflow)'}")
        return None
    ctx.err("SCHEMA-E002", body.where("on"), f"{path}.on", f"is {ctx.kind(raw)}",
            "create, or {transition: <name>}")
    return None


def _value_ok(ctx: Context, entity: EntityDraft, target_field: Any, source: str,
              values: Node, name: Any, at: str, index: Index) -> bool:
    references = {f.name: f for f in entity.fields if f.kind.refers}
    lookup = LOOKUP.match(source.strip())
    if lookup is not None:  # reference.field: read from the row the reference points to
        ref, read = lookup.groups()
        other = index.by_name.get(references[ref].get("to") or "") if ref in references \
            else None
        readable = sorted(other.names(readable=True)) if other is not None else []
        if read not in readable:
            ctx.err("SCHEMA-E019", values.where(name), at, f"'{source}' is not a field read "
                    "through a reference", "reference.field, with " + (
                        f"one of {listing(readable)}" if other is not None
                        else f"a reference of {entity.key}: {listing(sorted(references))}"))
            return False
        return True
    if target_field.kind.refers:  # a reference is copied from a reference to the same rows
        same = sorted(n for n, f in references.items() if f.get("to") == target_field.get("to"))
        if source.strip() not in same:
            ctx.err("SCHEMA-E020", values.where(name), at, f"'{source}' does not point where "
                    f"{target_field.name} points", f"one of {listing(same) or '(none)'}")
            return False
        return True
    try:
        compile_expr(source, sorted(entity.names(readable=True)))
    except ExprError as exc:
        ctx.err("SCHEMA-E015", values.where(name), at, exc.message.rstrip("."),
                exc.allowed.rstrip("."))
        return False
    return True


def _circles(ctx: Context, edges: dict[str, list[tuple[str, str, Node]]],
             index: Index) -> None:
    """A created row whose own `on: create` rules lead back to the first entity would
    create rows forever."""
    for start, out in edges.items():
        for target, key, body in out:
            trail = _path_back(target, start, edges, [start, target])
            if trail is not None:
                names = " -> ".join(index.by_name[q].key for q in trail)
                entity = index.by_name[start]
                ctx.err("SCHEMA-E033", body.where("create"), f"{entity.path}.rules.{key}"
                        ".create", f"rules create rows in a circle: {names}",
                        f"rules whose created rows do not lead back to {entity.key}")


def _path_back(at: str, start: str, edges: dict[str, list[tuple[str, str, Node]]],
               trail: list[str]) -> list[str] | None:
    if at == start:
        return trail
    for target, _key, _body in edges.get(at, []):
        if target in trail[1:]:
            continue
        found = _path_back(target, start, edges, [*trail, target])
        if found is not None:
            return found
    return None


def resolve_update_where(ctx: Context, modules: list[Any], index: Index) -> None:
    """`update_where` schedules: the entity, a field the action may set, and expressions over
    the entity's fields."""
    for module in modules:
        raw = module.node.get("schedules")
        for schedule in module.schedules:
            if schedule.action != "update_where" or not isinstance(raw, list):
                continue
            item = next((i for i in raw if isinstance(i, Node)
                         and i.get("name") == schedule.name), None)
            params = item.get("params") if item is not None else None
            if not isinstance(params, Node):
                continue
            path = f"schedules[{raw.index(item)}].params"
            target = index.resolve(ctx, params, "entity", path, module.key)
            if target is None:
                continue
            writable = sorted(f.name for f in target.fields if f.stored
                              and not f.kind.kept and not f.kind.uploads)
            name = params.get("field")
            if name not in writable:
                ctx.err("SCHEMA-E019", params.where("field"), f"{path}.field",
                        f"'{name}' is not a field the action can set on {target.key}",
                        f"one of {listing(writable)}")
            readable = sorted(target.names(readable=True))
            for key in ("value", "where"):
                source = params.get(key)
                if not isinstance(source, str):
                    continue
                try:
                    compile_expr(source, readable)
                except ExprError as exc:
                    ctx.err("SCHEMA-E015", params.where(key), f"{path}.{key}",
                            exc.message.rstrip("."), exc.allowed.rstrip("."))
