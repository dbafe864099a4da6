from __future__ import annotations

import dataclasses
import pickle
from datetime import date, datetime
from decimal import Decimal

import pytest

from generator.expr import (
    MAX_SOURCE_LENGTH,
    Expr,
    ExprError,
    ExprEvalError,
    compile_expr,
)

SEED = "(planned - baseline) / baseline"
FIELDS = ["planned", "baseline", "start", "end", "name", "note", "x", "a", "b"]


def ev(source: str, **values: object) -> object:
    return compile_expr(source, FIELDS).evaluate(values)


# --- Seed formula -------------------------------------------------------------------------


def test_seed_formula() -> None:
    expr = compile_expr(SEED, ["planned", "baseline", "unused"])
    assert isinstance(expr, Expr)
    assert expr.source == SEED
    assert expr.names == frozenset({"planned", "baseline"})
    assert expr.evaluate({"baseline": 100, "planned": 120}) == pytest.approx(0.2)
    assert expr.evaluate({"baseline": 0, "planned": 120}) is None
    assert expr.evaluate({"baseline": None, "planned": 120}) is None
    assert expr.evaluate({"baseline": 100, "planned": None}) is None
    assert expr.evaluate({}) is None


def test_seed_formula_with_decimals() -> None:
    expr = compile_expr(SEED, FIELDS)
    result = expr.evaluate({"baseline": Decimal("100.00"), "planned": Decimal("120.50")})
    assert result == Decimal("0.205")
    assert isinstance(result, Decimal)
    assert expr.evaluate({"baseline": Decimal(0), "planned": Decimal(1)}) is None


def test_decimal_mixes_with_int_and_float() -> None:
    assert ev("a + 0.1", a=Decimal("1.2")) == Decimal("1.3")
    assert isinstance(ev("a * 2", a=Decimal("1.5")), Decimal)
    assert ev("a - b", a=Decimal(1), b=0.1) == Decimal("0.9")
    assert ev("a == 0.1", a=Decimal("0.1")) is True
    assert ev("a < b", a=Decimal("0.1"), b=0.2) is True


def test_expr_is_frozen() -> None:
    expr = compile_expr("a + 1", FIELDS)
    with pytest.raises(dataclasses.FrozenInstanceError):
        expr.source = "b"  # type: ignore[misc]
    assert expr == compile_expr("a + 1", FIELDS)


# --- Forbidden constructs -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "fragment"),
    [
        ("__import__('os')", "__import__"),
        ("x.__class__", "Attribute"),
        ("x[0]", "Indexing"),
        ("lambda: 1", "lambda"),
        ("[i for i in x]", "Comprehension"),
        ("{i: 1 for i in x}", "Comprehension"),
        ("(i for i in x)", "Generator"),
        ("2 ** 1000", "**"),
        ("open('f')", "open"),
        ("f'{x}'", "f-string"),
        ("unknown_field + 1", "unknown_field"),
        ("x.y()", "x.y"),
        ("round(x, n=2)", "Keyword"),
        ("concat(*x)", "Starred"),
        ("max(**x)", "Keyword"),
        ("(x := 1)", ":="),
        ("[1, 2]", "List"),
        ("(1, 2)", "Tuple"),
        ("x in a", "in"),
        ("x is a", "is"),
        ("~x", "~"),
        ("x << 1", "LShift"),
        ("x @ a", "MatMult"),
        ("b'abc'", "Constant"),
        ("1j", "Constant"),
        ("...", "Constant"),
        ("'a' * 1000000", "text"),
        ("round", "called"),
        ("days(a)", "arguments"),
        ("year(a, b)", "arguments"),
        ("round()", "arguments"),
        ("", "empty"),
        ("x +", "Syntax"),
        ("x = 1", "Syntax"),
    ],
)
def test_forbidden(source: str, fragment: str) -> None:
    with pytest.raises(ExprError) as info:
        compile_expr(source, FIELDS)
    error = info.value
    assert fragment.lower() in error.message.lower()
    assert error.allowed
    assert isinstance(error, ValueError)
    assert error.message in str(error)


def test_unknown_name_lists_allowed_names() -> None:
    with pytest.raises(ExprError) as info:
        compile_expr("plannd - baseline", ["planned", "baseline"])
    assert "'plannd'" in info.value.message
    assert "baseline" in info.value.allowed and "planned" in info.value.allowed


def test_power_message_says_not_allowed() -> None:
    with pytest.raises(ExprError) as info:
        compile_expr("x ** 2", FIELDS)
    assert "**" in info.value.message


def test_source_length_limit() -> None:
    source = "concat('" + "a" * 489 + "')"
    assert len(source) == MAX_SOURCE_LENGTH - 1
    assert compile_expr(source, FIELDS).evaluate({}) == "a" * 489
    with pytest.raises(ExprError) as info:
        compile_expr("1" + " " * MAX_SOURCE_LENGTH, FIELDS)
    assert "500" in info.value.allowed


def test_depth_limit() -> None:
    compile_expr("-" * 40 + "x", FIELDS)
    with pytest.raises(ExprError) as info:
        compile_expr("-" * 60 + "x", FIELDS)
    assert "deep" in info.value.message
    with pytest.raises(ExprError):
        compile_expr("abs(" * 60 + "x" + ")" * 60, FIELDS)
    with pytest.raises(ExprError):
        compile_expr("+".join(["1"] * 60), FIELDS)  # left-nested binary operators


def test_never_evaluates_python() -> None:
    # A dunder name is just an unknown field; nothing is imported or executed.
    with pytest.raises(ExprError):
        compile_expr("__builtins__", FIELDS)


def test_names_must_not_be_a_string() -> None:
    with pytest.raises(TypeError):
        compile_expr("a", "a")


def test_error_pickles() -> None:
    error = ExprError("bad", "good")
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.message, copy.allowed) == ("bad", "good")


# --- Semantics ----------------------------------------------------------------------------


def test_names_collects_fields_read() -> None:
    expr = compile_expr("coalesce(a, b) if x > 0 else days(start, end)", FIELDS)
    assert expr.names == frozenset({"a", "b", "x", "start", "end"})
    assert compile_expr("1 + 2", FIELDS).names == frozenset()


def test_arithmetic() -> None:
    assert ev("1 + 2 * 3 - 4") == 3
    assert ev("7 // 2") == 3
    assert ev("7 % 4") == 3
    assert ev("7 % 0") is None
    assert ev("7 // 0") is None
    assert ev("-x", x=2) == -2
    assert ev("+x", x=2) == 2
    assert ev("-x") is None
    assert ev("x * 2", x=None) is None


def test_text_in_arithmetic_raises_eval_error() -> None:
    with pytest.raises(ExprEvalError):
        ev("name * 3", name="ab")
    with pytest.raises(ExprEvalError):
        ev("-name", name="ab")


def test_comparisons_are_sql_like() -> None:
    assert ev("x == 1", x=1) is True
    assert ev("x != 1", x=1) is False
    assert ev("x >= 1", x=2) is True
    assert ev("x == None", x=None) is None
    assert ev("x < 1") is None
    assert ev("1 < x < 3", x=2) is True
    assert ev("1 < x < 3", x=5) is False
    assert ev("5 < x < b", x=1) is False  # False wins over unknown
    assert ev("1 < x < b", x=2) is None
    assert ev("x is None") is True
    assert ev("x is not None", x=0) is True
    assert ev("name == 'abc'", name="abc") is True
    assert ev("start < end", start=date(2024, 1, 1), end=date(2024, 2, 1)) is True
    with pytest.raises(ExprEvalError):
        ev("name < 1", name="a")


def test_boolean_logic() -> None:
    assert ev("not x", x=0) is True
    assert ev("not x", x=5) is False
    assert ev("not x") is None
    assert ev("a and b", a=1, b=2) == 2
    assert ev("a and b", a=0, b=2) == 0
    assert ev("a or b", a=0, b=2) == 2
    assert ev("a or b", a=None, b=None) is None
    assert ev("a and b", a=None, b=1) is None
    assert ev("x > 0 and x < 10", x=5) is True


def test_conditional() -> None:
    source = "'high' if x > 10 else 'low'"
    assert ev(source, x=11) == "high"
    assert ev(source, x=3) == "low"
    assert ev(source) == "low"  # None condition is falsy, like SQL CASE
    assert ev("a / b if b else 0", a=1, b=0) == 0


def test_coalesce() -> None:
    assert ev("coalesce(a, b, 0)", b=5) == 5
    assert ev("coalesce(a, b, 0)") == 0
    assert ev("coalesce(a, b)") is None
    assert ev("coalesce(a, 1 / 0)", a=False) is False
    assert ev("coalesce(a, 0) + coalesce(b, 0)", a=2) == 2


def test_coalesce_is_lazy() -> None:
    # The second argument would raise if it were evaluated.
    assert ev("coalesce(a, name * 2)", a=1, name="x") == 1


def test_days_and_year() -> None:
    assert ev("days(start, end)", start=date(2024, 1, 1), end=date(2024, 3, 1)) == 60
    assert ev("days(start, end)", start=date(2024, 3, 1), end=date(2024, 1, 1)) == -60
    assert ev("days(start, end)", start=datetime(2024, 1, 1, 23), end=date(2024, 1, 2)) == 1
    assert ev("days(start, end)", start="2024-01-01", end="2024-01-11") == 10
    assert ev("days(start, end)", start=date(2024, 1, 1)) is None
    assert ev("year(start)", start=date(2023, 5, 6)) == 2023
    assert ev("year(start)") is None
    with pytest.raises(ExprEvalError):
        ev("year(start)", start="not a date")
    with pytest.raises(ExprEvalError):
        ev("year(start)", start=5)


def test_round() -> None:
    assert ev("round(x, 2)", x=Decimal("2.345")) == Decimal("2.35")
    assert isinstance(ev("round(x, 2)", x=Decimal("2.345")), Decimal)
    assert ev("round(x)", x=2.5) == 3.0  # half away from zero, not banker's rounding
    assert ev("round(x)", x=-2.5) == -3.0
    assert isinstance(ev("round(x)", x=2.5), float)
    assert ev("round(x, 1)", x=1.25) == 1.3
    assert ev("round(x, -2)", x=1250) == 1300
    assert isinstance(ev("round(x, -2)", x=1250), int)
    assert ev("round(x, 2)") is None
    assert ev("round(x, 2)", x=float("inf")) == float("inf")
    with pytest.raises(ExprEvalError):
        ev("round(x, 0.5)", x=1)


def test_abs_min_max() -> None:
    assert ev("abs(x)", x=-3) == 3
    assert ev("abs(x)") is None
    assert ev("min(a, b, 3)", a=5, b=None) == 3
    assert ev("max(a, b, 3)", a=5, b=None) == 5
    assert ev("max(a, b)") is None
    assert ev("max(a, 0.5)", a=Decimal("0.4")) == Decimal("0.5")


def test_concat_and_len() -> None:
    assert ev("concat(name, '-', note)", name="A", note=None) == "A-"
    assert ev("concat(name, ': ', x)", name="n", x=Decimal("1.50")) == "n: 1.50"
    assert ev("len(name)", name="国药准字") == 4
    assert ev("len(name)") is None
    with pytest.raises(ExprEvalError):
        ev("len(x)", x=5)


def test_constants() -> None:
    assert ev("True") is True
    assert ev("None") is None
    assert ev("'text'") == "text"
    assert ev("1.5") == 1.5


def test_evaluate_is_reusable() -> None:
    expr = compile_expr(SEED, FIELDS)
    results = [expr.evaluate({"baseline": b, "planned": 2 * b}) for b in range(1, 50)]
    assert results == [1.0] * 49
