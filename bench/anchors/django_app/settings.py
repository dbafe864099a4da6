"""Settings of the anchor's Django project: PostgreSQL on the loopback interface only."""

import os
from urllib.parse import urlsplit

_url = urlsplit(os.environ["BENCH_DB_URL"])
if _url.hostname not in ("127.0.0.1", "localhost", "::1"):
    raise SystemExit("the anchors talk to the loopback interface only")

SECRET_KEY = "bench-anchor"
DEBUG = False  # DEBUG=True would keep every query in memory
INSTALLED_APPS = ["django_app"]
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": _url.path.lstrip("/"),
        "USER": _url.username or "postgres",
        "PASSWORD": _url.password or "",
        "HOST": _url.hostname,
        "PORT": _url.port or 5432,
    }
}
USE_TZ = False
USE_I18N = False
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
