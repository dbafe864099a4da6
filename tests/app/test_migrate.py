"""`schema apply` keeps rows when the schema grows and refuses destructive changes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import inspect, text

from tests.conftest import SCHEMAS, apply_schema, make_app

EVOLVE = SCHEMAS / "evolve"


def _rows(app: Any) -> list[tuple[Any, ...]]:
    with app.app_context():
        engine = app.appbuilder.session.get_bind()
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text("SELECT id, name, qty FROM evo_item "
                                                        "ORDER BY id"))]


def test_adding_a_field_and_an_entity_keeps_every_row(database_url: str, tmp_path: Path) -> None:
    v1 = make_app(database_url, EVOLVE / "v1.yaml", tmp_path)
    first = apply_schema(v1)
    assert [c.text for c in first.changes][:1] == ["create table evo_item"]
    with v1.app_context():
        engine = v1.appbuilder.session.get_bind()
        with engine.begin() as conn:
            for i in range(50):
                conn.execute(text("INSERT INTO evo_item (name, qty) VALUES (:n, :q)"),
                             {"n": f"条目{i}", "q": i})
    before = _rows(v1)

    v2 = make_app(database_url, EVOLVE / "v2.yaml", tmp_path)
    plan = apply_schema(v2)
    texts = [c.text for c in plan.changes]
    assert "create table evo_group" in texts
    assert "add column evo_item.note" in texts
    assert "add column evo_item.group_id" in texts
    assert "create index ix_evo_item_note on evo_item" in texts
    assert "widen column evo_item.name from 50 to 80 characters" in texts or (
        database_url.startswith("sqlite"))  # SQLite does not report VARCHAR lengths
    assert not plan.destructive
    assert _rows(v2) == before
    with v2.app_context():
        columns = {c["name"] for c in inspect(v2.appbuilder.session.get_bind()).get_columns(
            "evo_item")}
    assert {"note", "group_id"} <= columns
    # the new field and entity work through the API on the old rows
    client = v2.test_client()
    with v2.app_context():
        sm = v2.appbuilder.sm
        if sm.find_user(username="admin") is None:
            sm.add_user("admin", "a", "b", "a@b", sm.find_role("Admin"), "Admin@12345")
    client.post("/login/", data={"username": "admin", "password": "Admin@12345"})
    group = client.post("/api/v1/group/", json={"title": "甲组"}).json["id"]
    assert client.put(f"/api/v1/item/{before[0][0]}", json={"note": "新说明",
                                                             "group": group}).status_code == 200
    # applying again changes nothing
    assert apply_schema(v2).changes == []


def test_destructive_changes_are_refused_unless_allowed(database_url: str,
                                                        tmp_path: Path) -> None:
    v2 = make_app(database_url, EVOLVE / "v2.yaml", tmp_path)
    apply_schema(v2)
    with v2.app_context(), v2.appbuilder.session.get_bind().begin() as conn:
        conn.execute(text("DELETE FROM evo_item"))
        conn.execute(text("INSERT INTO evo_item (name, qty) VALUES ('保留', 1)"))
    v3 = make_app(database_url, EVOLVE / "v3_narrow.yaml", tmp_path)
    plan = apply_schema(v3)
    refused = [c.text for c in plan.destructive]
    assert any(t.startswith("drop table evo_group") for t in refused)
    assert any(t.startswith("drop column evo_item.qty") for t in refused)
    with v3.app_context():
        engine = v3.appbuilder.session.get_bind()
        columns = {c["name"] for c in inspect(engine).get_columns("evo_item")}
        assert "qty" in columns and "evo_group" in inspect(engine).get_table_names()
    apply_schema(v3, allow_destructive=True)
    with v3.app_context():
        engine = v3.appbuilder.session.get_bind()
        inspector = inspect(engine)
        assert "qty" not in {c["name"] for c in inspector.get_columns("evo_item")}
        assert "evo_group" not in inspector.get_table_names()
        with engine.connect() as conn:
            assert conn.execute(text("SELECT name FROM evo_item")).scalar() == "保留"
