"""Probes for the load balancer and the orchestrator, outside sign-in and the screens.

- `/healthz`: the process answers (liveness); it touches nothing else, so a database outage
  does not get every app host restarted.
- `/readyz`: this host can serve (readiness): the database answers `SELECT 1`, and so do
  Redis (`REDIS_URL`, or a `redis://` rate-limit storage) and the job broker
  (`ADMIN_JOB_BROKER_URL`) when configured. 503 with the failing check's name otherwise; the
  exception itself goes to the log, never into the answer.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from flask import Flask, jsonify
from sqlalchemy import text

from app.context import db_session

log = logging.getLogger(__name__)
PROBES = ("/healthz", "/readyz")


def redis_url(config: Any) -> str | None:
    """The Redis every host shares, if any: `REDIS_URL`, else a Redis rate-limit storage."""
    url = config.get("REDIS_URL") or config.get("RATELIMIT_STORAGE_URI") or ""
    return str(url) if str(url).startswith(("redis://", "rediss://")) else None


def _database(app: Flask) -> None:
    engine: Any = db_session(app).get_bind()
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))


def _redis(url: str) -> Callable[[Flask], None]:
    def check(_app: Flask) -> None:
        import redis

        client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
        try:
            client.ping()
        finally:
            client.close()
    return check


def _broker(url: str) -> Callable[[Flask], None]:
    """A TCP connection to the broker's host and port is enough to call it reachable."""
    def check(_app: Flask) -> None:
        import socket
        from urllib.parse import urlsplit

        parts = urlsplit(url)
        default = 6379 if parts.scheme.startswith("redis") else 5672
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or default),
                                      timeout=2):
            pass
    return check


def checks(app: Flask) -> dict[str, Callable[[Flask], None]]:
    found: dict[str, Callable[[Flask], None]] = {"database": _database}
    url = redis_url(app.config)
    if url:
        found["redis"] = _redis(url)
    broker = app.config.get("ADMIN_JOB_BROKER_URL")
    if broker and broker != url:
        found["broker"] = _broker(str(broker))
    return found


def init_app(app: Flask) -> None:
    @app.get("/healthz")
    def healthz() -> Any:
        return jsonify(status="ok")

    @app.get("/readyz")
    def readyz() -> Any:
        results: dict[str, str] = {}
        for name, check in checks(app).items():
            try:
                check(app)
                results[name] = "ok"
            except Exception:  # noqa: BLE001 - any failure means not ready; logged in full
                log.exception("readiness check %s failed", name)
                results[name] = "failed"
        ready = all(v == "ok" for v in results.values())
        return jsonify(status="ok" if ready else "failed", checks=results), 200 if ready else 503
