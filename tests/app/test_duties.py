"""app/security/duties.py on its own: the rights that follow from a role's duty (user
management, reporting windows and their extensions), with and without windows in the schema
(pure Spec -> permissions; no Flask, no database)."""

from __future__ import annotations

from pathlib import Path

from app.hooks import CATALOGUE
from app.security.duties import duty_perms
from generator import load_spec
from generator.builders.matrix import MENU_ACCESS, Perm
from tests.conftest import ROOT

USERS = {Perm("can_list", "system:users"), Perm("can_add", "system:users"),
         Perm("can_edit", "system:users"), Perm(MENU_ACCESS, "user_management"),
         Perm(MENU_ACCESS, "system_admin")}
CRUD = ("list", "show", "add", "edit", "delete")
WINDOWS = {Perm(f"can_{a}", "hooks:window") for a in CRUD} | {
    Perm(MENU_ACCESS, "reporting_windows"), Perm(MENU_ACCESS, "window_admin")}
EXTENSIONS = {Perm(f"can_{a}", "hooks:window_extension") for a in CRUD} | {
    Perm(MENU_ACCESS, "window_extensions"), Perm(MENU_ACCESS, "window_admin")}
REGULATORS = ("nmpa_regulator", "province_regulator", "county", "city", "province", "national",
              "inspector", "leader")
FEEDBACK = {Perm("can_list", "help:feedback"), Perm(MENU_ACCESS, "feedback"),
            # 定时任务 (the schedules' run log) beside it
            Perm("can_list", "jobs:schedule_runs"), Perm(MENU_ACCESS, "schedule_runs")}


def test_the_bundled_schema_with_its_reporting_windows() -> None:
    perms = duty_perms(load_spec(str(ROOT / "schema" / "entities.yaml"), CATALOGUE))
    assert perms == {"sys_admin": USERS | WINDOWS | FEEDBACK, "legal_person": USERS,
                     **{role: EXTENSIONS for role in REGULATORS},
                     # 账号发放: the province and the national office issue accounts
                     "province": USERS | EXTENSIONS, "national": USERS | EXTENSIONS}
    # other administrators, agents and institutions have no duty rights
    assert not {"security_admin", "audit_admin", "agent", "institution"} & set(perms)


def test_without_windows_only_user_management(tmp_path: Path) -> None:
    schema = tmp_path / "entities.yaml"
    schema.write_text("""\
roles:
  sys_admin: {label: 系统管理员, level: national, user_class: admin, admin: system}
  legal_person: {label: 企业法人, level: unit, user_class: legal_person}
  county: {label: 区县级, level: county, user_class: regulator}
module: plain
entities:
  Thing:
    scope: jurisdiction
    fields:
      name: {type: string, max: 50}
    permissions:
      county: [list, show]
""", encoding="utf-8")
    assert duty_perms(load_spec(str(schema), CATALOGUE)) == {"sys_admin": USERS | FEEDBACK,
                                                               "legal_person": USERS}
