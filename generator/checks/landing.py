"""A module's `landing`: the choice its users make after sign-in (seed 002 §4.2.1.2:
新批次报量 / 历史报量查询). Read with the module; the entities it names are resolved once every
module is read (like gates)."""

from __future__ import annotations

import re

from generator.checks.context import Context, listing
from generator.checks.drafts import ModuleDraft
from generator.checks.references import Index
from generator.loader import Node
from generator.spec import USER_CLASSES, Landing, LandingChoice

LANDING_KEYS = ("title", "user_classes", "choices")
CHOICE_KEYS = ("label", "help", "icon", "entity", "window")
WINDOWS = ("open", "closed")
CHOICE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,30}$")


def resolve_landings(ctx: Context, modules: list[ModuleDraft], index: Index) -> None:
    for module in modules:
        node = module.landing_node
        if node is not None:
            module.landing = _landing(ctx, module, node, index)


def _landing(ctx: Context, module: ModuleDraft, node: Node, index: Index) -> Landing | None:
    ctx.keys(node, LANDING_KEYS, "landing", required=("choices",))
    classes = []
    for cls, at in ctx.names(node, "user_classes", "landing"):
        if cls in USER_CLASSES:
            classes.append(cls)
        else:
            ctx.err("SCHEMA-E017", at, "landing.user_classes", f"'{cls}' is not allowed",
                    f"one of {listing(USER_CLASSES)}")
    raw = ctx.mapping(node, "choices", "landing.choices")
    choices: list[LandingChoice] = []
    if raw is not None and not raw:
        ctx.err("SCHEMA-E004", node.where("choices"), "landing.choices",
                "a landing needs at least one choice", "a mapping of name -> choice")
    for name, body in (raw or {}).items():
        path = f"landing.choices.{name}"
        if not CHOICE_NAME.match(name):
            ctx.err("SCHEMA-E005", raw.where(name), path,  # type: ignore[union-attr]
                    f"'{name}' is not allowed", "lower-case letters, digits and _")
            continue
        if not ctx.expect(body, dict, raw.where(name), path):  # type: ignore[union-attr]
            continue
        choice = _choice(ctx, module, name, body, path, index)
        if choice is not None:
            choices.append(choice)
    title = ctx.label(node, "title", "landing", module.label.zh)
    if len(choices) != len(raw or {}):
        return None
    return Landing(title, tuple(choices), tuple(classes))


def _choice(ctx: Context, module: ModuleDraft, name: str, body: Node, path: str,
            index: Index) -> LandingChoice | None:
    ctx.keys(body, CHOICE_KEYS, path, required=("label", "entity"))
    label = ctx.label(body, "label", path, name)
    help_text = ctx.label(body, "help", path, "") if "help" in body else None
    icon = body.get("icon", "fa-arrow-right")
    if not ctx.expect(icon, str, body.where("icon"), f"{path}.icon"):
        icon = "fa-arrow-right"
    window = ctx.choice(body, "window", path, WINDOWS)
    entity = index.resolve(ctx, body, "entity", path, module.key)
    if entity is None or ("window" in body and window is None):
        return None
    if window is not None and not any(
            ref.name == "window_deadline" and ref.get("batch_field")
            for ref in entity.kw.get("hooks", ())):
        ctx.err("SCHEMA-E025", body.where("window"), f"{path}.window",
                f"'{entity.key}' has no reporting window by batch",
                "an entity with hooks: {window_deadline: {window: …, batch_field: …}}")
        return None
    return LandingChoice(name, label, entity.qualified, help_text, icon, window)
