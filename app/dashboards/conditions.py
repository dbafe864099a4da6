"""An indicator's `where` as one SQL condition, its values bound as parameters.

The checks (generator/checks/dashboards.py) let through only what this translates: names,
constants, arithmetic, comparisons, and/or/not. `x == None` and `x is None` both mean IS NULL,
as a person writing the YAML means it.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable
from typing import Any

from sqlalchemy import and_, literal, not_, or_

Columns = Callable[[str], Any]  # field name -> column expression

COMPARE: dict[type, Callable[[Any, Any], Any]] = {
    ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le,
    ast.Gt: operator.gt, ast.GtE: operator.ge,
}
ARITHMETIC: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
    ast.Div: operator.truediv,
}


def condition(source: str, columns: Columns) -> Any:
    return _sql(ast.parse(source.strip(), mode="eval").body, columns)


def _sql(node: ast.AST, columns: Columns) -> Any:
    if isinstance(node, ast.BoolOp):
        parts = [_sql(v, columns) for v in node.values]
        return and_(*parts) if isinstance(node.op, ast.And) else or_(*parts)
    if isinstance(node, ast.UnaryOp):
        inner = _sql(node.operand, columns)
        if isinstance(node.op, ast.Not):
            return not_(inner)
        return -inner if isinstance(node.op, ast.USub) else inner
    if isinstance(node, ast.Compare):
        left, parts = node.left, []
        for op, right in zip(node.ops, node.comparators, strict=True):
            parts.append(_compare(op, left, right, columns))
            left = right
        return and_(*parts) if len(parts) > 1 else parts[0]
    if isinstance(node, ast.BinOp):
        return ARITHMETIC[type(node.op)](_sql(node.left, columns), _sql(node.right, columns))
    if isinstance(node, ast.Name):
        return columns(node.id)
    if isinstance(node, ast.Constant):
        return literal(node.value)
    raise ValueError(f"not a condition: {ast.dump(node)}")  # the checks refused it already


def _none(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def _compare(op: ast.cmpop, left: ast.AST, right: ast.AST, columns: Columns) -> Any:
    if _none(right) or _none(left):
        value = _sql(left if _none(right) else right, columns)
        positive = isinstance(op, (ast.Is, ast.Eq))
        return value.is_(None) if positive else value.is_not(None)
    a, b = _sql(left, columns), _sql(right, columns)
    if isinstance(op, ast.Is):
        return a == b
    if isinstance(op, ast.IsNot):
        return a != b
    return COMPARE[type(op)](a, b)
