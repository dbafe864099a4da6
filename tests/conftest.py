"""Fixtures: every integration test runs against SQLite and PostgreSQL, each in a database of
its own that is created for the test module and dropped afterwards."""

from __future__ import annotations

import os
import re
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
SCHEMAS = ROOT / "tests" / "data" / "schemas"
ALL_TYPES = SCHEMAS / "all_types" / "entities.yaml"
POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
BACKENDS = [b for b in os.environ.get("TEST_BACKENDS", "sqlite,postgresql").split(",") if b]
ADMIN_PASSWORD = "Admin@12345"
PASSWORD = "Pass@12345"  # the users seed_people creates in most tests


def pytest_configure(config: Any) -> None:
    # Nothing in the tests may touch the developer's own instance database.
    os.environ.setdefault("SECRET_KEY", "test-secret")
    # nor its cache (app/config.py ADMIN_CACHE_FOLDER): the suite's Specs are kept apart
    os.environ.setdefault("ADMIN_CACHE_FOLDER", tempfile.mkdtemp(prefix="admin-test-cache-"))


def pytest_sessionfinish(session: Any) -> None:
    if not hasattr(session.config, "workerinput"):  # the controller, after every worker
        from tests.world_cache import drop_templates

        factory = getattr(session.config, "_tmp_path_factory", None)
        if factory is not None:
            drop_templates(factory.getbasetemp())


@contextmanager
def new_database(backend: str, folder: Path) -> Iterator[str]:
    """The URL of a fresh, empty database on `backend`, dropped afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{folder}/test.db"
        return
    name = f"t_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    server = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with server.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        server.dispose()


@pytest.fixture(scope="module", params=BACKENDS)
def database_url(request: Any, tmp_path_factory: Any) -> Iterator[str]:
    """A fresh, empty database on the given backend, dropped when the module is done."""
    with new_database(request.param, tmp_path_factory.mktemp("db")) as url:
        yield url


def make_app(database_url: str, schema: Path | str = ALL_TYPES, tmp: Path | None = None,
             **config: Any) -> Any:
    from app import create_app

    settings = {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "ADMIN_SCHEMA": str(schema),
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "AUTH_RATE_LIMITED": False,
        # The suite signs in with a plain form post: no captcha and no forced change of the
        # password it gave; "Admin@12345" contains the user name "admin".
        # tests/app/test_login.py switches them back on for its own apps.
        "ADMIN_PASSWORD_POLICY": {"captcha": False, "change_first_login": False,
                                  "not_username": False},
    }
    if tmp is not None:
        settings["ADMIN_UPLOAD_FOLDER"] = str(tmp / "uploads")
    settings.update(config)
    return create_app(settings)


def apply_schema(app: Any, allow_destructive: bool = False) -> Any:
    """Tables and permissions, as `schema apply` does; returns the table plan."""
    from app.apply import apply_schema as apply_all

    with app.app_context():
        return apply_all(app, allow_destructive).tables


def ensure_admin(app: Any) -> None:
    with app.app_context():
        sm = app.appbuilder.sm
        if sm.find_user(username="admin") is None:
            sm.add_user("admin", "系统", "管理员", "admin@localhost", sm.find_role("Admin"),
                        ADMIN_PASSWORD)


def dispose(app: Any) -> None:
    """Close the app's sessions and connections (before its database is dropped)."""
    with app.app_context():
        app.appbuilder.session.remove()
        app.appbuilder.session.get_bind().dispose()


def sign_in(app: Any, username: str, password: str = PASSWORD) -> Any:
    """A test client signed in through the login form ("admin" with its own password)."""
    client = app.test_client()
    password = ADMIN_PASSWORD if username == "admin" else password
    response = client.post("/login/", data={"username": username, "password": password})
    assert response.headers.get("Location") == "/", response.text[:500]
    return client


@pytest.fixture(scope="module")
def app(database_url: str, tmp_path_factory: Any) -> Any:
    application = make_app(database_url, tmp=tmp_path_factory.mktemp("files"))
    apply_schema(application)
    ensure_admin(application)
    yield application
    dispose(application)


@pytest.fixture()
def client(app: Any) -> Any:
    client = app.test_client()
    response = client.post("/login/", data={"username": "admin", "password": ADMIN_PASSWORD})
    assert response.status_code == 302
    return client


def field_errors(html: str) -> dict[str, list[str]]:
    """{field id: [messages]} from a rendered FAB form."""
    errors: dict[str, list[str]] = {}
    pattern = re.compile(r'name="([\w-]+)"[^>]*>.*?(?:<div class="alert alert-danger">\s*(.*?)\s*'
                         r"</div>)", re.S)
    for row in re.split(r"<tr>", html):
        match = pattern.search(row)
        if match and "alert-danger" in row:
            errors.setdefault(match.group(1), []).append(match.group(2).strip())
    return errors


def seed_people(app: Any, orgs: dict[str, tuple[Any, ...]],
                users: dict[str, tuple[str, ...]], password: str) -> dict[str, Any]:
    """The national root, the given organisations (code -> (name, level, parent, kind)) and one
    user per entry (username -> (role, organisation code[, user class])); call inside the app
    context. Returns {code: Organisation}."""
    from app.security.models import Organisation
    from app.security.orgs import add_org, national

    session, sm = app.appbuilder.session, app.appbuilder.sm
    national(session)
    for code, (name, level, parent, kind) in orgs.items():
        add_org(session, code, name, level, parent, kind)
    by_code = {o.code: o for o in session.query(Organisation)}
    for username, (role, code, *user_class) in users.items():
        user = sm.add_user(username, username, "", f"{username}@x", sm.find_role(role),
                           password)
        user.org = by_code[code]
        if user_class:
            user.user_class = user_class[0]
    return by_code
