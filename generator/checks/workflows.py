"""Workflows: states, transitions (who fires them, from where to where, what they need),
变更 (changes of locked records) and the review log. Names of other entities in a
transition's `needs` and `when` stay names here; references.py resolves them."""

from __future__ import annotations

from typing import Any

from generator.checks.context import Context, listing
from generator.checks.context import where as located
from generator.checks.drafts import EntityDraft, FieldDraft, TransitionDraft, WorkflowDraft
from generator.checks.features import read_guard
from generator.checks.fields import FIELD_NAME
from generator.loader import Node
from generator.permissions import BUILT_IN
from generator.spec import NOTIFY_TARGETS, PLACEHOLDER, Label, Notify, State, TimeLimit
from generator.working_days import CALENDARS

WORKFLOW_KEYS = ("field", "initial", "states", "transitions", "changes", "log_field",
                 "state_label")
CHANGE_KEYS = ("states", "roles", "approvers")
STATE_KEYS = ("label", "edit", "delete", "hidden_from", "correction", "time_limit",
              "todo_for")
LIMIT_KEYS = ("days", "calendar")
TRANSITION_KEYS = ("label", "from", "to", "roles", "reason", "requires", "batch", "all",
                   "needs", "when", "todo", "notify", "extend")
NOTIFY_KEYS = ("to", "roles", "of", "message")
# what a message template may name besides the row's fields
NOTIFY_WORDS = ("reason", "actor", "action")



class Workflows:
    """The workflows of every file: the good ones, and names defined with problems."""

    def __init__(self) -> None:
        self.found: dict[str, WorkflowDraft] = {}
        self.broken: set[str] = set()


def read_workflows(ctx: Context, documents: list[Any]) -> Workflows:
    out = Workflows()
    for data in documents:
        raw = ctx.mapping(data, "workflows", "workflows")
        if raw is None:
            continue
        for key, body in raw.items():
            path = f"workflows.{key}"
            if key in out.found or key in out.broken:
                ctx.err("SCHEMA-E006", raw.where(key), path,
                        f"workflow '{key}' is defined twice", "a workflow name used once")
            elif ctx.expect(body, dict, raw.where(key), path):
                flow = _workflow(ctx, key, body, path)
                if flow is None:
                    out.broken.add(key)
                else:
                    out.found[key] = flow
            else:
                out.broken.add(key)
    return out


def _states(ctx: Context, body: Node, path: str) -> list[State]:
    states: list[State] = []
    raw = body.get("states")
    if not isinstance(raw, Node):
        if "states" in body:
            ctx.expect(raw, dict, body.where("states"), f"{path}.states")
        return states
    for name, spec in raw.items():
        at = f"{path}.states.{name}"
        if isinstance(spec, str):
            states.append(State(name, Label(spec, spec)))
            continue
        if not ctx.expect(spec, dict, raw.where(name), at):
            continue
        ctx.keys(spec, STATE_KEYS, at)
        hidden = [r for r, where in ctx.names(spec, "hidden_from", at)
                  if ctx.known_role(r, where, f"{at}.hidden_from")]
        todo_for = spec.get("todo_for")
        if todo_for is not None and not (isinstance(todo_for, str)
                                         and FIELD_NAME.match(todo_for)):
            ctx.err("SCHEMA-E017", spec.where("todo_for"), f"{at}.todo_for",
                    f"{todo_for!r} is not allowed", "the name of a `user` field")
            todo_for = None
        states.append(State(name, ctx.label(spec, "label", at, name),
                            ctx.flag(spec, "edit", at), ctx.flag(spec, "delete", at),
                            tuple(hidden), ctx.flag(spec, "correction", at),
                            _time_limit(ctx, spec, at), todo_for))
    calendars = {s.time_limit.calendar for s in states if s.time_limit is not None}
    if len(calendars) > 1:
        ctx.err("SCHEMA-E017", raw.where(), f"{path}.states", "time limits mix working and "
                "calendar days", "one calendar for every time_limit of a workflow")
    return states


def _time_limit(ctx: Context, spec: Node, at: str) -> TimeLimit | None:
    node = ctx.mapping(spec, "time_limit", f"{at}.time_limit")
    if node is None:
        return None
    ctx.keys(node, LIMIT_KEYS, f"{at}.time_limit", required=("days",))
    calendar = ctx.choice(node, "calendar", f"{at}.time_limit", CALENDARS) or "working"
    return TimeLimit(ctx.integer(node, "days", f"{at}.time_limit", 15, 1, 3650), calendar)


def _workflow(ctx: Context, key: str, body: Node, path: str) -> WorkflowDraft | None:
    ctx.keys(body, WORKFLOW_KEYS, path, required=("states", "transitions"))
    column = body.get("field", "state")
    if not isinstance(column, str) or not FIELD_NAME.match(column):
        ctx.err("SCHEMA-E005", body.where("field"), f"{path}.field",
                f"'{column}' is not allowed", "a field name")
        column = "state"
    states = _states(ctx, body, path)
    names = [s.key for s in states]
    initial = body.get("initial", names[0] if names else None)
    if names and (not isinstance(initial, str) or initial not in names):
        ctx.err("SCHEMA-E027", body.where("initial"), f"{path}.initial",
                f"unknown state '{initial}'", f"one of {listing(names)}")
    broken: set[str] = set()
    limited = {s.key for s in states if s.time_limit is not None}
    transitions = _transitions(ctx, body, path, names, broken, limited)
    _notify_sources(ctx, transitions, broken)
    changes = _changes(ctx, body, path, names)
    log_field = body.get("log_field")
    if log_field is not None and not ctx.expect(log_field, str, body.where("log_field"),
                                                f"{path}.log_field"):
        log_field = None
    if not names or initial not in names:
        return None
    kw = {"key": key, "field": column, "initial": initial, "states": tuple(states),
          "change_states": changes["states"], "change_roles": changes["roles"],
          "change_approvers": changes["approvers"], "log_field": log_field,
          "state_title": ctx.label(body, "state_label", path, "状态")
          if "state_label" in body else None}
    return WorkflowDraft(key, kw, transitions, body, path, broken)


def _transitions(ctx: Context, body: Node, path: str, names: list[str], broken: set[str],
                 limited: set[str]) -> list[TransitionDraft]:
    out: list[TransitionDraft] = []
    raw = body.get("transitions")
    if not isinstance(raw, Node):
        if "transitions" in body:
            ctx.expect(raw, dict, body.where("transitions"), f"{path}.transitions")
        return out
    for name, spec in raw.items():
        at = f"{path}.transitions.{name}"
        if not FIELD_NAME.match(name) or name in BUILT_IN:
            ctx.err("SCHEMA-E005", raw.where(name), at, f"'{name}' is not allowed",
                    "lower-case letters, digits and _, not one of " + listing(BUILT_IN))
            broken.add(name)
            continue
        if not ctx.expect(spec, dict, raw.where(name), at):
            broken.add(name)
            continue
        ctx.keys(spec, TRANSITION_KEYS, at, required=("from", "to", "roles"))
        sources = spec.get("from", [])
        sources = [sources] if isinstance(sources, str) else sources
        bad = ([s for s in sources if not isinstance(s, str) or s not in names]
               if isinstance(sources, list) else [sources])
        target = spec.get("to")
        if not isinstance(target, str) or target not in names:
            bad.append(target)
        for state in bad if names else ():  # no states at all: reported as such
            ctx.err("SCHEMA-E027", spec.where("from" if state is not target else "to"),
                    at, f"unknown state '{state}'", f"one of {listing(names)}")
        roles = [r for r, where in ctx.names(spec, "roles", at)
                 if ctx.known_role(r, where, f"{at}.roles")]
        reason = ctx.flag(spec, "reason", at)
        batch = ctx.flag(spec, "batch", at)
        every = ctx.flag(spec, "all", at)
        if reason and every:
            ctx.err("SCHEMA-E027", spec.where("all"), f"{at}.all",
                    "a transition that needs a reason cannot run on all rows at once",
                    "all: false, or no reason")
        guards = {kind: read_guard(ctx, spec, at, kind) for kind in ("needs", "when")}
        if reason and batch:
            ctx.err("SCHEMA-E027", spec.where("batch"), f"{at}.batch",
                    "a transition that needs a reason cannot run on many rows at once",
                    "batch: false, or no reason")
        extend = ctx.flag(spec, "extend", at)
        if extend and not bad:
            _check_extend(ctx, spec, at, sources, target, limited)
        if bad:
            broken.add(name)
            continue
        kw = {"key": name, "label": ctx.label(spec, "label", at, name),
              "sources": tuple(sources), "target": target, "roles": tuple(roles),
              "reason": reason, "requires": tuple(n for n, _ in ctx.names(spec, "requires", at)),
              "batch": batch, "all": every, "todo": ctx.flag(spec, "todo", at, True),
              "notify": _notify(ctx, spec, at), "extend": extend}
        out.append(TransitionDraft(kw, spec, at, guards))
    return out


def _check_extend(ctx: Context, spec: Node, at: str, sources: list[str], target: str,
                  limited: set[str]) -> None:
    """`extend: true` (延长办理期限) moves a row's due date on by the target state's limit,
    so both ends must have one."""
    if target not in limited:
        ctx.err("SCHEMA-E027", spec.where("extend"), f"{at}.extend",
                f"state '{target}' has no time_limit to extend by",
                "a `to` state with a time_limit, or no extend")
    for state in sources:
        if state not in limited:
            ctx.err("SCHEMA-E027", spec.where("extend"), f"{at}.extend",
                    f"state '{state}' has no due date to extend",
                    "`from` states with a time_limit, or no extend")


def _notify(ctx: Context, spec: Node, at: str) -> tuple[Notify, ...]:
    """`notify:` of a transition: a list of {to, roles, of, message}."""
    raw = spec.get("notify")
    if raw is None or not ctx.expect(raw, list, spec.where("notify"), f"{at}.notify"):
        return ()
    out = []
    for index, item in enumerate(raw):
        path = f"{at}.notify[{index}]"
        if not ctx.expect(item, dict, located(raw, index), path):
            continue
        ctx.keys(item, NOTIFY_KEYS, path, required=("to", "message"))
        to = ctx.choice(item, "to", path, NOTIFY_TARGETS)
        roles = tuple(r for r, at_role in ctx.names(item, "roles", path)
                      if ctx.known_role(r, at_role, f"{path}.roles"))
        of = item.get("of")
        if to == "actor" and not isinstance(of, str):
            ctx.err("SCHEMA-E004", item.where(), path, "required key 'of' is missing",
                    "the transition whose actor is told: of: <transition>")
            continue
        if to is None or "message" not in item:
            continue
        out.append(Notify(to, ctx.label(item, "message", path, ""), roles,
                          of if to == "actor" else None))
    return tuple(out)


def _notify_sources(ctx: Context, transitions: list[TransitionDraft], broken: set[str]
                    ) -> None:
    """`of:` of `to: actor` names a transition of the same workflow."""
    known = {t.key for t in transitions} | broken
    for t in transitions:
        for index, notify in enumerate(t.kw["notify"]):
            if notify.of is not None and notify.of not in known:
                ctx.err("SCHEMA-E027", t.node.where("notify"), f"{t.path}.notify[{index}].of",
                        f"unknown transition '{notify.of}'", f"one of {listing(sorted(known))}")


def notify_placeholders(ctx: Context, entity: EntityDraft, flow: WorkflowDraft) -> None:
    """The `{name}` of every message template is a field of the entity (or a NOTIFY_WORDS)."""
    names = {f.name for f in entity.fields} | set(NOTIFY_WORDS) | entity.broken_fields
    if entity.scoped:
        names.add("org")
    for t in flow.transitions:
        for index, notify in enumerate(t.kw["notify"]):
            for text in (notify.message.zh, notify.message.en):
                for name in PLACEHOLDER.findall(text):
                    if name not in names:
                        ctx.err("SCHEMA-E019", entity.node.where("workflow"),
                                f"{t.path}.notify[{index}].message",
                                f"the message names '{{{name}}}', which {entity.path} does "
                                "not have", f"one of {listing(sorted(names))}")


def _changes(ctx: Context, body: Node, path: str, names: list[str]
             ) -> dict[str, tuple[str, ...]]:
    changes: dict[str, tuple[str, ...]] = {"states": (), "roles": (), "approvers": ()}
    at = f"{path}.changes"
    raw = ctx.mapping(body, "changes", at)
    if raw is None:
        return changes
    ctx.keys(raw, CHANGE_KEYS, at, required=("states", "roles", "approvers"))
    states = ctx.names(raw, "states", at)
    for state, where in states:
        if state not in names:
            ctx.err("SCHEMA-E027", where, f"{at}.states", f"unknown state '{state}'",
                    f"one of {listing(names)}")
    changes["states"] = tuple(s for s, _ in states if s in names)
    for key in ("roles", "approvers"):
        changes[key] = tuple(r for r, where in ctx.names(raw, key, at)
                             if ctx.known_role(r, where, f"{at}.{key}"))
    return changes


def entity_workflow(ctx: Context, entity: EntityDraft, flows: Workflows) -> None:
    """`workflow: key` of an entity: the workflow, and what it asks of the entity's fields."""
    body, path = entity.node, entity.path
    key = body.get("workflow")
    if key is None:
        return
    flow = flows.found.get(key) if isinstance(key, str) else None
    if flow is None:
        if not isinstance(key, str) or key not in flows.broken:
            ctx.err("SCHEMA-E027", body.where("workflow"), f"{path}.workflow",
                    f"unknown workflow '{key}'",
                    f"one of {listing(sorted(flows.found)) or '(none defined)'}")
        return
    names = {f.name for f in entity.fields}
    if flow.field in names:
        ctx.err("SCHEMA-E022", body.where("workflow"), f"{path}.workflow",
                f"the workflow keeps its state in '{flow.field}', which is also a field",
                "another field name, or `field:` in the workflow")
    for t in flow.transitions:
        for name in t.kw["requires"]:
            if name not in names:
                ctx.err("SCHEMA-E019", body.where("workflow"), f"{path}.workflow",
                        f"transition '{t.key}' requires unknown field '{name}'",
                        f"one of {listing(sorted(names))}")
    if flow.log_field is not None:
        found = entity.field(flow.log_field)
        if found is None or not found.kind.multiline:
            ctx.err("SCHEMA-E019", body.where("workflow"), f"{path}.workflow",
                    f"the workflow writes its review log into '{flow.log_field}', which is "
                    "not a text field here", f"a field {flow.log_field}: {{type: text}}")
    for state in flow.kw["states"]:
        if state.todo_for is None:
            continue
        found = entity.field(state.todo_for)
        if found is None or not found.kind.person:
            ctx.err("SCHEMA-E019", body.where("workflow"), f"{path}.workflow",
                    f"state '{state.key}' is 待办 of the person in '{state.todo_for}', which "
                    "is not a user field here",
                    f"a field {state.todo_for}: {{type: user, roles: [...]}}")
    notify_placeholders(ctx, entity, flow)
    entity.workflow = flow
    _due_field(ctx, entity, flow, names)


def _due_field(ctx: Context, entity: EntityDraft, flow: WorkflowDraft, names: set[str]
               ) -> None:
    """States with a time_limit: the row keeps its due date in `<state field>_due`."""
    limits = [s.time_limit for s in flow.kw["states"] if s.time_limit is not None]
    if not limits:
        return
    name = f"{flow.field}_due"
    if name in names:
        ctx.err("SCHEMA-E022", entity.node.where("workflow"), f"{entity.path}.workflow",
                f"the workflow keeps the due date of time-limited states in '{name}', which "
                "is also a field", "another field name")
        return
    kw = {"name": name, "type": "deadline", "label": Label("办理期限", "Due"),
          "format": limits[0].calendar}
    entity.fields.append(FieldDraft(kw, entity.node, entity.node.where("workflow")))
