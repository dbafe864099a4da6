"""批量初始化账号 (seed 004 三(三): the regional office initialises every person's account from
the list of names, roles and organisations the units sent in): one xlsx, every row checked by
the same rules as the add form (`user_rules.check_user`), then all accounts created in one
transaction, or none.

Each account gets its own random initial password, which must be changed at the first
sign-in (the sweep disables the accounts whose initial password was not changed by
参数设置 → 初始密码修改截止日期). The passwords are shown once, to the administrator who
imported the file, and never stored in clear.
"""

from __future__ import annotations

import io
import re
import secrets
import string
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select

from app.labels import current_locale
from app.security import user_audit
from app.security.models import AppUser, Organisation
from app.security.user_rules import (
    USER_CLASS_LABELS,
    Proposal,
    check_user,
    delegable_modules,
    grantable_classes,
    grantable_roles,
    managed_orgs,
    spec,
)

# The template's columns, in order: (key, Chinese header, required)
COLUMNS = (
    ("username", "用户名", True),
    ("first_name", "姓名", True),
    ("org", "所属机构代码", True),
    ("roles", "角色", True),
    ("user_class", "用户类别", False),
    ("modules", "授权模块", False),
    ("email", "电子邮箱", False),
)
HEADERS = {header: key for key, header, _required in COLUMNS}
SEPARATORS = re.compile(r"[,，、;；\s]+")
USERNAME = re.compile(r"^[A-Za-z0-9_.@-]{3,64}$")
MAX_ROWS = 2000  # a province's whole staff at once; more is split into several files


@dataclass(frozen=True)
class Problem:
    row: int  # as the spreadsheet numbers it (the header is row 1)
    column: str  # the header as the file has it
    message: str


@dataclass
class Checked:
    """A file's rows, checked: the accounts to create, or every problem (then none)."""

    accounts: list[dict[str, Any]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def max_rows() -> int:
    return int(current_app.config.get("ADMIN_BULK_ACCOUNTS_MAX_ROWS", MAX_ROWS))


def read_rows(data: bytes) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """(headers, [(row number, {column key: text})]) of the first sheet; blank rows skipped.
    Raises ValueError with a message for people when the file is no workbook."""
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # zip, xml and openpyxl errors alike: not a workbook
        raise ValueError(_("The file is not an Excel workbook (.xlsx).")) from exc
    sheet = book.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    header_row = next(rows, None) or ()
    headers = [str(h).strip().rstrip("*＊") if h is not None else "" for h in header_row]
    out = []
    for number, values in enumerate(rows, start=2):
        cells = {HEADERS[h]: _text(v) for h, v in zip(headers, values, strict=False)
                 if h in HEADERS}
        if any(cells.values()):
            out.append((number, cells))
        if len(out) > max_rows():
            break
    book.close()
    return headers, out


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a code typed as a number: 640104.0
    return str(value).strip()


def _keys(text: str, items: Any) -> tuple[list[str], list[str]]:
    """Names of roles or modules (their Chinese label, the reader's, or the key) in a cell
    → ([keys], [names that are none of them])."""
    by_name: dict[str, str] = {}
    for item in items:
        by_name[item.key] = item.key
        for label in (item.label.zh, item.label.get(current_locale())):
            if label:
                by_name[label] = item.key
    keys: list[str] = []
    unknown: list[str] = []
    for name in (n for n in SEPARATORS.split(text) if n):
        (keys if name in by_name else unknown).append(by_name.get(name, name))
    return list(dict.fromkeys(keys)), unknown


def _class_key(text: str) -> str | None:
    if not text:
        return None
    for key, label in USER_CLASS_LABELS.items():
        if text in (key, str(label)):
            return key
    return text  # check_user names it as unknown


def check(session: Any, actor: Any, headers: list[str],
          rows: list[tuple[int, dict[str, str]]]) -> Checked:
    """Every row against every rule; the file as a whole (repeated user names) too."""
    result = Checked()
    header_of = {key: header for key, header, _required in COLUMNS}

    def refuse(row: int, key: str, message: str) -> None:
        result.problems.append(Problem(row, header_of[key], message))

    missing = [header for key, header, required in COLUMNS if required and header not in headers]
    if missing:
        result.problems.append(Problem(1, "、".join(missing), _(
            "The file lacks these columns; download the template and fill it in.")))
        return result
    if not rows:
        result.problems.append(Problem(2, header_of["username"], _("The file holds no rows.")))
        return result
    if len(rows) > max_rows():
        result.problems.append(Problem(rows[-1][0], header_of["username"], _(
            "At most %(count)d accounts per file; split the file.", count=max_rows())))
        return result
    codes = {cells.get("org", "") for _row, cells in rows}
    query = select(Organisation).where(Organisation.code.in_(codes))
    reachable = managed_orgs(actor)
    if reachable is not None:
        query = query.where(reachable)
    orgs = {o.code: o for o in session.execute(query).scalars()}
    names = [cells.get("username", "") for _row, cells in rows]
    taken = set(session.execute(select(AppUser.username).where(
        func.lower(AppUser.username).in_([n.lower() for n in names if n]))).scalars())
    taken_lower = {n.lower() for n in taken}
    first_row: dict[str, int] = {}
    for number, cells in rows:
        for key, _header, required in COLUMNS:
            if required and not cells.get(key):
                refuse(number, key, _("This field is required."))
        username = cells.get("username", "")
        if username:
            if not USERNAME.match(username):
                refuse(number, "username", _(
                    "3 to 64 letters, digits or the characters _ . @ -."))
            elif username.lower() in taken_lower:
                refuse(number, "username", _("This user name is taken already."))
            elif username.lower() in first_row:
                refuse(number, "username", _("The same user name as row %(row)d.",
                                             row=first_row[username.lower()]))
            first_row.setdefault(username.lower(), number)
        code = cells.get("org", "")
        org = orgs.get(code)
        if code and org is None:  # missing and outside the range read alike
            refuse(number, "org", _("No organisation with this code within your jurisdiction."))
        roles, unknown_roles = _keys(cells.get("roles", ""), spec().roles)
        for name in unknown_roles:
            refuse(number, "roles", _("There is no role %(role)s.", role=name))
        modules, unknown_modules = _keys(cells.get("modules", ""), spec().modules)
        for name in unknown_modules:
            refuse(number, "modules", _("Modules: there is no module %(module)s.", module=name))
        if org is None or not roles:
            continue
        outcome = check_user(actor, None, Proposal(
            org=org, user_class=_class_key(cells.get("user_class", "")), roles=roles,
            modules=modules if cells.get("modules") else None))
        for name, messages in outcome.errors.items():
            for message in messages:
                refuse(number, name if name in header_of else "roles", message)
        result.accounts.append({
            "row": number, "username": username, "first_name": cells.get("first_name", ""),
            "email": cells.get("email", ""), "org": outcome.org,
            "user_class": outcome.user_class, "roles": outcome.roles,
            "modules": outcome.modules})
    if result.problems:
        result.accounts = []
    result.problems.sort(key=lambda p: p.row)
    return result


def initial_password(sm: Any, username: str) -> str:
    """A random password the policy takes: letters of both cases, digits and a sign."""
    policy = sm.password_policy
    length = max(12, min(int(policy.min_length) + 4, int(policy.max_length)))
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789"
    signs = "@#%&*+=?"
    while True:
        body = [secrets.choice(alphabet) for _ in range(length - 2)]
        body.insert(secrets.randbelow(len(body) + 1), secrets.choice(signs))
        body.insert(secrets.randbelow(len(body) + 1), secrets.choice(string.digits[2:]))
        password = "".join(body)
        if not sm.password_problem_ids(password, None, username):
            return password


def create(session: Any, sm: Any, accounts: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Create the checked accounts (the caller commits, once); returns who got which
    initial password, in the file's order."""
    made = []
    for account in accounts:
        user = AppUser()
        user.username = account["username"]
        user.first_name = account["first_name"]
        user.last_name = ""
        user.email = account["email"] or f"{account['username']}@localhost"
        user.org = account["org"]
        user.user_class = account["user_class"]
        user.modules = ",".join(account["modules"]) or None
        user.roles = [sm.find_role(key) for key in account["roles"]]
        password = initial_password(sm, user.username)
        sm.set_password(user, password, by_owner=False, check=False)
        user.must_change_password = True  # an initial password, whatever the policy says
        user.active = True
        session.add(user)
        session.flush()
        user_audit.record_created(session, user)
        made.append({"username": user.username, "first_name": user.first_name,
                     "org": user.org.name, "password": password})
    return made


def template_rows(actor: Any) -> list[list[str]]:
    """The template's sheets: the columns with an example, and what may be written in them."""
    roles = grantable_roles(actor)
    example = roles[0].label.zh if roles else ""
    org = actor.org.code if actor is not None and actor.org is not None else ""
    head = [header + ("*" if required else "") for _key, header, required in COLUMNS]
    return [head, ["zhangsan", "张三", org, example, "", "", "zhangsan@example.com"]]


def legend(actor: Any) -> list[list[str]]:
    rows = [["角色（可填多个，用顿号分隔）", "适用机构层级"]]
    levels = {"national": "国家", "province": "省级", "city": "地市级", "county": "区县级",
              "unit": "企业/单位"}
    for role in grantable_roles(actor):
        rows.append([role.label.zh, "、".join(levels[lv] for lv in role.levels)])
    rows.append([])
    rows.append(["授权模块（可选，用顿号分隔；留空：角色的全部模块）", ""])
    for module in delegable_modules(actor):
        rows.append([module.label.zh, module.key])
    rows.append([])
    rows.append(["用户类别（可选；留空：按角色确定）", ""])
    for key in grantable_classes(actor):
        rows.append([str(USER_CLASS_LABELS.get(key, key)), ""])
    return rows
