"""Checks of gates, reference choices, transition guards, the review log, list editing and
summaries: what a correct schema turns into, and every mistake with its place."""

from __future__ import annotations

from pathlib import Path

from generator import check_path, load_spec
from generator.spec import Choices, Condition, Gate, ListEdit, Needs, Summary

FEATURES = Path(__file__).resolve().parent.parent / "data" / "schemas" / "features"


def test_a_correct_schema_becomes_these_spec_objects() -> None:
    spec = load_spec(str(FEATURES / "ok.yaml"))
    module = spec.module("m")
    assert module.gate == Gate("m.Info", ("name",), module.gate.message,
                               (Condition("kind", ("agent",)),), ("legal_person", "agent"))
    assert module.gate.message.zh == "先完善"
    row = spec.entity("m.Row")
    assert row.field("thing").choices == Choices(
        (Condition("imported", (True,)),), "m.Link", "thing", (Condition("state", ("open",)),),
        own=True, exists=True, message=None)
    assert row.list_edit == ListEdit(("qty", "note"), "save", row.list_edit.label)
    assert row.list_edit.label.zh == "保存"
    assert row.summaries == (Summary("total", row.summaries[0].label, ("batch", "org.province"),
                                     ("qty",), (Condition("state", ("done",)),), ("org",),
                                     ("boss",)),)
    assert row.workflow is not None and row.workflow.log_field == "log"
    send = row.workflow.transition("send")
    assert send is not None and send.all and send.batch
    assert send.needs == Needs("m.Letter", ("batch",), ("file",), send.needs.message)
    assert send.needs.message.zh == "先传函"
    info = spec.entity("m.Info")
    assert info.import_key == ("org",)
    assert [i.fields for i in info.indexes if i.unique] == [("org_id",)]


def test_every_mistake_is_reported_with_its_place() -> None:
    problems = [str(p) for p in check_path(str(FEATURES / "bad.yaml"))]
    expected = [
        "SCHEMA-E027 bad.yaml:10 workflows.flow.transitions.send.all: a transition that needs "
        "a reason cannot run on all rows at once; expected all: false, or no reason",
        "SCHEMA-E017 bad.yaml:12 gate.user_classes: 'alien' is not allowed; expected one of "
        "regulator, legal_person, agent, institution, admin, citizen",
        "SCHEMA-E019 bad.yaml:18 entities.Row.workflow: the workflow writes its review log into "
        "'missing_log', which is not a text field here; expected a field missing_log: "
        "{type: text}",
        "SCHEMA-E019 bad.yaml:23 entities.Row.list_edit.fields: 'thing' cannot be edited in "
        "the list; expected one of note, qty",
        "SCHEMA-E027 bad.yaml:23 entities.Row.list_edit.transition: unknown transition 'fly'; "
        "expected one of send",
        "SCHEMA-E005 bad.yaml:25 entities.Row.summaries.list: 'list' is not allowed; expected "
        "lower-case letters, digits and _, not an action or transition name",
        "SCHEMA-E019 bad.yaml:26 entities.Row.summaries.total.sum: 'note' cannot be used here; "
        "expected one of qty",
        "SCHEMA-E023 bad.yaml:26 entities.Row.summaries.total.roles: unknown role 'ghost'; "
        "expected one of unit",
    ]
    # names of other entities are resolved once all are known, and reported too
    late = [
        "SCHEMA-E013 bad.yaml:10 workflows.flow.transitions.send.needs.entity: unknown entity "
        "'Nope'; expected one of m.Plain, m.Row",
        "SCHEMA-E019 bad.yaml:12 gate.entity: 'Plain' has no organisation (no scope); expected "
        "an entity with `scope:` whose rows belong to an organisation",
        "SCHEMA-E019 bad.yaml:20 entities.Row.fields.thing.choices.where: unknown field "
        "'colour'; expected one of name",
        "SCHEMA-E019 bad.yaml:20 entities.Row.fields.thing.choices.via.field: 'note' is not a "
        "reference of Row to Plain; expected one of thing",
    ]
    assert sorted(problems) == sorted(expected + late)


def test_list_editing_stays_within_the_form(tmp_path: Path) -> None:
    path = tmp_path / "entities.yaml"
    path.write_text("module: m\nentities:\n  Row:\n    fields: {qty: integer, note: string}\n"
                    "    form: [note]\n    list_edit: {fields: [qty, note]}\n", encoding="utf-8")
    [problem] = check_path(str(path))
    assert str(problem) == ("SCHEMA-E019 entities.yaml:6 entities.Row.list_edit.fields: 'qty' "
                            "cannot be edited in the list; expected one of note")


def test_the_search_form_names_fields_org_where_rows_have_one(tmp_path: Path) -> None:
    """`search`/`filters` take every stored field and `org` on scoped entities; the form's
    inputs follow the types, and searched text keeps its pinyin initials."""
    from generator.builders.views import view_options

    path = tmp_path / "search.yaml"
    path.write_text(
        "module: m\n"
        "entities:\n"
        "  Batch:\n"
        "    fields: {name: string}\n"
        "  Row:\n"
        "    scope: own\n"
        "    fields:\n"
        "      name: string\n"
        "      code: {type: string, validators: [uscc]}\n"
        "      qty: integer\n"
        "      day: date\n"
        "      kind: {type: enum, values: {a: 甲, b: 乙}}\n"
        "      batch: {type: reference, to: Batch}\n"
        "    search: [org, name, code, batch]\n"
        "    filters: [kind, qty, day]\n"
        "  Plain:\n"
        "    fields: {name: string, name_initials: string}\n"
        "    search: [org, name]\n", encoding="utf-8")
    problems = [str(p) for p in check_path(str(path))]
    assert problems == [
        "SCHEMA-E022 search.yaml:17 entities.Plain.fields.name_initials: 'name_initials' is "
        "used by the string field 'name'; expected another field name",
        "SCHEMA-E019 search.yaml:18 entities.Plain.search: unknown field 'org'; expected one "
        "of name, name_initials",
    ]
    path.write_text(path.read_text(encoding="utf-8").replace(
        "    fields: {name: string, name_initials: string}\n    search: [org, name]\n",
        "    fields: {name: string}\n"), encoding="utf-8")
    row = load_spec(str(path)).entity("m.Row")
    assert view_options(row).search_form == (
        ("org", "reference"), ("name", "text"), ("code", "text"), ("batch", "reference"),
        ("kind", "choice"), ("qty", "range"), ("day", "range"))
    assert row.initials_fields == ("name",)  # not the identifier checked by a validator
