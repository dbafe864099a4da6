"""YAML schema -> checked Spec -> builders. Never imports Flask."""

from __future__ import annotations

from generator.checks import check
from generator.loader import load
from generator.problems import Problem, SchemaError
from generator.spec import Spec


def load_spec(path: str) -> Spec:
    """Load and check a schema; raise SchemaError listing every problem."""
    spec, problems = check(load(path))
    if problems or spec is None:
        raise SchemaError(problems)
    return spec


def check_path(path: str) -> list[Problem]:
    return check(load(path))[1]


__all__ = ["Problem", "SchemaError", "Spec", "check_path", "load_spec"]
