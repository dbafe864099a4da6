"""create_app pauses the garbage collector while it builds (app/__init__.py) and always turns
it back on; a served app's objects are frozen out of later collections, a test's are not."""

from __future__ import annotations

import gc
from pathlib import Path

from tests.conftest import dispose, make_app


def test_the_collector_runs_again_after_start_up(database_url: str, tmp_path: Path) -> None:
    from app import create_app  # noqa: F401 - its modules are frozen once, when first imported

    assert gc.isenabled()
    frozen = gc.get_freeze_count()
    app = make_app(database_url, tmp=tmp_path)  # TESTING: many apps per process
    assert gc.isenabled()
    assert gc.get_freeze_count() <= frozen  # (frozen objects still get freed by refcount)
    dispose(app)


def test_a_served_app_is_frozen_and_collecting(database_url: str, tmp_path: Path) -> None:
    from app import create_app  # noqa: F401 - its modules are frozen once, when first imported

    frozen = gc.get_freeze_count()
    try:
        app = make_app(database_url, tmp=tmp_path, TESTING=False)
        assert gc.isenabled()
        assert gc.get_freeze_count() > frozen + 10_000  # the app's models, views, rules …
        dispose(app)
    finally:
        gc.unfreeze()  # this process goes on making apps


def test_a_failed_start_turns_the_collector_back_on(database_url: str, tmp_path: Path) -> None:
    schema = tmp_path / "bad.yaml"
    schema.write_text("module: x\nentities: 3\n", encoding="utf-8")
    try:
        make_app(database_url, schema, tmp_path)
    except Exception:  # noqa: BLE001 - the report itself is tests/generator's
        pass
    else:
        raise AssertionError("the invalid schema started")
    assert gc.isenabled()
