"""Identities beyond the administrator's user list: enterprises registering themselves
(register.py, decided on review.py), signing in through a unified identity platform (oidc.py),
and the 身份证号 a person must give before doing business (complete.py)."""

from __future__ import annotations

from typing import Any


def init_app(appbuilder: Any) -> None:
    from app.identity import complete, oidc, register, review

    register.init_app(appbuilder)
    review.init_app(appbuilder)
    oidc.init_app(appbuilder)
    complete.init_app(appbuilder)
