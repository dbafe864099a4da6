from __future__ import annotations

import os
from pathlib import Path

import pytest

from generator import SchemaError, check_path, load_spec
from generator.problems import CODES

SCHEMAS = Path(__file__).resolve().parent.parent / "data" / "schemas"


def _write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "entities.yaml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_broken_schema_reports_exactly_its_ten_mistakes() -> None:
    """Golden test: UPDATE_GOLDEN=1 rewrites expected.txt after a deliberate change."""
    problems = check_path(str(SCHEMAS / "broken" / "entities.yaml"))
    got = "\n".join(str(p) for p in problems) + "\n"
    expected = SCHEMAS / "broken" / "expected.txt"
    if os.environ.get("UPDATE_GOLDEN"):
        expected.write_text(got, encoding="utf-8")
    assert got == expected.read_text(encoding="utf-8")
    assert len(problems) == 10
    assert len({p.code for p in problems}) == 10  # ten different kinds of mistake


def test_valid_schemas_have_no_problems() -> None:
    assert check_path(str(SCHEMAS / "all_types" / "entities.yaml")) == []
    from app.hooks import CATALOGUE  # the bundled schema names hooks

    root = SCHEMAS.parent.parent.parent / "schema" / "entities.yaml"
    assert check_path(str(root), CATALOGUE) == []


def test_every_code_is_documented() -> None:
    docs = (SCHEMAS.parent.parent.parent / "docs" / "schema.md").read_text(encoding="utf-8")
    for code in CODES:
        assert code in docs


def test_invalid_yaml_names_file_and_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "module: a\nentities:\n  A:\n    fields: {x: [\n")
    [problem] = check_path(path)
    assert problem.code == "SCHEMA-E001"
    assert str(problem.location) == "entities.yaml:5"


def test_duplicate_key_is_an_error_not_silently_overwritten(tmp_path: Path) -> None:
    path = _write(tmp_path, "module: a\nentities:\n  A:\n    fields:\n      x: string\n"
                            "      x: integer\n")
    [problem] = check_path(path)
    assert problem.code == "SCHEMA-E001"
    assert "duplicate key 'x'" in problem.message
    assert problem.location.line == 6


def test_include_without_match(tmp_path: Path) -> None:
    path = _write(tmp_path, "include: [modules/*.yaml]\n")
    [problem] = check_path(path)
    assert problem.code == "SCHEMA-E021"


def test_child_must_link_back(tmp_path: Path) -> None:
    path = _write(tmp_path, """
module: m
entities:
  Order:
    fields:
      title: string
      lines: {type: child, entity: Line}
  Line:
    fields:
      qty: integer
""")
    [problem] = check_path(path)
    assert problem.code == "SCHEMA-E014"
    assert problem.path == "entities.Order.fields.lines.entity"


def test_reserved_and_badly_named_fields(tmp_path: Path) -> None:
    path = _write(tmp_path, """
module: m
entities:
  thing:
    fields: {a: string}
  Other:
    fields:
      id: string
      Bad-Name: string
      ok: string
""")
    codes = [p.code for p in check_path(path)]
    assert codes == ["SCHEMA-E005", "SCHEMA-E022", "SCHEMA-E005"]


def test_load_spec_raises_with_full_report() -> None:
    with pytest.raises(SchemaError) as info:
        load_spec(str(SCHEMAS / "broken" / "entities.yaml"))
    assert len(info.value.problems) == 10
    assert str(info.value).endswith("10 problems in the schema.")


def test_spec_shape() -> None:
    spec = load_spec(str(SCHEMAS / "all_types" / "entities.yaml"))
    product = spec.entity("catalog.Product")
    assert product.resource == "product"
    assert product.table == "catalog_product"
    assert product.field("enterprise").to == "catalog.Enterprise"
    assert product.field("enterprise").column == "enterprise_id"
    assert {ix.name for ix in product.indexes} == {
        "ix_catalog_product_enterprise_id", "ix_catalog_product_name",
        "uq_catalog_product_enterprise_id_code"}
    line = spec.entity("demand.DemandLine")
    assert line.field("product").to == "catalog.Product"  # qualified across modules
    assert spec.entity("demand.Demand").field("change").format == "percent"
    kind = spec.entity("catalog.Enterprise").field("kind")
    assert [v.value for v in kind.values] == ["domestic", "overseas"]
    assert kind.values[1].label.en == "Overseas"
    assert kind.values[0].label.en == "境内企业"  # falls back to the Chinese label


@pytest.mark.parametrize("body,code", [("    label: 甲\n", "SCHEMA-E004"),
                                       ("    fields: 5\n", "SCHEMA-E002"),
                                       ("    fields: {}\n", "SCHEMA-E004")])
def test_entity_without_usable_fields(tmp_path: Path, body: str, code: str) -> None:
    path = _write(tmp_path, "module: m\nentities:\n  A:\n" + body)
    assert [p.code for p in check_path(path)] == [code]


def _catalogue() -> dict:
    from app.hooks import CATALOGUE

    return CATALOGUE


def test_hooks_are_checked_against_the_catalogue(tmp_path: Path) -> None:
    path = _write(tmp_path, """
hooks:
  password_policy: {preset: seed_8_20, history: 5}
module: m
entities:
  Report:
    hooks:
      window_deadline: {window: procurement_batch}
    fields:
      title: string
      letter: {type: file, hook: upload_limit, params: {types: [pdf], max_files: 1, max_mb: 20}}
""")
    spec = load_spec(path, _catalogue())
    assert spec.hook("password_policy").get("history") == 5
    report = spec.entity("m.Report")
    assert report.hook("window_deadline").get("window") == "procurement_batch"
    assert report.field("letter").hook.as_dict == {"types": ["pdf"], "max_files": 1,
                                                   "max_mb": 20.0, "quota_mb": None}


def test_hook_mistakes_are_reported_with_their_place(tmp_path: Path) -> None:
    path = _write(tmp_path, """
hooks:
  upload_limit: {types: [pdf]}
module: m
entities:
  Report:
    hooks:
      window_deadline: {windw: x}
    fields:
      letter: {type: file, hook: upload_limit, params: {types: [exe], max_mb: -1}}
      photo: {type: file, hook: upload_lmit}
""")
    got = [str(p) for p in check_path(path, _catalogue())]
    assert got == [
        "SCHEMA-E025 entities.yaml:3 hooks.upload_limit: no hook 'upload_limit' can run here; "
        "expected one of password_policy",
        "SCHEMA-E026 entities.yaml:8 entities.Report.hooks.window_deadline.window: Missing data "
        "for required field.; expected the parameters of window_deadline in docs/hooks.md",
        "SCHEMA-E026 entities.yaml:8 entities.Report.hooks.window_deadline.windw: Unknown "
        "field.; expected the parameters of window_deadline in docs/hooks.md",
        "SCHEMA-E026 entities.yaml:10 entities.Report.fields.letter.hook.max_mb: Must be greater "
        "than or equal to 0.001 and less than or equal to 1024.; expected the parameters of "
        "upload_limit in docs/hooks.md",
        "SCHEMA-E026 entities.yaml:10 entities.Report.fields.letter.hook.types: {0: ['Must be "
        "one of: pdf, jpg, png, xlsx, docx, zip, any.']}; expected the parameters of "
        "upload_limit in docs/hooks.md",
        "SCHEMA-E025 entities.yaml:11 entities.Report.fields.photo.hook: no hook 'upload_lmit' "
        "can run here; expected one of upload_limit",
    ]


def test_window_batch_field_must_be_a_reference(tmp_path: Path) -> None:
    path = _write(tmp_path, """
module: m
entities:
  Batch:
    fields: {name: string}
  Demand:
    hooks:
      window_deadline: {window: w, batch_field: title}
    fields:
      title: string
      batch: {type: reference, to: Batch}
""")
    [problem] = check_path(path, _catalogue())
    assert (problem.code, problem.path) == ("SCHEMA-E019",
                                            "entities.Demand.hooks.window_deadline.batch_field")
    assert problem.allowed == "one of batch"


def test_a_partial_unique_index(tmp_path: Path) -> None:
    text = """
module: m
workflows:
  flow:
    states: {bound: 已绑定, unbound: 已解绑}
    transitions: {}
entities:
  Binding:
    workflow: flow
    fields: {product: string, kind: {type: enum, values: {a: 甲, b: 乙}}, note: string}
    indexes:
      - {fields: [product], unique: true, where: {state: bound, kind: [a]}}
"""
    spec = load_spec(_write(tmp_path, text))
    [index] = [i for i in spec.entity("m.Binding").indexes if i.unique]
    assert index.fields == ("product",)
    assert [(c.field, c.values) for c in index.where] == [("state", ("bound",)),
                                                          ("kind", ("a",))]
    bad = text.replace("where: {state: bound, kind: [a]}",
                       "where: {state: gone, note: x, kind: [c]}")
    assert [(p.code, p.path, p.message) for p in check_path(_write(tmp_path, bad))] == [
        ("SCHEMA-E019", "entities.Binding.indexes[0].where", "unknown field 'note'"),
        ("SCHEMA-E020", "entities.Binding.indexes[0].where.state",
         "'gone' is not one of the values of state"),
        ("SCHEMA-E020", "entities.Binding.indexes[0].where.kind",
         "'c' is not one of the values of kind")]


FILLED_BY = """
roles:
  unit: {label: 机构, level: unit}
  city: {label: 地市, level: city}
workflows:
  flow:
    states: {draft: {label: 草稿, edit: true}, done: {label: 完成}}
    transitions: {save: {label: 保存, from: draft, to: done, roles: [unit, city]}}
module: m
entities:
  Setting:
    scope: jurisdiction
    fields:
      round: integer
      mode: {type: enum, values: {self: 自填, city: 代填}}
  Demand:
    scope: jurisdiction
    workflow: flow
    filled_by:
      entity: Setting
      match: [round]
      field: mode
      default: %s
      roles: {self: [unit], %s: [city]}
      fields: [%s]
      transitions: [%s]
    fields: {round: integer, planned: integer}
"""


def test_filled_by_is_resolved_into_the_spec(tmp_path: Path) -> None:
    spec = load_spec(_write(tmp_path, FILLED_BY % ("self", "city", "planned", "save")))
    rule = spec.entity("m.Demand").filled_by
    assert rule is not None
    assert (rule.setting.entity, rule.setting.match, rule.setting.field, rule.setting.default
            ) == ("m.Setting", ("round",), "mode", "self")
    assert rule.fillers("city") == ("city",) and rule.governed == {"unit", "city"}
    assert (rule.fields, rule.transitions) == (("planned",), ("save",))


def test_filled_by_mistakes_are_reported_with_their_place(tmp_path: Path) -> None:
    path = _write(tmp_path, FILLED_BY % ("mine", "county", "planed", "send"))
    found = [(p.code, p.path) for p in check_path(path)]
    assert found == [
        ("SCHEMA-E020", "entities.Demand.filled_by.default"),
        ("SCHEMA-E020", "entities.Demand.filled_by.roles.county"),
        ("SCHEMA-E019", "entities.Demand.filled_by.fields"),
        ("SCHEMA-E027", "entities.Demand.filled_by.transitions"),
    ]


def test_issues_names_roles_below_without_a_duty(tmp_path: Path) -> None:
    path = _write(tmp_path, """
roles:
  boss: {label: 管理员, level: province, admin: system}
  province: {label: 省级, level: province, issues: [city, boss, national, ghost]}
  city: {label: 地市级, level: city}
  national: {label: 国家, level: national, issues: [province]}
module: m
entities:
  Thing: {fields: {name: string}}
""")
    found = [(p.code, p.path, p.message) for p in check_path(path)]
    assert found == [
        ("SCHEMA-E017", "roles.province.issues", "'boss' is not allowed"),
        ("SCHEMA-E017", "roles.province.issues", "'national' is not allowed"),
        ("SCHEMA-E023", "roles.province.issues", "unknown role 'ghost'"),
    ]
    spec = load_spec(_write(tmp_path, """
roles:
  province: {label: 省级, level: province, issues: [city]}
  city: {label: 地市级, level: city}
module: m
entities:
  Thing: {fields: {name: string}}
"""))
    assert next(r for r in spec.roles if r.key == "province").issues == ("city",)


def test_a_module_manual_is_a_text_file_beside_the_yaml(tmp_path: Path) -> None:
    (tmp_path / "manuals").mkdir()
    (tmp_path / "manuals" / "m.md").write_text("# 操作手册\n", encoding="utf-8")
    (tmp_path / "manuals" / "bad.md").write_bytes(b"\xff\xfe\x00")
    body = "module: m\nmanual: %s\nentities:\n  Thing: {fields: {name: string}}\n"
    spec = load_spec(_write(tmp_path, body % "manuals/m.md"))
    assert spec.modules[0].manual == str(tmp_path / "manuals" / "m.md")
    for value, message in (("manuals/none.md", "'manuals/none.md' does not exist"),
                           ("manuals/m.pdf", "'manuals/m.pdf' is not a text file"),
                           ("manuals/bad.md", "'manuals/bad.md' is not UTF-8 text")):
        [problem] = check_path(_write(tmp_path, body % value))
        assert (problem.code, problem.path, problem.message) == ("SCHEMA-E030", "manual",
                                                                 message)
