"""The help desk keys: `pages:` of a module (SCHEMA-E057), `similar:` (E058) and `public:`
(E059) of an entity — every mistake reported at once where it is; good ones reach the Spec."""

from __future__ import annotations

from pathlib import Path

from generator import check_path, load_spec

GOOD = """\
module: m
roles:
  staff: {label: 工作人员, level: province}
  firm: {label: 企业, level: unit}
pages:
  hotline: {title: 服务热线, file: hotline.md, public: true}
  guide: {title: {zh: 办理须知}, body: "# 须知", roles: [staff], menu: false}
entities:
  Faq:
    fields:
      question: string
      answer: text
    similar: {fields: [question, answer], top: 3, ask: {entity: Ask, field: text}}
    permissions: {firm: [list, show]}
  Ask:
    scope: own
    fields:
      text: text
    permissions: {firm: [list, show, add]}
  File:
    fields:
      name: string
      open: boolean
      file: file
    public: {where: {open: true}, fields: [name, file]}
"""

BROKEN = """\
module: m
pages:
  Bad Name: {title: 坏}
  both: {title: 两者, body: "x", file: hotline.md}
  neither: {title: 都没有}
  missing: {title: 缺文件, file: none.md}
  notmd: {title: 非文本, file: hotline.pdf}
  stranger: {title: 陌生, body: "x", roles: [nobody], colour: red}
entities:
  Faq:
    fields:
      question: string
      count: integer
    similar: {fields: [question, count, nope], top: 50, ask: {entity: Nowhere, field: x}}
  Other:
    fields:
      question: string
      n: integer
    similar: {fields: [question], ask: {entity: Faq, field: count}}
  File:
    fields:
      name: string
      kind: string
      open: boolean
    public: {where: {kind: a, open: maybe}, fields: [name, ghost]}
  Empty:
    fields:
      name: string
    public: {where: {}, fields: []}
"""


def _write(tmp_path: Path, text: str) -> str:
    (tmp_path / "hotline.md").write_text("# 热线\n\n| 电话 |\n| --- |\n| 010 |\n", "utf-8")
    (tmp_path / "hotline.pdf").write_bytes(b"%PDF")
    path = tmp_path / "entities.yaml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_the_keys_reach_the_spec(tmp_path: Path) -> None:
    spec = load_spec(_write(tmp_path, GOOD))
    module = spec.module("m")
    hotline, guide = module.pages
    assert (hotline.key, hotline.title.zh, hotline.public, hotline.roles, hotline.menu) == (
        "hotline", "服务热线", True, (), True)
    assert hotline.file == str(tmp_path / "hotline.md") and hotline.body == ""
    assert (guide.body, guide.public, guide.roles, guide.menu) == ("# 须知", False, ("staff",),
                                                                  False)
    similar = spec.entity("m.Faq").similar
    assert similar is not None and (similar.fields, similar.top, similar.label) == (
        ("question", "answer"), 3, None)
    assert similar.ask is not None and (similar.ask.entity, similar.ask.field) == ("m.Ask", "text")
    public = spec.entity("m.File").public
    assert public is not None and public.fields == ("name", "file")
    assert [(c.field, c.values) for c in public.where] == [("open", (True,))]


def test_every_mistake_is_reported_where_it_is(tmp_path: Path) -> None:
    got = [str(p) for p in check_path(_write(tmp_path, BROKEN))]
    assert got == [
        "SCHEMA-E057 entities.yaml:3 pages.Bad Name: page name 'Bad Name' is not allowed; "
        "expected lower-case letters, digits, - and _ starting with a letter (max 41): it is "
        "the page's address /pages/<name>",
        "SCHEMA-E057 entities.yaml:4 pages.both: a page needs its text in exactly one of "
        "'body' and 'file'; expected body: Markdown text, or file: a .md file beside the "
        "YAML file",
        "SCHEMA-E057 entities.yaml:5 pages.neither: a page needs its text in exactly one of "
        "'body' and 'file'; expected body: Markdown text, or file: a .md file beside the "
        "YAML file",
        "SCHEMA-E057 entities.yaml:6 pages.missing.file: 'none.md' does not exist; expected a "
        "UTF-8 .md or .txt file, relative to the module's YAML file",
        "SCHEMA-E057 entities.yaml:7 pages.notmd.file: 'hotline.pdf' is not a Markdown file; "
        "expected a UTF-8 .md or .txt file, relative to the module's YAML file",
        "SCHEMA-E003 entities.yaml:8 pages.stranger.colour: unknown key 'colour'; expected one "
        "of title, body, file, public, roles, menu, icon",
        "SCHEMA-E023 entities.yaml:8 pages.stranger.roles: unknown role 'nobody'; expected "
        "one of (no roles defined)",
        "SCHEMA-E058 entities.yaml:14 entities.Faq.similar.fields: 'count' is not a text field "
        "of Faq; expected one of question",
        "SCHEMA-E058 entities.yaml:14 entities.Faq.similar.fields: 'nope' is not a text field "
        "of Faq; expected one of question",
        "SCHEMA-E017 entities.yaml:14 entities.Faq.similar.top: 50 is out of range; expected "
        "a whole number from 1 to 20",
        "SCHEMA-E013 entities.yaml:14 entities.Faq.similar.ask.entity: unknown entity "
        "'Nowhere'; expected one of m.Empty, m.Faq, m.File, m.Other",
        "SCHEMA-E058 entities.yaml:19 entities.Other.similar.ask.field: 'count' is not a text "
        "field of Faq; expected one of question",
        "SCHEMA-E059 entities.yaml:25 entities.File.public.where: 'kind' is not a yes/no or "
        "enum field of File; expected one of open",
        "SCHEMA-E059 entities.yaml:25 entities.File.public.where.open: is not yes/no; "
        "expected true or false",
        "SCHEMA-E059 entities.yaml:25 entities.File.public.fields: 'ghost' is not a stored "
        "field of File; expected one of kind, name, open",
        "SCHEMA-E059 entities.yaml:29 entities.Empty.public.where: every row would be public; "
        "expected a condition such as {published: true}: only the rows it holds are shown",
        "SCHEMA-E059 entities.yaml:29 entities.Empty.public.fields: no fields are shown; "
        "expected the fields anybody may read, e.g. [name, file]",
    ]
