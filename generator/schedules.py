"""The catalogue of scheduled actions: each action's name and parameters (no Flask here).

A module's `schedules:` names actions from this catalogue; `schema check` checks each
schedule's cron expression and parameters against it (generator/checks/schedules.py), and the
app runs the action's function (app/jobs/actions.py, which must cover every name here).
To add an action: `register(Action(...))` below (or from a module imported before the
schema is loaded), then its function in app/jobs/actions.py, then docs/schema.md.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

KINDS = {"bool": "yes/no (true or false)", "int": "a whole number", "text": "text",
         "date": "a date YYYY-MM-DD"}


@dataclass(frozen=True)
class Param:
    name: str
    kind: str  # one of KINDS
    required: bool = False
    default: Any = None
    minimum: int | None = None  # for int

    def read(self, value: Any) -> tuple[Any, str | None]:
        """(the value, or None and what is wrong with it)."""
        if self.kind == "bool":
            return (value, None) if isinstance(value, bool) else (None, KINDS["bool"])
        if self.kind == "int":
            if not isinstance(value, int) or isinstance(value, bool):
                return None, KINDS["int"]
            if self.minimum is not None and value < self.minimum:
                return None, f"a whole number of at least {self.minimum}"
            return value, None
        if self.kind == "date":
            if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
                return value.isoformat(), None
            try:
                return dt.date.fromisoformat(str(value)).isoformat(), None
            except ValueError:
                return None, KINDS["date"]
        return (value, None) if isinstance(value, str) and value else (None, KINDS["text"])


@dataclass(frozen=True)
class Action:
    name: str
    params: tuple[Param, ...] = ()

    def check(self, raw: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
        """(the parameters with defaults filled in, {parameter: what is wrong}) — every
        problem at once."""
        values: dict[str, Any] = {}
        problems: dict[str, str] = {}
        known = {p.name: p for p in self.params}
        for key in raw:
            if key not in known:
                problems[key] = "unknown parameter; expected one of " + (
                    ", ".join(known) or "none")
        for param in self.params:
            if param.name not in raw:
                if param.required:
                    problems[param.name] = "required parameter is missing"
                else:
                    values[param.name] = param.default
                continue
            value, wrong = param.read(raw[param.name])
            if wrong is not None:
                problems[param.name] = f"expected {wrong}"
            else:
                values[param.name] = value
        return values, problems


ACTIONS: dict[str, Action] = {}


def register(action: Action) -> Action:
    ACTIONS[action.name] = action
    return action


# `flask accounts sweep`: disable accounts unused for the password policy's unused_days and
# (with initial_deadline) those that never changed their initial password; sign out idle
# sessions nobody came back to.
register(Action("accounts_sweep", (Param("initial_deadline", "date"),
                                   Param("dry_run", "bool", default=False))))

# Year-end grading and the like: set `field` of every row of `entity` (matching the
# expression `where`, when given) to the expression `value` over the row's fields; the names
# are checked against the entity once every module is read (generator/checks/auto_rules.py).
register(Action("update_where", (Param("entity", "text", required=True),
                                 Param("field", "text", required=True),
                                 Param("value", "text", required=True),
                                 Param("where", "text"))))
# 消息中心: send the pending e-mail and SMS deliveries (app/messages/channels.py).
register(Action("deliver_messages", (Param("limit", "int", default=10_000, minimum=1),)))
# 催报 before a window closes: remind the units that have not filed a batch whose reporting
# window (the `window` of an entity's completeness) closes within `days`, once a day.
register(Action("remind_window_closing", (Param("days", "int", default=3, minimum=1),)))
# 办理期限 reminders: rows in a state with a time_limit due within `days` days (today
# included) tell who may move them on (app/messages/time_limits.py), once a day per row.
register(Action("remind_time_limits", (Param("days", "int", default=2, minimum=0),)))

# Every rollup recomputed and stored (as `flask schema verify-rollups --fix`): on 1 January a
# rollup counting `this_year` starts the new year from the rows of the new year.
register(Action("refresh_rollups"))

# 进销存 关联匹配: every entity with `matching:` (or only `entity`) matched again, set-based
# in SQL (app/matching.py); the entity is checked once every module is read
# (generator/checks/matching.py).
register(Action("match_records", (Param("entity", "text"),)))
