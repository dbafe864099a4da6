"""`completeness:` of an entity (填报进度): the period field, the states that count as filed,
the units expected to file, what makes a filing on time, who sees it, the reminder's text."""

from __future__ import annotations

import datetime as dt

from generator.checks.context import Context, listing
from generator.checks.drafts import EntityDraft
from generator.spec import FILED_AT, PLACEHOLDER, Completeness

COMPLETENESS_KEYS = ("label", "period", "filed", "expected", "window", "due", "roles",
                     "remind")
EXPECTED_KEYS = ("kind",)
UNIT_KINDS = ("institution", "enterprise")
REMIND_WORDS = ("period", "entity", "sender")


def read_completeness(ctx: Context, entity: EntityDraft) -> Completeness | None:
    body, path = entity.node, f"{entity.path}.completeness"
    node = ctx.mapping(body, "completeness", path)
    if node is None:
        return None
    ctx.keys(node, COMPLETENESS_KEYS, path, required=("period", "filed", "expected", "roles"))
    ok = True
    flow = entity.workflow
    if flow is None or entity.node.get("scope") is None:
        ctx.err("SCHEMA-E019", body.where("completeness"), path,
                "filing completeness needs a workflow and rows that belong to organisations",
                "workflow: … and scope: … on the entity")
        return None
    if entity.field(FILED_AT) is not None:
        ctx.err("SCHEMA-E022", body.where("completeness"), path,
                f"'{FILED_AT}' is reserved for when a row was filed",
                "another name for the field")
        ok = False
    periods = sorted(f.name for f in entity.fields if f.stored and f.kind.groupable
                     and (f.kind.refers or f.kind.summable))
    period = node.get("period")
    if period not in periods:
        ctx.err("SCHEMA-E019", node.where("period"), f"{path}.period",
                f"'{period}' cannot be the period", f"one of {listing(periods) or '(none)'}")
        ok = False
    filed = []
    for state, at in ctx.names(node, "filed", path):
        if state not in flow.state_keys:
            ctx.err("SCHEMA-E027", at, f"{path}.filed", f"unknown state '{state}'",
                    f"one of {listing(flow.state_keys)}")
            ok = False
        filed.append(state)
    expected = ctx.mapping(node, "expected", f"{path}.expected")
    kind = None
    if expected is not None:
        ctx.keys(expected, EXPECTED_KEYS, f"{path}.expected", required=("kind",))
        kind = ctx.choice(expected, "kind", f"{path}.expected", UNIT_KINDS)
    roles = tuple(r for r, at in ctx.names(node, "roles", path)
                  if ctx.known_role(r, at, f"{path}.roles"))
    window = node.get("window")
    if window is not None and not ctx.expect(window, str, node.where("window"),
                                             f"{path}.window"):
        window = None
    due = node.get("due")
    if due is not None and not _due_ok(due):
        ctx.err("SCHEMA-E017", node.where("due"), f"{path}.due", f"'{due}' is not a day",
                "MM-DD in quotes, e.g. \"03-31\" (of the year after the period)")
        ok = False
    remind = ctx.label(node, "remind", path, "") if "remind" in node else None
    for text in (remind.zh, remind.en) if remind else ():
        for name in PLACEHOLDER.findall(text):
            if name not in REMIND_WORDS:
                ctx.err("SCHEMA-E019", node.where("remind"), f"{path}.remind",
                        f"the reminder names '{{{name}}}'", f"one of {listing(REMIND_WORDS)}")
                ok = False
    if not ok or kind is None or not filed:
        return None
    return Completeness(ctx.label(node, "label", path, "填报进度"), str(period), tuple(filed),
                        kind, roles, window, due, remind)


def _due_ok(due: object) -> bool:
    if not isinstance(due, str):
        return False
    try:
        dt.date.fromisoformat(f"2024-{due}")  # a leap year: 02-29 is a day
    except ValueError:
        return False
    return True
