"""Roles (who is who) and grants (what a role may do with an entity, in which range, with
which fields read-only or hidden)."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from generator.checks.context import Context, listing
from generator.loader import Location, Node, Seq
from generator.permissions import ACTIONS
from generator.spec import ADMIN_DUTIES, LEVELS, SCOPES, USER_CLASSES, Grant, Role

ROLE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,40}$")
ROLE_KEYS = ("label", "level", "user_class", "admin", "issues")
GRANT_KEYS = ("actions", "scope", "readonly", "hidden", "assigned")


def read_roles(ctx: Context, documents: list[Any]) -> None:
    """Every `roles:` of every file into ctx.roles; names defined with a problem of their own
    go into ctx.broken_roles (so their uses are not reported as unknown as well)."""
    defined: dict[str, Location] = {}
    issuing: dict[str, Node] = {}
    for data in documents:
        raw = ctx.mapping(data, "roles", "roles")
        if raw is None:
            continue
        for key, body in raw.items():
            path = f"roles.{key}"
            if not isinstance(key, str) or not ROLE_NAME.match(key):
                ctx.err("SCHEMA-E005", raw.where(key), path, f"role name '{key}' is not "
                        "allowed", "lower-case letters, digits and _ starting with a letter")
                continue
            if key in defined:
                ctx.err("SCHEMA-E006", raw.where(key), path,
                        f"role '{key}' is already defined at {defined[key]}",
                        "a role name used once")
                continue
            defined[key] = raw.where(key)
            role = _role(ctx, key, body, raw.where(key), path)
            if role is None:
                ctx.broken_roles.add(key)
            else:
                ctx.roles[key] = role
                issuing[key] = body
    for key, body in issuing.items():
        _issues(ctx, ctx.roles[key], body, f"roles.{key}")


def _issues(ctx: Context, role: Role, body: Node, path: str) -> None:
    """`issues: [roles]`: the accounts a role issues (账号发放), once every role is known. Each
    must be a role without an administrator duty that lives at or below the issuer's level."""
    out = []
    for name, at in ctx.names(body, "issues", path):
        if not ctx.known_role(name, at, f"{path}.issues"):
            continue
        issued = ctx.roles[name]
        below = max(LEVELS.index(lv) for lv in issued.levels) >= role.rank
        if issued.admin is not None or not below or name == role.key:
            ctx.err("SCHEMA-E017", at, f"{path}.issues", f"'{name}' is not allowed",
                    "other roles without an `admin` duty that live at or below "
                    f"{listing(role.levels)}")
            continue
        out.append(name)
    if out:
        ctx.roles[role.key] = replace(role, issues=tuple(out))


def _role(ctx: Context, key: str, body: Any, at: Location, path: str) -> Role | None:
    if not ctx.expect(body, dict, at, path):
        return None
    ctx.keys(body, ROLE_KEYS, path, required=("level",))
    levels = body.get("level", [])
    levels = [levels] if isinstance(levels, str) else levels
    if not isinstance(levels, list) or not levels or any(
            not isinstance(lv, str) or lv not in LEVELS for lv in levels):
        if "level" in body:
            ctx.err("SCHEMA-E017", body.where("level"), f"{path}.level",
                    f"'{body['level']}' is not allowed", f"one or a list of {listing(LEVELS)}")
        return None
    user_class = ctx.choice(body, "user_class", path, USER_CLASSES)
    admin = ctx.choice(body, "admin", path, ADMIN_DUTIES)
    return Role(key, ctx.label(body, "label", path, key), tuple(levels), user_class, admin)


def read_grants(ctx: Context, body: Node, path: str, fields: set[str], scope: str | None
                ) -> tuple[Grant, ...]:
    """`permissions: {role: [actions] or {actions, scope, readonly, hidden}}`."""
    raw = ctx.mapping(body, "permissions", f"{path}.permissions")
    if raw is None:
        return ()
    names = fields | ({"org"} if scope is not None else set())
    out = []
    for role, spec in raw.items():
        at = f"{path}.permissions.{role}"
        if not ctx.known_role(str(role), raw.where(role), at):
            continue
        if isinstance(spec, (list, str)):
            node = Node({"actions": spec})
            node.location, node.key_locations = raw.where(role), {"actions": raw.where(role)}
            spec = node
        if not ctx.expect(spec, dict, raw.where(role), at):
            continue
        ctx.keys(spec, GRANT_KEYS, at, required=("actions",))
        actions = spec.get("actions", [])
        if actions == "all":
            actions = list(ACTIONS)
        if not isinstance(actions, list):
            ctx.expect(actions, list, spec.where("actions"), f"{at}.actions")
            continue
        good = []
        for i, action in enumerate(actions):
            if not isinstance(action, str) or action not in ACTIONS:
                place = actions.where(i) if isinstance(actions, Seq) else spec.where("actions")
                ctx.err("SCHEMA-E024", place, f"{at}.actions[{i}]",
                        f"unknown action '{action}'", f"one of {listing(ACTIONS)} or 'all'")
            else:
                good.append(action)
        grant_scope = ctx.choice(spec, "scope", at, SCOPES) or scope or "all"
        readonly = ctx.pick(spec, "readonly", at, names)
        hidden = ctx.pick(spec, "hidden", at, names)
        assigned = ctx.pick(spec, "assigned", at, names)
        out.append(Grant(str(role), tuple(dict.fromkeys(good)), grant_scope, readonly, hidden,
                         assigned))
    return tuple(out)
