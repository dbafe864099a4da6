"""The hook interface: the only hand-written business rules (see docs/hooks.md).

A hook type has a name the YAML uses, the fixed points where it may run, and a marshmallow
schema for its parameters. Hooks may deny (raise `Denied` with a reason a person can read);
they never grant. This module imports no Flask: the generator checks hook references and
parameters with it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from marshmallow import Schema, ValidationError

# Where hooks run. A hook type declares which of these it serves.
POINTS = (
    "field",  # on a file field: every upload into it
    "entity",  # on an entity: before a row is saved or changes state
    "app",  # application-wide: accounts and sign-in
)


class Denied(Exception):
    """A hook said no. `reason` is an English msgid with named `params`, shown in Chinese."""

    def __init__(self, reason: str, **params: Any):
        super().__init__(reason % params if params else reason)
        self.reason = reason
        self.params = params


@dataclass(frozen=True)
class HookType:
    name: str
    point: str  # one of POINTS
    params: type[Schema]
    summary: str

    def check_params(self, raw: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        """(cleaned parameters, errors keyed by parameter name)."""
        try:
            return self.params().load(dict(raw)), {}
        except ValidationError as exc:
            messages = exc.messages if isinstance(exc.messages, dict) else {"_": exc.messages}
            return {}, messages
