"""Configuration defaults. Environment variables override; tests pass a mapping."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from typing import Any

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
INSTANCE = os.path.join(ROOT, "instance")


def environment() -> str:
    """`ADMIN_ENV` (or Flask's old `FLASK_ENV`): "production" or anything else."""
    return os.environ.get("ADMIN_ENV") or os.environ.get("FLASK_ENV") or "development"


def _secret_key() -> str | None:
    """Stable per installation: generated once into instance/, never committed. In production
    it must be given (every app host signs the same cookies): `check_production` says so."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    if environment() == "production":
        return None
    os.makedirs(INSTANCE, exist_ok=True)
    path = os.path.join(INSTANCE, "secret_key")
    if not os.path.exists(path):
        with open(path, "w", encoding="ascii") as fh:
            fh.write(secrets.token_hex(32))
    with open(path, encoding="ascii") as fh:
        return fh.read().strip()


def database_url() -> str:
    url = os.environ.get("DATABASE_URL")
    if url:
        # Common hosting form; SQLAlchemy wants the dialect name.
        return url.replace("postgres://", "postgresql://", 1)
    os.makedirs(INSTANCE, exist_ok=True)
    return "sqlite:///" + os.path.join(INSTANCE, "app.db")


MIN_SECRET_KEY = 32


def _json_env(name: str) -> dict[str, Any]:
    """A mapping given as JSON in the environment (empty when unset)."""
    import json

    text = os.environ.get(name)
    if not text:
        return {}
    value = json.loads(text)
    if not isinstance(value, dict):
        raise ConfigurationError(f"{name} must be a JSON object, e.g. {{\"uscc\": \"uscc\"}}")
    return value


class ConfigurationError(RuntimeError):
    """A configuration the app refuses to start with (said at start-up, before serving)."""


def check_production(config: Mapping[str, Any]) -> None:
    if config.get("ADMIN_ENV") != "production":
        return
    key = config.get("SECRET_KEY")
    if not key or len(str(key)) < MIN_SECRET_KEY:
        raise ConfigurationError(
            f"ADMIN_ENV is production: set SECRET_KEY in the environment to the same random "
            f"value on every app host and worker, at least {MIN_SECRET_KEY} characters "
            f"(e.g. python -c 'import secrets; print(secrets.token_hex(32))')")


def defaults() -> dict[str, Any]:
    production = environment() == "production"
    return {
        "SECRET_KEY": _secret_key(),
        "ADMIN_ENV": environment(),
        # app/observability.py: JSON lines with request ids, and who may read /metrics
        "ADMIN_LOG_FORMAT": os.environ.get("ADMIN_LOG_FORMAT",
                                           "json" if production else "text"),
        "ADMIN_METRICS_TOKEN": os.environ.get("ADMIN_METRICS_TOKEN") or None,
        "ADMIN_METRICS_ALLOW": [n for n in os.environ.get(
            "ADMIN_METRICS_ALLOW", "127.0.0.1/32,::1/128").split(",") if n.strip()],
        "REDIS_URL": os.environ.get("REDIS_URL") or None,
        # Proxies in front that set X-Forwarded-For/-Proto (nginx: 1). Their values then give
        # the client's address to the rate limits, the sessions and the logs.
        "ADMIN_PROXY_COUNT": int(os.environ.get("ADMIN_PROXY_COUNT", "0")),
        # Import files and their error lists (app/io/runs.py): shared by every host, like uploads
        "ADMIN_IMPORT_FOLDER": os.environ.get("ADMIN_IMPORT_FOLDER") or None,
        "ADMIN_SCHEMA": os.environ.get("ADMIN_SCHEMA",
                                       os.path.join(ROOT, "schema", "entities.yaml")),
        "SQLALCHEMY_DATABASE_URI": database_url(),
        "SQLALCHEMY_TRACK_MODIFICATIONS": False,
        "ADMIN_FILE_STORAGE": os.environ.get("ADMIN_FILE_STORAGE", "disk"),
        # ADMIN_FILE_STORAGE=s3 (app/storage_s3.py); credentials from boto3's own chain
        **{key: os.environ.get(key) or None for key in (
            "ADMIN_S3_BUCKET", "ADMIN_S3_ENDPOINT_URL", "ADMIN_S3_REGION", "ADMIN_S3_PREFIX")},
        "ADMIN_UPLOAD_FOLDER": os.environ.get("ADMIN_UPLOAD_FOLDER",
                                              os.path.join(INSTANCE, "uploads")),
        # What a start can reuse from the last: the checked Spec (generator/spec_cache.py,
        # keyed by the YAML's and the checks' content) and the compiled templates (checked
        # against their source by Jinja); empty: nothing is kept
        "ADMIN_CACHE_FOLDER": os.environ.get("ADMIN_CACHE_FOLDER",
                                             os.path.join(INSTANCE, "cache")),
        # Language: Simplified Chinese first, English second.
        "BABEL_DEFAULT_LOCALE": "zh_CN",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Shanghai",
        "BABEL_TRANSLATION_DIRECTORIES": os.path.join(ROOT, "translations"),
        "LANGUAGES": {
            "zh_CN": {"flag": "cn", "name": "简体中文"},
            "en": {"flag": "gb", "name": "English"},
        },
        # Flask-AppBuilder
        "FAB_API_SWAGGER_UI": True,
        # app/openapi.py serves /api/v1/_openapi (every signed-in user, their operations)
        "FAB_ADD_OPENAPI_VIEWS": False,
        "FAB_ADD_SECURITY_API": False,
        "FAB_API_MAX_PAGE_SIZE": 100,
        "AUTH_TYPE": 1,  # database authentication
        "AUTH_ROLE_ADMIN": "Admin",
        "AUTH_ROLE_PUBLIC": "Public",
        "AUTH_USER_REGISTRATION": False,
        # Login limits per address on the page and the REST login (app/security/login.py);
        # Redis when REDIS_URL is set, so that every worker counts together.
        "AUTH_RATE_LIMITED": True,
        "AUTH_RATE_LIMIT": os.environ.get("AUTH_RATE_LIMIT", "10 per 20 second"),
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_STORAGE_URI": (os.environ.get("RATELIMIT_STORAGE_URI")
                                  or os.environ.get("REDIS_URL") or "memory://"),
        # 注册账号 (app/identity/register.py): applications sent per address
        "ADMIN_REGISTRATION_RATE_LIMIT": os.environ.get("ADMIN_REGISTRATION_RATE_LIMIT",
                                                        "5 per 10 minute"),
        # Sign-in through a unified identity platform by OpenID Connect (app/identity/oidc.py);
        # off without an issuer. Claims: which claim holds username / uscc / id_no / name /
        # user_class; classes: a user_class claim value -> enterprise | person.
        "ADMIN_OIDC_ISSUER": os.environ.get("ADMIN_OIDC_ISSUER") or None,
        "ADMIN_OIDC_CLIENT_ID": os.environ.get("ADMIN_OIDC_CLIENT_ID") or None,
        "ADMIN_OIDC_CLIENT_SECRET": os.environ.get("ADMIN_OIDC_CLIENT_SECRET") or None,
        "ADMIN_OIDC_SCOPE": os.environ.get("ADMIN_OIDC_SCOPE", "openid profile"),
        "ADMIN_OIDC_LABEL": os.environ.get("ADMIN_OIDC_LABEL") or None,
        "ADMIN_OIDC_REDIRECT_URI": os.environ.get("ADMIN_OIDC_REDIRECT_URI") or None,
        "ADMIN_OIDC_CLAIMS": _json_env("ADMIN_OIDC_CLAIMS"),
        "ADMIN_OIDC_CLASSES": _json_env("ADMIN_OIDC_CLASSES"),
        # Deployment overrides of the YAML's password_policy (same keys; docs/hooks.md).
        "ADMIN_PASSWORD_POLICY": {},
        "WTF_CSRF_ENABLED": True,
        "WTF_I18N_ENABLED": True,
        # Session: a government system does not keep people signed in for a month.
        "PERMANENT_SESSION_LIFETIME": 8 * 3600,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": os.environ.get("SESSION_COOKIE_SECURE", "") == "1",
        "MAX_CONTENT_LENGTH": 50 * 1024 * 1024,
        # POST /api/v1/<resource>/bulk: at most this many rows per request (app/api_bulk.py)
        "ADMIN_BULK_MAX_ROWS": int(os.environ.get("ADMIN_BULK_MAX_ROWS", "10000")),
        # Background jobs (app/jobs): a Redis broker for `flask worker` processes, or empty
        # for the worker threads inside the web process (`make run`).
        "ADMIN_JOB_BROKER_URL": os.environ.get("JOB_BROKER_URL", ""),
        # the Redis key prefix of the queue (several installations may share one Redis)
        "ADMIN_JOB_NAMESPACE": os.environ.get("ADMIN_JOB_NAMESPACE", "yaoxian-jobs"),
        # folders every web host and worker must share (imports in progress, job beats)
        "ADMIN_JOB_FOLDER": os.environ.get("ADMIN_JOB_FOLDER", ""),
        "ADMIN_WORKER_THREADS": int(os.environ.get("ADMIN_WORKER_THREADS", "2")),
        "ADMIN_JOB_HEARTBEAT_SECONDS": float(os.environ.get("ADMIN_JOB_HEARTBEAT_SECONDS", "5")),
        # a job that fails on a transient error (the database or Redis out of reach) runs
        # again this many times, the first after ADMIN_JOB_RETRY_BACKOFF_MS, then doubling
        "ADMIN_JOB_RETRIES": int(os.environ.get("ADMIN_JOB_RETRIES", "3")),
        "ADMIN_JOB_RETRY_BACKOFF_MS": int(os.environ.get("ADMIN_JOB_RETRY_BACKOFF_MS",
                                                         "15000")),
        # a running job without a heartbeat for this long lost its worker: it is failed
        "ADMIN_JOB_STALE_SECONDS": float(os.environ.get("ADMIN_JOB_STALE_SECONDS", "60")),
        "ADMIN_SCHEDULER_TICK_SECONDS": float(os.environ.get("ADMIN_SCHEDULER_TICK_SECONDS",
                                                             "30")),
        # a schedule's planned time is fired while it is this recent (missed ones are skipped)
        "ADMIN_SCHEDULE_CATCH_UP_SECONDS": float(os.environ.get(
            "ADMIN_SCHEDULE_CATCH_UP_SECONDS", "300")),
        # exports of more rows than this run as jobs and end with a download link
        "ADMIN_EXPORT_JOB_ROWS": int(os.environ.get("ADMIN_EXPORT_JOB_ROWS", "50000")),
        # lists of more rows show PostgreSQL's estimate (app/list_count.py); -1: always exact
        "ADMIN_LIST_EXACT_COUNT": int(os.environ.get("ADMIN_LIST_EXACT_COUNT", "10000")),
    }
