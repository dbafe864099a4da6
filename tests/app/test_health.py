"""/healthz and /readyz: open to the load balancer without signing in; readiness follows the
database and the configured Redis (SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import apply_schema, dispose, make_app

REDIS = "redis://127.0.0.1:6379/0"
NOWHERE = "redis://127.0.0.1:1/0"  # nothing listens on port 1


@pytest.fixture(scope="module")
def app(database_url: str, tmp_path_factory: Any) -> Any:
    application = make_app(database_url, tmp=tmp_path_factory.mktemp("files"), REDIS_URL=REDIS)
    apply_schema(application)
    yield application
    dispose(application)


def test_healthz_answers_without_a_session(app: Any) -> None:
    response = app.test_client().get("/healthz")
    assert response.status_code == 200 and response.json == {"status": "ok"}


def test_readyz_checks_the_database_and_redis(app: Any) -> None:
    response = app.test_client().get("/readyz")
    assert response.status_code == 200, response.json
    assert response.json == {"status": "ok", "checks": {"database": "ok", "redis": "ok"}}


def test_readyz_says_which_check_failed_and_nothing_else(app: Any,
                                                         caplog: Any) -> None:
    app.config["REDIS_URL"] = NOWHERE
    try:
        response = app.test_client().get("/readyz")
    finally:
        app.config["REDIS_URL"] = REDIS
    assert response.status_code == 503
    assert response.json == {"status": "failed", "checks": {"database": "ok", "redis": "failed"}}
    assert "readiness check redis failed" in caplog.text  # the reason is in the log


def test_an_unreachable_broker_is_not_ready(app: Any) -> None:
    before = app.config.get("ADMIN_JOB_BROKER_URL")
    app.config["ADMIN_JOB_BROKER_URL"] = "redis://127.0.0.1:1/0"
    try:
        response = app.test_client().get("/readyz")
    finally:
        app.config["ADMIN_JOB_BROKER_URL"] = before
    assert response.status_code == 503 and response.json["checks"]["broker"] == "failed"
