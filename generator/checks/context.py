"""What every check needs: where a problem goes, and small readers of YAML values that
report the value's mistakes as they read it.

Each reader returns a usable value (the default when the written one is wrong), so one
mistake never stops the checks of everything else.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from generator.loader import Location, Node, Seq
from generator.problems import Problem
from generator.spec import HookRef, Label
from generator.types import Reader

KIND_NAMES = {dict: "a mapping", list: "a list", str: "text", int: "a whole number",
              bool: "yes/no (true or false)"}
LABEL_KEYS = ("zh", "en")


class HookCatalogue(Protocol):
    """What the checks need to know of a hook type (the app's app.hooks.CATALOGUE)."""

    point: str

    def check_params(self, raw: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]: ...


def kind_of(value: Any) -> str:
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


def listing(items: Any) -> str:
    return ", ".join(str(i) for i in items)


def where(container: Any, key: Any = None) -> Location:
    if isinstance(container, (Node, Seq)):
        return container.where(key)
    return Location("?", 0)


class Context(Reader):
    """The problems found so far, and the readers that add to them."""

    def __init__(self, hooks: Mapping[str, HookCatalogue] | None = None):
        self.problems: list[Problem] = []
        self.hook_types = dict(hooks or {})
        self.roles: dict[str, Any] = {}  # role key -> Role (roles.py fills it)
        self.broken_roles: set[str] = set()  # defined, but with a problem of their own
        self.base = ""  # the root schema file's folder: files the schema names are found there

    # -- reporting ---------------------------------------------------------------------
    def err(self, code: str, where: Location, path: str, message: str, allowed: str = "") -> None:
        self.problems.append(Problem(code, where, path, message, allowed))

    def kind(self, value: Any) -> str:
        return kind_of(value)

    def expect(self, value: Any, kind: type, where: Location, path: str) -> bool:
        ok = isinstance(value, kind) and not (kind is int and isinstance(value, bool))
        if not ok:
            self.err("SCHEMA-E002", where, path, f"is {kind_of(value)}", KIND_NAMES[kind])
        return ok

    def mapping(self, node: Any, key: str, path: str) -> Node | None:
        """node[key] when it is a mapping (reported when it is something else)."""
        value = node.get(key) if isinstance(node, Node) else None
        if value is None:
            return None
        return value if self.expect(value, dict, node.where(key), path) else None

    def keys(self, node: Node, allowed: tuple[str, ...], path: str, required: tuple[str, ...] = ()
             ) -> None:
        for key in node:
            if key not in allowed:
                self.err("SCHEMA-E003", node.where(key), f"{path}.{key}".lstrip("."),
                         f"unknown key '{key}'", f"one of {listing(allowed)}")
        for key in required:
            if key not in node:
                self.err("SCHEMA-E004", node.where(), path or "(top)",
                         f"required key '{key}' is missing", f"a '{key}' entry")

    # -- small value readers -------------------------------------------------------------
    def label(self, node: Any, key: str, path: str, fallback: str) -> Label:
        value = node.get(key)
        at = where(node, key)
        if value is None:
            return Label(fallback, fallback)
        if isinstance(value, str):
            return Label(value, value)
        if not self.expect(value, dict, at, f"{path}.{key}"):
            return Label(fallback, fallback)
        self.keys(value, LABEL_KEYS, f"{path}.{key}", required=("zh",))
        zh, en = value.get("zh"), value.get("en")
        for lang, text in (("zh", zh), ("en", en)):
            if text is not None:
                self.expect(text, str, where(value, lang), f"{path}.{key}.{lang}")
        zh = zh if isinstance(zh, str) else fallback
        return Label(zh, en if isinstance(en, str) else zh)

    def flag(self, node: Node, key: str, path: str, default: bool = False) -> bool:
        if key not in node:
            return default
        value = node[key]
        return value if self.expect(value, bool, node.where(key), f"{path}.{key}") else default

    def integer(self, node: Any, key: str, path: str, default: int, lo: int, hi: int) -> int:
        if key not in node:
            return default
        value = node[key]
        if not self.expect(value, int, where(node, key), f"{path}.{key}"):
            return default
        if not lo <= value <= hi:
            self.err("SCHEMA-E017", where(node, key), f"{path}.{key}",
                     f"{value} is out of range", f"a whole number from {lo} to {hi}")
            return default
        return int(value)

    def names(self, node: Node, key: str, path: str) -> list[tuple[str, Location]]:
        value = node.get(key)
        if value is None:
            return []
        if not self.expect(value, list, node.where(key), f"{path}.{key}"):
            return []
        out = []
        for index, item in enumerate(value):
            if self.expect(item, str, where(value, index), f"{path}.{key}[{index}]"):
                out.append((item, where(value, index)))
        return out

    def choice(self, node: Node, key: str, path: str, allowed: tuple[str, ...]) -> str | None:
        value = node.get(key)
        if value is None:
            return None
        if not isinstance(value, str) or value not in allowed:
            self.err("SCHEMA-E017", node.where(key), f"{path}.{key}", f"'{value}' is not allowed",
                     f"one of {listing(allowed)}")
            return None
        return value

    def pick(self, node: Node, key: str, path: str, pool: set[str],
             broken: set[str] | frozenset[str] = frozenset()) -> tuple[str, ...]:
        """A list of names that must come from `pool` (each stranger reported, but not the
        names in `broken`: defined with a problem of their own, already reported)."""
        out = []
        for name, at in self.names(node, key, path):
            if name in broken:
                continue
            if name not in pool:
                self.err("SCHEMA-E019", at, f"{path}.{key}", f"unknown field '{name}'",
                         f"one of {listing(sorted(pool))}")
            else:
                out.append(name)
        return tuple(out)

    # -- roles -----------------------------------------------------------------------------
    def known_role(self, role: str, at: Location, path: str) -> bool:
        """A defined role; a role defined with a problem of its own is not reported again."""
        if role in self.roles:
            return True
        if role not in self.broken_roles:
            self.err("SCHEMA-E023", at, path, f"unknown role '{role}'",
                     f"one of {listing(sorted(self.roles)) or '(no roles defined)'}")
        return False

    # -- hooks -----------------------------------------------------------------------------
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

    def hook_ref(self, name: Any, params: Any, at: Location, path: str, point: str
                 ) -> HookRef | None:
        usable = sorted(n for n, t in self.hook_types.items() if t.point == point)
        hook_type = self.hook_types.get(name) if isinstance(name, str) else None
        if hook_type is None or hook_type.point != point:
            self.err("SCHEMA-E025", at, path, f"no hook '{name}' can run here",
                     f"one of {listing(usable)}" if usable else "no hook at this place")
            return None
        if not isinstance(params, dict):
            self.err("SCHEMA-E026", at, path, f"parameters are {kind_of(params)}",
                     "a mapping of parameter -> value")
            return None
        clean, errors = hook_type.check_params(params)
        for key, messages in sorted(errors.items(), key=lambda item: str(item[0])):
            text = "; ".join(str(m) for m in (messages if isinstance(messages, list)
                                               else [messages]))
            place = params.where(key) if isinstance(params, Node) else at
            self.err("SCHEMA-E026", place, f"{path}.{key}", text,
                     f"the parameters of {name} in docs/hooks.md")
        if errors:
            return None
        return HookRef(str(name), tuple(sorted(clean.items())))
