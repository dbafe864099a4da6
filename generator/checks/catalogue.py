"""The keys of a catalogue-like entity (seed 003 ch. 3, 事项清单): `favourites` (收藏),
`tabs` (the list's tabs of one field's values with their counts) and `searchable` (全局搜索).

    favourites: true
    tabs: category
    searchable: {title: name, text: [description, place]}
"""

from __future__ import annotations

from generator.checks.context import Context, listing
from generator.checks.drafts import EntityDraft
from generator.spec import Searchable

SEARCHABLE_KEYS = ("title", "text")


def read_catalogue(ctx: Context, entity: EntityDraft) -> None:
    body, path = entity.node, entity.path
    if "favourites" in body and not isinstance(body["favourites"], bool):
        ctx.err("SCHEMA-E054", body.where("favourites"), f"{path}.favourites",
                f"'{body['favourites']}' is not yes/no", "true (a star on each row) or false")
    else:
        entity.kw["favourites"] = bool(body.get("favourites", False))
    entity.kw["tabs"] = _tabs(ctx, entity)
    entity.kw["searchable"] = _searchable(ctx, entity)


def _tabs(ctx: Context, entity: EntityDraft) -> str | None:
    body, at = entity.node, f"{entity.path}.tabs"
    if "tabs" not in body:
        return None
    name = body["tabs"]
    fixed = sorted(f.name for f in entity.fields if f.stored and f.kind.choices_fixed)
    if not isinstance(name, str) or name not in fixed:
        shown = f"'{name}'" if isinstance(name, str) else ctx.kind(name)
        ctx.err("SCHEMA-E055", body.where("tabs"), at,
                f"{shown} is not a field of {entity.key} with a fixed list of values",
                f"one of {listing(fixed) or '(no enum or yes/no field)'}")
        return None
    return str(name)


def _searchable(ctx: Context, entity: EntityDraft) -> Searchable | None:
    body, at = entity.node, f"{entity.path}.searchable"
    node = ctx.mapping(body, "searchable", at)
    if node is None:
        return None
    ctx.keys(node, SEARCHABLE_KEYS, at, required=("title",))
    titles = sorted(f.name for f in entity.fields if f.stored and f.kind.initials)
    texts = sorted(f.name for f in entity.fields
                   if f.stored and (f.kind.initials or f.kind.multiline))
    title = node.get("title")
    ok = True
    if "title" in node and title not in titles:
        ctx.err("SCHEMA-E056", node.where("title"), f"{at}.title",
                f"'{title}' is not a string field of {entity.key}",
                f"one of {listing(titles) or '(no string field)'}")
        ok = False
    names = ctx.names(node, "text", at)
    for name, where in names:
        if name not in texts:
            ctx.err("SCHEMA-E056", where, f"{at}.text",
                    f"'{name}' is not a string or text field of {entity.key}",
                    f"one of {listing(texts) or '(no string or text field)'}")
            ok = False
    if not ok or title is None:
        return None
    return Searchable(str(title), tuple(dict.fromkeys(n for n, _w in names)))
