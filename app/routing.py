"""URL rules whose builders are compiled when first used, not when the rule is added.

Werkzeug compiles two URL builders per rule (Python source through `compile()`) as soon as the
rule joins the map; a schema of 200 entities has about 6,000 rules, and that compilation was
half of the start-up. Most rules are never used to build a URL in a given process, so each
builder is compiled on its first call instead; matching requests does not use them at all.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from werkzeug.routing import Rule


class LazyBuilderRule(Rule):
    def _compile_builder(self, append_unknown: bool = True) -> Callable[..., Any]:
        compiled: list[Callable[..., Any]] = []

        def build(rule: Rule, *args: Any, **kwargs: Any) -> Any:
            if not compiled:
                compiled.append(Rule._compile_builder(rule, append_unknown).__get__(rule, None))
            return compiled[0](*args, **kwargs)

        return build
