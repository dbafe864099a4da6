"""The demo's organisations and accounts: added when missing, never changed when present."""

from __future__ import annotations

from functools import partial
from typing import Any

from sqlalchemy import select

from app.audit import trail
from app.context import generated, security
from app.demo.data import ACCOUNTS, PASSWORD, UNIT, UNITS, Account
from app.security import user_audit
from app.security.models import NATIONAL_CODE, Organisation
from app.security.orgs import DIVISIONS_CSV, add_org, load_divisions, national


class DemoError(RuntimeError):
    """The database cannot take the demo (told to the person running the command)."""


def org_code(account: Account) -> str:
    return UNIT[account.org].code if account.org in UNIT else account.org


def load_orgs(session: Any) -> tuple[int, int]:
    """GB/T 2260 divisions when missing, then the demo units. Returns (divisions, units)."""
    national(session)
    divisions = load_divisions(session, DIVISIONS_CSV)
    known = set(session.execute(select(Organisation.code)).scalars())
    units = 0
    for unit in UNITS:
        if unit.code not in known:
            add_org(session, unit.code, unit.name, "unit", unit.parent, unit.kind)
            units += 1
    return divisions, units


def load_accounts(session: Any) -> int:
    """One account per entry of ACCOUNTS that does not exist yet (by user name)."""
    sm = security()  # type: ignore[attr-defined]
    spec = generated().spec
    roles = {r.key: r for r in spec.roles}
    orgs = {o.code: o for o in session.execute(select(Organisation).where(
        Organisation.code.in_([org_code(a) for a in ACCOUNTS]))).scalars()}
    added = 0
    for account in ACCOUNTS:
        if sm.find_user(username=account.username) is not None:
            continue
        role = sm.find_role(account.role)
        if role is None or account.role not in roles:
            raise DemoError(f"role '{account.role}' is missing: run `flask schema apply` first")
        # an initial password: the policy makes it be changed at the first sign-in
        user = sm.add_user(account.username, account.name, "", f"{account.username}@demo.local",
                           role, PASSWORD, commit=False)
        if not user:
            raise DemoError(f"user '{account.username}' could not be created (see the log)")
        user.org = orgs[org_code(account)]
        user.user_class = roles[account.role].user_class
        user.id_no = account.id_no
        if account.modules:  # 子用户授权, recorded as the legal person's change of rights
            user.modules = account.modules
            delegate = next(a for a in ACCOUNTS if a.org == account.org
                            and a.role == "legal_person")
            before = user_audit.stored(partial(user_audit.modules_text, [], user.user_class))
            after = user_audit.snapshot(user)
            trail.record(session, "permissions", user=sm.find_user(username=delegate.username),
                         changes={"user": [after["user"], after["user"]],
                                  "modules": [before, after["modules"]]})
        added += 1
    return added


def users_by_name(session: Any) -> dict[str, Any]:
    sm = security()  # type: ignore[attr-defined]
    return {a.username: sm.find_user(username=a.username) for a in ACCOUNTS}


def orgs_by_key(session: Any) -> dict[str, Organisation]:
    """Unit key or region code -> Organisation."""
    codes = [u.code for u in UNITS] + [NATIONAL_CODE]
    codes += [a.org for a in ACCOUNTS if a.org not in UNIT]
    found = {o.code: o for o in session.execute(
        select(Organisation).where(Organisation.code.in_(codes))).scalars()}
    out = {code: org for code, org in found.items()}
    out.update({u.key: found[u.code] for u in UNITS})
    return out
