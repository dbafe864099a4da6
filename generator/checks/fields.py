"""One field's YAML: its name, type, common keys and the keys its type owns (the type
object reads those: generator/types), then the rules between the fields of one entity."""

from __future__ import annotations

import keyword
import re
from typing import Any

from generator.checks.context import Context, listing
from generator.checks.drafts import FieldDraft
from generator.expr import ExprError, compile_expr
from generator.loader import Location, Node, Reported
from generator.spec import ChoicesBy, RequiredIf
from generator.types import BAD, TYPES, Invalid, SchemaValue

FIELD_NAME = re.compile(r"^[a-z][a-z0-9_]{0,50}$")
COMMON_KEYS = ("type", "label", "help", "required", "unique", "index", "default",
               "required_if", "visible_if", "readonly_if")
NOT_STORED_KEYS = ("required", "unique", "index", "default", "required_if", "visible_if",
                   "readonly_if")  # child, computed
CONDITION_KEYS = ("visible_if", "readonly_if")  # expressions over the row's fields
REQUIRED_IF_KEYS = ("field", "equals", "in")
# org, org_id, org_path: the organisation a row belongs to; row_version: optimistic locking.
RESERVED = frozenset({"id", "metadata", "query", "registry", "version_id", "org", "org_id",
                      "org_path", "row_version"}) | frozenset(keyword.kwlist) | frozenset({
    # Flask-AppBuilder hands the posted form to WTForms as the object to read from, so a
    # field named like one of its methods would read the method, not the value.
    "add", "clear", "copy", "deepcopy", "fromkeys", "get", "getlist", "items", "keys", "lists",
    "listvalues", "pop", "popitem", "popitemlist", "poplist", "setdefault", "setlist",
    "setlistdefault", "to_dict", "update", "values"})
ALL_TYPE_KEYS = frozenset(k for kind in TYPES.values() for k in kind.keys)


def read_field(ctx: Context, path: str, name: str, body: Any, at: Location
               ) -> FieldDraft | None:
    if not isinstance(name, str) or not FIELD_NAME.match(name):
        ctx.err("SCHEMA-E005", at, path, f"field name '{name}' is not allowed",
                "lower-case letters, digits and _ starting with a letter (max 51)")
        return None
    if name in RESERVED:
        ctx.err("SCHEMA-E022", at, path, f"'{name}' is reserved",
                f"a name other than {listing(sorted(RESERVED - set(keyword.kwlist)))}"
                " or a Python keyword")
        return None
    if isinstance(body, str):  # shorthand: `name: string`
        node = Node({"type": body})
        node.location, node.key_locations = at, {"type": at}
        body = node
    if not ctx.expect(body, dict, at, path):
        return None
    ftype = body.get("type")
    kind = TYPES.get(ftype) if isinstance(ftype, str) else None
    if kind is None:
        if "type" not in body:
            ctx.err("SCHEMA-E004", body.where(), path, "required key 'type' is missing",
                    f"one of {listing(TYPES)}")
        else:
            ctx.err("SCHEMA-E010", body.where("type"), f"{path}.type",
                    f"unknown type '{ftype}'", f"one of {listing(TYPES)}")
        return None
    common = COMMON_KEYS if kind.stored and not kind.kept else tuple(
        k for k in COMMON_KEYS if k not in NOT_STORED_KEYS)
    if kind.kept:
        common += ("index",)  # kept values are filtered and sorted on
    allowed = common + kind.keys
    for key in body:
        if key not in allowed:
            known_key = key in ALL_TYPE_KEYS or key in COMMON_KEYS
            ctx.err("SCHEMA-E011" if known_key else "SCHEMA-E003", body.where(key),
                    f"{path}.{key}", f"'{key}' does not apply to a {kind.name} field"
                    if known_key else f"unknown key '{key}'", f"one of {listing(allowed)}")
    kw: dict[str, Any] = {
        "name": name,
        "type": kind.name,
        "label": ctx.label(body, "label", path, name.replace("_", " ").capitalize()),
        "help": ctx.label(body, "help", path, "") if "help" in body else None,
        "required": ctx.flag(body, "required", path) if "required" in allowed else False,
        "unique": ctx.flag(body, "unique", path) if "unique" in allowed else False,
        "index": ctx.flag(body, "index", path) if "index" in allowed else False,
    }
    _bounds(ctx, body, path, kind, kw)
    kind.read(ctx, body, path, kw)
    if "default" in body and "default" in allowed:
        kw["default"] = _default(ctx, body, path, kind, kw)
    if "required_if" in body and "required_if" in allowed:
        kw["required_if"] = _required_if(ctx, body, path)
    for key in CONDITION_KEYS:
        if key in body and key in allowed and ctx.expect(body[key], str, body.where(key),
                                                         f"{path}.{key}"):
            kw[key] = body[key]
    if kw.get("visible_if") and kw["required"]:
        ctx.err("SCHEMA-E011", body.where("required"), f"{path}.required",
                "'required' does not apply to a field shown only when visible_if holds",
                "required_if (a hidden field is never required)")
    return FieldDraft(kw, body, at)


def _bounds(ctx: Context, body: Node, path: str, kind: Any, kw: dict[str, Any]) -> None:
    for key in ("min", "max"):
        if key not in body or key not in kind.keys:
            continue
        value = body[key]
        if isinstance(value, Reported):
            continue  # the loader has said what is wrong with it
        parsed = kind.bound(value)
        if parsed is BAD:
            ctx.err("SCHEMA-E002", body.where(key), f"{path}.{key}", f"is {ctx.kind(value)}",
                    kind.bound_allowed)
        else:
            kw[key] = parsed
    lo, hi = kw.get("min"), kw.get("max")
    if lo is not None and hi is not None and _greater(lo, hi):
        ctx.err("SCHEMA-E017", body.where("min"), f"{path}.min",
                f"min {lo} is larger than max {hi}", "min <= max")


def _greater(a: Any, b: Any) -> bool:
    try:
        return bool(a > b)
    except TypeError:
        return False


def _default(ctx: Context, body: Node, path: str, kind: Any, kw: dict[str, Any]) -> Any:
    value = body["default"]
    at = body.where("default")
    if isinstance(value, Reported):
        return None
    if not kind.accepts_default:
        ctx.err("SCHEMA-E011", at, f"{path}.default",
                f"'default' does not apply to a {kind.name} field", "no default")
        return None
    try:
        parsed = kind.default_value(value, kw)
    except SchemaValue as exc:
        ctx.err("SCHEMA-E020", at, f"{path}.default", exc.message, exc.allowed)
        return None
    lo, hi = kw.get("min"), kw.get("max")
    if kind.bounds == "value" and ((lo is not None and _greater(lo, parsed))
                                   or (hi is not None and _greater(parsed, hi))):
        ctx.err("SCHEMA-E020", at, f"{path}.default", f"{value} is outside min/max",
                f"a value from {lo} to {hi}")
        return None
    return parsed


def _required_if(ctx: Context, body: Node, path: str) -> RequiredIf | None:
    raw = body["required_if"]
    at = f"{path}.required_if"
    if isinstance(raw, str):  # a field's name (required when it is filled) or an expression
        return RequiredIf(raw, ()) if FIELD_NAME.match(raw) else RequiredIf("", (), raw)
    if not ctx.expect(raw, dict, body.where("required_if"), at):
        return None
    ctx.keys(raw, REQUIRED_IF_KEYS, at, required=("field",))
    other = raw.get("field")
    if not isinstance(other, str):
        return None
    if "in" in raw:
        values = raw["in"]
        if not ctx.expect(values, list, raw.where("in"), f"{at}.in"):
            return None
        return RequiredIf(other, tuple(values))
    if "equals" in raw:
        return RequiredIf(other, (raw["equals"],))
    return RequiredIf(other, ())


# -- between the fields of one entity -----------------------------------------------------
def check_fields(ctx: Context, fields: list[FieldDraft], raw: Node, path: str) -> None:
    _shadowing(ctx, fields, raw, path)
    _computed(ctx, fields, raw, path)
    _required_if_fields(ctx, fields, raw, path)
    _conditions(ctx, fields, raw, path)
    for f in fields:
        if "choices_by" in f.node and f.kind.choices_fixed and f.get("values"):
            f.kw["choices_by"] = _choices_by(ctx, fields, f, f"{path}.fields.{f.name}")


def _shadowing(ctx: Context, fields: list[FieldDraft], raw: Node, path: str) -> None:
    names = {f.name for f in fields}
    for f in fields:
        for extra in f.kind.derived(f.name):
            if extra in names:
                ctx.err("SCHEMA-E022", raw.where(extra), f"{path}.fields.{extra}",
                        f"'{extra}' is used by the {f.kind.name} field '{f.name}'",
                        "another field name")


def _computed(ctx: Context, fields: list[FieldDraft], raw: Node, path: str) -> None:
    # Names of fields that failed their own checks still count as known here, so one
    # mistake is not reported twice.
    built = {f.name: f for f in fields}
    readable = [str(name) for name in raw if name not in built
                or (built[name].stored and built[name].kind.in_expressions)]
    for f in fields:
        expr = f.get("expr")
        if not expr:
            continue
        try:
            compile_expr(expr, readable)
        except ExprError as exc:
            allowed = exc.allowed.rstrip(".")
            ctx.err("SCHEMA-E015", f.node.where("expr"), f"{path}.fields.{f.name}.expr",
                    exc.message.rstrip("."), allowed[:1].lower() + allowed[1:])


def _required_if_fields(ctx: Context, fields: list[FieldDraft], raw: Node, path: str) -> None:
    by_name = {f.name: f for f in fields if f.stored}
    for f in fields:
        rule = f.get("required_if")
        if rule is None or rule.expr is not None:
            continue
        at = f.node.where("required_if")
        others = sorted(set(by_name) - {f.name})
        other = by_name.get(rule.field) if rule.field != f.name else None
        if other is None:
            ctx.err("SCHEMA-E019", at, f"{path}.fields.{f.name}.required_if",
                    f"unknown field '{rule.field}'", f"one of {listing(others)}")
            continue
        for value in rule.values:  # each value must be one the other field can hold
            try:
                other.kind.default_value(value, other.kw)
            except SchemaValue as exc:
                ctx.err("SCHEMA-E020", at, f"{path}.fields.{f.name}.required_if",
                        f"{exc.message} of {rule.field}", exc.allowed)


def _conditions(ctx: Context, fields: list[FieldDraft], raw: Node, path: str) -> None:
    """visible_if / readonly_if / required_if expressions read the row's stored fields; a
    field shown only when another is shown only when it is, is never shown (a circle)."""
    built = {f.name: f for f in fields}
    readable = [str(name) for name in raw if name not in built
                or (built[name].stored and built[name].kind.in_expressions)]
    shown_by: dict[str, frozenset[str]] = {}
    for f in fields:
        rule = f.get("required_if")
        sources = [(k, f.get(k)) for k in CONDITION_KEYS] + [
            ("required_if", rule.expr if rule is not None else None)]
        for key, source in sources:
            if not source:
                continue
            names = [n for n in readable if n != f.name or key != "visible_if"]
            try:
                expr = compile_expr(source, names)
            except ExprError as exc:
                allowed = exc.allowed.rstrip(".")
                ctx.err("SCHEMA-E015", f.node.where(key), f"{path}.fields.{f.name}.{key}",
                        exc.message.rstrip("."), allowed[:1].lower() + allowed[1:])
                continue
            if key == "visible_if":
                shown_by[f.name] = expr.names
    for name in _circle(shown_by):
        ctx.err("SCHEMA-E031", built[name].node.where("visible_if"),
                f"{path}.fields.{name}.visible_if",
                "fields are shown only when each other is shown",
                "a visible_if that does not lead back to its own field")


def _circle(edges: dict[str, frozenset[str]]) -> list[str]:
    """The fields on a circle of `edges` (field -> the fields it waits for), in order."""
    out = []
    for start in edges:
        seen, todo = set(), list(edges[start])
        while todo:
            name = todo.pop()
            if name == start:
                out.append(start)
                break
            if name not in seen:
                seen.add(name)
                todo.extend(edges.get(name, ()))
    return out


def _choices_by(ctx: Context, fields: list[FieldDraft], f: FieldDraft, path: str
                ) -> ChoicesBy | None:
    """`choices_by: {field, map}`: `field` another stored field of the entity, each key of
    `map` a value it can hold, each entry a list of this enum's values."""
    at = f"{path}.choices_by"
    node = f.node["choices_by"]
    if not ctx.expect(node, dict, f.node.where("choices_by"), at):
        return None
    ctx.keys(node, ("field", "map"), at, required=("field", "map"))
    by_name = {x.name: x for x in fields
               if x.stored and x.kind.in_expressions and x.name != f.name}
    other = by_name.get(node.get("field"))  # type: ignore[arg-type]
    if other is None:
        if "field" in node:
            ctx.err("SCHEMA-E019", node.where("field"), f"{at}.field",
                    f"unknown field '{node.get('field')}'",
                    f"one of {listing(sorted(by_name))}")
        return None
    table = node.get("map")
    if not ctx.expect(table, dict, node.where("map"), f"{at}.map"):
        return None
    own = [v.value for v in f.get("values")]
    out = []
    for key, values in table.items():
        where = table.where(key)
        parsed = _map_key(other, key)
        if isinstance(parsed, SchemaValue):
            ctx.err("SCHEMA-E020", where, f"{at}.map.{key}",
                    f"{parsed.message} of {other.name}", parsed.allowed)
            continue
        if not ctx.expect(values, list, where, f"{at}.map.{key}"):
            continue
        wrong = [v for v in values if v not in own]
        if wrong:
            ctx.err("SCHEMA-E020", where, f"{at}.map.{key}",
                    f"{listing(wrong)} not among the values of {f.name}",
                    f"some of {listing(own)}")
            continue
        out.append((parsed, tuple(values)))
    return ChoicesBy(other.name, tuple(out))


def _map_key(other: FieldDraft, key: Any) -> Any:
    """A key of `choices_by.map` as the other field holds it (YAML keys are text: `1` of a
    whole-number field is 1), or the SchemaValue saying why it cannot be."""
    try:
        return other.kind.default_value(key, other.kw)
    except SchemaValue as exc:
        if not isinstance(key, str):
            return exc
        try:
            return other.kind.parse(other.build(), key)
        except Invalid:
            return exc
