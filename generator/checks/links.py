"""A module's `links`: menu entries opening another module's entity list (seed 003 ch. 6:
企业空间 → 企业主体信息 is 基础数据's 企业信息). Resolved once every module is read."""

from __future__ import annotations

from generator.checks.context import Context, listing
from generator.checks.drafts import ModuleDraft
from generator.checks.references import Index
from generator.loader import Node, Seq
from generator.spec import USER_CLASSES, MenuLink

LINK_KEYS = ("entity", "label", "icon", "user_classes")


def resolve_links(ctx: Context, modules: list[ModuleDraft], index: Index) -> None:
    for module in modules:
        raw = module.links_node
        if raw is None:
            continue
        if not ctx.expect(raw, list, module.node.where("links"), "links"):
            continue
        links: list[MenuLink] = []
        for number, body in enumerate(raw):
            path = f"links[{number}]"
            at = raw.where(number) if isinstance(raw, Seq) else module.node.where("links")
            if not ctx.expect(body, dict, at, path):
                continue
            link = _link(ctx, module, body, path, index)
            if link is None:
                continue
            if any(seen.entity == link.entity for seen in links):
                ctx.err("SCHEMA-E063", body.where("entity"), f"{path}.entity",
                        f"'{link.entity}' is linked twice", "each entity linked once")
                continue
            links.append(link)
        module.links = tuple(links)


def _link(ctx: Context, module: ModuleDraft, body: Node, path: str,
          index: Index) -> MenuLink | None:
    ctx.keys(body, LINK_KEYS, path, required=("entity", "label"))
    label = ctx.label(body, "label", path, "")
    icon = body.get("icon", "fa-link")
    if not ctx.expect(icon, str, body.where("icon"), f"{path}.icon"):
        icon = "fa-link"
    classes = []
    for cls, at in ctx.names(body, "user_classes", path):
        if cls in USER_CLASSES:
            classes.append(cls)
        else:
            ctx.err("SCHEMA-E017", at, f"{path}.user_classes", f"'{cls}' is not allowed",
                    f"one of {listing(USER_CLASSES)}")
    entity = index.resolve(ctx, body, "entity", path, module.key)
    if entity is None or "label" not in body:
        return None
    if entity.module == module.key:
        ctx.err("SCHEMA-E063", body.where("entity"), f"{path}.entity",
                f"'{entity.qualified}' is in this module's menu already",
                "an entity of another module")
        return None
    if entity.kw.get("menu") is False:
        ctx.err("SCHEMA-E063", body.where("entity"), f"{path}.entity",
                f"'{entity.qualified}' has no list of its own (menu: false)",
                "an entity with a menu entry")
        return None
    return MenuLink(entity.qualified, label, str(icon), tuple(classes))
