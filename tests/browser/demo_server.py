"""The bundled modules with the demo data (`flask demo load`), served on a free port for the
browser walks of the seed manuals: every demo account, its initial password already changed
(what each person does at the first sign-in), the captcha fixed."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from werkzeug.serving import make_server

from app.demo.data import PASSWORD
from tests.conftest import ROOT, make_app

SCHEMA = ROOT / "schema" / "entities.yaml"
CAPTCHA = "K7PX"


def serve(folder: Path) -> Iterator[dict[str, Any]]:
    from app.apply import apply_schema
    from app.cli import demo_cli
    from app.security.models import AppUser

    app = make_app(f"sqlite:///{folder}/demo.db", SCHEMA, tmp=folder, WTF_CSRF_ENABLED=True,
                   ADMIN_CAPTCHA_FIXED=CAPTCHA,
                   ADMIN_PASSWORD_POLICY={"captcha": True, "change_first_login": True,
                                          "not_username": False})
    with app.app_context():
        apply_schema(app, False)
    result = app.test_cli_runner().invoke(demo_cli, ["load"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        session = app.appbuilder.session
        for user in session.query(AppUser):
            user.must_change_password = False
        session.commit()
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield {"url": f"http://127.0.0.1:{httpd.server_port}", "app": app, "folder": folder}
    httpd.shutdown()


def sign_in(page: Any, url: str, username: str, password: str = PASSWORD) -> None:
    """Sign out whoever is signed in, then sign in as `username` through the login form."""
    page.goto(f"{url}/logout/")
    page.goto(f"{url}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.fill("input[name=captcha]", CAPTCHA)
    submit(page, page.locator("form [type=submit]").first)
    assert "/login/" not in page.url, page.content()[:2000]


def submit(page: Any, locator: Any) -> None:
    """Click something that loads another page and wait for it."""
    with page.expect_navigation():
        locator.click()
    page.wait_for_load_state("load")
