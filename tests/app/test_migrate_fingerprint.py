"""`schema apply` on a restart: an unchanged schema is not compared table by table (its
fingerprint matches), a changed YAML is (and its change is there), and so is a table changed
by hand."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, inspect, text

from tests.conftest import (
    ADMIN_PASSWORD,
    BACKENDS,
    SCHEMAS,
    dispose,
    ensure_admin,
    make_app,
    new_database,
)

EVOLVE = SCHEMAS / "evolve"


@pytest.fixture(params=BACKENDS)
def database_url(request: Any, tmp_path: Path) -> Iterator[str]:
    """A database of this test's own: what an earlier apply left decides what this one does."""
    with new_database(request.param, tmp_path) as url:
        yield url


@contextmanager
def statements(app: Any) -> Iterator[list[str]]:
    with app.app_context():
        engine = app.appbuilder.session.get_bind()
    sent: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        sent.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", count)


def start(database_url: str, schema: Path, tmp: Path) -> Any:
    """A new process's app on the same database and YAML file."""
    return make_app(database_url, schema, tmp)


def apply(app: Any, **options: Any) -> list[str]:
    from app.apply import apply_schema

    with app.app_context():
        return [c.text for c in apply_schema(app, **options).tables.changes]


def test_an_unchanged_restart_compares_no_table(database_url: str, tmp_path: Path) -> None:
    schema = tmp_path / "entities.yaml"
    shutil.copy(EVOLVE / "v1.yaml", schema)
    first = start(database_url, schema, tmp_path)
    assert "create table evo_item" in apply(first)
    dispose(first)
    restart = start(database_url, schema, tmp_path)
    with statements(restart) as compared:
        assert apply(restart, compare=True) == []
    with statements(restart) as sent:
        assert apply(restart) == []
    # the comparison reflects every table (about 40 statements on PostgreSQL, which reflects
    # in batches; 390 on SQLite); the fast path reads the catalogue in one, the fingerprint's
    # row, the counters and the permission tables
    assert len(sent) <= 12 < len(compared), (len(sent), len(compared))
    assert not [s for s in sent if "evo_item" in s], sent
    dispose(restart)


def test_a_changed_yaml_is_applied_on_restart(database_url: str, tmp_path: Path) -> None:
    schema = tmp_path / "entities.yaml"
    shutil.copy(EVOLVE / "v1.yaml", schema)
    first = start(database_url, schema, tmp_path)
    apply(first)
    dispose(first)
    shutil.copy(EVOLVE / "v2.yaml", schema)  # the same file, new content
    changed = start(database_url, schema, tmp_path)
    texts = apply(changed)
    assert "add column evo_item.note" in texts and "create table evo_group" in texts
    ensure_admin(changed)
    client = changed.test_client()
    client.post("/login/", data={"username": "admin", "password": ADMIN_PASSWORD})
    group = client.post("/api/v1/group/", json={"title": "甲组"})
    assert group.status_code == 201, group.text
    item = client.post("/api/v1/item/", json={"name": "条目", "note": "新说明",
                                              "group": group.json["id"]})
    assert item.status_code == 201, item.text
    assert "说明" in client.get("/evo/item/list/").text
    dispose(changed)
    again = start(database_url, schema, tmp_path)
    assert apply(again) == []
    dispose(again)


def test_a_table_changed_by_hand_is_compared_again(database_url: str, tmp_path: Path) -> None:
    """The database's own catalogue is part of the fingerprint: an index dropped by hand (a
    database from before a rule) is found and made again."""
    app = start(database_url, EVOLVE / "v2.yaml", tmp_path)
    apply(app)
    with app.app_context(), app.appbuilder.session.get_bind().begin() as conn:
        conn.execute(text("DROP INDEX ix_evo_item_note"))
    assert apply(app) == ["create index ix_evo_item_note on evo_item"]
    with app.app_context():
        indexes = inspect(app.appbuilder.session.get_bind()).get_indexes("evo_item")
    assert "ix_evo_item_note" in {i["name"] for i in indexes}
    assert apply(app) == []
    dispose(app)


def test_refused_destructive_changes_are_compared_again(database_url: str,
                                                        tmp_path: Path) -> None:
    """Tables that do not match the schema yet store no fingerprint: every apply says so."""
    v2 = start(database_url, EVOLVE / "v2.yaml", tmp_path)
    apply(v2)
    dispose(v2)
    v3 = start(database_url, EVOLVE / "v3_narrow.yaml", tmp_path)
    refused = apply(v3)
    assert any(t.startswith("drop column evo_item.qty") for t in refused)
    assert apply(v3) == refused
    assert any(t.startswith("drop column evo_item.qty") for t in
               apply(v3, allow_destructive=True))
    assert apply(v3) == []
    dispose(v3)
