"""A browser's user agent as people read it: "Chrome 120 / Windows 10".

The rules are ua-parser's (the Browserscope regexes, pinned with ua-parser-builtins); the
label is cached per string, since a page shows the same few browsers over and over.
"""

from __future__ import annotations

from functools import lru_cache

# Operating systems that read better under another name.
OS_NAMES = {"Mac OS X": "macOS"}


@lru_cache(maxsize=2048)
def browser(user_agent: str | None) -> str:
    """"Chrome 120 / Windows 10", "Safari 17 / iOS 17", a script's name ("Python Requests 2"),
    or "" when nothing is known about it (the caller shows the raw string where it helps)."""
    if not user_agent:
        return ""
    from ua_parser import parse  # its rules load on the first agent read, not at start-up

    result = parse(user_agent)
    agent, system = result.user_agent, result.os
    if agent is None or agent.family == "Other":
        return ""
    name = f"{agent.family} {agent.major}" if agent.major else agent.family
    if system is None or system.family == "Other":
        return name
    os_name = OS_NAMES.get(system.family, system.family)
    return f"{name} / {os_name} {system.major}" if system.major else f"{name} / {os_name}"
