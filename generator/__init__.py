"""YAML schema -> checked Spec -> builders. Never imports Flask."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from generator.checks import check
from generator.loader import load
from generator.problems import Problem, SchemaError
from generator.spec import Spec


def load_spec(path: str, hooks: Mapping[str, Any] | None = None) -> Spec:
    """Load and check a schema; raise SchemaError listing every problem.

    `hooks` is the hook catalogue (app.hooks.CATALOGUE) hook references are checked against."""
    spec, problems = check(load(path), hooks)
    if problems or spec is None:
        raise SchemaError(problems)
    return spec


def check_path(path: str, hooks: Mapping[str, Any] | None = None) -> list[Problem]:
    return check(load(path), hooks)[1]


__all__ = ["Problem", "SchemaError", "Spec", "check_path", "load_spec"]
