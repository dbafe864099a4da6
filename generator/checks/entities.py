"""Modules and their entities: names, tables, fields, which fields the screens use,
indexes, permissions, hooks, list editing and summaries."""

from __future__ import annotations

import hashlib
import os
import re
from typing import Any

from generator.checks.catalogue import read_catalogue
from generator.checks.completeness import read_completeness
from generator.checks.context import Context, kind_of, listing
from generator.checks.documents import read_documents
from generator.checks.drafts import EntityDraft, ModuleDraft
from generator.checks.exam import read_exam
from generator.checks.features import (
    check_condition_fields,
    conditions,
    read_choices,
    read_filled_by,
    read_gate,
    read_list_edit,
    read_summaries,
)
from generator.checks.fields import check_fields, read_field
from generator.checks.helpdesk import read_pages, read_public, read_similar
from generator.checks.matching import read_matching
from generator.checks.notices import read_notices
from generator.checks.owner import read_owner
from generator.checks.progress import read_progress
from generator.checks.roles import read_grants
from generator.checks.schedules import read_schedules
from generator.checks.workflows import Workflows, entity_workflow
from generator.loader import Location, Node, Seq
from generator.spec import SCOPES, Condition, Index, snake
from generator.types import Render

MODULE_KEYS = ("module", "label", "icon", "order", "entities", "roles", "workflows", "gate",
               "landing", "manual", "schedules", "notices", "dashboards", "pages", "links")
MANUAL_SUFFIXES = (".md", ".txt")
MANUAL_MAX = 1_000_000  # bytes: a manual is text, read whole when it is downloaded
ENTITY_KEYS = (
    "label", "table", "display", "icon", "fields", "list", "search", "filters", "order",
    "default_order", "form", "indexes", "unique_together", "page_size", "menu", "scope",
    "permissions", "hooks", "import_key", "workflow", "list_edit", "summaries",
    "filled_by", "visible_to_owner", "rules", "documents", "completeness", "org_from",
    "matching", "progress", "favourites", "tabs", "searchable", "similar", "public",
    "exam", "visible_to_employer",
)
INDEX_KEYS = ("fields", "unique", "name", "where")
MODULE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,30}$")
ENTITY_NAME = re.compile(r"^[A-Z][A-Za-z0-9]{0,62}$")
TABLE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
ORG = "org"  # the organisation a row belongs to, in lists, keys and indexes
_PLAIN = Render("zh_CN", lambda msgid, **params: msgid)  # values only, no translation


def index_name(table: str, columns: list[str], unique: bool) -> str:
    prefix = "uq" if unique else "ix"
    name = f"{prefix}_{table}_{'_'.join(columns)}"
    if len(name) <= 63:
        return name
    digest = hashlib.sha1(name.encode()).hexdigest()[:8]
    return f"{name[:54]}_{digest}"


def read_module(ctx: Context, data: Any, is_root: bool, root_keys: tuple[str, ...]
                ) -> ModuleDraft | None:
    if not isinstance(data, Node):
        at = data.where() if isinstance(data, Seq) else Location("?", 1)
        ctx.err("SCHEMA-E002", at, "(top)", f"is {kind_of(data)}", "a module mapping")
        return None
    ctx.keys(data, MODULE_KEYS + (root_keys if is_root else ()), "",
             required=("module", "entities"))
    key = data.get("module")
    if not isinstance(key, str) or not MODULE_NAME.match(key):
        if "module" in data:
            ctx.err("SCHEMA-E005", data.where("module"), "module", f"'{key}' is not allowed",
                    "lower-case letters, digits and _ starting with a letter (max 31)")
        key = "invalid"
    label = ctx.label(data, "label", "", key)
    icon = data.get("icon", "fa-folder")
    if not isinstance(icon, str):
        ctx.expect(icon, str, data.where("icon"), "icon")
        icon = "fa-folder"
    order = ctx.integer(data, "order", "", 100, 0, 100000)
    module = ModuleDraft(key, label, icon, order, data)
    module.gate_node = read_gate(ctx, data)
    module.landing_node = ctx.mapping(data, "landing", "landing")
    module.links_node = data.get("links")
    module.manual = _manual(ctx, data)
    module.schedules = read_schedules(ctx, key, data)
    module.notices = read_notices(ctx, key, data)
    module.pages = read_pages(ctx, key, data)
    raw = ctx.mapping(data, "entities", "entities")
    for name, body in (raw or {}).items():
        path = f"entities.{name}"
        if not ENTITY_NAME.match(name):
            ctx.err("SCHEMA-E005", raw.where(name), path,  # type: ignore[union-attr]
                    f"entity name '{name}' is not allowed",
                    "CamelCase: a capital letter, then letters and digits")
            continue
        if ctx.expect(body, dict, raw.where(name), path):  # type: ignore[union-attr]
            module.entities.append(EntityDraft(key, name, body))
    return module


def _manual(ctx: Context, data: Node) -> str | None:
    """`manual: manuals/procurement.md`: the module's operation manual (帮助文档), a UTF-8
    text file (Markdown headings and lists) beside the module's YAML file."""
    value = data.get("manual")
    if value is None or not ctx.expect(value, str, data.where("manual"), "manual"):
        return None
    at = data.where("manual")
    path = os.path.normpath(os.path.join(ctx.base, os.path.dirname(at.file), value))
    problem = None
    if not value.endswith(MANUAL_SUFFIXES):
        problem = f"'{value}' is not a text file"
    elif not os.path.isfile(path):
        problem = f"'{value}' does not exist"
    elif os.path.getsize(path) > MANUAL_MAX:
        problem = f"'{value}' is larger than {MANUAL_MAX} bytes"
    else:
        try:
            with open(path, encoding="utf-8") as stream:
                stream.read()
        except UnicodeDecodeError:
            problem = f"'{value}' is not UTF-8 text"
    if problem is not None:
        ctx.err("SCHEMA-E030", at, "manual", problem, "a UTF-8 .md or .txt file, relative to "
                "the module's YAML file")
        return None
    return path


def read_entity(ctx: Context, entity: EntityDraft, flows: Workflows) -> None:
    """Everything of one entity that needs no other entity (references.py does the rest)."""
    body, path, name, module = entity.node, entity.path, entity.key, entity.module
    ctx.keys(body, ENTITY_KEYS, path, required=("fields",))
    table = body.get("table", f"{module}_{snake(name)}")
    if not isinstance(table, str) or not TABLE_NAME.match(table):
        ctx.err("SCHEMA-E005", body.where("table"), f"{path}.table",
                f"table name '{table}' is not allowed",
                "lower-case letters, digits and _ starting with a letter (max 63)")
        table = f"{module}_{snake(name)}"
    raw_fields = ctx.mapping(body, "fields", f"{path}.fields")
    broken: set[str] = set()
    if raw_fields is not None:
        if not raw_fields:
            ctx.err("SCHEMA-E004", body.where("fields"), f"{path}.fields",
                    "an entity needs at least one field", "one or more fields")
        for fname, fbody in raw_fields.items():
            item = read_field(ctx, f"{path}.fields.{fname}", fname, fbody,
                              raw_fields.where(fname))
            if item is None:
                broken.add(str(fname))
                continue
            if "choices" in item.kind.keys:
                item.choices_node = read_choices(ctx, item.node, f"{path}.fields.{fname}")
            entity.fields.append(item)
        check_fields(ctx, entity.fields, raw_fields, path)
    entity.broken_fields = broken
    scope = ctx.choice(body, "scope", path, SCOPES)
    entity.kw.update(table=table, scope=scope,
                     label=ctx.label(body, "label", path, name),
                     icon=body.get("icon") if isinstance(body.get("icon"), str) else "fa-table")
    entity_workflow(ctx, entity, flows)
    read_matching(ctx, entity)
    _screens(ctx, entity, broken)
    entity.kw["indexes"] = _indexes(ctx, entity, table)
    entity.kw["grants"] = read_grants(ctx, body, path, entity.names(), scope)
    _assigned(ctx, entity)
    hooks = ctx.hook_map(body, path, "entity")
    references = sorted(f.name for f in entity.fields if f.kind.refers)
    for ref in hooks:  # a hook parameter naming a field must name one of this entity's
        batch = ref.get("batch_field")
        if batch is not None and batch not in references:
            ctx.err("SCHEMA-E019", body["hooks"].where(ref.name),
                    f"{path}.hooks.{ref.name}.batch_field",
                    f"'{batch}' is not a reference field of {name}",
                    f"one of {listing(references) or '(no reference fields)'}")
    entity.kw.update(hooks=hooks, list_edit=read_list_edit(ctx, entity),
                     summaries=read_summaries(ctx, entity),
                     completeness=read_completeness(ctx, entity))
    entity.filled_by_node = read_filled_by(ctx, entity)
    entity.kw["owner"] = read_owner(ctx, entity)
    entity.kw["documents"] = read_documents(ctx, entity)
    entity.kw["progress"] = read_progress(ctx, entity)
    read_exam(ctx, entity)
    entity.similar_node = read_similar(ctx, entity)
    read_public(ctx, entity)
    read_catalogue(ctx, entity)


def _assigned(ctx: Context, entity: EntityDraft) -> None:
    """`assigned: [fields]` of a grant names `user` fields of an org-scoped entity."""
    persons = sorted(f.name for f in entity.fields if f.kind.person)
    for grant in entity.kw["grants"]:
        if not grant.assigned:
            continue
        spec = entity.node["permissions"][grant.role]
        at = f"{entity.path}.permissions.{grant.role}.assigned"
        if entity.kw.get("scope") is None:
            ctx.err("SCHEMA-E017", spec.where("assigned"), at, "only rows held by an "
                    "organisation are narrowed to their persons", "an entity with scope")
        for name in grant.assigned:
            if name not in persons:
                ctx.err("SCHEMA-E019", spec.where("assigned"), at, f"'{name}' is not a user "
                        f"field of {entity.key}", f"one of {listing(persons) or '(none)'}")


def _screens(ctx: Context, entity: EntityDraft, broken: set[str]) -> None:
    """Which fields the list, search, filters, order, form and import key use."""
    body, path, kw = entity.node, entity.path, entity.kw
    names = entity.names()
    columns = entity.names(readable=True)  # stored and not files
    stored = entity.names(stored=True)
    scoped = body.get("scope") in SCOPES  # `org` may then be listed and keyed
    display = body.get("display")
    if display is None:  # the first field that may name a row
        display = next((f.name for f in entity.fields if f.kind.display_default), "id")
    elif not isinstance(display, str) or display not in stored:
        if not isinstance(display, str) or display not in broken:
            ctx.err("SCHEMA-E019", body.where("display"), f"{path}.display",
                    f"unknown field '{display}'", f"one of {listing(sorted(stored))}")
        display = "id"
    keyed = columns | ({ORG} if scoped else set())
    kw.update(
        display=display,
        list_columns=ctx.pick(body, "list", path, names | ({ORG} if scoped else set()),
                              broken) or tuple(f.name for f in entity.fields
                                               if f.kind.listed_by_default)[:8],
        search_columns=ctx.pick(body, "search", path, keyed, broken),
        filter_columns=ctx.pick(body, "filters", path, keyed, broken),
        order_columns=ctx.pick(body, "order", path, columns, broken),
        default_order=_default_order(ctx, body, path, columns),
        form_columns=ctx.pick(body, "form", path, {f.name for f in entity.fields
                                                    if f.kind.control is not None}, broken),
        import_key=ctx.pick(body, "import_key", path,
                            keyed - {f.name for f in entity.fields if f.kind.multiline},
                            broken),
        page_size=ctx.integer(body, "page_size", path, 20, 5, 100),
        menu=ctx.flag(body, "menu", path, True),
    )


def _partial(ctx: Context, entity: EntityDraft, item: Node, path: str
             ) -> tuple[Condition, ...]:
    """`where:` of an index: the workflow's state and fields picked from a list (enum,
    boolean), so that the condition is the same on every database."""
    found = conditions(ctx, item, "where", path)
    pool = {f.name for f in entity.fields if f.stored and f.kind.choices_fixed}
    if entity.workflow is not None:
        pool.add(entity.workflow.field)
    check_condition_fields(ctx, found, pool, item, "where", path)
    out = []
    for c in found:
        if c.field not in pool:
            continue
        if entity.workflow is not None and c.field == entity.workflow.field:
            allowed = entity.workflow.state_keys
        else:
            draft = entity.field(c.field)
            assert draft is not None
            allowed = [v for v, _label in draft.kind.choices(draft.build(), _PLAIN)]
        wrong = [v for v in c.values if draft_text(v) not in allowed]
        if wrong:
            ctx.err("SCHEMA-E020", item.where("where"), f"{path}.where.{c.field}",
                    f"'{wrong[0]}' is not one of the values of {c.field}",
                    f"one of {listing(allowed)}")
            continue
        out.append(c)
    return tuple(out)


def draft_text(value: Any) -> str:
    """A condition value as the choices list it (true/false for booleans)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _default_order(ctx: Context, body: Node, path: str, columns: set[str]
                   ) -> tuple[str, str] | None:
    value = body.get("default_order")
    if value is None:
        return None
    if not ctx.expect(value, str, body.where("default_order"), f"{path}.default_order"):
        return None
    name = value.lstrip("-")
    if name not in columns | {"id"}:
        ctx.err("SCHEMA-E019", body.where("default_order"), f"{path}.default_order",
                f"unknown field '{name}'", f"one of {listing(sorted(columns | {'id'}))}, "
                "with '-' in front for descending")
        return None
    return (name, "desc" if value.startswith("-") else "asc")


def _indexes(ctx: Context, entity: EntityDraft, table: str) -> tuple[Index, ...]:
    body, path = entity.node, entity.path
    # `id` last makes an index serve a sort: the list orders by (column, id)
    columns = entity.names(readable=True) | ({ORG} if entity.kw.get("scope") else set()) | {
        "id"}
    by_name = {f.name: f for f in entity.fields}
    result: list[Index] = []

    def add(names: list[str], unique: bool, name: str | None, at: Location, where_: str,
            partial: tuple[Condition, ...] = ()) -> None:
        cols = []
        for fname in names:
            if fname not in columns:
                ctx.err("SCHEMA-E019", at, where_, f"unknown field '{fname}'",
                        f"one of {listing(sorted(columns))}")
                return
            cols.append("org_id" if fname == ORG else "id" if fname == "id"
                        else by_name[fname].column)
        result.append(Index(name or index_name(table, cols, unique), tuple(cols), unique,
                            partial))

    for f in entity.fields:
        if not f.stored:
            continue
        if f.get("unique"):
            result.append(Index(index_name(table, [f.column], True), (f.column,), True))
        elif f.get("index") or f.kind.refers:
            result.append(Index(index_name(table, [f.column], False), (f.column,), False))
    for key, unique in (("indexes", False), ("unique_together", True)):
        raw = body.get(key)
        if raw is None or not ctx.expect(raw, list, body.where(key), f"{path}.{key}"):
            continue
        for i, item in enumerate(raw):
            where_, at = f"{path}.{key}[{i}]", raw.where(i)
            if isinstance(item, list) and item and all(isinstance(n, str) for n in item):
                add(list(item), unique, None, at, where_)
            elif isinstance(item, Node) and key == "indexes":
                ctx.keys(item, INDEX_KEYS, where_, required=("fields",))
                names = item.get("fields")
                if isinstance(names, list) and names and all(isinstance(n, str)
                                                             for n in names):
                    name = item.get("name")
                    add(list(names), ctx.flag(item, "unique", where_),
                        name if isinstance(name, str) else None, at, where_,
                        _partial(ctx, entity, item, where_))
                elif "fields" in item:
                    ctx.expect(names, list, item.where("fields"), f"{where_}.fields")
            else:
                ctx.err("SCHEMA-E002", at, where_, f"is {kind_of(item)}",
                        "a list of field names" + (" or a mapping with 'fields'"
                                                    if key == "indexes" else ""))
    seen: set[str] = set()
    for index in result:
        if index.name in seen:
            ctx.err("SCHEMA-E006", body.where("indexes"), f"{path}.indexes",
                    f"index '{index.name}' is defined twice", "distinct index names")
        seen.add(index.name)
    return tuple(result)
