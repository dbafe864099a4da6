"""A module's `schedules:`: name, cron expression, an action of the catalogue
(generator/schedules.py) and its parameters — every mistake at once, with its place."""

from __future__ import annotations

import re
from typing import Any

from generator.checks.context import Context, kind_of, listing, where
from generator.loader import Node
from generator.schedules import ACTIONS
from generator.spec import Schedule

SCHEDULE_KEYS = ("name", "label", "cron", "action", "params")
SCHEDULE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,50}$")


def read_schedules(ctx: Context, module: str, data: Node) -> tuple[Schedule, ...]:
    raw = data.get("schedules")
    if raw is None:
        return ()
    if not isinstance(raw, list):
        ctx.err("SCHEMA-E002", data.where("schedules"), "schedules", f"is {kind_of(raw)}",
                "a list of schedules")
        return ()
    found: list[Schedule] = []
    seen: set[str] = set()
    for index, item in enumerate(raw):
        path = f"schedules[{index}]"
        if not ctx.expect(item, dict, where(raw, index), path):
            continue
        schedule = _read(ctx, module, item, path)
        name = item.get("name")
        if isinstance(name, str) and name in seen:
            ctx.err("SCHEMA-E006", item.where("name"), f"{path}.name",
                    f"schedule '{name}' is defined twice", "one schedule per name")
            continue
        seen.add(str(name))
        if schedule is not None:
            found.append(schedule)
    return tuple(found)


def _read(ctx: Context, module: str, item: Node, path: str) -> Schedule | None:
    ctx.keys(item, SCHEDULE_KEYS, path, required=("name", "cron", "action"))
    ok = True
    name = item.get("name")
    if name is not None and (not isinstance(name, str) or not SCHEDULE_NAME.match(name)):
        ctx.err("SCHEMA-E005", item.where("name"), f"{path}.name", f"'{name}' is not allowed",
                "lower-case letters, digits and _ starting with a letter")
        ok = False
    cron = item.get("cron")
    if cron is not None and (not isinstance(cron, str) or not _valid_cron(cron)):
        ctx.err("SCHEMA-E045", item.where("cron"), f"{path}.cron",
                f"'{cron}' is not a cron expression",
                "five fields: minute hour day-of-month month day-of-week, e.g. '0 2 * * *'")
        ok = False
    action_name = item.get("action")
    action = ACTIONS.get(action_name) if isinstance(action_name, str) else None
    if action_name is not None and action is None:
        ctx.err("SCHEMA-E046", item.where("action"), f"{path}.action",
                f"unknown action '{action_name}'", f"one of {listing(sorted(ACTIONS))}")
        ok = False
    params: dict[str, Any] = {}
    raw_params = item.get("params", {})
    if not ctx.expect(raw_params, dict, item.where("params"), f"{path}.params"):
        ok = False
    elif action is not None:
        params, problems = action.check(raw_params)
        for key, problem in problems.items():
            at = raw_params.where(key) if isinstance(raw_params, Node) and key in raw_params \
                else item.where("params")
            ctx.err("SCHEMA-E047", at, f"{path}.params.{key}", problem)
            ok = False
    if not ok or name is None or cron is None or action is None:
        return None
    label = ctx.label(item, "label", path, name)
    return Schedule(module, name, label, cron, action.name, tuple(sorted(params.items())))


def _valid_cron(text: str) -> bool:
    from croniter import croniter  # only for a schema with schedules

    return len(text.split()) == 5 and bool(croniter.is_valid(text))
