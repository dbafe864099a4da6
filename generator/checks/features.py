"""Keys that tie records together or shape screens: module gates, reference choices,
transition guards (`needs`, `when`), list editing and summaries.

Here each is read where it stands; names of other entities are resolved in references.py
once every module is known."""

from __future__ import annotations

from typing import Any

from generator.checks.context import Context, listing
from generator.checks.drafts import EntityDraft, WorkflowDraft
from generator.loader import Node
from generator.permissions import BUILT_IN
from generator.spec import SUMMARY_ORG_LEVELS, USER_CLASSES, Condition, Label, ListEdit, Summary

GATE_KEYS = ("entity", "fields", "where", "user_classes", "message")
CHOICES_KEYS = ("where", "via", "message")
VIA_KEYS = ("entity", "field", "where", "own", "exists")
GUARD_KEYS = {"needs": (("entity", "match", "filled", "message"), ("entity",)),
              "when": (("entity", "match", "field", "in", "default"), ("entity", "field", "in"))}
LIST_EDIT_KEYS = ("fields", "transition", "label")
FILLED_BY_KEYS = ("entity", "match", "field", "default", "roles", "fields", "transitions")
SUMMARY_KEYS = ("label", "group_by", "sum", "where", "drill", "roles", "period")


def conditions(ctx: Context, node: Node, key: str, path: str) -> tuple[Condition, ...]:
    """`where: {field: value or [values]}`; field names are checked by the caller."""
    raw = ctx.mapping(node, key, f"{path}.{key}")
    if raw is None:
        return ()
    out = []
    for name, value in raw.items():
        values = tuple(value) if isinstance(value, list) else (value,)
        if not values or any(isinstance(v, (dict, list)) for v in values):
            ctx.err("SCHEMA-E002", raw.where(name), f"{path}.{key}.{name}",
                    f"is {type(value).__name__}", "a value or a list of values")
            continue
        out.append(Condition(str(name), values))
    return tuple(out)


def check_condition_fields(ctx: Context, found: tuple[Condition, ...], allowed: set[str],
                           node: Node, key: str, path: str) -> None:
    raw = node.get(key)
    for c in found:
        if c.field not in allowed:
            at = raw.where(c.field) if isinstance(raw, Node) else node.where(key)
            ctx.err("SCHEMA-E019", at, f"{path}.{key}", f"unknown field '{c.field}'",
                    f"one of {listing(sorted(allowed))}")


def read_gate(ctx: Context, data: Node) -> Node | None:
    node = ctx.mapping(data, "gate", "gate")
    if node is None:
        return None
    ctx.keys(node, GATE_KEYS, "gate", required=("entity",))
    for cls, at in ctx.names(node, "user_classes", "gate"):
        if cls not in USER_CLASSES:
            ctx.err("SCHEMA-E017", at, "gate.user_classes", f"'{cls}' is not allowed",
                    f"one of {listing(USER_CLASSES)}")
    return node


def read_choices(ctx: Context, body: Node, path: str) -> Node | None:
    node = ctx.mapping(body, "choices", f"{path}.choices")
    if node is None:
        return None
    ctx.keys(node, CHOICES_KEYS, f"{path}.choices")
    via = ctx.mapping(node, "via", f"{path}.choices.via")
    if via is not None:
        ctx.keys(via, VIA_KEYS, f"{path}.choices.via", required=("entity", "field"))
    return node


def read_guard(ctx: Context, spec: Node, at: str, kind: str) -> Node | None:
    """A transition's `needs` or `when`, its keys checked."""
    node = ctx.mapping(spec, kind, f"{at}.{kind}")
    if node is None:
        return None
    allowed, required = GUARD_KEYS[kind]
    ctx.keys(node, allowed, f"{at}.{kind}", required=required)
    return node


def read_filled_by(ctx: Context, entity: EntityDraft) -> Node | None:
    """`filled_by`, its keys checked (the setting entity is resolved in references.py)."""
    at = f"{entity.path}.filled_by"
    node = ctx.mapping(entity.node, "filled_by", at)
    if node is None:
        return None
    ctx.keys(node, FILLED_BY_KEYS, at, required=("entity", "field", "roles", "fields"))
    if not entity.scoped:
        ctx.err("SCHEMA-E019", entity.node.where("filled_by"), at,
                f"{entity.qualified} has no organisation", "entities with `scope:`")
        return None
    return node


def read_list_edit(ctx: Context, entity: EntityDraft) -> ListEdit | None:
    body, at = entity.node, f"{entity.path}.list_edit"
    node = ctx.mapping(body, "list_edit", at)
    if node is None:
        return None
    ctx.keys(node, LIST_EDIT_KEYS, at, required=("fields",))
    form = body.get("form")  # a field kept off the form is not typed into the list either
    editable = sorted(f.name for f in entity.fields if f.kind.list_editable
                      and (not isinstance(form, list) or f.name in form))
    chosen = []
    for name, where in ctx.names(node, "fields", at):
        if name not in editable:
            ctx.err("SCHEMA-E019", where, f"{at}.fields", f"'{name}' cannot be edited in "
                    "the list", f"one of {listing(editable) or '(no such field)'}")
        else:
            chosen.append(name)
    transition = node.get("transition")
    flow = entity.workflow
    if transition is not None:
        known = [t.key for t in flow.transitions] if flow is not None else []
        if transition not in known:
            if not _broken(flow, transition):
                ctx.err("SCHEMA-E027", node.where("transition"), f"{at}.transition",
                        f"unknown transition '{transition}'",
                        f"one of {listing(known) or '(the entity has no workflow)'}")
            transition = None
    if not chosen:
        return None
    return ListEdit(tuple(chosen), transition, ctx.label(node, "label", at, "保存")
                    if "label" in node else Label("保存", "Save"))


def _broken(flow: WorkflowDraft | None, name: Any) -> bool:
    return flow is not None and isinstance(name, str) and name in flow.broken_transitions


def read_summaries(ctx: Context, entity: EntityDraft) -> tuple[Summary, ...]:
    body, path = entity.node, entity.path
    raw = ctx.mapping(body, "summaries", f"{path}.summaries")
    if raw is None:
        return ()
    flow = entity.workflow
    dims = {f.name for f in entity.fields if f.stored and f.kind.groupable}
    if flow is not None:
        dims.add(flow.field)
    if entity.kw.get("scope") is not None:
        dims.update(SUMMARY_ORG_LEVELS)
    sums = {f.name for f in entity.fields if f.kind.summable}
    taken = set(BUILT_IN) | ({t.key for t in flow.transitions} if flow is not None else set())
    out = []
    for key, node in raw.items():
        at = f"{path}.summaries.{key}"
        if not key.isidentifier() or key in taken:
            ctx.err("SCHEMA-E005", raw.where(key), at, f"'{key}' is not allowed",
                    "lower-case letters, digits and _, not an action or transition name")
            continue
        if not ctx.expect(node, dict, raw.where(key), at):
            continue
        ctx.keys(node, SUMMARY_KEYS, at, required=("group_by", "sum"))
        picked: dict[str, list[str]] = {}
        for part, pool in (("group_by", dims), ("sum", sums), ("drill", dims)):
            picked[part] = []
            for name, where in ctx.names(node, part, at):
                if name not in pool:
                    ctx.err("SCHEMA-E019", where, f"{at}.{part}",
                            f"'{name}' cannot be used here",
                            f"one of {listing(sorted(pool)) or '(none)'}")
                else:
                    picked[part].append(name)
        where_conditions = conditions(ctx, node, "where", at)
        check_condition_fields(ctx, where_conditions, dims, node, "where", at)
        roles = tuple(r for r, where in ctx.names(node, "roles", at)
                      if ctx.known_role(r, where, f"{at}.roles"))
        period = node.get("period")
        periods = {f.name for f in entity.fields if f.stored and f.kind.groupable}
        if period is not None and period not in periods:
            ctx.err("SCHEMA-E019", node.where("period"), f"{at}.period",
                    f"'{period}' cannot be the period of a summary",
                    f"one of {listing(sorted(periods)) or '(none)'}")
            period = None
        if not picked["group_by"] or not picked["sum"]:
            continue
        out.append(Summary(key, ctx.label(node, "label", at, key),
                           tuple(picked["group_by"]), tuple(picked["sum"]),
                           where_conditions, tuple(picked["drill"]), roles,
                           str(period) if period is not None else None))
    return tuple(out)
