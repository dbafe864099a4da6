"""Checks of a module's `notices:` (通知公告): what it becomes, every mistake with its place,
one board per schema, and the rights it gives (every role reads, publishers publish)."""

from __future__ import annotations

from pathlib import Path

from app.hooks import CATALOGUE
from generator import check_path, load_spec
from generator.builders.matrix import Perm, role_perms
from generator.spec import HookRef, Label, NoticeCategory, Notices

SCHEMA = """\
module: portal
roles:
  unit: {label: 单位, level: unit, user_class: institution}
  boss: {label: 省局, level: province, user_class: regulator}
entities: {}
notices:
  label: {zh: 通知公告, en: Notices}
  categories:
    policy: {zh: 政策法规, en: Policies}
    important: 重要通知
  publishers: [boss]
  public: true
  attachment: {hook: upload_limit, params: {types: [pdf], max_mb: 5}}
  latest: 3
"""


def write(tmp_path: Path, text: str, name: str = "entities.yaml") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_notices_become_this_spec_object(tmp_path: Path) -> None:
    spec = load_spec(write(tmp_path, SCHEMA), CATALOGUE)
    assert spec.notices == Notices(
        "portal", Label("通知公告", "Notices"),
        (NoticeCategory("policy", Label("政策法规", "Policies")),
         NoticeCategory("important", Label("重要通知", "重要通知"))),
        ("boss",), True,
        HookRef("upload_limit", (("max_files", 1), ("max_mb", 5.0), ("quota_mb", None),
                                 ("types", ["pdf"]))), 3)
    assert spec.module("portal").notices == spec.notices


def test_defaults_a_private_board_without_attachment(tmp_path: Path) -> None:
    text = SCHEMA.split("  label:")[0] + ("  categories: {policy: 政策法规}\n"
                                          "  publishers: [boss]\n")
    board = load_spec(write(tmp_path, text), CATALOGUE).notices
    assert board is not None
    assert (board.label, board.public, board.attachment, board.latest) == (
        Label("通知公告", "Notices"), False, None, 5)


def test_every_mistake_is_reported_with_its_place(tmp_path: Path) -> None:
    text = (SCHEMA.replace("    important: 重要通知\n", "    Important: 重要通知\n")
            .replace("publishers: [boss]", "publishers: [bos]")
            .replace("public: true", "public: 'yes'")
            .replace("max_mb: 5", "max_mb: 0")
            .replace("latest: 3", "latest: 50\n  colour: red"))
    problems = [str(p) for p in check_path(write(tmp_path, text), CATALOGUE)]
    assert problems == [
        "SCHEMA-E005 entities.yaml:10 notices.categories.Important: 'Important' is not "
        "allowed; expected lower-case letters, digits and _ starting with a letter (max 31)",
        "SCHEMA-E023 entities.yaml:11 notices.publishers: unknown role 'bos'; expected one "
        "of boss, unit",
        "SCHEMA-E002 entities.yaml:12 notices.public: is text; expected yes/no (true or false)",
        "SCHEMA-E026 entities.yaml:13 notices.attachment.hook.max_mb: Must be greater than or "
        "equal to 0.001 and less than or equal to 1024.; expected the parameters of "
        "upload_limit in docs/hooks.md",
        "SCHEMA-E017 entities.yaml:14 notices.latest: 50 is out of range; expected a whole "
        "number from 1 to 20",
        "SCHEMA-E003 entities.yaml:15 notices.colour: unknown key 'colour'; expected one of "
        "label, categories, publishers, public, attachment, latest",
    ]


def test_categories_and_publishers_are_required(tmp_path: Path) -> None:
    text = SCHEMA.split("notices:")[0] + "notices:\n  categories: {}\n  publishers: []\n"
    problems = [str(p) for p in check_path(write(tmp_path, text), CATALOGUE)]
    assert problems == [
        "SCHEMA-E004 entities.yaml:7 notices.categories: notices need at least one category; "
        "expected a mapping of name -> label, e.g. {policy: 政策法规}",
        "SCHEMA-E004 entities.yaml:8 notices.publishers: notices need at least one role that "
        "publishes them; expected a list of role names",
    ]


def test_one_module_of_a_schema_has_notices(tmp_path: Path) -> None:
    root = SCHEMA.replace("module: portal\n", "include: [more.yaml]\nmodule: portal\n")
    write(tmp_path, "module: more\nentities: {}\nnotices:\n  categories: {a: 甲}\n"
          "  publishers: [unit]\n", "more.yaml")
    problems = [str(p) for p in check_path(write(tmp_path, root), CATALOGUE)]
    assert problems == [
        "SCHEMA-E006 more.yaml:3 notices: notices are already defined by module 'portal'; "
        "expected one module with notices"]


def test_every_role_reads_and_the_publishers_publish(tmp_path: Path) -> None:
    perms = role_perms(load_spec(write(tmp_path, SCHEMA), CATALOGUE))
    reading = {Perm("can_list", "portal:notices"), Perm("menu_access", "portal.notices"),
               Perm("menu_access", "portal.notice_subscriptions"),
               Perm("menu_access", "portal")}
    publishing = Perm("can_publish", "portal:notices")
    assert reading <= perms["unit"] and reading <= perms["boss"]
    assert publishing in perms["boss"] and publishing not in perms["unit"]
