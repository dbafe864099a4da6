"""The application the multi-host test serves with gunicorn in each namespace: the production
configuration from the environment, plus the test's own overrides (`MULTIHOST_CONFIG`, JSON)."""

import json
import os

from app import create_app

app = create_app(json.loads(os.environ.get("MULTIHOST_CONFIG", "{}")))
