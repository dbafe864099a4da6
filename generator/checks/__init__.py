"""Meaning-level checks of loaded YAML, collected, and the Spec built from what passed.

Every problem is reported at once (never only the first), each with a stable code from
`problems.CODES`, the file and line, the key path, what is wrong and what is allowed.

The checks run by concern, each adding to one Context: roles (roles.py), workflows
(workflows.py), modules, entities and fields (entities.py, fields.py; each field type
checks its own keys: generator/types), then the names of other entities (references.py).
They read into drafts (drafts.py); the frozen Spec is built once, at the end, only when
nothing is wrong.
"""

from __future__ import annotations

from collections.abc import Mapping

from generator.checks.auto_rules import resolve_rules, resolve_update_where
from generator.checks.context import Context, HookCatalogue, kind_of
from generator.checks.dashboards import read_dashboards
from generator.checks.entities import MODULE_KEYS, index_name, read_entity, read_module
from generator.checks.exam import resolve_exams
from generator.checks.helpdesk import pages_once, resolve_similar
from generator.checks.landing import resolve_landings
from generator.checks.links import resolve_links
from generator.checks.matching import resolve_match_schedules
from generator.checks.notices import one_board
from generator.checks.references import (
    Index,
    check_guard_fields,
    check_names,
    lines_follow_parents,
    resolve_choices,
    resolve_filled_by,
    resolve_gates,
    resolve_guards,
    resolve_targets,
)
from generator.checks.registration import read_registration
from generator.checks.roles import read_roles
from generator.checks.rollups import resolve_rollups
from generator.checks.uploads import check_uploads
from generator.checks.workflows import read_workflows
from generator.loader import Loaded, Location, Node
from generator.problems import Problem
from generator.spec import Label, Spec

__all__ = ["HookCatalogue", "check", "index_name"]

ROOT_KEYS = ("app", "include", "roles", "hooks", "workflows", "dashboards", "registration")
APP_KEYS = ("title",)
DEFAULT_TITLE = Label("药监信息采集平台", "Drug Regulation Data Collection")


def check(loaded: Loaded, hooks: Mapping[str, HookCatalogue] | None = None
          ) -> tuple[Spec | None, list[Problem]]:
    ctx = Context(hooks)
    ctx.base = loaded.base
    spec = _run(ctx, loaded)
    order = {doc.path: i for i, doc in enumerate(loaded.documents)}
    problems = sorted(ctx.problems,
                      key=lambda p: (order.get(p.location.file, len(order)), p.location.line))
    return (spec if not problems else None), problems


def _run(ctx: Context, loaded: Loaded) -> Spec | None:
    for problem in loaded.problems:
        code = problem.code or "SCHEMA-E001"
        ctx.err(code, problem.location, problem.path, problem.message, problem.allowed)
    root = loaded.root
    if root is None:
        return None
    data = root.data
    if not isinstance(data, Node):
        ctx.err("SCHEMA-E002", Location(root.path, 1), "(top)", f"is {kind_of(data)}",
                "a mapping with 'app', 'include' and/or a module")
        return None
    is_module = "module" in data or "entities" in data
    if not is_module:  # a module root's keys are checked with the module's
        ctx.keys(data, ROOT_KEYS, "")
    title = DEFAULT_TITLE
    app = ctx.mapping(data, "app", "app")
    if app is not None:
        ctx.keys(app, APP_KEYS, "app")
        if "title" in app:
            title = ctx.label(app, "title", "app", DEFAULT_TITLE.zh)
    if "include" in data and ctx.expect(data["include"], list, data.where("include"),
                                        "include"):
        for number, item in enumerate(data["include"]):
            ctx.expect(item, str, data["include"].where(number), f"include[{number}]")
    raw_modules = ([data] if is_module else []) + [d.data for d in loaded.includes]
    documents = [data] + [m for m in raw_modules if m is not data]
    read_roles(ctx, documents)
    flows = read_workflows(ctx, documents)
    modules = [m for m in (read_module(ctx, item, item is data, ROOT_KEYS)
                           for item in raw_modules) if m is not None]
    for module in modules:
        for entity in module.entities:
            read_entity(ctx, entity, flows)
    check_names(ctx, modules)
    one_board(ctx, modules)
    pages_once(ctx, modules)
    index = Index(modules)
    resolve_targets(ctx, index)
    lines_follow_parents(index)
    resolve_gates(ctx, modules, index)
    resolve_landings(ctx, modules, index)
    resolve_links(ctx, modules, index)
    resolve_choices(ctx, index)
    resolve_guards(ctx, list(flows.found.values()), index)
    resolve_filled_by(ctx, index)
    resolve_rollups(ctx, index)
    resolve_exams(ctx, index)
    resolve_rules(ctx, index)
    resolve_update_where(ctx, modules, index)
    resolve_match_schedules(ctx, modules, index)
    for entity in index.by_name.values():
        check_guard_fields(ctx, entity)
        if entity.similar_node is not None:
            resolve_similar(ctx, entity, entity.similar_node, index)
        check_uploads(ctx, entity)
    app_hooks = ctx.hook_map(data, "", "app")
    homes = [(d, str(d.get("module", "")) if any(d is m for m in raw_modules) else "")
             for d in documents]  # a dashboard finds entities of its own module first
    dashboards = read_dashboards(ctx, homes, index)
    registration = read_registration(ctx, data)
    if ctx.problems:
        return None
    return Spec(title=title, modules=tuple(m.build() for m in modules), source=root.path,
                roles=tuple(ctx.roles.values()), hooks=app_hooks, dashboards=dashboards,
                registration=registration)


__all__ += ["MODULE_KEYS"]
