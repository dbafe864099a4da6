"""A module's `notices:` (通知公告): its categories, who publishes, whether anonymous
visitors read them, the attachment's upload limits — every mistake at once, with its place.

    notices:
      label: {zh: 通知公告, en: Notices}
      categories:
        policy: {zh: 政策法规, en: Policies and regulations}
        important: 重要通知
      publishers: [nmpa_regulator, province_regulator]
      public: true
      attachment: {hook: upload_limit, params: {types: [pdf, docx], max_mb: 20}}
      latest: 5
"""

from __future__ import annotations

import re

from generator.checks.context import Context
from generator.checks.drafts import ModuleDraft
from generator.loader import Node
from generator.spec import Label, NoticeCategory, Notices

NOTICE_KEYS = ("label", "categories", "publishers", "public", "attachment", "latest")
ATTACHMENT_KEYS = ("hook", "params")
CATEGORY_NAME = re.compile(r"^[a-z][a-z0-9_]{0,30}$")
DEFAULT_LABEL = Label("通知公告", "Notices")


def read_notices(ctx: Context, module: str, data: Node) -> Notices | None:
    node = ctx.mapping(data, "notices", "notices")
    if node is None:
        return None
    ctx.keys(node, NOTICE_KEYS, "notices", required=("categories", "publishers"))
    label = ctx.label(node, "label", "notices", DEFAULT_LABEL.zh)
    if "label" not in node:
        label = DEFAULT_LABEL
    categories = _categories(ctx, node)
    publishers = tuple(dict.fromkeys(
        role for role, at in ctx.names(node, "publishers", "notices")
        if ctx.known_role(role, at, "notices.publishers")))
    if "publishers" in node and isinstance(node["publishers"], list) and not node["publishers"]:
        ctx.err("SCHEMA-E004", node.where("publishers"), "notices.publishers",
                "notices need at least one role that publishes them", "a list of role names")
    public = ctx.flag(node, "public", "notices")
    latest = ctx.integer(node, "latest", "notices", 5, 1, 20)
    attachment = None
    raw = ctx.mapping(node, "attachment", "notices.attachment")
    if raw is not None:
        ctx.keys(raw, ATTACHMENT_KEYS, "notices.attachment", required=("hook",))
        if "hook" in raw:
            params = raw.get("params")
            attachment = ctx.hook_ref(raw["hook"], params if params is not None else Node(),
                                      raw.where("hook"), "notices.attachment.hook", "field")
    return Notices(module, label, categories, publishers, public, attachment, latest)


def _categories(ctx: Context, node: Node) -> tuple[NoticeCategory, ...]:
    raw = ctx.mapping(node, "categories", "notices.categories")
    if raw is None:
        return ()
    if not raw:
        ctx.err("SCHEMA-E004", node.where("categories"), "notices.categories",
                "notices need at least one category", "a mapping of name -> label, "
                "e.g. {policy: 政策法规}")
        return ()
    found = []
    for key in raw:
        path = f"notices.categories.{key}"
        if not isinstance(key, str) or not CATEGORY_NAME.match(key):
            ctx.err("SCHEMA-E005", raw.where(key), path, f"'{key}' is not allowed",
                    "lower-case letters, digits and _ starting with a letter (max 31)")
            continue
        found.append(NoticeCategory(key, ctx.label(raw, key, "notices.categories", key)))
    return tuple(found)


def one_board(ctx: Context, modules: list[ModuleDraft]) -> None:
    """A schema has one 通知公告 (one menu, one subscription screen, one inbox link)."""
    holders = [m for m in modules if m.notices is not None]
    for module in holders[1:]:
        ctx.err("SCHEMA-E006", module.node.where("notices"), "notices",
                f"notices are already defined by module '{holders[0].key}'",
                "one module with notices")
