"""Request ids in and out, JSON log lines that carry them, /metrics with latency by endpoint
and closed to whoever is not allowed, and SECRET_KEY required in production."""

from __future__ import annotations

import io
import json
import logging
import re
from typing import Any

import pytest

from app.config import ConfigurationError
from app.observability import JsonFormatter, RequestIdFilter
from tests.conftest import apply_schema, dispose, ensure_admin, make_app, sign_in


@pytest.fixture(scope="module")
def app(database_url: str, tmp_path_factory: Any) -> Any:
    application = make_app(database_url, tmp=tmp_path_factory.mktemp("files"),
                           ADMIN_METRICS_TOKEN="scrape-token")
    apply_schema(application)
    ensure_admin(application)
    yield application
    dispose(application)


def test_a_request_id_is_kept_when_valid_and_made_otherwise(app: Any) -> None:
    client = app.test_client()
    kept = client.get("/healthz", headers={"X-Request-ID": "lb-42.a_b"})
    assert kept.headers["X-Request-ID"] == "lb-42.a_b"
    made = client.get("/healthz", headers={"X-Request-ID": "bad id; x=1"})
    assert made.headers["X-Request-ID"] not in ("", "bad id; x=1")
    assert len(made.headers["X-Request-ID"]) == 32
    assert client.get("/login/").headers["X-Request-ID"]  # every response carries one


def test_json_lines_carry_the_request_id_and_the_access_line(app: Any) -> None:
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    app.config["ADMIN_LOG_FORMAT"] = "json"
    try:
        app.test_client().get("/healthz", headers={"X-Request-ID": "trace-1"})
    finally:
        app.config["ADMIN_LOG_FORMAT"] = "text"
        root.removeHandler(handler)
        root.setLevel(level)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    access = [e for e in lines if e["logger"] == "app.access"]
    assert access and access[-1]["request_id"] == "trace-1"
    assert access[-1]["endpoint"] == "healthz" and access[-1]["status"] == 200
    assert access[-1]["level"] == "INFO" and access[-1]["time"].endswith("+00:00")


def test_an_exception_is_one_json_line_with_its_traceback() -> None:
    try:
        raise ValueError("报量失败")
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed %s", ("一",),
                                   exc_info=__import__("sys").exc_info())
    line = JsonFormatter().format(record)
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["message"] == "failed 一" and "报量失败" in entry["exception"]


def test_metrics_give_latency_by_endpoint_to_the_allowed_only(app: Any) -> None:
    sign_in(app, "admin").get("/catalog/product/list/")
    client = app.test_client()
    local = client.get("/metrics")  # the test client's peer is 127.0.0.1
    assert local.status_code == 200
    assert re.search(r'http_request_duration_seconds_count\{endpoint="\w+\.list",'
                     r'method="GET",status="200"\}', local.text), local.text[-2000:]
    assert 'endpoint="/catalog' not in local.text  # view names, never raw paths
    proxied = client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"})
    assert proxied.status_code == 404
    remote = client.get("/metrics", environ_base={"REMOTE_ADDR": "10.9.8.7"})
    assert remote.status_code == 404
    wrong = client.get("/metrics", environ_base={"REMOTE_ADDR": "10.9.8.7"},
                       headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 404
    token = client.get("/metrics", environ_base={"REMOTE_ADDR": "10.9.8.7"},
                       headers={"Authorization": "Bearer scrape-token",
                                "X-Forwarded-For": "203.0.113.9"})
    assert token.status_code == 200 and "http_request_duration_seconds_bucket" in token.text


def test_production_refuses_to_start_without_a_strong_secret_key(database_url: str) -> None:
    with pytest.raises(ConfigurationError, match="SECRET_KEY"):
        make_app(database_url, ADMIN_ENV="production", SECRET_KEY=None)
    with pytest.raises(ConfigurationError, match="at least 32"):
        make_app(database_url, ADMIN_ENV="production", SECRET_KEY="short")


def test_metrics_give_the_job_queue_depth_and_age_from_the_database(app: Any) -> None:
    import datetime as dt

    from app.jobs.models import Job

    def scraped() -> dict[str, float]:
        text = app.test_client().get("/metrics").text
        return {m.group(1): float(m.group(2)) for m in re.finditer(
            r'^(job_queue_\w+\{state="\w+"\}) (\S+)$', text, re.M)}

    empty = scraped()
    assert empty['job_queue_depth{state="queued"}'] == 0
    assert empty['job_queue_oldest_age_seconds{state="queued"}'] == 0
    with app.app_context():
        session = app.appbuilder.session
        now = dt.datetime.now()
        session.add_all([
            Job(kind="import", params="{}", state="queued",
                created_at=now - dt.timedelta(seconds=300)),
            Job(kind="import", params="{}", state="queued", created_at=now),
            Job(kind="export", params="{}", state="running", created_at=now),
            Job(kind="export", params="{}", state="done", created_at=now)])
        session.commit()
    found = scraped()
    assert found['job_queue_depth{state="queued"}'] == 2
    assert found['job_queue_depth{state="running"}'] == 1
    assert found['job_queue_oldest_age_seconds{state="queued"}'] >= 300
