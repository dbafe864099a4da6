"""Building the organisation tree: the national root, GB/T 2260 divisions, units."""

from __future__ import annotations

import csv
import datetime as dt
import os
import re
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from app.security.models import NATIONAL_CODE, Organisation, child_path
from generator.identifiers import is_uscc, normalize_code
from generator.spec import LEVELS

DIVISIONS_CSV = os.path.join(os.path.dirname(os.path.dirname(__file__)), "data", "divisions.csv")
UNIT_KINDS = ("enterprise", "institution", "person")
# 自然人 (seed 003 ch. 1) hold a unit of their own, so that "own" (本单位) rows are theirs alone;
# it has no credit code: ZR + the county's GB/T 2260 code + 8 digits
PERSON_CODE = re.compile(r"ZR\d{14}")


def person_code(division: str, number: int) -> str:
    return f"ZR{division}{number:08d}"
PARENT_LEVELS = {  # which levels a node of each level may hang under
    "province": ("national",),
    "city": ("province",),
    "county": ("province", "city"),  # county-level units directly under a province
    "unit": ("province", "city", "county"),  # cities without counties, provincial units
}


class OrgError(ValueError):
    """A person's mistake, said in words the command line prints as is."""


def national(session: Session) -> Organisation:
    root = session.execute(select(Organisation).where(Organisation.code == NATIONAL_CODE)
                           ).scalar_one_or_none()
    if root is None:
        root = Organisation(code=NATIONAL_CODE, name="全国", level="national",
                            path=child_path(None, NATIONAL_CODE))
        session.add(root)
        session.flush()
    return root


def add_org(session: Session, code: str, name: str, level: str, parent: str | None = None,
            kind: str | None = None) -> Organisation:
    """Add one node; units are keyed by a valid 统一社会信用代码 (自然人 by `person_code`)."""
    if level not in LEVELS or level == "national":
        raise OrgError(f"level '{level}' is not allowed; expected one of "
                       f"{', '.join(LEVELS[1:])}")
    code = normalize_code(code)
    if level == "unit" and kind == "person":
        if not PERSON_CODE.fullmatch(code):
            raise OrgError(f"'{code}' is not a natural person's code (ZR + 14 digits)")
    elif level == "unit":
        if not is_uscc(code):
            raise OrgError(f"'{code}' is not a valid unified social credit code")
        if kind not in UNIT_KINDS:
            raise OrgError(f"a unit needs --kind, one of {', '.join(UNIT_KINDS)}")
    elif not (len(code) == 6 and code.isdigit()):
        raise OrgError(f"'{code}' is not a 6-digit GB/T 2260 code")
    if session.execute(select(Organisation.id).where(Organisation.code == code)).first():
        raise OrgError(f"organisation '{code}' already exists")
    above: Organisation | None
    if level == "province":
        above = national(session)
    else:
        above = session.execute(select(Organisation).where(Organisation.code == parent)
                                ).scalar_one_or_none() if parent else None
        if above is None:
            raise OrgError(f"parent '{parent}' does not exist")
        if above.level not in PARENT_LEVELS[level]:
            raise OrgError(f"a {level} cannot be under a {above.level}; expected a parent of "
                           f"level {' or '.join(PARENT_LEVELS[level])}")
    org = Organisation(code=code, name=name.strip(), level=level, kind=kind, parent=above,
                       path=child_path(above.path, code))
    session.add(org)
    session.flush()
    return org


def _date(text: str) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


def load_divisions(session: Session, path: str = DIVISIONS_CSV) -> int:
    """Insert the divisions that are not there yet (the file is sorted parents first)."""
    root = national(session)
    known = {code: (oid, opath) for oid, code, opath in session.execute(
        select(Organisation.id, Organisation.code, Organisation.path))}
    added = 0
    with open(path, encoding="utf-8", newline="") as fh:
        rows = sorted(csv.DictReader(fh), key=lambda r: LEVELS.index(r["level"]))
    by_level: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        if row["code"] not in known:
            by_level.setdefault(row["level"], []).append(row)
    for level in ("province", "city", "county"):
        batch = []
        for row in by_level.get(level, []):
            parent_id, parent_path = known[row["parent"]] if row["parent"] else (root.id,
                                                                                   root.path)
            batch.append({"code": row["code"], "name": row["name"], "level": level,
                          "parent_id": parent_id, "path": child_path(parent_path, row["code"]),
                          "valid_from": _date(row["valid_from"]),
                          "valid_to": _date(row["valid_to"])})
        if batch:
            session.execute(insert(Organisation), batch)
            added += len(batch)
            known.update({code: (oid, opath) for oid, code, opath in session.execute(
                select(Organisation.id, Organisation.code, Organisation.path).where(
                    Organisation.level == level))})
    return added


# -- units from a spreadsheet -----------------------------------------------------------------
UNIT_COLUMNS = {  # accepted headers -> field
    "统一社会信用代码": "code", "code": "code",
    "单位名称": "name", "名称": "name", "name": "name",
    "单位类型": "kind", "类型": "kind", "kind": "kind",
    "上级区划代码": "parent", "所在区划代码": "parent", "parent": "parent",
}
KIND_WORDS = {"企业": "enterprise", "enterprise": "enterprise", "医疗机构": "institution",
              "institution": "institution"}


def read_table(path: str) -> list[list[Any]]:
    """Rows of a .csv (UTF-8, with or without BOM) or the first sheet of an .xlsx."""
    if path.lower().endswith(".xlsx"):
        from openpyxl import load_workbook

        sheet = load_workbook(path, read_only=True, data_only=True).worksheets[0]
        return [list(row) for row in sheet.iter_rows(values_only=True)]
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return [list(row) for row in csv.reader(fh)]


def import_units(session: Session, rows: list[list[Any]]) -> tuple[int, list[str]]:
    """Validate every row first; add all units or none. Returns (added, row errors)."""
    if not rows:
        return 0, ["第1行：文件是空的"]
    header = [UNIT_COLUMNS.get(str(h or "").strip()) for h in rows[0]]
    missing = {"code", "name", "kind", "parent"} - set(header)
    if missing:
        return 0, [f"第1行：缺少列 {'、'.join(sorted(missing))}（可用列名："
                   "统一社会信用代码、单位名称、单位类型、上级区划代码）"]
    known = {code: level for code, level in session.execute(
        select(Organisation.code, Organisation.level))}
    errors, seen, good = [], set(), []
    for number, raw in enumerate(rows[1:], start=2):
        row = {key: str(value).strip() if value is not None else ""
               for key, value in zip(header, raw, strict=False) if key}
        if not any(row.values()):
            continue
        code = normalize_code(row.get("code", ""))
        problems = []
        if not is_uscc(code):
            problems.append("统一社会信用代码无效")
        elif code in known or code in seen:
            problems.append("统一社会信用代码已存在")
        if not row.get("name"):
            problems.append("单位名称为空")
        kind = KIND_WORDS.get(row.get("kind", ""))
        if kind is None:
            problems.append("单位类型应为“企业”或“医疗机构”")
        parent = row.get("parent", "").removesuffix(".0")  # spreadsheets turn codes into numbers
        if known.get(parent) not in PARENT_LEVELS["unit"]:
            problems.append(f"上级区划代码 {parent} 不存在或不是省、市、县级区划")
        if problems:
            errors.append(f"第{number}行：" + "；".join(problems))
        else:
            seen.add(code)
            good.append((code, row["name"], kind, parent))
    if errors:
        return 0, errors
    for code, name, kind, parent in good:
        add_org(session, code, name, "unit", parent, kind)
    return len(good), []
