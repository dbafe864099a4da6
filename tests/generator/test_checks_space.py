"""The keys 企业空间 brought: a module's `links` (SCHEMA-E063) and what `upload_limit` means with
its entity: `types: [any]` alone (SCHEMA-E064), a quota only where rows belong to an
organisation (SCHEMA-E065). Exact reports, with file and line."""

from __future__ import annotations

from pathlib import Path

from generator import check_path, load_spec

ROLES = """roles:
  legal_person: {label: 企业法人, level: unit, user_class: legal_person}
"""
OTHER = """module: basic
entities:
  Info:
    scope: own
    fields: {name: string}
  Line:
    menu: false
    fields: {name: string}
"""


def _check(tmp_path: Path, module: str) -> list[str]:
    from app.hooks import CATALOGUE

    (tmp_path / "modules").mkdir()
    (tmp_path / "modules" / "basic.yaml").write_text(OTHER, encoding="utf-8")
    (tmp_path / "modules" / "space.yaml").write_text(module, encoding="utf-8")
    root = tmp_path / "entities.yaml"
    root.write_text(ROLES + "include: [modules/*.yaml]\n", encoding="utf-8")
    return [str(p) for p in check_path(str(root), CATALOGUE)]


def test_a_link_opens_another_module_s_list_for_the_classes_named(tmp_path: Path) -> None:
    from app.hooks import CATALOGUE

    text = """module: space
links:
  - {entity: basic.Info, label: {zh: 企业主体信息, en: Details}, user_classes: [legal_person]}
entities:
  Doc:
    scope: own
    fields: {title: string}
"""
    assert _check(tmp_path, text) == []
    spec = load_spec(str(tmp_path / "entities.yaml"), CATALOGUE)
    [link] = spec.module("space").links
    assert (link.entity, link.label.zh, link.icon, link.user_classes) == (
        "basic.Info", "企业主体信息", "fa-link", ("legal_person",))


def test_link_mistakes_are_reported_with_their_place(tmp_path: Path) -> None:
    text = """module: space
links:
  - {entity: Doc, label: 文档}
  - {entity: basic.Line, label: 行}
  - {entity: basic.Info, label: 信息}
  - {entity: basic.Info, label: 又一次}
  - {entity: basic.Nope, label: 无, user_classes: [boss]}
  - {label: 无实体}
entities:
  Doc:
    scope: own
    fields: {title: string}
"""
    assert _check(tmp_path, text) == [
        "SCHEMA-E063 modules/space.yaml:3 links[0].entity: 'space.Doc' is in this module's "
        "menu already; expected an entity of another module",
        "SCHEMA-E063 modules/space.yaml:4 links[1].entity: 'basic.Line' has no list of its "
        "own (menu: false); expected an entity with a menu entry",
        "SCHEMA-E063 modules/space.yaml:6 links[3].entity: 'basic.Info' is linked twice; "
        "expected each entity linked once",
        "SCHEMA-E017 modules/space.yaml:7 links[4].user_classes: 'boss' is not allowed; "
        "expected one of regulator, legal_person, agent, institution, admin, citizen",
        "SCHEMA-E013 modules/space.yaml:7 links[4].entity: unknown entity 'basic.Nope'; "
        "expected one of basic.Info, basic.Line, space.Doc",
        "SCHEMA-E004 modules/space.yaml:8 links[5]: required key 'entity' is missing; "
        "expected a 'entity' entry",
    ]


def test_any_stands_alone_and_a_quota_needs_an_organisation(tmp_path: Path) -> None:
    text = """module: space
entities:
  Doc:
    scope: own
    fields:
      file: {type: file, hook: upload_limit, params: {types: [any], quota_mb: 200}}
      both: {type: file, hook: upload_limit, params: {types: [pdf, any]}}
  Note:
    fields:
      file: {type: file, hook: upload_limit, params: {types: [pdf], quota_mb: 10}}
"""
    assert _check(tmp_path, text) == [
        "SCHEMA-E064 modules/space.yaml:7 entities.Doc.fields.both.params.types: 'any' "
        "accepts every file type and cannot be combined with pdf; expected [any] alone, or "
        "a list of the types to accept",
        "SCHEMA-E065 modules/space.yaml:10 entities.Note.fields.file.params.quota_mb: the "
        "rows of Note belong to no organisation, so there is no space to count the files "
        "against; expected an entity with scope (or lines of one), or no quota_mb",
    ]
