"""The WSGI app scenario 5 serves with gunicorn: our app on PostgreSQL, sign-in limits and
captchas kept in Redis (RATELIMIT_STORAGE_URI), the limit raised so that 100 users may sign in
from one address (127.0.0.1)."""

import os

from bench.common import REDIS_URL, SCHEMAS
from bench.ourapp import make_app

app = make_app(os.environ["BENCH_LOAD_DB"], SCHEMAS / "workflow.yaml",
               RATELIMIT_ENABLED=True, AUTH_RATE_LIMITED=True,
               AUTH_RATE_LIMIT="100000 per 20 second", RATELIMIT_STORAGE_URI=REDIS_URL)
