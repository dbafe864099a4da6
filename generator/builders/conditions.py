"""Spec entity -> what the form's script needs to apply `visible_if`, `required_if`,
`readonly_if` and cascading enums live (app/static/admin/conditions.js).

Each expression becomes a small JSON tree the script evaluates with the semantics of
generator/expr.py (None in arithmetic or comparisons gives None, x/0 gives None); the server
applies the same rules at every door (app/row_rules.py), so the script only shows early what
the server will say.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Any

from generator.spec import Entity, Field, Spec

Tree = list[Any]
OPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.FloorDiv: "//",
       ast.Mod: "%", ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">",
       ast.GtE: ">=", ast.Is: "is", ast.IsNot: "isnot"}


@dataclass(frozen=True)
class FormConditions:
    """`rules`: field -> {visible_if|required_if|readonly_if: tree}; `values`: how the script
    reads each field the trees name; `options`: cascading enum -> {field, map: [[the field's
    value, [its values]], ...]}. (Cascading references need nothing here: their select
    carries `data-depends`, app/fields.py.)"""

    rules: dict[str, dict[str, Tree]]
    values: dict[str, str]
    options: dict[str, dict[str, Any]]
    # child field -> the line entity's own conditions, applied in each line of its editor
    lines: dict[str, FormConditions] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not (self.rules or self.options or self.lines)

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"rules": self.rules, "values": self.values,
                               "options": self.options}
        if self.lines:
            out["lines"] = {name: c.as_json() for name, c in self.lines.items()}
        return out


def tree(source: str) -> Tree:
    """A checked expression (generator/expr.py accepted it) as nested lists."""
    return _node(ast.parse(source.strip(), mode="eval").body)


def _node(node: ast.AST) -> Tree:
    if isinstance(node, ast.Constant):
        return ["const", node.value]
    if isinstance(node, ast.Name):
        return ["name", node.id]
    if isinstance(node, ast.UnaryOp):
        if isinstance(node.op, ast.Not):
            return ["not", _node(node.operand)]
        return ["neg", _node(node.operand)] if isinstance(node.op, ast.USub) \
            else _node(node.operand)
    if isinstance(node, ast.BinOp):
        return ["bin", OPS[type(node.op)], _node(node.left), _node(node.right)]
    if isinstance(node, ast.BoolOp):
        return ["and" if isinstance(node.op, ast.And) else "or",
                [_node(v) for v in node.values]]
    if isinstance(node, ast.Compare):
        return ["cmp", [OPS[type(op)] for op in node.ops], _node(node.left),
                [_node(c) for c in node.comparators]]
    if isinstance(node, ast.IfExp):
        return ["if", _node(node.test), _node(node.body), _node(node.orelse)]
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        return ["call", node.func.id, [_node(a) for a in node.args]]
    raise ValueError(f"not a checked expression: {ast.dump(node)}")


def _names(t: Any) -> set[str]:
    if not isinstance(t, list):
        return set()
    if t and t[0] == "name":
        return {t[1]}
    return set().union(*(_names(part) for part in t)) if t else set()


def _required_tree(f: Field) -> Tree | None:
    rule = f.required_if
    if rule is None:
        return None
    if rule.expr is not None:
        return tree(rule.expr)
    other = ["name", rule.field]
    if not rule.values:  # required when the other field is filled
        return ["cmp", ["isnot"], other, [["const", None]]]
    return ["or", [["cmp", ["=="], other, [["const", v]]] for v in rule.values]]


def form_conditions(entity: Entity, spec: Spec | None = None) -> FormConditions:
    """The entity's conditions; with the spec, those of its child lines too."""
    lines: dict[str, FormConditions] = {}
    for child, line_entity, _back in spec.children_of(entity) if spec is not None else []:
        of_line = form_conditions(line_entity)
        if not of_line.empty:
            lines[child.name] = of_line
    rules: dict[str, dict[str, Tree]] = {}
    for f in entity.fields:
        found = {"visible_if": tree(f.visible_if) if f.visible_if else None,
                 "required_if": _required_tree(f),
                 "readonly_if": tree(f.readonly_if) if f.readonly_if else None}
        kept = {k: t for k, t in found.items() if t is not None}
        if kept:
            rules[f.name] = kept
    options: dict[str, dict[str, Any]] = {f.name: {"field": f.choices_by.field,
                        "map": [[key, list(values)] for key, values in f.choices_by.map]}
               for f in entity.fields if f.choices_by is not None}
    named = set().union(*(_names(t) for r in rules.values() for t in r.values())) \
        if rules else set()
    named |= {str(o["field"]) for o in options.values()}
    values = {f.name: f.kind.form_value for f in entity.fields if f.name in named}
    return FormConditions(rules, dict(sorted(values.items())), options, lines)
