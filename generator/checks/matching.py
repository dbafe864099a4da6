"""`matching:` of an entity (进销存 关联匹配): which rows are paired with which, on what, and
the two fields the app keeps the outcome in (generator/spec_rules.py `Matching`)."""

from __future__ import annotations

from typing import Any

from generator.checks.context import Context, listing
from generator.checks.drafts import EntityDraft, FieldDraft
from generator.checks.features import conditions
from generator.loader import Node
from generator.spec import Condition, EnumValue, Label
from generator.spec_rules import MATCH_VALUES, Matching
from generator.types import Render

MATCHING_KEYS = ("side", "other", "counterparty", "keys", "quantity", "state", "row", "label",
                 "values")
CODE = "SCHEMA-E050"
DEFAULT_VALUES = {
    "matched": Label("已匹配", "Matched"),
    "missing_other": Label("下游未报购进", "Purchase not reported downstream"),
    "missing_side": Label("上游未报销售", "Sale not reported upstream"),
    "differs": Label("数量不符", "Quantities differ"),
}
_PLAIN = Render("zh_CN", lambda msgid, **params: msgid)


def read_matching(ctx: Context, entity: EntityDraft) -> None:
    """Check `matching:` and add its two kept fields to the entity (before the screens are
    read, so that lists and filters may name them)."""
    body, path = entity.node, f"{entity.path}.matching"
    node = ctx.mapping(body, "matching", path)
    if node is None:
        return
    ctx.keys(node, MATCHING_KEYS, path, required=("side", "other", "counterparty", "keys"))
    ok = True
    if body.get("scope") is None:
        ctx.err(CODE, body.where("matching"), path, "matching pairs the rows of "
                "organisations, but the rows of this entity belong to none",
                "scope: jurisdiction (or own, all) on the entity")
        ok = False
    by_name = {f.name: f for f in entity.fields}
    side = _side(ctx, entity, node, "side", path)
    other = _side(ctx, entity, node, "other", path)
    if side is None or other is None:
        ok = False
    elif side == other:
        ctx.err(CODE, node.where("other"), f"{path}.other", "both sides select the same rows",
                "conditions that tell the two sides apart, e.g. {kind: purchase}")
        ok = False
    counterparty = node.get("counterparty")
    texts = sorted(n for n, f in by_name.items() if f.stored and f.kw["type"] == "string")
    if counterparty not in texts:
        ctx.err(CODE, node.where("counterparty"), f"{path}.counterparty",
                f"'{counterparty}' is not a text field of {entity.key}",
                f"one of {listing(texts) or '(no text fields)'}: the other party's code")
        ok = False
    keys = []
    comparable = sorted(n for n, f in by_name.items() if f.stored and f.kind.in_expressions
                        and not f.kind.kept and not f.kind.multiline)
    for name, at in ctx.names(node, "keys", path):
        if name not in comparable:
            ctx.err(CODE, at, f"{path}.keys", f"'{name}' cannot be compared",
                    f"one of {listing(comparable)}")
            ok = False
        keys.append(name)
    if not keys and "keys" in node:
        ctx.err(CODE, node.where("keys"), f"{path}.keys", "no key fields",
                "one or more fields equal on both rows, e.g. [drug_code, batch_no]")
        ok = False
    quantity = node.get("quantity")
    numbers = sorted(n for n, f in by_name.items() if f.stored and f.kind.summable
                     and not f.kind.kept)
    if quantity is not None and quantity not in numbers:
        ctx.err(CODE, node.where("quantity"), f"{path}.quantity",
                f"'{quantity}' is not a number field of {entity.key}",
                f"one of {listing(numbers) or '(no number fields)'}")
        ok = False
    state = _generated(ctx, entity, node, "state", path, "match_state")
    row = _generated(ctx, entity, node, "row", path, "matched_id")
    values = _values(ctx, node, path)
    if not ok or state is None or row is None or values is None:
        return
    assert side is not None and other is not None
    entity.kw["matching"] = Matching(side, other, str(counterparty), tuple(keys),
                                     str(quantity) if quantity is not None else None,
                                     state, row)
    at = body.where("matching")
    entity.fields.append(FieldDraft(
        {"name": state, "type": "match", "index": True, "values": values,
         "label": ctx.label(node, "label", path, "匹配状态") if "label" in node
         else Label("匹配状态", "Match")}, body, at))
    entity.fields.append(FieldDraft(
        {"name": row, "type": "match_row", "label": Label("对应记录编号", "Matched record")},
        body, at))


def _side(ctx: Context, entity: EntityDraft, node: Any, key: str, path: str
          ) -> tuple[Condition, ...] | None:
    """`side:` / `other:`: conditions on fields with a fixed list of values."""
    found = conditions(ctx, node, key, f"{path}")
    if not found:
        if key in node:
            ctx.err(CODE, node.where(key), f"{path}.{key}", "no condition",
                    "a condition such as {kind: sale}")
        return None
    pool = {f.name: f for f in entity.fields if f.stored and f.kind.choices_fixed
            and not f.kind.kept}
    out = []
    for c in found:
        draft = pool.get(c.field)
        if draft is None:
            ctx.err(CODE, node.where(key), f"{path}.{key}.{c.field}",
                    f"'{c.field}' is not an enum or yes/no field of {entity.key}",
                    f"one of {listing(sorted(pool)) or '(none)'}")
            return None
        allowed = [v for v, _label in draft.kind.choices(draft.build(), _PLAIN)]
        wrong = [v for v in c.values if _text(v) not in allowed]
        if wrong:
            ctx.err(CODE, node.where(key), f"{path}.{key}.{c.field}",
                    f"'{wrong[0]}' is not one of the values of {c.field}",
                    f"one of {listing(allowed)}")
            return None
        out.append(c)
    return tuple(out)


def _generated(ctx: Context, entity: EntityDraft, node: Any, key: str, path: str,
               default: str) -> str | None:
    name = node.get(key, default)
    if not isinstance(name, str) or not name.isidentifier() or not name.islower():
        ctx.err(CODE, node.where(key), f"{path}.{key}", f"'{name}' is not a field name",
                "lower-case letters, digits and _")
        return None
    if entity.field(name) is not None:
        ctx.err("SCHEMA-E022", node.where(key) if key in node else entity.node.where(
            "matching"), f"{path}.{key}", f"matching keeps its {key} in '{name}', which is "
            "also a field", f"another name, or `{key}:` in matching")
        return None
    return name


def _values(ctx: Context, node: Any, path: str) -> tuple[EnumValue, ...] | None:
    """The labels of the four outcomes; `values:` may relabel them."""
    raw = ctx.mapping(node, "values", f"{path}.values")
    labels = dict(DEFAULT_VALUES)
    if raw is not None:
        for value in raw:
            if value not in MATCH_VALUES:
                ctx.err(CODE, raw.where(value), f"{path}.values.{value}",
                        f"'{value}' is not an outcome of matching",
                        f"one of {listing(MATCH_VALUES)}")
                return None
            labels[value] = ctx.label(raw, value, f"{path}.values", labels[value].zh)
    return tuple(EnumValue(v, labels[v]) for v in MATCH_VALUES)


def _text(value: Any) -> str:
    """A condition value as the choices list it (true/false for yes/no fields)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def resolve_match_schedules(ctx: Context, modules: list[Any], index: Any) -> None:
    """`match_records` schedules naming `entity`: it must have `matching:`."""
    for module in modules:
        raw = module.node.get("schedules")
        for schedule in module.schedules:
            if schedule.action != "match_records" or not isinstance(raw, list):
                continue
            item = next((i for i in raw if isinstance(i, Node)
                         and i.get("name") == schedule.name), None)
            params = item.get("params") if item is not None else None
            if not isinstance(params, Node) or params.get("entity") is None:
                continue
            path = f"schedules[{raw.index(item)}].params"
            target = index.resolve(ctx, params, "entity", path, module.key)
            if target is not None and target.kw.get("matching") is None:
                ctx.err(CODE, params.where("entity"), f"{path}.entity",
                        f"{target.key} has no matching", "an entity with matching:")
