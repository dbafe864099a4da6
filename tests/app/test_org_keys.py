"""The organisation in `unique_together` and `import_key`: one 承诺函 per institution and
batch (form, REST, import; another institution may have its own), and imports matching
existing rows by batch and organisation, the 所属机构 column when the file has one, else the
importer's own (SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import inspect

from tests.app.gate_world import HOSP_A, HOSP_B, build_world, close, login, upload
from tests.conftest import field_errors

TAKEN = "批次、所属机构 的组合已被其他记录使用。"


@pytest.fixture(scope="module")
def world(database_url: str, tmp_path_factory: Any) -> Any:
    built = build_world(database_url, tmp_path_factory.mktemp("files"))
    yield built
    close(built["app"])


def letters(world: Any) -> list[tuple[str, int]]:
    app = world["app"]
    with app.app_context():
        model = app.extensions["admin"].models["letters.CommitmentLetter"]
        return sorted((row.org.code, row.batch_id)
                      for row in app.appbuilder.session.query(model))


def test_the_database_has_the_index_with_the_organisation(world: Any) -> None:
    app = world["app"]
    with app.app_context():
        bind = app.appbuilder.session.get_bind()
        indexes = inspect(bind).get_indexes("letters_commitment_letter")
    assert any(ix["unique"] and ix["column_names"] == ["batch_id", "org_id"] for ix in indexes)


def test_one_letter_per_institution_and_batch_on_forms(world: Any) -> None:
    first, second = world["batches"]
    hosp_a = login(world["app"], "hosp_a")
    assert hosp_a.post("/letters/commitment_letter/add", data={
        "batch": str(first)}).status_code == 302
    again = hosp_a.post("/letters/commitment_letter/add", data={
        "batch": str(first), "note": "第二封"})
    assert again.status_code == 200
    errors = field_errors(again.text)
    assert errors["batch"] == [TAKEN]  # 所属机构 is not on the form of a 本单位-only user
    assert hosp_a.post("/letters/commitment_letter/add", data={
        "batch": str(second)}).status_code == 302  # another batch
    hosp_b = login(world["app"], "hosp_b")
    assert hosp_b.post("/letters/commitment_letter/add", data={
        "batch": str(first)}).status_code == 302  # another institution
    province = login(world["app"], "fj")
    for_a = province.post("/letters/commitment_letter/add", data={
        "batch": str(first), "org": str(world["orgs"][HOSP_A])})
    assert for_a.status_code == 200 and field_errors(for_a.text)["org"] == [TAKEN]
    assert province.post("/letters/commitment_letter/add", data={
        "batch": str(first)}).status_code == 302  # the province's own letter
    assert letters(world) == sorted([(HOSP_A, first), (HOSP_A, second), (HOSP_B, first),
                                     ("350000", first)])
    # editing a letter keeps it unique against the others, not against itself
    app = world["app"]
    with app.app_context():
        model = app.extensions["admin"].models["letters.CommitmentLetter"]
        pk = app.appbuilder.session.query(model).filter_by(
            org_id=world["orgs"][HOSP_A], batch_id=second).one().id
    assert hosp_a.post(f"/letters/commitment_letter/edit/{pk}", data={
        "batch": str(second), "note": "改"}).status_code == 302
    moved = hosp_a.post(f"/letters/commitment_letter/edit/{pk}", data={"batch": str(first)})
    assert field_errors(moved.text)["batch"] == [TAKEN]


def test_one_letter_per_institution_and_batch_over_rest(world: Any) -> None:
    first = world["batches"][0]
    hosp_a = login(world["app"], "hosp_a")
    refused = hosp_a.post("/api/v1/commitment_letter/", json={"batch": first})
    assert refused.status_code == 422
    assert refused.json["message"] == {"batch": [TAKEN], "org": [TAKEN]}
    province = login(world["app"], "fj")
    other = province.post("/api/v1/commitment_letter/", json={
        "batch": first, "org": world["orgs"][HOSP_B]})
    assert other.status_code == 422 and other.json["message"]["org"] == [TAKEN]


def test_one_letter_per_institution_and_batch_on_import(world: Any) -> None:
    hosp_b = login(world["app"], "hosp_b")
    url = "/api/v1/commitment_letter/import"
    taken = upload(hosp_b, url, "批次,备注\n第一批,重复\n")
    assert taken.status_code == 422
    assert [(e["column"], e["message"]) for e in taken.json["errors"]] == [
        ("批次、所属机构", "该值已被其他记录使用。")]
    twice = upload(hosp_b, url, "批次,备注\n第二批,一\n第二批,二\n")
    assert twice.status_code == 422
    assert [(e["row"], e["message"]) for e in twice.json["errors"]] == [(3, "在文件中重复出现。")]
    province = login(world["app"], "fj")
    named = upload(province, url, "批次,所属机构\n第二批,乙医院\n第一批,甲医院\n")
    assert named.status_code == 422
    assert [e["row"] for e in named.json["errors"]] == [3]  # 甲医院 has its 第一批 letter
    done = upload(hosp_b, url, "批次,备注\n第二批,一\n")
    assert done.status_code == 200 and done.json["created"] == 1, done.json


def test_import_key_with_the_organisation_updates_that_organisations_row(world: Any) -> None:
    app = world["app"]
    url = "/api/v1/quota/import"
    hosp_a, hosp_b = login(app, "hosp_a"), login(app, "hosp_b")
    assert upload(hosp_a, url, "批次,数量\n第一批,5\n").json["created"] == 1
    assert upload(hosp_b, url, "批次,数量\n第一批,6\n").json["created"] == 1
    again = upload(hosp_a, url, "批次,数量\n第一批,7\n")
    assert (again.json["created"], again.json["updated"]) == (0, 1)
    province = login(app, "fj")
    named = upload(province, url, "批次,数量,所属机构\n第一批,8,乙医院\n第二批,9,甲医院\n"
                                  "第一批,10,\n")
    assert named.status_code == 200, named.json
    assert (named.json["created"], named.json["updated"]) == (2, 1)
    with app.app_context():
        model = app.extensions["admin"].models["letters.Quota"]
        rows = sorted((r.org.code, r.batch_id, r.amount)
                      for r in app.appbuilder.session.query(model))
    first, second = world["batches"]
    template = hosp_a.get("/letters/quota/import/template")
    assert template.status_code == 200 and template.data[:2] == b"PK"
    assert rows == sorted([(HOSP_A, first, 7), (HOSP_B, first, 8), (HOSP_A, second, 9),
                           ("350000", first, 10)])
