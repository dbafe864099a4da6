"""The WSGI app scenario 5 serves with gunicorn (and its `flask worker` runs): our app on
PostgreSQL, sign-in limits and captchas kept in Redis (RATELIMIT_STORAGE_URI), jobs on the
Redis queue (every export is a job: ADMIN_EXPORT_JOB_ROWS 0), the limit raised so that 100
users may sign in from one address (127.0.0.1)."""

import os

from bench.common import REDIS_URL, SCHEMAS
from bench.ourapp import make_app

app = make_app(os.environ["BENCH_LOAD_DB"], SCHEMAS / "workflow.yaml",
               RATELIMIT_ENABLED=True, AUTH_RATE_LIMITED=True,
               AUTH_RATE_LIMIT="100000 per 20 second", RATELIMIT_STORAGE_URI=REDIS_URL,
               ADMIN_JOB_BROKER_URL=REDIS_URL,
               ADMIN_JOB_NAMESPACE=os.environ["BENCH_JOB_NAMESPACE"], ADMIN_EXPORT_JOB_ROWS=0)
