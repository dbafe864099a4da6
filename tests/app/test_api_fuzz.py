"""Schemathesis over the app's own OpenAPI document (/api/v1/_openapi), in process against the
WSGI app, on SQLite and PostgreSQL: every operation the document lists for the signed-in user
gets generated requests, valid ones (positive) and broken ones (negative). No answer may be a
server error, and every answer must match what the document says (status, body schema).

The bundled schema (schema/entities.yaml: workflows, scopes, gates, windows, decimals, files,
summaries) with the built-in administrator (every operation) and a hospital (a narrow user).
Run alone: `.venv/bin/python -m pytest tests/app/test_api_fuzz.py` (`FUZZ_CASES` raises the
number of cases per backend; every failure names the request that caused it).
"""

from __future__ import annotations

import math
import os
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import ADMIN_PASSWORD, PASSWORD
from tests.modules.conftest import world  # noqa: F401 - the module's fixture

CASES = int(os.environ.get("FUZZ_CASES", "1200"))  # per backend, over both users
NARROW_SHARE = 0.2
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]


def bearer(app: Any, username: str) -> dict[str, str]:
    password = ADMIN_PASSWORD if username == "admin" else PASSWORD
    response = app.test_client().post("/api/v1/security/login", json={
        "username": username, "password": password, "provider": "db"})
    assert response.status_code == 200, response.json
    return {"Authorization": f"Bearer {response.json['access_token']}"}


def fuzz(app: Any, username: str, budget: int) -> tuple[int, list[str]]:
    """Run about `budget` generated cases over every operation the user's document lists;
    returns the number of cases sent and the failures (request and what was wrong)."""
    headers = bearer(app, username)
    schema = schemathesis.openapi.from_wsgi("/api/v1/_openapi", app, headers=headers)
    operations = [result.ok() for result in schema.get_all_operations()]
    modes = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    per_run = max(2, math.ceil(budget / (len(operations) * len(modes))))
    sent = 0
    failures: list[str] = []
    for operation in operations:
        for mode in modes:

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(max_examples=per_run, deadline=None, database=None, derandomize=True,
                      phases=[Phase.explicit, Phase.generate],
                      suppress_health_check=list(HealthCheck))
            def run(case: Any) -> None:
                nonlocal sent
                sent += 1
                response = case.call(headers=headers)
                try:
                    case.validate_response(response, checks=CHECKS)
                except (AssertionError, BaseExceptionGroup) as exc:  # every failure, collected
                    how = case.meta.generation.mode if case.meta else ""
                    failures.append(f"{case.operation.label} [{how}] "
                                    f"{response.status_code} {response.text[:300]}\n"
                                    f"{str(exc)[:600]}")

            run()
    return sent, failures


@pytest.fixture(scope="module")
def fuzzed(world: Any) -> dict[str, tuple[int, list[str]]]:  # noqa: F811 - the fixture
    app = world["app"]
    narrow = int(CASES * NARROW_SHARE)
    return {"admin": fuzz(app, "admin", CASES - narrow),
            "ln_hosp1": fuzz(app, "ln_hosp1", narrow)}


def test_no_server_error_and_no_schema_violation(fuzzed: Any) -> None:
    failures = [f for _sent, found in fuzzed.values() for f in found]
    if os.environ.get("FUZZ_REPORT"):
        with open(os.environ["FUZZ_REPORT"], "w") as report:
            report.write("\n\n".join(failures))
    assert failures == []


def test_enough_cases_per_backend(fuzzed: Any) -> None:
    counts = {user: sent for user, (sent, _found) in fuzzed.items()}
    print(f"fuzz cases: {counts}, total {sum(counts.values())}")  # shown with -s
    assert sum(counts.values()) >= min(CASES, 1000)
    assert all(sent > 0 for sent in counts.values())

