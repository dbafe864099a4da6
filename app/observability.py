"""Request ids, JSON logs and Prometheus metrics, for running behind a load balancer.

- Request id: an incoming `X-Request-ID` (letters, digits, `.`, `_`, `-`, at most 64) is
  kept, otherwise one is made; it is `g.request_id`, goes back in the response's
  `X-Request-ID` and is on every log record written while the request runs, so one request
  can be followed through nginx, the app hosts and the log store.
- `ADMIN_LOG_FORMAT`: `json` (the default in production) writes one JSON object per line on
  standard error (time, level, logger, message, request_id, exception), plus one `access`
  line per request (method, path, endpoint, status, duration_ms); `text` leaves logging as
  Flask sets it up.
- `/metrics`: Prometheus text format (prometheus_client). Request latency by endpoint
  (`http_request_duration_seconds{endpoint,method,status}`; the endpoint is the view's name,
  never the raw path, so the label set stays small), and the job queue read from the `job`
  table at each scrape, the same on every host: `job_queue_depth{state}` and
  `job_queue_oldest_age_seconds{state}` for `queued` and `running`. Not public by accident:
  answered only to a peer address inside `ADMIN_METRICS_ALLOW` (CIDRs, loopback by default)
  that did not come through a proxy (no `X-Forwarded-For`), or to a request carrying
  `Authorization: Bearer <ADMIN_METRICS_TOKEN>`; everyone else gets 404. Under gunicorn with
  several workers, set `PROMETHEUS_MULTIPROC_DIR` (docs/deploy.md) so that every worker counts.
"""

from __future__ import annotations

import datetime as dt
import hmac
import ipaddress
import json
import logging
import os
import re
import time
import traceback
import uuid
from collections.abc import Iterator
from typing import Any

from flask import Flask, Response, abort, g, has_request_context, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily

REQUEST_ID = "X-Request-ID"
_VALID_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
access_log = logging.getLogger("app.access")

LATENCY = Histogram("http_request_duration_seconds", "Time to answer a request, by endpoint",
                    ["endpoint", "method", "status"])


class JobQueueCollector:
    """Depth and age of the job queue, from the database (app/jobs/models.py)."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from sqlalchemy import func, select

        from app.context import db_session
        from app.jobs.models import QUEUED, RUNNING, Job

        session = db_session(self.app)
        found = {state: (int(count), oldest) for state, count, oldest in session.execute(
            select(Job.state, func.count(), func.min(Job.created_at))
            .where(Job.state.in_((QUEUED, RUNNING))).group_by(Job.state))}
        session.rollback()  # a read: no transaction left open on the scrape's connection
        depth = GaugeMetricFamily("job_queue_depth", "Jobs waiting or running", labels=["state"])
        age = GaugeMetricFamily("job_queue_oldest_age_seconds",
                                "Age of the oldest job waiting or running (0: none)",
                                labels=["state"])
        now = dt.datetime.now()  # job times are local, like every time the app writes
        for state in (QUEUED, RUNNING):
            count, oldest = found.get(state, (0, None))
            depth.add_metric([state], count)
            age.add_metric([state], max((now - oldest).total_seconds(), 0.0) if oldest else 0.0)
        yield depth
        yield age


# --- request id and logs --------------------------------------------------------------------
def request_id() -> str | None:
    return g.get("request_id") if has_request_context() else None


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line; extra fields given as `extra={"fields": {...}}` join it."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC)
            .isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
        }
        entry.update(getattr(record, "fields", None) or {})
        if record.exc_info:
            entry["exception"] = "".join(traceback.format_exception(*record.exc_info))
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure_logging(app: Flask) -> None:
    """JSON lines on standard error for the whole process (once, whatever the app count)."""
    if app.config.get("ADMIN_LOG_FORMAT", "text") != "json":
        return
    root = logging.getLogger()
    if any(isinstance(h.formatter, JsonFormatter) for h in root.handlers):
        return
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(app.config.get("ADMIN_LOG_LEVEL", "INFO"))
    app.logger.handlers.clear()  # Flask's own handler would print every record twice
    app.logger.propagate = True


# --- metrics --------------------------------------------------------------------------------
def _registry() -> CollectorRegistry:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return registry
    return REGISTRY


def _allowed(app: Flask) -> bool:
    token = app.config.get("ADMIN_METRICS_TOKEN")
    given = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return True
    if request.headers.get("X-Forwarded-For"):
        return False  # came through the proxy: the peer address is the proxy's
    try:
        peer = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return False
    allow = app.config.get("ADMIN_METRICS_ALLOW", ["127.0.0.1/32", "::1/128"])
    return any(peer in ipaddress.ip_network(net, strict=False) for net in allow)


def init_app(app: Flask) -> None:
    configure_logging(app)

    @app.before_request
    def start() -> None:
        given = request.headers.get(REQUEST_ID, "")
        g.request_id = given if _VALID_ID.match(given) else uuid.uuid4().hex
        g.request_started = time.perf_counter()

    @app.after_request
    def finish(response: Response) -> Response:
        rid = g.get("request_id")
        if rid:
            response.headers[REQUEST_ID] = rid
        started = g.get("request_started")
        if started is None:
            return response
        seconds = time.perf_counter() - started
        endpoint = request.url_rule.endpoint if request.url_rule is not None else "<unmatched>"
        LATENCY.labels(endpoint, request.method, str(response.status_code)).observe(seconds)
        if app.config.get("ADMIN_LOG_FORMAT") == "json":
            access_log.info("%s %s %s", request.method, request.path, response.status_code,
                            extra={"fields": {"method": request.method, "path": request.path,
                                              "endpoint": endpoint,
                                              "status": response.status_code,
                                              "duration_ms": round(seconds * 1000, 1)}})
        return response

    @app.get("/metrics")
    def metrics() -> Any:
        if not _allowed(app):
            abort(404)
        queue = CollectorRegistry(auto_describe=False)
        queue.register(JobQueueCollector(app))  # type: ignore[arg-type]
        body = generate_latest(_registry()) + generate_latest(queue)
        return Response(body, mimetype=CONTENT_TYPE_LATEST)
