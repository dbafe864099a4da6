"""参数设置: the parameters a system administrator may change at runtime, and `value(key)`,
the one way other code reads them.

Each parameter is declared here (`PARAMETERS`): its kind (text, yes/no, whole number), its
bounds, and its default — what the schema and the configuration say (the YAML's
`password_policy`, `ADMIN_PASSWORD_POLICY`, `app.title`). A value set on the page is kept in
`sys_setting` and wins over the default; every host reloads them when the "settings" counter
moved (versions.py), read once per request, so a change takes effect everywhere at the next
request, without a restart.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from flask import current_app, has_app_context
from flask_babel import LazyString, lazy_gettext
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit import trail
from app.context import generated
from app.labels import current_locale
from app.system import versions
from app.system.models import Setting

KIND = versions.SETTINGS  # the versions counter
AUDIT_ACTION = "settings"
TEXT, FLAG, NUMBER, DATE = "text", "flag", "number", "date"


def _policy() -> Any:
    from app.security.manager import base_policy

    return base_policy()  # the schema's and the configuration's, before 参数设置


def _at_most(schema: int, widest: int) -> tuple[int, int]:
    """Bounds of a limit where 0 means none: up to the schema's limit, 0 only if it is 0."""
    return (1, schema) if schema else (0, widest)


@dataclass(frozen=True)
class Parameter:
    key: str
    label: Any  # a lazy msgid
    kind: str  # TEXT, FLAG or NUMBER
    default: Callable[[], Any]  # from the schema and the configuration
    low: int = 0  # NUMBER: bounds; TEXT: length
    high: int = 0
    help: Any = ""
    group: Any = ""
    # NUMBER: bounds of now instead of (low, high) — the password policy's values may only
    # tighten what the schema and the configuration say, never loosen it
    limits: Callable[[], tuple[int, int]] | None = None

    def bounds(self) -> tuple[int, int]:
        return self.limits() if self.limits is not None else (self.low, self.high)


_ACCOUNTS = lazy_gettext("Sign-in and passwords")
PARAMETERS: tuple[Parameter, ...] = (
    Parameter("system_title", lazy_gettext("System title"), TEXT,
              lambda: generated().spec.title.zh, 1, 50,
              lazy_gettext("Shown in the top bar, the page titles and the sign-in page."),
              lazy_gettext("System")),
    Parameter("captcha", lazy_gettext("Captcha on the sign-in page"), FLAG,
              lambda: _policy().captcha, group=_ACCOUNTS),
    Parameter("password_min_length", lazy_gettext("Shortest password"), NUMBER,
              lambda: _policy().min_length, 6, 64,
              lazy_gettext("Characters; from what the schema asks up to the longest password "
                           "allowed."), _ACCOUNTS,
              lambda: (_policy().min_length, _policy().max_length)),
    Parameter("password_expiry_days", lazy_gettext("Password valid for (days)"), NUMBER,
              lambda: _policy().expiry_days, 0, 3650, lazy_gettext("0: passwords never expire."),
              _ACCOUNTS, lambda: _at_most(_policy().expiry_days, 3650)),
    Parameter("password_remind_days", lazy_gettext("Remind before a password expires (days)"),
              NUMBER, lambda: 7, 0, 90, "", _ACCOUNTS),
    Parameter("lockout_attempts", lazy_gettext("Failed sign-ins before the account locks"),
              NUMBER, lambda: _policy().lockout_attempts, 0, 100,
              lazy_gettext("0: never lock."), _ACCOUNTS,
              lambda: _at_most(_policy().lockout_attempts, 100)),
    Parameter("lockout_minutes", lazy_gettext("Locked for (minutes)"), NUMBER,
              lambda: _policy().lockout_minutes, 1, 24 * 60, "", _ACCOUNTS,
              lambda: (_policy().lockout_minutes, 24 * 60)),
    # seed 004 三(三): accounts that kept their initial password past this date are disabled by
    # the nightly sweep (the schedule's own `initial_deadline` wins when it names one)
    Parameter("initial_password_deadline", lazy_gettext("Initial passwords changed by"), DATE,
              lambda: "", help=lazy_gettext("A date such as 2026-03-31; blank: no deadline. The "
                                            "nightly account sweep disables accounts that "
                                            "still have their initial password after this "
                                            "date."),
              group=_ACCOUNTS),
    Parameter("export_row_limit", lazy_gettext("Rows an export holds at most"), NUMBER,
              lambda: 0, 0, 1_000_000, lazy_gettext("0: no limit."),
              lazy_gettext("Import and export")),
)
BY_KEY = {p.key: p for p in PARAMETERS}
# Parameters that narrow the password policy (app/security/manager.py `password_policy`)
POLICY_KEYS = {"captcha": "captcha", "password_min_length": "min_length",
               "password_expiry_days": "expiry_days", "lockout_attempts": "lockout_attempts",
               "lockout_minutes": "lockout_minutes"}


class Refused(ValueError):
    """A value that cannot be set; str() says why, in the reader's language."""


class Cache:
    """One app's copy of `sys_setting`: the counter it was read at, and key -> value."""

    def __init__(self) -> None:
        self.loaded: tuple[int, dict[str, Any]] | None = None

    def stored(self, session: Session) -> tuple[int, dict[str, Any]]:
        now = versions.counter(session, KIND)
        loaded = self.loaded
        if loaded is None or loaded[0] != now:
            rows = session.connection().execute(select(Setting.key, Setting.value))
            loaded = (now, {key: json.loads(raw) for key, raw in rows})
            self.loaded = loaded
        return loaded


def _cache() -> Cache:
    cache: Cache = current_app.extensions["settings"]
    return cache


def stored() -> tuple[int, dict[str, Any]]:
    """(counter, the values set on the page) as this request sees them."""
    return _cache().stored(generated().session)


def value(key: str) -> Any:
    """A parameter's value now: the one set on 参数设置, else its default."""
    parameter = BY_KEY[key]
    found = stored()[1]
    return found[key] if key in found else parameter.default()


def parse(parameter: Parameter, raw: str | None) -> Any:
    """A value typed on the page, checked against the parameter's kind and bounds."""
    text = (raw or "").strip()
    if parameter.kind == FLAG:
        return text == "1"
    if parameter.kind == DATE:
        if text:
            try:
                dt.date.fromisoformat(text)
            except ValueError:
                raise Refused(_("%(name)s: a date such as 2026-03-31, or blank.",
                                name=parameter.label)) from None
        return text
    if parameter.kind == TEXT:
        if not parameter.low <= len(text) <= parameter.high:
            raise Refused(_("%(name)s: between %(low)d and %(high)d characters.",
                            name=parameter.label, low=parameter.low, high=parameter.high))
        return text
    low, high = parameter.bounds()
    if not text.isdigit() or not low <= int(text) <= high:
        raise Refused(_("%(name)s: a whole number from %(low)d to %(high)d.",
                        name=parameter.label, low=low, high=high))
    return int(text)


def save(session: Session, values: dict[str, Any]) -> dict[str, list[Any]]:
    """Store the values that differ from what is in effect; audited; returns the changes."""
    found = {s.key: s for s in session.scalars(select(Setting))}
    changes: dict[str, list[Any]] = {}
    for key, new in values.items():
        old = value(key)
        if old == new:
            continue
        changes[str(BY_KEY[key].label)] = [old, new]
        row = found.get(key)
        if row is None:
            session.add(Setting(key=key, value=json.dumps(new, ensure_ascii=False)))
        else:
            row.value = json.dumps(new, ensure_ascii=False)
    if changes:
        trail.record(session, AUDIT_ACTION, changes=changes)
        versions.bump(session, KIND)
    return changes


def policy(base: Any) -> Any:
    """The password policy (app/hooks/password_policy.py `Policy`) with what 参数设置 set."""
    counter, found = stored()
    changed = {POLICY_KEYS[k]: v for k, v in found.items() if k in POLICY_KEYS}
    if not changed:
        return base
    cached = current_app.extensions.get("settings_policy")
    if cached is None or cached[0] != (counter, base):
        cached = ((counter, base), replace(base, **changed))
        current_app.extensions["settings_policy"] = cached
    return cached[1]


def title(app: Any = None) -> str:
    """The system's title: set on 参数设置, else the YAML's `app.title` in the reader's
    language (outside a request of `app`, where nothing can be read: the YAML's)."""
    if has_app_context():
        found = stored()[1]
        if "system_title" in found:
            return str(found["system_title"])
        return generated().spec.title.get(current_locale())
    return str(generated(app).spec.title.get(current_locale()))


def init_app(app: Any) -> None:
    app.extensions["settings"] = Cache()
    app.config["APP_NAME"] = LazyString(lambda: title(app))
