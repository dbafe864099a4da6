"""Rollups (扣分合计 of a 信用档案): kept exact by every write that moves them — REST create,
edit and delete, the form, transitions, imports — usable in computed fields, filters, sorts
and exports; `schema verify-rollups` finds and fixes drift; two writers adding deductions to
one profile at the same moment both count (SQLite and PostgreSQL)."""

from __future__ import annotations

import decimal
import gc
import io
import threading
import time
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from tests.conftest import PASSWORD, SCHEMAS, apply_schema, dispose, make_app, seed_people, sign_in

SCHEMA = SCHEMAS / "credit" / "entities.yaml"
ENT_A, ENT_B = "91350100M000100Y43", "91110000600037341L"
ORGS = {"640000": ("宁夏回族自治区", "province", None, None),
        ENT_A: ("银川甲药业", "unit", "640000", "enterprise")}
USERS = {"nx": ("province", "640000")}
D = decimal.Decimal


@pytest.fixture(scope="module")
def world(database_url: str, tmp_path_factory: Any) -> Any:
    app = make_app(database_url, SCHEMA, tmp_path_factory.mktemp("files"))
    apply_schema(app)
    with app.app_context():
        seed_people(app, ORGS, USERS, PASSWORD)
        app.appbuilder.session.commit()
    client = sign_in(app, "nx")
    profiles = {}
    for name, uscc in (("银川甲药业", ENT_A), ("石嘴山乙药业", ENT_B)):
        response = client.post("/api/v1/credit_profile/", json={"name": name, "uscc": uscc})
        assert response.status_code == 201, response.json
        profiles[uscc] = response.json["id"]
    yield {"app": app, "client": client, "profiles": profiles}
    dispose(app)
    gc.collect()  # the app's cycles go now, not in the middle of a later import


def profile(world: dict[str, Any], uscc: str) -> dict[str, Any]:
    response = world["client"].get(f"/api/v1/credit_profile/{world['profiles'][uscc]}")
    assert response.status_code == 200
    return dict(response.json["result"])


def add(world: dict[str, Any], ref: str, uscc: str, points: str) -> int:
    response = world["client"].post("/api/v1/deduction/", json={
        "ref_no": ref, "profile": world["profiles"][uscc], "points": points})
    assert response.status_code == 201, response.json
    return int(response.json["id"])


def approve(world: dict[str, Any], pk: int) -> None:
    response = world["client"].post(f"/api/v1/deduction/{pk}/transition/approve", json={})
    assert response.status_code == 200, response.json


def test_every_door_moves_the_total_and_the_grade_follows(world: dict[str, Any]) -> None:
    client = world["client"]
    first = add(world, "KF-001", ENT_A, "12.5")
    assert profile(world, ENT_A)["deducted"] == "0.0"  # pending deductions do not count
    approve(world, first)
    row = profile(world, ENT_A)
    assert (row["deducted"], row["deductions"], row["worst"]) == ("12.5", "1", "12.5")
    assert (row["score"], row["grade"]) == ("87.5", "B")
    # a pending deduction moved to another profile and edited, then approved
    second = add(world, "KF-002", ENT_A, "3")
    response = client.put(f"/api/v1/deduction/{second}", json={
        "profile": world["profiles"][ENT_B], "points": "30"})
    assert response.status_code == 200, response.json
    approve(world, second)
    assert profile(world, ENT_B)["deducted"] == "30.0"
    assert profile(world, ENT_A)["deducted"] == "12.5"
    assert profile(world, ENT_B)["grade"] == "C"
    # the form door and a delete
    third = add(world, "KF-003", ENT_B, "1")
    response = client.post(f"/credit/deduction/delete/{third}", follow_redirects=True)
    assert response.status_code == 200
    # the rollup itself is never written by a door
    response = client.put(f"/api/v1/credit_profile/{world['profiles'][ENT_B]}",
                          json={"deducted": "0"})
    assert response.status_code == 422
    assert profile(world, ENT_B)["deducted"] == "30.0"


def test_imports_move_the_total(world: dict[str, Any]) -> None:
    client = world["client"]
    before = D(profile(world, ENT_B)["deducted"])
    body = "记录编号,信用档案,扣分\nIM-1,石嘴山乙药业,2\nIM-2,石嘴山乙药业,4\n".encode("utf-8-sig")
    response = client.post("/api/v1/deduction/import", data={"file": (io.BytesIO(body), "d.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 200, response.json
    assert D(profile(world, ENT_B)["deducted"]) == before  # imported rows are pending
    ids = [r["id"] for r in client.get(
        "/api/v1/deduction/?q=(filters:!((col:ref_no,opr:sw,value:IM-)))").json["result"]]
    response = client.post("/api/v1/deduction/transition/approve", json={"ids": ids})
    assert response.status_code == 200, response.json
    assert D(profile(world, ENT_B)["deducted"]) == before + 6


def test_filters_sorts_and_exports_read_the_stored_total(world: dict[str, Any]) -> None:
    client = world["client"]
    listed = client.get("/api/v1/credit_profile/?q=(order_column:deducted,order_direction:desc)")
    names = [r["name"] for r in listed.json["result"]]
    assert names == ["石嘴山乙药业", "银川甲药业"]
    page = client.get("/credit/credit_profile/list/?_flt_0_deducted=20")
    assert "石嘴山乙药业" in page.text and "银川甲药业" not in page.text
    export = client.get("/credit/credit_profile/export/csv")
    assert export.status_code == 200
    assert "扣分合计" in export.data.decode("utf-8-sig")


def test_verify_rollups_reports_and_fixes_drift(world: dict[str, Any]) -> None:
    from app.cli import schema_cli

    app = world["app"]
    runner = app.test_cli_runner()
    assert runner.invoke(schema_cli, ["verify-rollups"]).exit_code == 0
    with app.app_context():
        session = app.appbuilder.session
        session.execute(text("UPDATE credit_credit_profile SET deducted = 99"))
        session.commit()
    result = runner.invoke(schema_cli, ["verify-rollups"])
    assert result.exit_code == 1
    assert "credit.CreditProfile.deducted" in result.output
    result = runner.invoke(schema_cli, ["verify-rollups", "--fix"])
    assert result.exit_code == 0 and "fixed" in result.output
    assert runner.invoke(schema_cli, ["verify-rollups"]).exit_code == 0
    assert profile(world, ENT_A)["deducted"] == "12.5"
    with app.app_context():  # schema apply recomputes them too (a column added to old rows)
        session = app.appbuilder.session
        session.execute(text("UPDATE credit_credit_profile SET deducted = NULL"))
        session.commit()
    apply_schema(app)
    assert runner.invoke(schema_cli, ["verify-rollups"]).exit_code == 0


def test_two_writers_at_once_both_count(world: dict[str, Any], database_url: str) -> None:
    """Writer A adds an approved deduction and holds its transaction open; writer B adds one
    to the same profile meanwhile (on PostgreSQL it waits for A's lock); both count."""
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite takes one writer at a time anyway")
    app = world["app"]
    with app.app_context():
        engine = app.appbuilder.session.get_bind()
        model = app.extensions["admin"].models["credit.Deduction"]
        pk = world["profiles"][ENT_A]
        before = D(profile(world, ENT_A)["deducted"])
        first, second = Session(engine), Session(engine)
        first.add(model(ref_no="CC-1", profile_id=pk, points=D("1"), state="approved"))
        first.flush()  # A's total is written, the profile locked until A commits
        done = threading.Event()

        def writer_b() -> None:
            second.add(model(ref_no="CC-2", profile_id=pk, points=D("2"), state="approved"))
            second.commit()
            done.set()

        thread = threading.Thread(target=writer_b)
        thread.start()
        time.sleep(0.5)  # let B reach the lock (the outcome must not depend on it)
        first.commit()
        thread.join(30)
        assert done.is_set()
        first.close()
        second.close()
    assert D(profile(world, ENT_A)["deducted"]) == before + 3


def test_this_year_counts_the_rows_of_the_current_year(world: dict[str, Any]) -> None:
    import datetime as dt

    client, year = world["client"], dt.date.today().year
    before = D(profile(world, ENT_B)["this_year"])
    for ref, points, of in (("TY-1", "4", year), ("TY-2", "8", year - 1)):
        response = client.post("/api/v1/deduction/", json={
            "ref_no": ref, "profile": world["profiles"][ENT_B], "points": points, "year": of})
        assert response.status_code == 201, response.json
        approve(world, int(response.json["id"]))
    assert D(profile(world, ENT_B)["this_year"]) == before + 4  # last year's 8 not counted
