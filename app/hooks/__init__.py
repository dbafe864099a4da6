"""The fixed hook vocabulary. YAML names a hook; its type lives in a module of this package.

`CATALOGUE` maps each name to its type; the generator receives it (it never imports app/)
to check references and parameters when the schema is loaded.
"""

from __future__ import annotations

from app.hooks.base import Denied, HookType
from app.hooks.params import PasswordPolicyParams, UploadLimitParams, WindowDeadlineParams

CATALOGUE: dict[str, HookType] = {
    hook.name: hook
    for hook in (
        HookType("upload_limit", "field", UploadLimitParams,
                 "file types (by content), sizes, number of files, quota per organisation"),
        HookType("window_deadline", "entity", WindowDeadlineParams,
                 "edits and transitions only while the reporting window is open"),
        HookType("password_policy", "app", PasswordPolicyParams,
                 "password rules, lockout, expiry, forced change"),
    )
}

__all__ = ["CATALOGUE", "Denied", "HookType"]
