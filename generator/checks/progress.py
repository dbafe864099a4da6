"""`progress:` of an entity (办理进度): its rows are applications of a kind (许可事项,
服务事项, 数据报送, 检验检测), found by their 核对码, dated by their 提交时间, 在办 in the
`open` states and 历史 in the `history` ones.

SCHEMA-E051: the kind, or an entity that cannot hold applications (rows of nobody);
SCHEMA-E052: a field that is missing or of the wrong type; SCHEMA-E053: the states."""

from __future__ import annotations

import re
from collections.abc import Callable

from generator.checks.context import Context, listing
from generator.checks.drafts import EntityDraft, FieldDraft
from generator.loader import Node
from generator.spec import PROGRESS_CATEGORIES, Label, Progress

PROGRESS_KEYS = ("category", "item", "code", "product", "submitted", "open", "history")
FIELD_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")
Fits = Callable[[FieldDraft], bool]


def read_progress(ctx: Context, entity: EntityDraft) -> Progress | None:
    body, path = entity.node, f"{entity.path}.progress"
    node = ctx.mapping(body, "progress", path)
    if node is None:
        return None
    ctx.keys(node, PROGRESS_KEYS, path, required=("category", "submitted", "open", "history"))
    ok = True
    if entity.kw.get("scope") is None:
        ctx.err("SCHEMA-E051", body.where("progress"), path, "applications belong to the "
                "organisation that filed them", "an entity with scope")
        ok = False
    category = node.get("category")
    if "category" in node and category not in PROGRESS_CATEGORIES:
        ctx.err("SCHEMA-E051", node.where("category"), f"{path}.category",
                f"'{category}' is not a kind of application",
                f"one of {listing(PROGRESS_CATEGORIES)}")
        ok = False
    code = _code(ctx, entity, node, path)
    submitted = _field(ctx, entity, node, path, "submitted", _calendar,
                       "a date, datetime or timestamp field")
    product = _field(ctx, entity, node, path, "product", _one_line, "a string field")
    item, item_field = _item(ctx, entity, node, path)
    states = _states(ctx, entity, node, path)
    if not ok or code is None or submitted is None or states is None or \
            (product is None and "product" in node) or (item_field is None and item is None):
        return None
    return Progress(str(category), code, submitted, states[0], states[1], item, item_field,
                    product)


def _calendar(f: FieldDraft) -> bool:
    return f.stored and f.kind.calendar


def _one_line(f: FieldDraft) -> bool:
    return f.stored and f.kind.search_control == "text" and not f.kind.multiline


def _names(entity: EntityDraft, fits: Fits) -> list[str]:
    return sorted(f.name for f in entity.fields if fits(f))


def _field(ctx: Context, entity: EntityDraft, node: Node, path: str, key: str, fits: Fits,
           allowed: str) -> str | None:
    name = node.get(key)
    if name is None:
        return None
    draft = entity.field(name) if isinstance(name, str) else None
    if draft is None or not fits(draft):
        if isinstance(name, str) and name in entity.broken_fields:
            return None  # reported where it is defined
        ctx.err("SCHEMA-E052", node.where(key), f"{path}.{key}",
                f"'{name}' is not {allowed} of {entity.key}",
                f"one of {listing(_names(entity, fits)) or '(none)'}")
        return None
    return draft.name


def _code(ctx: Context, entity: EntityDraft, node: Node, path: str) -> str | None:
    """The 核对码: the field `code` names, else the entity's only check_code field."""
    def fits(f: FieldDraft) -> bool:
        return f.kind.search_control == "exact" and f.kind.kept

    if "code" in node:
        return _field(ctx, entity, node, path, "code", fits, "a check_code field")
    codes = _names(entity, fits)
    if len(codes) != 1:
        ctx.err("SCHEMA-E052", entity.node.where("progress"), path,
                "an application is found by its 核对码: " + (
                    "the entity has no check_code field" if not codes else
                    f"name one of {listing(codes)} in 'code'"),
                "a field of type check_code (and `code: <field>` when there are several)")
        return None
    return codes[0]


def _item(ctx: Context, entity: EntityDraft, node: Node, path: str
          ) -> tuple[Label | None, str | None]:
    """申报事项: a label for every row (default: the entity's), or a string or enum field
    naming it per row."""
    raw = node.get("item")
    if isinstance(raw, str) and FIELD_NAME.match(raw):
        def fits(f: FieldDraft) -> bool:
            return (f.stored and f.kind.search_control in ("text", "choice")
                    and not f.kind.multiline)

        return None, _field(ctx, entity, node, path, "item", fits, "a string or enum field")
    if raw is None:
        return entity.kw.get("label"), None
    return ctx.label(node, "item", path, entity.key), None


def _states(ctx: Context, entity: EntityDraft, node: Node, path: str
            ) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    flow = entity.workflow
    if flow is None:
        ctx.err("SCHEMA-E053", entity.node.where("progress"), path, "an application moves "
                "through states (在办, 历史)", "an entity with a workflow")
        return None
    known = flow.state_keys
    out: dict[str, list[str]] = {"open": [], "history": []}
    ok = True
    for key in out:
        for state, at in ctx.names(node, key, path):
            if state not in known:
                ctx.err("SCHEMA-E053", at, f"{path}.{key}",
                        f"unknown state '{state}' of workflow {flow.key}",
                        f"one of {listing(known)}")
                ok = False
            elif key == "history" and state in out["open"]:
                ctx.err("SCHEMA-E053", at, f"{path}.{key}", f"'{state}' is in open too",
                        "each state in open (在办) or history (历史), not both")
                ok = False
            else:
                out[key].append(state)
    if ok and "open" in node and not out["open"]:
        ctx.err("SCHEMA-E053", node.where("open"), f"{path}.open", "is empty",
                "the states of applications still being handled")
        ok = False
    return (tuple(out["open"]), tuple(out["history"])) if ok else None
