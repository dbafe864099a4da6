"""Meaning-level checks of loaded YAML, collected, and the Spec built from what passed.

Every problem is reported at once (never only the first), each with a stable code from
`problems.CODES`, the file and line, the key path, what is wrong and what is allowed.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import hashlib
import keyword
import re
from collections.abc import Mapping
from typing import Any, Protocol

from generator.checks_features import FeatureChecks, _Pending
from generator.expr import ExprError, compile_expr
from generator.identifiers import VALIDATORS
from generator.loader import Loaded, Location, Node, Seq
from generator.problems import Problem
from generator.spec import (
    ACTIONS,
    ADMIN_DUTIES,
    COMPUTED_FORMATS,
    FIELD_TYPES,
    LEVELS,
    ON_DELETE,
    SCOPES,
    USER_CLASSES,
    Entity,
    EnumValue,
    Field,
    Grant,
    HookRef,
    Index,
    Label,
    Module,
    RequiredIf,
    Role,
    Spec,
    State,
    Transition,
    Workflow,
    snake,
)

ROOT_KEYS = ("app", "include", "roles", "hooks", "workflows")
APP_KEYS = ("title",)
MODULE_KEYS = ("module", "label", "icon", "order", "entities", "roles", "workflows", "gate")
ENTITY_KEYS = (
    "label", "table", "display", "icon", "fields", "list", "search", "filters", "order",
    "default_order", "form", "indexes", "unique_together", "page_size", "menu", "scope",
    "permissions", "hooks", "import_key", "workflow", "list_edit", "summaries",
)
WORKFLOW_KEYS = ("field", "initial", "states", "transitions", "changes", "log_field",
                 "state_label")
CHANGE_KEYS = ("states", "roles", "approvers")
STATE_KEYS = ("label", "edit", "delete", "hidden_from", "correction")
TRANSITION_KEYS = ("label", "from", "to", "roles", "reason", "requires", "batch", "all",
                   "needs", "when")
ROLE_KEYS = ("label", "level", "user_class", "admin")
GRANT_KEYS = ("actions", "scope", "readonly", "hidden")
ROLE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,40}$")
COMMON_FIELD_KEYS = ("type", "label", "help", "required", "unique", "index", "default",
                     "required_if")
TYPE_KEYS: dict[str, tuple[str, ...]] = {
    "string": ("min", "max", "regex", "regex_message", "validators"),
    "text": ("min", "max", "regex", "regex_message"),
    "integer": ("min", "max"),
    "decimal": ("min", "max", "precision", "scale"),
    "boolean": (),
    "date": ("min", "max"),
    "datetime": ("min", "max"),
    "enum": ("values",),
    "reference": ("to", "on_delete", "choices"),
    "child": ("entity",),
    "file": ("hook", "params"),
    "computed": ("expr", "format", "places"),
}
NOT_STORED_KEYS = ("required", "unique", "index", "default", "required_if")  # child, computed
INDEX_KEYS = ("fields", "unique", "name")
REQUIRED_IF_KEYS = ("field", "equals", "in")
LABEL_KEYS = ("zh", "en")

MODULE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,30}$")
ENTITY_NAME = re.compile(r"^[A-Z][A-Za-z0-9]{0,62}$")
FIELD_NAME = re.compile(r"^[a-z][a-z0-9_]{0,50}$")
TABLE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
# org, org_id, org_path: the organisation a row belongs to (see Entity.org_scoped).
# row_version: optimistic locking of every row.
RESERVED_FIELDS = frozenset({"id", "metadata", "query", "registry", "version_id", "org", "org_id",
                             "org_path", "row_version"}) | frozenset(
    keyword.kwlist
) | frozenset({  # Flask-AppBuilder hands the posted form to WTForms as the object to read
    # from, so a field named like one of its methods would read the method, not the value.
    "add", "clear", "copy", "deepcopy", "fromkeys", "get", "getlist", "items", "keys", "lists",
    "listvalues", "pop", "popitem", "popitemlist", "poplist", "setdefault", "setlist",
    "setlistdefault", "to_dict", "update", "values"})

KIND_NAMES = {dict: "a mapping", list: "a list", str: "text", int: "a whole number",
              bool: "yes/no (true or false)"}


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "yes/no"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "text"
    if isinstance(value, (int, float)):
        return "a number"
    return "nothing" if value is None else type(value).__name__


def _choices(items: Any) -> str:
    return ", ".join(str(i) for i in items)


class HookCatalogue(Protocol):
    """What the checks need to know of a hook type (the app's app.hooks.CATALOGUE)."""

    point: str

    def check_params(self, raw: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]: ...


class Checker(FeatureChecks):
    def __init__(self, loaded: Loaded, hooks: Mapping[str, HookCatalogue] | None = None):
        self.loaded = loaded
        self.hook_types = dict(hooks or {})
        self.problems: list[Problem] = []
        self.raw_modules: list[_RawModule] = []
        self.role_index: dict[str, Role] = {}
        self.workflow_index: dict[str, Workflow] = {}
        self.pending: list[_Pending] = []  # names of other entities, resolved after link()

    # -- reporting ---------------------------------------------------------------------
    def err(self, code: str, where: Location, path: str, message: str, allowed: str = "") -> None:
        self.problems.append(Problem(code, where, path, message, allowed))

    @staticmethod
    def loc(container: Any, key: Any = None) -> Location:
        if isinstance(container, (Node, Seq)):
            return container.where(key)
        return Location("?", 0)

    def expect(self, value: Any, kind: type, where: Location, path: str) -> bool:
        ok = isinstance(value, kind) and not (kind is int and isinstance(value, bool))
        if not ok:
            self.err("SCHEMA-E002", where, path, f"is {_kind(value)}", KIND_NAMES[kind])
        return ok

    def keys(self, node: Node, allowed: tuple[str, ...], path: str, required: tuple[str, ...] = ()
             ) -> None:
        for key in node:
            if key not in allowed:
                self.err("SCHEMA-E003", node.where(key), f"{path}.{key}".lstrip("."),
                         f"unknown key '{key}'", f"one of {_choices(allowed)}")
        for key in required:
            if key not in node:
                self.err("SCHEMA-E004", node.where(), path or "(top)",
                         f"required key '{key}' is missing", f"a '{key}' entry")

    # -- small value readers -------------------------------------------------------------
    def label(self, node: Node, key: str, path: str, fallback: str) -> Label:
        value = node.get(key)
        where = node.where(key)
        if value is None:
            return Label(fallback, fallback)
        if isinstance(value, str):
            return Label(value, value)
        if not self.expect(value, dict, where, f"{path}.{key}"):
            return Label(fallback, fallback)
        self.keys(value, LABEL_KEYS, f"{path}.{key}", required=("zh",))
        zh, en = value.get("zh"), value.get("en")
        for lang, text in (("zh", zh), ("en", en)):
            if text is not None:
                self.expect(text, str, value.where(lang), f"{path}.{key}.{lang}")
        zh = zh if isinstance(zh, str) else fallback
        return Label(zh, en if isinstance(en, str) else zh)

    def flag(self, node: Node, key: str, path: str, default: bool = False) -> bool:
        if key not in node:
            return default
        value = node[key]
        return value if self.expect(value, bool, node.where(key), f"{path}.{key}") else default

    def integer(self, node: Node, key: str, path: str, default: int, lo: int, hi: int) -> int:
        if key not in node:
            return default
        value = node[key]
        if not self.expect(value, int, node.where(key), f"{path}.{key}"):
            return default
        if not lo <= value <= hi:
            self.err("SCHEMA-E017", node.where(key), f"{path}.{key}", f"{value} is out of range",
                     f"a whole number from {lo} to {hi}")
            return default
        return value

    def names(self, node: Node, key: str, path: str) -> list[tuple[str, Location]]:
        value = node.get(key)
        if value is None:
            return []
        if not self.expect(value, list, node.where(key), f"{path}.{key}"):
            return []
        out = []
        for index, item in enumerate(value):
            if self.expect(item, str, value.where(index), f"{path}.{key}[{index}]"):
                out.append((item, value.where(index)))
        return out

    # -- top level -----------------------------------------------------------------------
    def run(self) -> Spec | None:
        for problem in self.loaded.problems:
            code = "SCHEMA-E021" if "include pattern" in problem.message else "SCHEMA-E001"
            self.err(code, problem.location, "include" if code.endswith("21") else "(file)",
                     problem.message)
        root = self.loaded.root
        if root is None:
            return None
        data = root.data
        if not isinstance(data, Node):
            self.err("SCHEMA-E002", Location(root.path, 1), "(top)", f"is {_kind(data)}",
                     "a mapping with 'app', 'include' and/or a module")
            return None
        is_module = "module" in data or "entities" in data
        self.keys(data, ROOT_KEYS + (MODULE_KEYS if is_module else ()), "")
        title = Label("药监信息采集平台", "Drug Regulation Data Collection")
        if "app" in data and self.expect(data["app"], dict, data.where("app"), "app"):
            self.keys(data["app"], APP_KEYS, "app")
            title = self.label(data["app"], "title", "app", title.zh)
            if "title" not in data["app"]:
                title = Label("药监信息采集平台", "Drug Regulation Data Collection")
        if "include" in data and self.expect(data["include"], list, data.where("include"),
                                             "include"):
            for index, item in enumerate(data["include"]):
                self.expect(item, str, data["include"].where(index), f"include[{index}]")
        raw_modules = ([data] if is_module else []) + [d.data for d in self.loaded.includes]
        self.role_index = self.roles([data] + [m for m in raw_modules if m is not data])
        self.workflow_index = self.workflows([data] + [m for m in raw_modules if m is not data])
        raw = [m for m in (self.module(item) for item in raw_modules) if m is not None]
        modules = self.link(raw)
        app_hooks = self.hook_map(data, "", "app")
        if self.problems:
            return None
        return Spec(title=title, modules=tuple(modules), source=root.path,
                    roles=tuple(self.role_index.values()), hooks=app_hooks)

    # -- workflows -----------------------------------------------------------------------
    def workflows(self, documents: list[Any]) -> dict[str, Workflow]:
        found: dict[str, Workflow] = {}
        for data in documents:
            if not isinstance(data, Node) or "workflows" not in data:
                continue
            raw = data["workflows"]
            if not self.expect(raw, dict, data.where("workflows"), "workflows"):
                continue
            for key, body in raw.items():
                path = f"workflows.{key}"
                if key in found:
                    self.err("SCHEMA-E006", raw.where(key), path,
                             f"workflow '{key}' is defined twice", "a workflow name used once")
                elif self.expect(body, dict, raw.where(key), path):
                    flow = self.workflow(key, body, path)
                    if flow is not None:
                        found[key] = flow
        return found

    def workflow(self, key: str, body: Node, path: str) -> Workflow | None:
        self.keys(body, WORKFLOW_KEYS, path, required=("states", "transitions"))
        column = body.get("field", "state")
        if not isinstance(column, str) or not FIELD_NAME.match(column):
            self.err("SCHEMA-E005", body.where("field"), f"{path}.field",
                     f"'{column}' is not allowed", "a field name")
            column = "state"
        states: list[State] = []
        raw_states = body.get("states")
        if isinstance(raw_states, Node) and self.expect(raw_states, dict, body.where("states"),
                                                       f"{path}.states"):
            for name, spec in raw_states.items():
                at = f"{path}.states.{name}"
                if isinstance(spec, str):
                    states.append(State(name, Label(spec, spec)))
                    continue
                if not self.expect(spec, dict, raw_states.where(name), at):
                    continue
                self.keys(spec, STATE_KEYS, at)
                hidden = [r for r, where in self.names(spec, "hidden_from", at)
                          if self.known_role(r, where, f"{at}.hidden_from")]
                states.append(State(name, self.label(spec, "label", at, name),
                                    self.flag(spec, "edit", at), self.flag(spec, "delete", at),
                                    tuple(hidden), self.flag(spec, "correction", at)))
        elif "states" in body:
            self.expect(raw_states, dict, body.where("states"), f"{path}.states")
        names = [s.key for s in states]
        initial = body.get("initial", names[0] if names else None)
        if names and initial not in names:
            self.err("SCHEMA-E027", body.where("initial"), f"{path}.initial",
                     f"unknown state '{initial}'", f"one of {_choices(names)}")
        transitions: list[Transition] = []
        raw_t = body.get("transitions")
        if isinstance(raw_t, Node):
            for name, spec in raw_t.items():
                at = f"{path}.transitions.{name}"
                if not FIELD_NAME.match(name) or name in ACTIONS:
                    self.err("SCHEMA-E005", raw_t.where(name), at, f"'{name}' is not allowed",
                             "lower-case letters, digits and _, not one of " + _choices(ACTIONS))
                    continue
                if not self.expect(spec, dict, raw_t.where(name), at):
                    continue
                self.keys(spec, TRANSITION_KEYS, at, required=("from", "to", "roles"))
                sources = spec.get("from", [])
                sources = [sources] if isinstance(sources, str) else sources
                bad = [s for s in sources if s not in names] if isinstance(sources, list) else [
                    sources]
                target = spec.get("to")
                if target not in names:
                    bad.append(target)
                for state in bad:
                    self.err("SCHEMA-E027", spec.where("from" if state != target else "to"),
                             at, f"unknown state '{state}'", f"one of {_choices(names)}")
                roles = [r for r, where in self.names(spec, "roles", at)
                         if self.known_role(r, where, f"{at}.roles")]
                reason = self.flag(spec, "reason", at)
                batch = self.flag(spec, "batch", at)
                every = self.flag(spec, "all", at)
                if reason and every:
                    self.err("SCHEMA-E027", spec.where("all"), f"{at}.all",
                             "a transition that needs a reason cannot run on all rows at once",
                             "all: false, or no reason")
                self.read_needs(spec, at, key)
                self.read_when(spec, at, key)
                if reason and batch:
                    self.err("SCHEMA-E027", spec.where("batch"), f"{at}.batch",
                             "a transition that needs a reason cannot run on many rows at once",
                             "batch: false, or no reason")
                if bad:
                    continue
                transitions.append(Transition(
                    name, self.label(spec, "label", at, name), tuple(sources), target,
                    tuple(roles), reason, tuple(n for n, _ in self.names(spec, "requires", at)),
                    batch, every))
        elif "transitions" in body:
            self.expect(raw_t, dict, body.where("transitions"), f"{path}.transitions")
        changes: dict[str, tuple[str, ...]] = {"states": (), "roles": (), "approvers": ()}
        raw_c = body.get("changes")
        if raw_c is not None and self.expect(raw_c, dict, body.where("changes"),
                                             f"{path}.changes"):
            at = f"{path}.changes"
            self.keys(raw_c, CHANGE_KEYS, at, required=("states", "roles", "approvers"))
            for state, where in self.names(raw_c, "states", at):
                if state not in names:
                    self.err("SCHEMA-E027", where, f"{at}.states", f"unknown state '{state}'",
                             f"one of {_choices(names)}")
            changes["states"] = tuple(s for s, _ in self.names(raw_c, "states", at)
                                      if s in names)
            for key_ in ("roles", "approvers"):
                changes[key_] = tuple(r for r, where in self.names(raw_c, key_, at)
                                      if self.known_role(r, where, f"{at}.{key_}"))
        if not names or initial not in names:
            return None
        return Workflow(key, column, initial, tuple(states), tuple(transitions),
                        changes["states"], changes["roles"], changes["approvers"],
                        self.read_log_field(body, path),
                        self.label(body, "state_label", path, "状态") if "state_label" in body
                        else None)

    def known_role(self, role: str, where: Location, path: str) -> bool:
        if role in self.role_index:
            return True
        self.err("SCHEMA-E023", where, path, f"unknown role '{role}'",
                 f"one of {_choices(sorted(self.role_index)) or '(no roles defined)'}")
        return False

    def entity_workflow(self, body: Node, path: str, fields: list[Field]) -> Workflow | None:
        key = body.get("workflow")
        if key is None:
            return None
        flow = self.workflow_index.get(key) if isinstance(key, str) else None
        if flow is None:
            self.err("SCHEMA-E027", body.where("workflow"), f"{path}.workflow",
                     f"unknown workflow '{key}'",
                     f"one of {_choices(sorted(self.workflow_index)) or '(none defined)'}")
            return None
        names = {f.name for f in fields}
        if flow.field in names:
            self.err("SCHEMA-E022", body.where("workflow"), f"{path}.workflow",
                     f"the workflow keeps its state in '{flow.field}', which is also a field",
                     "another field name, or `field:` in the workflow")
        for t in flow.transitions:
            for name in t.requires:
                if name not in names:
                    self.err("SCHEMA-E019", body.where("workflow"), f"{path}.workflow",
                             f"transition '{t.key}' requires unknown field '{name}'",
                             f"one of {_choices(sorted(names))}")
        self.check_log_field(flow, body, path, fields)
        return flow

    # -- hooks ---------------------------------------------------------------------------
    def hook_map(self, node: Node, path: str, point: str) -> tuple[HookRef, ...]:
        """`hooks: {name: {params}}` on an entity or the root file."""
        raw = node.get("hooks")
        at = f"{path}.hooks".lstrip(".")
        if raw is None or not self.expect(raw, dict, node.where("hooks"), at):
            return ()
        refs = []
        for name, params in raw.items():
            ref = self.hook_ref(name, params if params is not None else Node(), raw.where(name),
                                f"{at}.{name}", point)
            if ref is not None:
                refs.append(ref)
        return tuple(refs)

    def hook_ref(self, name: Any, params: Any, where: Location, path: str, point: str
                 ) -> HookRef | None:
        usable = sorted(n for n, t in self.hook_types.items() if t.point == point)
        hook_type = self.hook_types.get(name) if isinstance(name, str) else None
        if hook_type is None or hook_type.point != point:
            self.err("SCHEMA-E025", where, path, f"no hook '{name}' can run here",
                     f"one of {_choices(usable)}" if usable else "no hook at this place")
            return None
        if not isinstance(params, dict):
            self.err("SCHEMA-E026", where, path, f"parameters are {_kind(params)}",
                     "a mapping of parameter -> value")
            return None
        clean, errors = hook_type.check_params(params)
        for key, messages in sorted(errors.items()):
            text = "; ".join(str(m) for m in (messages if isinstance(messages, list)
                                               else [messages]))
            place = params.where(key) if isinstance(params, Node) else where
            self.err("SCHEMA-E026", place, f"{path}.{key}", text,
                     f"the parameters of {name} in docs/hooks.md")
        if errors:
            return None
        return HookRef(name, tuple(sorted(clean.items())))

    # -- roles ---------------------------------------------------------------------------
    def roles(self, documents: list[Any]) -> dict[str, Role]:
        found: dict[str, Role] = {}
        where_defined: dict[str, Location] = {}
        for data in documents:
            if not isinstance(data, Node) or "roles" not in data:
                continue
            raw = data["roles"]
            if not self.expect(raw, dict, data.where("roles"), "roles"):
                continue
            for key, body in raw.items():
                path = f"roles.{key}"
                if not ROLE_NAME.match(key):
                    self.err("SCHEMA-E005", raw.where(key), path, f"role name '{key}' is not "
                             "allowed", "lower-case letters, digits and _ starting with a letter")
                    continue
                if key in where_defined:
                    self.err("SCHEMA-E006", raw.where(key), path,
                             f"role '{key}' is already defined at {where_defined[key]}",
                             "a role name used once")
                    continue
                if not self.expect(body, dict, raw.where(key), path):
                    continue
                self.keys(body, ROLE_KEYS, path, required=("level",))
                levels = body.get("level", [])
                levels = [levels] if isinstance(levels, str) else levels
                if not isinstance(levels, list) or not levels or any(
                        lv not in LEVELS for lv in levels):
                    if "level" in body:
                        self.err("SCHEMA-E017", body.where("level"), f"{path}.level",
                                 f"'{body['level']}' is not allowed",
                                 f"one or a list of {_choices(LEVELS)}")
                    continue
                user_class = self.choice(body, "user_class", path, USER_CLASSES)
                admin = self.choice(body, "admin", path, ADMIN_DUTIES)
                where_defined[key] = raw.where(key)
                found[key] = Role(key, self.label(body, "label", path, key), tuple(levels),
                                  user_class, admin)
        return found

    def choice(self, node: Node, key: str, path: str, allowed: tuple[str, ...]) -> str | None:
        value = node.get(key)
        if value is None:
            return None
        if value not in allowed:
            self.err("SCHEMA-E017", node.where(key), f"{path}.{key}", f"'{value}' is not allowed",
                     f"one of {_choices(allowed)}")
            return None
        return str(value)

    def grants(self, body: Node, path: str, fields: list[Field], scope: str | None
               ) -> tuple[Grant, ...]:
        raw = body.get("permissions")
        if raw is None or not self.expect(raw, dict, body.where("permissions"),
                                          f"{path}.permissions"):
            return ()
        names = {f.name for f in fields} | ({"org"} if scope is not None else set())
        out = []
        for role, spec in raw.items():
            at = f"{path}.permissions.{role}"
            if role not in self.role_index:
                self.err("SCHEMA-E023", raw.where(role), at, f"unknown role '{role}'",
                         f"one of {_choices(sorted(self.role_index)) or '(no roles defined)'}")
                continue
            if isinstance(spec, (list, str)):
                node = Node({"actions": spec})
                node.location, node.key_locations = raw.where(role), {"actions": raw.where(role)}
                spec = node
            if not self.expect(spec, dict, raw.where(role), at):
                continue
            self.keys(spec, GRANT_KEYS, at, required=("actions",))
            actions = spec.get("actions", [])
            if actions == "all":
                actions = list(ACTIONS)
            if not isinstance(actions, list):
                self.expect(actions, list, spec.where("actions"), f"{at}.actions")
                continue
            good = []
            for i, action in enumerate(actions):
                if action not in ACTIONS:
                    where = actions.where(i) if isinstance(actions, Seq) else spec.where("actions")
                    self.err("SCHEMA-E024", where, f"{at}.actions[{i}]",
                             f"unknown action '{action}'", f"one of {_choices(ACTIONS)} or 'all'")
                else:
                    good.append(action)
            grant_scope = self.choice(spec, "scope", at, SCOPES) or scope or "all"
            field_sets = []
            for key in ("readonly", "hidden"):
                chosen = []
                for fname, where in self.names(spec, key, at):
                    if fname not in names:
                        self.err("SCHEMA-E019", where, f"{at}.{key}", f"unknown field '{fname}'",
                                 f"one of {_choices(sorted(names))}")
                    else:
                        chosen.append(fname)
                field_sets.append(tuple(chosen))
            out.append(Grant(role, tuple(dict.fromkeys(good)), grant_scope, *field_sets))
        return tuple(out)

    def module(self, data: Any) -> _RawModule | None:
        if not isinstance(data, Node):
            where = data.where() if isinstance(data, Seq) else Location("?", 1)
            self.err("SCHEMA-E002", where, "(top)", f"is {_kind(data)}", "a module mapping")
            return None
        is_root = self.loaded.root is not None and data is self.loaded.root.data
        self.keys(data, MODULE_KEYS + (ROOT_KEYS if is_root else ()), "",
                  required=("module", "entities"))
        key = data.get("module")
        if not isinstance(key, str) or not MODULE_NAME.match(key):
            if "module" in data:
                self.err("SCHEMA-E005", data.where("module"), "module", f"'{key}' is not allowed",
                         "lower-case letters, digits and _ starting with a letter (max 31)")
            key = "invalid"
        label = self.label(data, "label", "", key)
        icon = data.get("icon", "fa-folder")
        if not isinstance(icon, str):
            self.expect(icon, str, data.where("icon"), "icon")
            icon = "fa-folder"
        order = self.integer(data, "order", "", 100, 0, 100000)
        self.read_gate(data, key)
        entities_raw = data.get("entities")
        entities: list[tuple[str, Node]] = []
        if entities_raw is not None and self.expect(entities_raw, dict, data.where("entities"),
                                                    "entities"):
            for name, body in entities_raw.items():
                path = f"entities.{name}"
                if not ENTITY_NAME.match(name):
                    self.err("SCHEMA-E005", entities_raw.where(name), path,
                             f"entity name '{name}' is not allowed",
                             "CamelCase: a capital letter, then letters and digits")
                    continue
                if self.expect(body, dict, entities_raw.where(name), path):
                    entities.append((name, body))
        return _RawModule(key, label, icon, order, entities, data)

    # -- entities and fields, once all modules are known ------------------------------
    def link(self, modules: list[_RawModule]) -> list[Module]:
        known: dict[str, list[str]] = {}  # entity key -> qualified names
        seen_modules: dict[str, Location] = {}
        tables: dict[str, str] = {}
        for module in modules:
            if module.key in seen_modules:
                self.err("SCHEMA-E006", module.node.where("module"), "module",
                         f"module '{module.key}' is already defined at {seen_modules[module.key]}",
                         "a module name used once")
            seen_modules.setdefault(module.key, module.node.where("module"))
            for name, _ in module.entities:
                known.setdefault(name, []).append(f"{module.key}.{name}")
        self.raw_modules = modules
        result = []
        for module in modules:
            entities = []
            for name, body in module.entities:
                entity = self.entity(module.key, name, body, known)
                if entity is None:
                    continue
                if entity.table in tables:
                    self.err("SCHEMA-E006", body.where("table") if "table" in body
                             else module.node.where("entities"), f"entities.{name}.table",
                             f"table '{entity.table}' is already used by {tables[entity.table]}",
                             "a table name used once")
                tables.setdefault(entity.table, entity.qualified)
                entities.append(entity)
            result.append(Module(module.key, module.label, module.icon, module.order,
                                 tuple(entities)))
        self.children(result)
        return self.resolve_features(self.lines_follow_parents(result), known)

    @staticmethod
    def lines_follow_parents(modules: list[Module]) -> list[Module]:
        """Lines of an org-scoped parent share its organisation and, unless they say
        otherwise, its permissions."""
        parents: dict[str, Entity] = {}
        for module in modules:
            for entity in module.entities:
                for f in entity.fields:
                    if f.type == "child" and f.entity and entity.scope is not None:
                        parents.setdefault(f.entity, entity)
        out = []
        for module in modules:
            entities = []
            for entity in module.entities:
                parent = parents.get(entity.qualified)
                if parent is not None and entity.scope is None:
                    names = {f.name for f in entity.fields}
                    inherited = tuple(dataclasses.replace(
                        g, readonly=tuple(n for n in g.readonly if n in names),
                        hidden=tuple(n for n in g.hidden if n in names)) for g in parent.grants)
                    entity = dataclasses.replace(entity, parent_scoped=True,
                                                 grants=entity.grants or inherited)
                entities.append(entity)
            out.append(dataclasses.replace(module, entities=tuple(entities)))
        return out

    def entity(self, module: str, name: str, body: Node, known: dict[str, list[str]]
               ) -> Entity | None:
        path = f"entities.{name}"
        self.keys(body, ENTITY_KEYS, path, required=("fields",))
        table = body.get("table", f"{module}_{snake(name)}")
        if not isinstance(table, str) or not TABLE_NAME.match(table):
            self.err("SCHEMA-E005", body.where("table"), f"{path}.table",
                     f"table name '{table}' is not allowed",
                     "lower-case letters, digits and _ starting with a letter (max 63)")
            table = f"{module}_{snake(name)}"
        fields_raw = body.get("fields")
        fields: list[Field] = []
        if fields_raw is not None and self.expect(fields_raw, dict, body.where("fields"),
                                                  f"{path}.fields"):
            if not fields_raw:
                self.err("SCHEMA-E004", body.where("fields"), f"{path}.fields",
                         "an entity needs at least one field", "one or more fields")
            for fname, fbody in fields_raw.items():
                item = self.field(module, f"{path}.fields.{fname}", fname, fbody,
                                  fields_raw.where(fname), known)
                if item is not None:
                    fields.append(item)
        names = {f.name for f in fields}
        if isinstance(fields_raw, Node):
            self.shadowing(fields, fields_raw, path)
            self.computed(fields, fields_raw, path)
            self.required_if(fields, fields_raw, path)

        entity_scoped = body.get("scope") in SCOPES  # `org` may then be listed

        def pick(key: str, allow: set[str] | None = None) -> tuple[str, ...]:
            out = []
            for fname, where in self.names(body, key, path):
                pool = names if allow is None else allow
                if fname not in pool:
                    self.err("SCHEMA-E019", where, f"{path}.{key}", f"unknown field '{fname}'",
                             f"one of {_choices(sorted(pool))}")
                else:
                    out.append(fname)
            return tuple(out)

        column_names = {f.name for f in fields if f.is_column and f.type != "file"}
        stored = {f.name for f in fields if f.is_column}
        display = body.get("display")
        if display is None:
            display = next((f.name for f in fields if f.type == "string"), "id")
        elif not isinstance(display, str) or display not in stored:
            self.err("SCHEMA-E019", body.where("display"), f"{path}.display",
                     f"unknown field '{display}'", f"one of {_choices(sorted(stored))}")
            display = "id"
        order = self.default_order(body, path, column_names)
        scope = self.choice(body, "scope", path, SCOPES)
        keyed = column_names | ({"org"} if scope is not None else set())
        indexes = self.indexes(body, path, table, fields, keyed)
        grants = self.grants(body, path, fields, scope)
        hooks = self.hook_map(body, path, "entity")
        references = sorted(f.name for f in fields if f.type == "reference")
        for ref in hooks:  # a hook parameter naming a field must name one of this entity's
            batch = ref.get("batch_field")
            if batch is not None and batch not in references:
                self.err("SCHEMA-E019", body["hooks"].where(ref.name),
                         f"{path}.hooks.{ref.name}.batch_field",
                         f"'{batch}' is not a reference field of {name}",
                         f"one of {_choices(references) or '(no reference fields)'}")
        workflow = self.entity_workflow(body, path, fields)
        list_edit = self.read_list_edit(body, path, fields, workflow)
        summaries = self.read_summaries(body, path, fields, scope is not None, workflow)
        return Entity(
            key=name,
            module=module,
            label=self.label(body, "label", path, name),
            table=table,
            fields=tuple(fields),
            display=display,
            icon=body.get("icon", "fa-table") if isinstance(body.get("icon"), str)
            else "fa-table",
            list_columns=pick("list", names | ({"org"} if entity_scoped else set())) or tuple(
                f.name for f in fields if f.type not in ("child", "text", "file"))[:8],
            search_columns=pick("search", column_names),
            filter_columns=pick("filters", column_names),
            order_columns=pick("order", column_names),
            default_order=order,
            form_columns=pick("form", {f.name for f in fields if f.type != "computed"}),
            import_key=pick("import_key", keyed - {f.name for f in fields
                                                   if f.type == "text"}),
            indexes=indexes,
            page_size=self.integer(body, "page_size", path, 20, 5, 100),
            menu=self.flag(body, "menu", path, True),
            scope=scope,
            grants=grants,
            hooks=hooks,
            workflow=workflow,
            list_edit=list_edit,
            summaries=summaries,
        )

    def default_order(self, body: Node, path: str, columns: set[str]) -> tuple[str, str] | None:
        value = body.get("default_order")
        if value is None:
            return None
        if not self.expect(value, str, body.where("default_order"), f"{path}.default_order"):
            return None
        name = value.lstrip("-")
        if name not in columns | {"id"}:
            self.err("SCHEMA-E019", body.where("default_order"), f"{path}.default_order",
                     f"unknown field '{name}'", f"one of {_choices(sorted(columns | {'id'}))}, "
                     "with '-' in front for descending")
            return None
        return (name, "desc" if value.startswith("-") else "asc")

    def indexes(self, body: Node, path: str, table: str, fields: list[Field],
                columns: set[str]) -> tuple[Index, ...]:
        result: list[Index] = []
        by_name = {f.name: f for f in fields}

        def add(names: list[str], unique: bool, name: str | None, where: Location, at: str
                ) -> None:
            cols = []
            for fname in names:
                if fname not in columns:
                    self.err("SCHEMA-E019", where, at, f"unknown field '{fname}'",
                             f"one of {_choices(sorted(columns))}")
                    return
                cols.append("org_id" if fname == "org" else by_name[fname].column)
            result.append(Index(name or index_name(table, cols, unique), tuple(cols), unique))

        for f in fields:
            if f.unique:
                result.append(Index(index_name(table, [f.column], True), (f.column,), True))
            elif f.index or f.type == "reference":
                result.append(Index(index_name(table, [f.column], False), (f.column,), False))
        for key, unique in (("indexes", False), ("unique_together", True)):
            raw = body.get(key)
            if raw is None or not self.expect(raw, list, body.where(key), f"{path}.{key}"):
                continue
            for i, item in enumerate(raw):
                at, where = f"{path}.{key}[{i}]", raw.where(i)
                if isinstance(item, list) and all(isinstance(n, str) for n in item) and item:
                    add(list(item), unique, None, where, at)
                elif isinstance(item, Node) and key == "indexes":
                    self.keys(item, INDEX_KEYS, at, required=("fields",))
                    names = item.get("fields")
                    if isinstance(names, list) and names and all(isinstance(n, str)
                                                                 for n in names):
                        name = item.get("name")
                        add(list(names), self.flag(item, "unique", at),
                            name if isinstance(name, str) else None, where, at)
                    elif "fields" in item:
                        self.expect(names, list, item.where("fields"), f"{at}.fields")
                else:
                    self.err("SCHEMA-E002", where, at, f"is {_kind(item)}",
                             "a list of field names" + (" or a mapping with 'fields'"
                                                         if key == "indexes" else ""))
        seen: dict[str, Index] = {}
        for index in result:
            if index.name in seen:
                self.err("SCHEMA-E006", body.where("indexes"), f"{path}.indexes",
                         f"index '{index.name}' is defined twice", "distinct index names")
            seen[index.name] = index
        return tuple(result)

    def field(self, module: str, path: str, name: str, body: Any, where: Location,
              known: dict[str, list[str]]) -> Field | None:
        if not FIELD_NAME.match(name):
            self.err("SCHEMA-E005", where, path, f"field name '{name}' is not allowed",
                     "lower-case letters, digits and _ starting with a letter (max 51)")
            return None
        if name in RESERVED_FIELDS:
            self.err("SCHEMA-E022", where, path, f"'{name}' is reserved",
                     f"a name other than {_choices(sorted(RESERVED_FIELDS - set(keyword.kwlist)))}"
                     " or a Python keyword")
            return None
        if isinstance(body, str):  # shorthand: `name: string`
            node = Node({"type": body})
            node.location, node.key_locations = where, {"type": where}
            body = node
        if not self.expect(body, dict, where, path):
            return None
        ftype = body.get("type")
        if ftype not in FIELD_TYPES:
            if "type" not in body:
                self.err("SCHEMA-E004", body.where(), path, "required key 'type' is missing",
                         f"one of {_choices(FIELD_TYPES)}")
            else:
                self.err("SCHEMA-E010", body.where("type"), f"{path}.type",
                         f"unknown type '{ftype}'", f"one of {_choices(FIELD_TYPES)}")
            return None
        allowed = COMMON_FIELD_KEYS + TYPE_KEYS[ftype]
        if ftype in ("child", "computed"):
            allowed = tuple(k for k in allowed if k not in NOT_STORED_KEYS)
        for key in body:
            if key not in allowed:
                known_key = any(key in keys for keys in TYPE_KEYS.values()) or key in (
                    COMMON_FIELD_KEYS)
                code = "SCHEMA-E011" if known_key else "SCHEMA-E003"
                message = (f"'{key}' does not apply to a {ftype} field" if known_key
                           else f"unknown key '{key}'")
                self.err(code, body.where(key), f"{path}.{key}", message,
                         f"one of {_choices(allowed)}")
        kw: dict[str, Any] = {
            "name": name,
            "type": ftype,
            "label": self.label(body, "label", path, name.replace("_", " ").capitalize()),
            "help": self.label(body, "help", path, "") if "help" in body else None,
            "required": self.flag(body, "required", path),
            "unique": self.flag(body, "unique", path),
            "index": self.flag(body, "index", path),
        }
        self.bounds(body, path, ftype, kw)
        if ftype in ("string", "text") and "regex" in body:
            pattern = body["regex"]
            if self.expect(pattern, str, body.where("regex"), f"{path}.regex"):
                try:
                    re.compile(pattern)
                    kw["regex"] = pattern
                except re.error as exc:
                    self.err("SCHEMA-E018", body.where("regex"), f"{path}.regex",
                             f"invalid regular expression: {exc}",
                             "a Python regular expression")
            if "regex_message" in body:
                kw["regex_message"] = self.label(body, "regex_message", path, "")
        if "validators" in body:
            kw["validators"] = self.validators(body, path)
        if ftype == "enum":
            kw["values"] = self.enum_values(body, path)
        if ftype == "reference":
            kw["to"] = self.target(body, "to", path, module, known)
            if "choices" in body:  # path: entities.<Entity>.fields.<name>
                self.read_choices(body, path, module, f"{module}.{path.split('.')[1]}.{name}")
            on_delete = body.get("on_delete", "restrict")
            if on_delete not in ON_DELETE:
                self.err("SCHEMA-E017", body.where("on_delete"), f"{path}.on_delete",
                         f"'{on_delete}' is not allowed", f"one of {_choices(ON_DELETE)}")
            else:
                kw["on_delete"] = on_delete
        if ftype == "child":
            kw["entity"] = self.target(body, "entity", path, module, known)
        if ftype == "file" and "hook" in body:
            kw["hook"] = self.hook_ref(body.get("hook"), body.get("params") or Node(),
                                       body.where("hook"), f"{path}.hook", "field")
        elif ftype == "file" and "params" in body:
            self.err("SCHEMA-E025", body.where("params"), f"{path}.params",
                     "'params' without a 'hook'", "hook: upload_limit with its params")
        if ftype == "decimal":
            kw["precision"] = self.integer(body, "precision", path, 18, 1, 38)
            kw["scale"] = self.integer(body, "scale", path, 2, 0, 12)
            if kw["scale"] > kw["precision"]:
                self.err("SCHEMA-E017", body.where("scale"), f"{path}.scale",
                         "scale is larger than precision", "scale <= precision")
        if ftype == "computed":
            if "expr" not in body:
                self.err("SCHEMA-E004", body.where(), path, "required key 'expr' is missing",
                         "an expression over the entity's fields")
            elif self.expect(body["expr"], str, body.where("expr"), f"{path}.expr"):
                kw["expr"] = body["expr"]
            fmt = body.get("format", "number")
            if fmt not in COMPUTED_FORMATS:
                self.err("SCHEMA-E017", body.where("format"), f"{path}.format",
                         f"'{fmt}' is not allowed", f"one of {_choices(COMPUTED_FORMATS)}")
            else:
                kw["format"] = fmt
            kw["places"] = self.integer(body, "places", path, 2, 0, 10)
        if "default" in body:
            kw["default"] = self.default(body, path, ftype, kw)
        if "required_if" in body:
            kw["required_if"] = self.required_if_raw(body, path)
        return Field(**kw)

    def bounds(self, body: Node, path: str, ftype: str, kw: dict[str, Any]) -> None:
        for key in ("min", "max"):
            if key not in body or key not in TYPE_KEYS[ftype]:
                continue
            value = body[key]
            parsed = self.typed(value, ftype if ftype not in ("string", "text") else "length")
            if parsed is _BAD:
                self.err("SCHEMA-E002", body.where(key), f"{path}.{key}", f"is {_kind(value)}",
                         _TYPED_ALLOWED[ftype if ftype not in ("string", "text") else "length"])
            else:
                kw[key] = parsed
        lo, hi = kw.get("min"), kw.get("max")
        if lo is not None and hi is not None and lo > hi:
            self.err("SCHEMA-E017", body.where("min"), f"{path}.min",
                     f"min {lo} is larger than max {hi}", "min <= max")

    @staticmethod
    def typed(value: Any, kind: str) -> Any:
        if isinstance(value, bool):
            return value if kind == "boolean" else _BAD
        if kind == "length":
            return value if isinstance(value, int) and 0 <= value <= 1_000_000 else _BAD
        if kind == "integer":
            return value if isinstance(value, int) else _BAD
        if kind == "decimal":
            if isinstance(value, (int, float, str)):
                try:
                    return decimal.Decimal(str(value))
                except decimal.InvalidOperation:
                    return _BAD
            return _BAD
        if kind in ("date", "datetime"):
            if isinstance(value, dt.datetime):
                return value if kind == "datetime" else value.date()
            if isinstance(value, dt.date):
                return value if kind == "date" else dt.datetime.combine(value, dt.time())
            if isinstance(value, str):
                try:
                    parsed = dt.datetime.fromisoformat(value)
                except ValueError:
                    return _BAD
                return parsed.date() if kind == "date" else parsed
            return _BAD
        if kind in ("string", "text", "enum"):
            return value if isinstance(value, str) else _BAD
        if kind == "boolean":
            return _BAD
        return _BAD

    def default(self, body: Node, path: str, ftype: str, kw: dict[str, Any]) -> Any:
        value = body["default"]
        where = body.where("default")
        if ftype in ("reference", "file"):
            self.err("SCHEMA-E011", where, f"{path}.default",
                     f"'default' does not apply to a {ftype} field", "no default")
            return None
        parsed = self.typed(value, ftype)
        if parsed is _BAD:
            self.err("SCHEMA-E020", where, f"{path}.default", f"{value!r} is not a {ftype}",
                     _TYPED_ALLOWED.get(ftype, ftype))
            return None
        if ftype == "enum" and kw.get("values") and parsed not in [v.value for v in kw["values"]]:
            self.err("SCHEMA-E020", where, f"{path}.default",
                     f"'{parsed}' is not one of the values",
                     f"one of {_choices(v.value for v in kw['values'])}")
            return None
        lo, hi = kw.get("min"), kw.get("max")
        if ftype in ("integer", "decimal", "date", "datetime") and (
            (lo is not None and parsed < lo) or (hi is not None and parsed > hi)
        ):
            self.err("SCHEMA-E020", where, f"{path}.default", f"{value} is outside min/max",
                     f"a value from {lo} to {hi}")
            return None
        return parsed

    def validators(self, body: Node, path: str) -> tuple[str, ...]:
        raw = body["validators"]
        if isinstance(raw, str):
            raw = [raw]
        if not isinstance(raw, list):
            self.expect(raw, list, body.where("validators"), f"{path}.validators")
            return ()
        out = []
        for i, name in enumerate(raw):
            where = raw.where(i) if isinstance(raw, Seq) else body.where("validators")
            if name not in VALIDATORS:
                self.err("SCHEMA-E016", where, f"{path}.validators[{i}]",
                         f"unknown validator '{name}'", f"one of {_choices(sorted(VALIDATORS))}")
            else:
                out.append(name)
        return tuple(out)

    def enum_values(self, body: Node, path: str) -> tuple[EnumValue, ...]:
        raw = body.get("values")
        where = body.where("values")
        if raw is None:
            self.err("SCHEMA-E012", body.where(), path, "an enum needs 'values'",
                     "a mapping of value -> label, e.g. {draft: 草稿}")
            return ()
        if not isinstance(raw, Node) or not raw:
            self.err("SCHEMA-E012", where, f"{path}.values", f"is {_kind(raw)}",
                     "a non-empty mapping of value -> label, e.g. {draft: 草稿}")
            return ()
        out = []
        for value, label in raw.items():
            if isinstance(label, str):
                out.append(EnumValue(value, Label(label, label)))
            elif isinstance(label, Node) and isinstance(raw, Node):
                out.append(EnumValue(value, self.label(raw, value, f"{path}.values", value)))
            else:
                self.err("SCHEMA-E012", raw.where(value), f"{path}.values.{value}",
                         f"label is {_kind(label)}", "text or {zh: ..., en: ...}")
        return tuple(out)

    def target(self, body: Node, key: str, path: str, module: str,
               known: dict[str, list[str]]) -> str | None:
        raw = body.get(key)
        if raw is None:
            self.err("SCHEMA-E004", body.where(), path, f"required key '{key}' is missing",
                     "an entity name, or module.Entity")
            return None
        if not self.expect(raw, str, body.where(key), f"{path}.{key}"):
            return None
        every = sorted(q for names in known.values() for q in names)
        if "." in raw:
            if raw in every:
                return raw
        else:
            matches = known.get(raw, [])
            local = f"{module}.{raw}"
            if local in matches:
                return local
            if len(matches) == 1:
                return matches[0]
        self.err("SCHEMA-E013", body.where(key), f"{path}.{key}", f"unknown entity '{raw}'",
                 f"one of {_choices(every)}")
        return None

    def required_if_raw(self, body: Node, path: str) -> RequiredIf | None:
        raw = body["required_if"]
        at = f"{path}.required_if"
        if isinstance(raw, str):
            return RequiredIf(raw, ())
        if not self.expect(raw, dict, body.where("required_if"), at):
            return None
        self.keys(raw, REQUIRED_IF_KEYS, at, required=("field",))
        other = raw.get("field")
        if not isinstance(other, str):
            return None
        if "in" in raw:
            values = raw["in"]
            if not self.expect(values, list, raw.where("in"), f"{at}.in"):
                return None
            return RequiredIf(other, tuple(values))
        if "equals" in raw:
            return RequiredIf(other, (raw["equals"],))
        return RequiredIf(other, ())

    # -- cross-field checks within an entity -----------------------------------------------
    def shadowing(self, fields: list[Field], raw: Any, path: str) -> None:
        names = {f.name for f in fields}
        for f in fields:
            derived = [f"{f.name}_id"] if f.type == "reference" else []
            if f.type == "file":
                derived = [f"{f.name}_name", f"{f.name}_size", f"{f.name}_file"]
            for extra in derived:
                if extra in names:
                    self.err("SCHEMA-E022", raw.where(extra), f"{path}.fields.{extra}",
                             f"'{extra}' is used by the {f.type} field '{f.name}'",
                             "another field name")

    def computed(self, fields: list[Field], raw: Any, path: str) -> None:
        # Names of fields that failed their own checks still count as known here, so one
        # mistake is not reported twice.
        built = {f.name: f for f in fields}
        readable = [name for name in raw if name not in built
                    or (built[name].is_column and built[name].type != "file")]
        for f in fields:
            if f.type != "computed" or not f.expr:
                continue
            at = f"{path}.fields.{f.name}.expr"
            try:
                compile_expr(f.expr, readable)
            except ExprError as exc:
                allowed = exc.allowed.rstrip(".")
                self.err("SCHEMA-E015", raw[f.name].where("expr"), at, exc.message.rstrip("."),
                         allowed[:1].lower() + allowed[1:])

    def required_if(self, fields: list[Field], raw: Any, path: str) -> None:
        names = {f.name for f in fields if f.is_column}
        for f in fields:
            if f.required_if and f.required_if.field not in names - {f.name}:
                self.err("SCHEMA-E019", raw[f.name].where("required_if"),
                         f"{path}.fields.{f.name}.required_if",
                         f"unknown field '{f.required_if.field}'",
                         f"one of {_choices(sorted(names - {f.name}))}")

    def children(self, modules: list[Module]) -> None:
        index = {e.qualified: e for m in modules for e in m.entities}
        raw_by_entity = {}
        for module in self.raw_modules:
            for name, body in module.entities:
                raw_by_entity[f"{module.key}.{name}"] = body
        for entity in index.values():
            for f in entity.fields:
                if f.type != "child" or not f.entity or f.entity not in index:
                    continue
                line = index[f.entity]
                if not any(lf.type == "reference" and lf.to == entity.qualified
                           for lf in line.fields):
                    body = raw_by_entity[entity.qualified]["fields"][f.name]
                    self.err("SCHEMA-E014", body.where("entity"),
                             f"entities.{entity.key}.fields.{f.name}.entity",
                             f"'{line.key}' has no reference field to '{entity.key}'",
                             f"a field of type reference with to: {entity.key} in {line.key}")


class _RawModule:
    def __init__(self, key: str, label: Label, icon: str, order: int,
                 entities: list[tuple[str, Node]], node: Node):
        self.key, self.label, self.icon, self.order = key, label, icon, order
        self.entities, self.node = entities, node


class _Bad:
    pass


_BAD = _Bad()
_TYPED_ALLOWED = {
    "length": "a whole number of characters (0 or more)",
    "integer": "a whole number",
    "decimal": "a number",
    "date": "a date like 2026-01-31",
    "datetime": "a date and time like 2026-01-31T08:00:00",
    "string": "text",
    "text": "text",
    "enum": "one of the enum values",
    "boolean": "true or false",
}


def index_name(table: str, columns: list[str], unique: bool) -> str:
    prefix = "uq" if unique else "ix"
    name = f"{prefix}_{table}_{'_'.join(columns)}"
    if len(name) <= 63:
        return name
    digest = hashlib.sha1(name.encode()).hexdigest()[:8]
    return f"{name[:54]}_{digest}"


def check(loaded: Loaded, hooks: Mapping[str, HookCatalogue] | None = None
          ) -> tuple[Spec | None, list[Problem]]:
    checker = Checker(loaded, hooks)
    spec = checker.run()
    order = {doc.path: i for i, doc in enumerate(loaded.documents)}
    problems = sorted(checker.problems,
                      key=lambda p: (order.get(p.location.file, len(order)), p.location.line))
    return spec, problems
