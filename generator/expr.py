"""A small, safe expression language for computed (read-only) fields.

Example: ``"(planned - baseline) / baseline"``. The source is parsed with
``ast.parse(mode="eval")``, every node is checked against a whitelist and the tree is turned
once into nested Python closures. User text is never passed to eval/exec/compile.

Semantics are SQL-like: None in arithmetic or comparisons gives None, division by zero gives
None, and Decimal mixes with int/float (the other operand becomes Decimal via str()).
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Context, Decimal, InvalidOperation
from typing import Any

MAX_SOURCE_LENGTH = 500
MAX_DEPTH = 50
MAX_ROUND_PLACES = 20

Values = Mapping[str, object]
Fn = Callable[[Values], object]

ALLOWED_OPERATORS = (
    "numbers, 'text', True/False/None, field names, unary + - not, binary + - * / // %, "
    "comparisons == != < <= > >= (and 'is None' / 'is not None'), and/or, 'a if c else b'"
)


class ExprError(ValueError):
    """An expression that is not allowed; ``message`` says what, ``allowed`` what is allowed."""

    def __init__(self, message: str, allowed: str) -> None:
        super().__init__(message, allowed)
        self.message = message
        self.allowed = allowed

    def __str__(self) -> str:
        return f"{self.message} Allowed: {self.allowed}"


class ExprEvalError(ExprError):
    """Raised by Expr.evaluate for values of the wrong type (e.g. text in arithmetic)."""


@dataclass(frozen=True)
class Expr:
    """A compiled expression: its source, the field names it reads, and an evaluator."""

    source: str
    names: frozenset[str]
    _fn: Fn = field(repr=False, compare=False)

    def evaluate(self, values: Values) -> object:
        """Evaluate against field values; a name missing from ``values`` reads as None."""
        return self._fn(values)


# --- Runtime helpers --------------------------------------------------------------------------

Number = (int, float, Decimal)  # bool is an int, as in Python


def _is_number(value: object) -> bool:
    return isinstance(value, Number)


def _to_decimal(value: float | Decimal) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool):
        return Decimal(int(value))
    return Decimal(str(value))


def _coerce(left: object, right: object) -> tuple[object, object]:
    """If one operand is Decimal and the other an int/float, make both Decimal."""
    mixed = isinstance(left, Decimal) != isinstance(right, Decimal)
    if mixed and _is_number(left) and _is_number(right):
        return _to_decimal(left), _to_decimal(right)  # type: ignore[arg-type]
    return left, right


def _type_name(value: object) -> str:
    return type(value).__name__


def _arith(symbol: str, op: Callable[[object, object], object], divides: bool) -> Callable:
    """Build a numeric binary operator with None -> None and x/0 -> None."""

    def apply(left: object, right: object) -> object:
        if left is None or right is None:
            return None
        if not (_is_number(left) and _is_number(right)):
            raise ExprEvalError(
                f"Operator '{symbol}' needs numbers, got {_type_name(left)} and "
                f"{_type_name(right)}.",
                "Use concat() to join text and days() for dates.",
            )
        if divides and right == 0:
            return None
        left, right = _coerce(left, right)
        try:
            return op(left, right)
        except ArithmeticError as exc:  # overflow, invalid Decimal operation
            message = f"Arithmetic error in '{symbol}': {exc}."
            raise ExprEvalError(message, "Smaller numbers.") from None

    return apply


def _compare(symbol: str, op: Callable[[object, object], bool]) -> Callable:
    """Build a comparison with None -> None and Decimal/float coercion."""

    def apply(left: object, right: object) -> bool | None:
        if left is None or right is None:
            return None
        left, right = _coerce(left, right)
        try:
            return bool(op(left, right))
        except TypeError:
            raise ExprEvalError(
                f"Cannot compare {_type_name(left)} and {_type_name(right)} with '{symbol}'.",
                "Compare numbers with numbers, text with text, dates with dates.",
            ) from None

    return apply


def _to_date(value: object, func: str) -> date | None:
    """Accept a date, a datetime (its date part) or an ISO 8601 string."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.strip()).date()
        except ValueError:
            pass
    raise ExprEvalError(f"{func}() needs a date, got {value!r}.", "A date or 'YYYY-MM-DD' text.")


def _need_number(value: object, func: str) -> None:
    if not _is_number(value):
        raise ExprEvalError(f"{func}() needs a number, got {_type_name(value)}.", "A number.")


_ROUND_CONTEXT = Context(prec=60, rounding=ROUND_HALF_UP)


def _round(value: object, places: object = 0) -> object:
    """Round half away from zero (四舍五入), keeping the type of ``value``."""
    if value is None or places is None:
        return None
    _need_number(value, "round")
    if isinstance(places, bool) or not isinstance(places, int):
        raise ExprEvalError("round() needs whole-number places.", "round(x) or round(x, 2).")
    if abs(places) > MAX_ROUND_PLACES:
        raise ExprEvalError(f"round() places {places} out of range.", "-20 to 20 places.")
    try:
        number = _to_decimal(value)  # type: ignore[arg-type]  # _need_number checked it
        result = number.quantize(Decimal(1).scaleb(-places), context=_ROUND_CONTEXT)
    except InvalidOperation:  # infinity or too many digits: nothing sensible to round
        return value
    if isinstance(value, Decimal):
        return result
    return float(result) if isinstance(value, float) else int(result)


def _abs(value: object) -> object:
    if value is None:
        return None
    _need_number(value, "abs")
    return abs(value)  # type: ignore[arg-type]


def _extreme(func: str, pick: Callable) -> Callable[..., object]:
    """min/max that skip None (like SQL LEAST/GREATEST in PostgreSQL); all None -> None."""

    def apply(*args: object) -> object:
        present = [arg for arg in args if arg is not None]
        if not present:
            return None
        if any(isinstance(arg, Decimal) for arg in present) and all(map(_is_number, present)):
            present = [_to_decimal(arg) for arg in present]  # type: ignore[arg-type]
        try:
            return pick(present)
        except TypeError:
            raise ExprEvalError(
                f"{func}() got values that cannot be compared.", "Values of one kind."
            ) from None

    return apply


def _days(start: object, end: object) -> int | None:
    """Whole days from date ``start`` to date ``end``."""
    first, last = _to_date(start, "days"), _to_date(end, "days")
    if first is None or last is None:
        return None
    return (last - first).days


def _year(value: object) -> int | None:
    day = _to_date(value, "year")
    return None if day is None else day.year


def _first_present(*args: object) -> object:
    return next((arg for arg in args if arg is not None), None)


def _concat(*args: object) -> str:
    return "".join("" if arg is None else str(arg) for arg in args)


def _len(value: object) -> int | None:
    if value is None:
        return None
    try:
        return len(value)  # type: ignore[arg-type]
    except TypeError:
        raise ExprEvalError(f"len() needs text, got {_type_name(value)}.", "Text.") from None


# --- Whitelists -------------------------------------------------------------------------------

_BIN_OPS: dict[type[ast.operator], tuple[str, Callable, bool]] = {
    ast.Add: ("+", operator.add, False),
    ast.Sub: ("-", operator.sub, False),
    ast.Mult: ("*", operator.mul, False),
    ast.Div: ("/", operator.truediv, True),
    ast.FloorDiv: ("//", operator.floordiv, True),
    ast.Mod: ("%", operator.mod, True),
}
_BIN_FUNCS = {op: _arith(*spec) for op, spec in _BIN_OPS.items()}

_CMP_OPS: dict[type[ast.cmpop], tuple[str, Callable]] = {
    ast.Eq: ("==", operator.eq),
    ast.NotEq: ("!=", operator.ne),
    ast.Lt: ("<", operator.lt),
    ast.LtE: ("<=", operator.le),
    ast.Gt: (">", operator.gt),
    ast.GtE: (">=", operator.ge),
}
_CMP_FUNCS = {op: _compare(*spec) for op, spec in _CMP_OPS.items()}


@dataclass(frozen=True)
class _Func:
    signature: str
    min_args: int
    max_args: int | None  # None: any number
    impl: Callable[..., object]


FUNCTIONS: dict[str, _Func] = {
    "round": _Func("round(x, n=0)", 1, 2, _round),
    "abs": _Func("abs(x)", 1, 1, _abs),
    "min": _Func("min(a, b, ...)", 1, None, _extreme("min", min)),
    "max": _Func("max(a, b, ...)", 1, None, _extreme("max", max)),
    "coalesce": _Func("coalesce(a, b, ...)", 1, None, _first_present),  # compiled lazily
    "days": _Func("days(a, b)", 2, 2, _days),
    "year": _Func("year(d)", 1, 1, _year),
    "concat": _Func("concat(a, b, ...)", 1, None, _concat),
    "len": _Func("len(x)", 1, 1, _len),
}
ALLOWED_FUNCTIONS = ", ".join(func.signature for func in FUNCTIONS.values())

# Friendly messages for constructs people are likely to try.
_FORBIDDEN: dict[type[ast.AST], str] = {
    ast.Attribute: "Attribute access (x.y) is not allowed.",
    ast.Subscript: "Indexing and slicing (x[i]) are not allowed.",
    ast.Lambda: "lambda is not allowed.",
    ast.ListComp: "Comprehensions are not allowed.",
    ast.SetComp: "Comprehensions are not allowed.",
    ast.DictComp: "Comprehensions are not allowed.",
    ast.GeneratorExp: "Generator expressions are not allowed.",
    ast.JoinedStr: "f-strings are not allowed; use concat().",
    ast.FormattedValue: "f-strings are not allowed; use concat().",
    ast.Starred: "Starred arguments (*x) are not allowed.",
    ast.NamedExpr: "Assignment expressions (:=) are not allowed.",
    ast.List: "Lists are not allowed.",
    ast.Tuple: "Tuples are not allowed.",
    ast.Set: "Sets are not allowed.",
    ast.Dict: "Dicts are not allowed.",
    ast.Await: "await is not allowed.",
}


# --- Compiler ---------------------------------------------------------------------------------


class _Compiler:
    """Turns a checked AST into closures and records the field names it reads."""

    def __init__(self, allowed_names: frozenset[str]) -> None:
        self.allowed_names = allowed_names
        self.used: set[str] = set()

    def build(self, node: ast.AST, depth: int = 1) -> Fn:
        if depth > MAX_DEPTH:
            raise ExprError(
                f"Expression is nested too deeply (more than {MAX_DEPTH} levels).",
                "A simpler expression, or split it into several computed fields.",
            )
        handler = _HANDLERS.get(type(node))
        if handler is None:
            message = _FORBIDDEN.get(type(node), f"{type(node).__name__} is not allowed.")
            raise ExprError(message, f"{ALLOWED_OPERATORS}; functions {ALLOWED_FUNCTIONS}.")
        return handler(self, node, depth + 1)

    def constant(self, node: ast.Constant, depth: int) -> Fn:
        value = node.value
        if value is not None and not isinstance(value, (bool, int, float, str)):
            raise ExprError(
                f"Constant {value!r} is not allowed.", "Numbers, 'text', True, False, None."
            )
        return lambda values: value

    def name(self, node: ast.Name, depth: int) -> Fn:
        name = node.id
        if name not in self.allowed_names:
            hint = " Functions must be called, e.g. round(x)." if name in FUNCTIONS else ""
            raise ExprError(f"Unknown name '{name}'.{hint}", _names_hint(self.allowed_names))
        self.used.add(name)
        return lambda values: values.get(name)

    def unary_op(self, node: ast.UnaryOp, depth: int) -> Fn:
        operand = self.build(node.operand, depth)
        if isinstance(node.op, ast.Not):
            return lambda values: _not(operand(values))
        if isinstance(node.op, ast.USub):
            return lambda values: _negate(operand(values))
        if isinstance(node.op, ast.UAdd):
            return lambda values: _positive(operand(values))
        raise ExprError("Operator '~' is not allowed.", ALLOWED_OPERATORS)

    def bin_op(self, node: ast.BinOp, depth: int) -> Fn:
        apply = _BIN_FUNCS.get(type(node.op))
        if apply is None:
            raise ExprError(_binop_message(node.op), ALLOWED_OPERATORS)
        for side in (node.left, node.right):
            if isinstance(side, ast.Constant) and isinstance(side.value, str):
                raise ExprError("Arithmetic on text is not allowed.", "Use concat() to join text.")
        left, right = self.build(node.left, depth), self.build(node.right, depth)
        return lambda values: apply(left(values), right(values))

    def bool_op(self, node: ast.BoolOp, depth: int) -> Fn:
        parts = [self.build(value, depth) for value in node.values]
        is_and = isinstance(node.op, ast.And)

        def evaluate(values: Values) -> object:
            result: object = None
            for part in parts:
                result = part(values)
                if bool(result) != is_and:  # Python short-circuit: and stops on falsy
                    return result
            return result

        return evaluate

    def compare_op(self, node: ast.Compare, depth: int) -> Fn:
        first = self.build(node.left, depth)
        steps = [
            self._compare_step(op, right, depth)
            for op, right in zip(node.ops, node.comparators, strict=True)
        ]
        if len(steps) == 1:
            apply, right = steps[0]
            return lambda values: apply(first(values), right(values))
        return _chain(first, steps)

    def _compare_step(self, op: ast.cmpop, right: ast.expr, depth: int) -> tuple[Callable, Fn]:
        if isinstance(op, (ast.Is, ast.IsNot)):
            if not (isinstance(right, ast.Constant) and right.value is None):
                raise ExprError("'is' only works with None.", "x is None, x is not None.")
            is_not = isinstance(op, ast.IsNot)
            return (lambda left, _right: (left is None) != is_not), lambda values: None
        apply = _CMP_FUNCS.get(type(op))
        if apply is None:
            raise ExprError("'in' / 'not in' are not allowed.", ALLOWED_OPERATORS)
        return apply, self.build(right, depth)

    def if_exp(self, node: ast.IfExp, depth: int) -> Fn:
        test = self.build(node.test, depth)
        body, orelse = self.build(node.body, depth), self.build(node.orelse, depth)
        return lambda values: body(values) if test(values) else orelse(values)

    def call(self, node: ast.Call, depth: int) -> Fn:
        func = self._check_call(node)
        args = [self.build(arg, depth) for arg in node.args]
        if func is FUNCTIONS["coalesce"]:
            return _coalesce(args)
        impl = func.impl
        return lambda values: impl(*[arg(values) for arg in args])

    def _check_call(self, node: ast.Call) -> _Func:
        allowed = f"Functions {ALLOWED_FUNCTIONS}."
        if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
            name = node.func.id if isinstance(node.func, ast.Name) else ast.unparse(node.func)
            raise ExprError(f"Function '{name}' is not allowed.", allowed)
        func = FUNCTIONS[node.func.id]
        if node.keywords:
            raise ExprError(
                f"Keyword arguments are not allowed in {func.signature}.",
                "Pass arguments by position.",
            )
        if any(isinstance(arg, ast.Starred) for arg in node.args):
            raise ExprError("Starred arguments (*x) are not allowed.", allowed)
        count = len(node.args)
        if count < func.min_args or (func.max_args is not None and count > func.max_args):
            raise ExprError(f"Wrong number of arguments ({count}) for {func.signature}.", allowed)
        return func


_HANDLERS: dict[type[ast.AST], Callable[[_Compiler, Any, int], Fn]] = {
    ast.Constant: _Compiler.constant,
    ast.Name: _Compiler.name,
    ast.UnaryOp: _Compiler.unary_op,
    ast.BinOp: _Compiler.bin_op,
    ast.BoolOp: _Compiler.bool_op,
    ast.Compare: _Compiler.compare_op,
    ast.IfExp: _Compiler.if_exp,
    ast.Call: _Compiler.call,
}


def _binop_message(op: ast.operator) -> str:
    if isinstance(op, ast.Pow):
        return "Operator '**' (power) is not allowed."
    return f"Operator {type(op).__name__} is not allowed."


def _names_hint(names: frozenset[str]) -> str:
    return "Field names: " + (", ".join(sorted(names)) if names else "(none)") + "."


def _not(value: object) -> bool | None:
    return None if value is None else not value


def _negate(value: object) -> object:
    if value is None:
        return None
    if not _is_number(value):
        raise ExprEvalError(f"Unary '-' needs a number, got {_type_name(value)}.", "A number.")
    return -value  # type: ignore[operator]


def _positive(value: object) -> object:
    if value is None:
        return None
    if not _is_number(value):
        raise ExprEvalError(f"Unary '+' needs a number, got {_type_name(value)}.", "A number.")
    return +value  # type: ignore[operator]


def _chain(first: Fn, steps: list[tuple[Callable, Fn]]) -> Fn:
    """a < b < c: False if any step is False, else None if any is None, else True."""

    def evaluate(values: Values) -> bool | None:
        left, unknown = first(values), False
        for apply, right_fn in steps:
            right = right_fn(values)
            result = apply(left, right)
            if result is False:
                return False
            unknown = unknown or result is None
            left = right
        return None if unknown else True

    return evaluate


def _coalesce(args: list[Fn]) -> Fn:
    """First non-None argument; later arguments are not evaluated."""

    def evaluate(values: Values) -> object:
        for arg in args:
            result = arg(values)
            if result is not None:
                return result
        return None

    return evaluate


def compile_expr(source: str, names: Iterable[str]) -> Expr:
    """Check ``source`` against the whitelist and compile it; raise ExprError if not allowed."""
    if isinstance(names, str):
        raise TypeError("names must be an iterable of field names, not a str")
    allowed_names = frozenset(names)
    tree = _parse(source)
    compiler = _Compiler(allowed_names)
    fn = compiler.build(tree.body)
    return Expr(source=source, names=frozenset(compiler.used), _fn=fn)


def _parse(source: str) -> ast.Expression:
    if not isinstance(source, str) or not source.strip():
        raise ExprError("The expression is empty.", "An expression such as (a - b) / b.")
    if len(source) > MAX_SOURCE_LENGTH:
        raise ExprError(
            f"The expression is {len(source)} characters long.",
            f"At most {MAX_SOURCE_LENGTH} characters.",
        )
    try:
        return ast.parse(source.strip(), mode="eval")
    except SyntaxError as exc:
        message = f"Syntax error: {exc.msg} (column {exc.offset})."
        raise ExprError(message, ALLOWED_OPERATORS) from None
    except (RecursionError, MemoryError, ValueError):  # ValueError: NUL bytes
        raise ExprError("The expression cannot be parsed.", ALLOWED_OPERATORS) from None
