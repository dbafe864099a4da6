"""The application object for `flask --app wsgi ...` and WSGI servers (gunicorn wsgi:app)."""

import sys

from app import create_app
from app.config import ConfigurationError
from generator import SchemaError

try:
    app = create_app()
except SchemaError as exc:  # an invalid schema: its report, not a traceback
    sys.stderr.write(f"{exc}\n")
    raise SystemExit(1) from None
except ConfigurationError as exc:  # e.g. production without SECRET_KEY: say what to set
    sys.stderr.write(f"configuration error: {exc}\n")
    raise SystemExit(1) from None
