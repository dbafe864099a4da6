"""`password_policy`: the rules for passwords and sign-in, as plain code (no Flask here).

A `Policy` is a preset plus the YAML's parameters (each one overrides the preset's value):

    hooks:
      password_policy: {preset: seed_8_20, history: 5}

`check_password` is the one function every door that sets a password calls (the user forms,
the change-password form, an administrator's reset, `users create`, `users bootstrap`,
Flask-AppBuilder's own screens and commands, through `AppSecurityManager`). It returns the
English message ids of every broken rule; their placeholders are filled from
`Policy.placeholders()`, and the catalog carries them in Chinese.

Why the default allows 64 characters and not the seed notice's 20: NIST 800-63B and OWASP
ASVS want long passwords allowed (at least 64); the seed's exact "8-20" is the `seed_8_20`
preset an administrator can choose (docs/hooks.md).
"""

from __future__ import annotations

import functools
import string
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from app.hooks.base import Denied

COMMON_PASSWORDS = Path(__file__).resolve().parent / "data" / "common_passwords.txt"
# A user name shorter than this is not looked for inside passwords ("a" would forbid every
# password with an "a").
MIN_USERNAME_CHECKED = 3


def __(msgid: str) -> str:
    """Marks a message id for extraction (babel.cfg keyword `__`); translated where shown."""
    return msgid


TOO_SHORT = __("The password must have at least %(min_length)s characters.")
TOO_LONG = __("The password may have at most %(max_length)s characters.")
NEEDS = {
    "upper": __("The password must contain an upper-case letter (A-Z)."),
    "lower": __("The password must contain a lower-case letter (a-z)."),
    "digit": __("The password must contain a digit (0-9)."),
    "special": __("The password must contain a special character (such as @ # $ ! ?)."),
}
HAS_USERNAME = __("The password must not contain the user name.")
TOO_COMMON = __("This password is one of the most common ones; choose another.")
SAME_AS_CURRENT = __("The new password must differ from the current one.")
IN_HISTORY = __("The password must differ from the last %(history)s passwords.")


@dataclass(frozen=True)
class Policy:
    preset: str = "default"
    min_length: int = 8
    max_length: int = 64
    classes: tuple[str, ...] = ("upper", "lower", "digit", "special")
    not_username: bool = True
    not_common: bool = True
    history: int = 5  # the new password differs from the last N (the current one counts)
    expiry_days: int = 90  # 0: passwords never expire
    change_first_login: bool = True  # also after an administrator's reset
    lockout_attempts: int = 5  # 0: never lock
    lockout_minutes: int = 10
    idle_minutes: int = 30
    captcha: bool = True
    unused_days: int = 90  # `accounts sweep` disables accounts unused this long

    @classmethod
    def from_params(cls, params: Mapping[str, Any] | None = None,
                    *overrides: Mapping[str, Any]) -> Policy:
        """The preset named by the last mapping that names one, then every other value, in
        order (the YAML's parameters, then deployment overrides)."""
        layers = [dict(params or {}), *(dict(o) for o in overrides)]
        preset = "default"
        for layer in layers:
            preset = layer.get("preset", preset)
        if preset not in PRESETS:
            raise ValueError(f"unknown password policy preset '{preset}'; "
                             f"expected one of {', '.join(PRESETS)}")
        policy = PRESETS[preset]
        known = {f.name for f in fields(cls)} - {"preset"}
        changed: dict[str, Any] = {}
        for layer in layers:
            for key, value in layer.items():
                if key == "preset":
                    continue
                if key not in known:
                    raise ValueError(f"unknown password policy parameter '{key}'")
                changed[key] = tuple(value) if key == "classes" else value
        policy = replace(policy, **changed)
        if policy.min_length > policy.max_length:
            raise ValueError(f"password policy: min_length {policy.min_length} is greater "
                             f"than max_length {policy.max_length}")
        return policy

    @classmethod
    def from_spec(cls, spec: Any, overrides: Mapping[str, Any] | None = None) -> Policy:
        """From the root YAML's `hooks: {password_policy: ...}`; none: the `default` preset."""
        ref = spec.hook("password_policy") if spec is not None else None
        return cls.from_params(ref.as_dict if ref is not None else {}, overrides or {})

    def placeholders(self) -> dict[str, Any]:
        return {"min_length": self.min_length, "max_length": self.max_length,
                "history": self.history, "expiry_days": self.expiry_days,
                "lockout_attempts": self.lockout_attempts,
                "lockout_minutes": self.lockout_minutes, "idle_minutes": self.idle_minutes,
                "unused_days": self.unused_days}


PRESETS: dict[str, Policy] = {
    "default": Policy(),
    # The seed notice's exact rule: 8-20 characters, four classes.
    "seed_8_20": Policy(preset="seed_8_20", max_length=20),
    "strict": Policy(preset="strict", min_length=12, history=10, expiry_days=60,
                     lockout_minutes=30, idle_minutes=15),
}


@functools.cache
def common_passwords() -> frozenset[str]:
    with open(COMMON_PASSWORDS, encoding="utf-8") as fh:
        return frozenset(line.strip().lower() for line in fh
                         if line.strip() and not line.startswith("#"))


def character_classes(password: str) -> set[str]:
    """Which of upper, lower, digit, special the password has (special: anything else,
    punctuation, spaces and non-Latin characters alike)."""
    found = set()
    for char in password:
        if char in string.ascii_uppercase:
            found.add("upper")
        elif char in string.ascii_lowercase:
            found.add("lower")
        elif char in string.digits:
            found.add("digit")
        else:
            found.add("special")
    return found


def check_password(policy: Policy, password: str, username: str | None = None,
                   history_hashes: Iterable[str] = (),
                   verify: Callable[[str, str], bool] | None = None) -> list[str]:
    """The message ids of every rule the password breaks (empty: it may be used).

    `history_hashes`: the user's password hashes, newest first, the current one included;
    the new password must match none of the last `policy.history` (the current one always
    counts). `verify(hash, password)` defaults to werkzeug's `check_password_hash`.
    """
    problems = []
    if len(password) < policy.min_length:
        problems.append(TOO_SHORT)
    if len(password) > policy.max_length:
        problems.append(TOO_LONG)
    present = character_classes(password)
    problems.extend(NEEDS[name] for name in ("upper", "lower", "digit", "special")
                    if name in policy.classes and name not in present)
    name = (username or "").strip().lower()
    if policy.not_username and len(name) >= MIN_USERNAME_CHECKED and name in password.lower():
        problems.append(HAS_USERNAME)
    if policy.not_common and password.lower() in common_passwords():
        problems.append(TOO_COMMON)
    recent = list(history_hashes)[:max(policy.history, 1)]
    if recent and password:
        if verify is None:
            from werkzeug.security import check_password_hash

            verify = check_password_hash
        if any(verify(hashed, password) for hashed in recent if hashed):
            problems.append(IN_HISTORY if policy.history > 1 else SAME_AS_CURRENT)
    return problems


class PasswordRejected(Denied):
    """A password that breaks the policy; `problems` are message ids (see check_password)."""

    def __init__(self, problems: list[str], policy: Policy):
        super().__init__(problems[0], **policy.placeholders())
        self.problems = problems
        self.policy = policy


def enforce(policy: Policy, password: str, username: str | None = None,
            history_hashes: Iterable[str] = ()) -> None:
    """`check_password`, raising `PasswordRejected` when a rule is broken."""
    problems = check_password(policy, password, username, history_hashes)
    if problems:
        raise PasswordRejected(problems, policy)


def english(problems: Iterable[str], policy: Policy) -> list[str]:
    """The messages in English (command line output, logs)."""
    values = policy.placeholders()
    return [msgid % values for msgid in problems]
