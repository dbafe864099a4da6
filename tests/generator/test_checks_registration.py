"""Checks of the root `registration:` (注册账号): what it becomes, every mistake with its place
(SCHEMA-E066..E068), and the rights it gives the system administrators."""

from __future__ import annotations

from pathlib import Path

from app.hooks import CATALOGUE
from generator import check_path, load_spec
from generator.builders.matrix import Perm, role_perms
from generator.spec import Registration

SCHEMA = """\
module: basic
roles:
  admin: {label: 系统管理员, level: [national, province], user_class: admin, admin: system}
  boss: {label: 法人, level: unit, user_class: legal_person}
  agent: {label: 经办人, level: unit, user_class: agent}
entities: {}
registration:
  regions: ["110000", "310000"]
  role: boss
  id_no_roles: [boss, agent]
"""


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "entities.yaml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_registration_becomes_this_spec_object(tmp_path: Path) -> None:
    spec = load_spec(write(tmp_path, SCHEMA), CATALOGUE)
    assert spec.registration == Registration(("110000", "310000"), "boss", "enterprise",
                                             ("boss", "agent"))
    perms = role_perms(spec)
    assert Perm("can_edit", "system:registrations") in perms["admin"]
    assert Perm("menu_access", "registrations") in perms["admin"]
    assert not any(p.view == "system:registrations" for p in perms["boss"])


def test_without_registration_nobody_decides(tmp_path: Path) -> None:
    spec = load_spec(write(tmp_path, SCHEMA.split("registration:")[0]), CATALOGUE)
    assert spec.registration is None
    assert not any(p.view == "system:registrations" for p in role_perms(spec)["admin"])


def test_every_mistake_is_reported_with_its_place(tmp_path: Path) -> None:
    broken = SCHEMA.replace('regions: ["110000", "310000"]', 'regions: ["110105", 110000]') \
        .replace("role: boss", "role: admin\n  kind: person\n  colour: red") \
        .replace("id_no_roles: [boss, agent]", "id_no_roles: [admin, nobody]")
    problems = [str(p) for p in check_path(write(tmp_path, broken), CATALOGUE)]
    assert problems == [
        "SCHEMA-E002 entities.yaml:8 registration.regions[1]: is a number; expected text",
        "SCHEMA-E067 entities.yaml:8 registration.regions: '110105' is not a province's "
        "GB/T 2260 code; expected six digits ending in 0000, e.g. '110000' (北京市); quote it",
        "SCHEMA-E066 entities.yaml:9 registration.role: role 'admin' is not held by a unit's "
        "account; expected a role of level unit without an administrator duty, one of "
        "agent, boss",
        "SCHEMA-E068 entities.yaml:10 registration.kind: 'person' cannot register; expected "
        "one of enterprise, institution",
        "SCHEMA-E003 entities.yaml:11 registration.colour: unknown key 'colour'; expected one "
        "of regions, kind, role, id_no_roles",
        "SCHEMA-E066 entities.yaml:12 registration.id_no_roles: role 'admin' is not held by a "
        "unit's account; expected one of agent, boss",
        "SCHEMA-E023 entities.yaml:12 registration.id_no_roles: unknown role 'nobody'; "
        "expected one of admin, agent, boss",
    ]
