"""The bundled modules with the demo data (`flask demo load`), every demo account's initial
password marked as changed (what each person does at the first sign-in): the world of the
tests that sign in as the demo accounts, and of the browser walks (`serve`)."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

from werkzeug.serving import make_server

from tests.conftest import ROOT, dispose, make_app
from tests.world_cache import restore

SCHEMA = ROOT / "schema" / "entities.yaml"


def demo_app(database_url: str, files: Path, **config: Any) -> Any:
    """The demo in `database_url` (an empty database) and `files` (a folder of the session's
    tmp_path_factory), loaded once per session, backend and configuration (message channels
    decide what the demo's messages hold) and copied (tests/world_cache.py)."""
    name = "demo_" + hashlib.sha256(repr(sorted(config.items())).encode()).hexdigest()[:8]
    restore(name, database_url, files, partial(_build, config=config))
    return make_app(database_url, SCHEMA, files, **config)


def _build(database_url: str, files: Path, config: dict[str, Any]) -> None:
    from app.apply import apply_schema
    from app.cli import demo_cli
    from app.security.models import AppUser

    app = make_app(database_url, SCHEMA, files, **config)
    with app.app_context():
        apply_schema(app, False)
    result = app.test_cli_runner().invoke(demo_cli, ["load"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        session = app.appbuilder.session
        for user in session.query(AppUser):
            user.must_change_password = False
        session.commit()
    dispose(app)


def serve(app: Any) -> Iterator[str]:
    """The app on a free local port (its address) until the generator is closed."""
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}"
    finally:
        httpd.shutdown()
