"""The bundled modules with the demo data (`flask demo load`), served on a free port for the
browser walks of the seed manuals: every demo account, its initial password already changed
(what each person does at the first sign-in), the captcha fixed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from app.demo.data import PASSWORD
from tests.demo_world import demo_app
from tests.demo_world import serve as serve_app

CAPTCHA = "K7PX"


def serve(folder: Path) -> Iterator[dict[str, Any]]:
    app = demo_app(f"sqlite:///{folder}/demo.db", folder, WTF_CSRF_ENABLED=True,
                   ADMIN_CAPTCHA_FIXED=CAPTCHA,
                   ADMIN_PASSWORD_POLICY={"captcha": True, "change_first_login": True,
                                          "not_username": False})
    server = serve_app(app)
    try:
        yield {"url": next(server), "app": app, "folder": folder}
    finally:
        server.close()  # stops the server


def sign_in(page: Any, url: str, username: str, password: str = PASSWORD) -> None:
    """Sign out whoever is signed in, then sign in as `username` through the login form."""
    page.goto(f"{url}/logout/")
    page.goto(f"{url}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.fill("input[name=captcha]", CAPTCHA)
    submit(page, page.locator("form:not(.admin-search) [type=submit]").first)
    assert "/login/" not in page.url, page.content()[:2000]


def submit(page: Any, locator: Any) -> None:
    """Click something that loads another page and wait for it."""
    with page.expect_navigation():
        locator.click()
    page.wait_for_load_state("load")
