"""The bundled modules with the demo data (`flask demo load`), every demo account's initial
password marked as changed (what each person does at the first sign-in): the world of the
tests that sign in as the demo accounts, and of the browser walks (`serve`)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from werkzeug.serving import make_server

from tests.conftest import ROOT, make_app

SCHEMA = ROOT / "schema" / "entities.yaml"


def demo_app(database_url: str, files: Path, **config: Any) -> Any:
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
    return app


def serve(app: Any) -> Iterator[str]:
    """The app on a free local port (its address) until the generator is closed."""
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}"
    finally:
        httpd.shutdown()
