"""The help desk keys (seed 003 ch. 3, 7-10), every mistake at once, with its place:

- a module's `pages:` — content pages in Markdown (服务热线, 常见问题), SCHEMA-E057;
- an entity's `similar:` — the rows closest to a typed question (咨询), SCHEMA-E058;
- an entity's `public:` — rows anybody reads on 帮助中心 (软件资料下载), SCHEMA-E059.

    pages:
      hotline:
        title: {zh: 服务热线, en: Service hotline}
        file: pages/hotline.md            # or body: "Markdown text"
        public: true
    entities:
      Faq:
        similar: {fields: [question, answer], top: 5, ask: {entity: Consultation, field: question}}
      Download:
        public: {where: {published: true}, fields: [name, version, file]}
"""

from __future__ import annotations

import os
import re

from generator.checks.context import Context, listing
from generator.checks.drafts import EntityDraft, ModuleDraft
from generator.checks.features import conditions
from generator.loader import Node
from generator.spec_help import Ask, Page, PublicRows, Similar

PAGE_KEYS = ("title", "body", "file", "public", "roles", "menu", "icon")
SIMILAR_KEYS = ("fields", "top", "label", "ask")
ASK_KEYS = ("entity", "field")
PUBLIC_KEYS = ("where", "fields")
PAGE_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,40}$")
PAGE_SUFFIXES = (".md", ".txt")
PAGE_MAX = 200_000  # bytes of Markdown: a page is read whole when it is shown
PAGES, SIMILAR, PUBLIC = "SCHEMA-E057", "SCHEMA-E058", "SCHEMA-E059"


def read_pages(ctx: Context, module: str, data: Node) -> tuple[Page, ...]:
    raw = ctx.mapping(data, "pages", "pages")
    if raw is None:
        return ()
    found = []
    for key, body in raw.items():
        path = f"pages.{key}"
        if not isinstance(key, str) or not PAGE_NAME.match(key):
            ctx.err(PAGES, raw.where(key), path, f"page name '{key}' is not allowed",
                    "lower-case letters, digits, - and _ starting with a letter (max 41): "
                    "it is the page's address /pages/<name>")
            continue
        if not ctx.expect(body, dict, raw.where(key), path):
            continue
        page = _page(ctx, module, key, body, path)
        if page is not None:
            found.append(page)
    return tuple(found)


def _page(ctx: Context, module: str, key: str, body: Node, path: str) -> Page | None:
    ctx.keys(body, PAGE_KEYS, path, required=("title",))
    title = ctx.label(body, "title", path, key)
    text, file = body.get("body"), None
    if ("body" in body) == ("file" in body):
        ctx.err(PAGES, body.where(), path, "a page needs its text in exactly one of 'body' "
                "and 'file'", "body: Markdown text, or file: a .md file beside the YAML file")
        return None
    if "body" in body:
        if not ctx.expect(text, str, body.where("body"), f"{path}.body"):
            return None
    else:
        file = _file(ctx, body, path)
        if file is None:
            return None
    roles = tuple(dict.fromkeys(r for r, at in ctx.names(body, "roles", path)
                                if ctx.known_role(r, at, f"{path}.roles")))
    icon = body.get("icon", "fa-file-text-o")
    if not isinstance(icon, str):
        ctx.expect(icon, str, body.where("icon"), f"{path}.icon")
        icon = "fa-file-text-o"
    return Page(key, module, title, text if isinstance(text, str) else "", file,
                ctx.flag(body, "public", path), roles, ctx.flag(body, "menu", path, True), icon)


def _file(ctx: Context, body: Node, path: str) -> str | None:
    value, at = body.get("file"), body.where("file")
    if not isinstance(value, str):
        ctx.expect(value, str, at, f"{path}.file")
        return None
    full = os.path.normpath(os.path.join(ctx.base, os.path.dirname(at.file), value))
    problem = None
    if not value.endswith(PAGE_SUFFIXES):
        problem = f"'{value}' is not a Markdown file"
    elif not os.path.isfile(full):
        problem = f"'{value}' does not exist"
    elif os.path.getsize(full) > PAGE_MAX:
        problem = f"'{value}' is larger than {PAGE_MAX} bytes"
    else:
        try:
            with open(full, encoding="utf-8") as stream:
                stream.read()
        except UnicodeDecodeError:
            problem = f"'{value}' is not UTF-8 text"
    if problem is not None:
        ctx.err(PAGES, at, f"{path}.file", problem,
                "a UTF-8 .md or .txt file, relative to the module's YAML file")
        return None
    return full


def pages_once(ctx: Context, modules: list[ModuleDraft]) -> None:
    """A page's name is its address: used once in the schema."""
    seen: dict[str, str] = {}
    for module in modules:
        raw = module.node.get("pages")
        if not isinstance(raw, Node):
            continue
        for page in module.pages:
            if page.key in seen:
                ctx.err(PAGES, raw.where(page.key), f"pages.{page.key}",
                        f"page '{page.key}' is already defined by module '{seen[page.key]}'",
                        "a page name used once in the schema")
            seen.setdefault(page.key, module.key)


def _texts(entity: EntityDraft) -> list[str]:
    return sorted(f.name for f in entity.fields
                  if f.stored and f.kw.get("type") in ("string", "text"))


def read_similar(ctx: Context, entity: EntityDraft) -> Node | None:
    """Checks what needs only this entity; `resolve_similar` reads `ask` once all are known."""
    body, path = entity.node, f"{entity.path}.similar"
    node = ctx.mapping(body, "similar", path)
    if node is None:
        return None
    ctx.keys(node, SIMILAR_KEYS, path, required=("fields",))
    texts = _texts(entity)
    names = []
    for name, at in ctx.names(node, "fields", path):
        if name not in texts:
            ctx.err(SIMILAR, at, f"{path}.fields", f"'{name}' is not a text field of "
                    f"{entity.key}", f"one of {listing(texts) or '(no text fields)'}")
        names.append(name)
    if "fields" in node and not names:
        ctx.err(SIMILAR, node.where("fields"), f"{path}.fields", "no fields to compare",
                "one or more string or text fields, the entry's title first")
    top = ctx.integer(node, "top", path, 5, 1, 20)
    label = ctx.label(node, "label", path, "咨询") if "label" in node else None
    entity.kw["similar"] = Similar(tuple(dict.fromkeys(names)), top, label)
    return node


def resolve_similar(ctx: Context, entity: EntityDraft, node: Node, index: object) -> None:
    """`ask: {entity, field}`: the entity a question is submitted as, and its text field."""
    from dataclasses import replace

    path = f"{entity.path}.similar.ask"
    ask = ctx.mapping(node, "ask", path)
    if ask is None:
        return
    ctx.keys(ask, ASK_KEYS, path, required=("entity", "field"))
    target = index.resolve(ctx, ask, "entity", path, entity.module)  # type: ignore[attr-defined]
    if target is None or "field" not in ask:
        return
    texts = _texts(target)
    if ask["field"] not in texts:
        ctx.err(SIMILAR, ask.where("field"), f"{path}.field", f"'{ask['field']}' is not a text "
                f"field of {target.key}", f"one of {listing(texts) or '(no text fields)'}")
        return
    entity.kw["similar"] = replace(entity.kw["similar"],
                                   ask=Ask(target.qualified, str(ask["field"])))


def read_public(ctx: Context, entity: EntityDraft) -> None:
    body, path = entity.node, f"{entity.path}.public"
    node = ctx.mapping(body, "public", path)
    if node is None:
        return
    ctx.keys(node, PUBLIC_KEYS, path, required=("where", "fields"))
    flags = {f.name: f for f in entity.fields
             if f.stored and f.kw.get("type") in ("boolean", "enum")}
    where = conditions(ctx, node, "where", path)
    if "where" in node and not where:
        ctx.err(PUBLIC, node.where("where"), f"{path}.where", "every row would be public",
                "a condition such as {published: true}: only the rows it holds are shown")
    for c in where:
        field = flags.get(c.field)
        if field is None:
            ctx.err(PUBLIC, node["where"].where(c.field), f"{path}.where", f"'{c.field}' is "
                    f"not a yes/no or enum field of {entity.key}",
                    f"one of {listing(sorted(flags)) or '(none)'}")
        elif field.kw.get("type") == "boolean" and any(not isinstance(v, bool)
                                                       for v in c.values):
            ctx.err(PUBLIC, node["where"].where(c.field), f"{path}.where.{c.field}",
                    "is not yes/no", "true or false")
    shown = sorted(f.name for f in entity.fields if f.stored)
    fields = []
    for name, at in ctx.names(node, "fields", path):
        if name not in shown:
            ctx.err(PUBLIC, at, f"{path}.fields", f"'{name}' is not a stored field of "
                    f"{entity.key}", f"one of {listing(shown)}")
        fields.append(name)
    if "fields" in node and not fields:
        ctx.err(PUBLIC, node.where("fields"), f"{path}.fields", "no fields are shown",
                "the fields anybody may read, e.g. [name, file]")
    entity.kw["public"] = PublicRows(where, tuple(dict.fromkeys(fields)))
