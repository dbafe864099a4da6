"""The command line: schema check, schema apply and users, as a person runs them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from generator import SchemaError
from tests.conftest import ALL_TYPES, SCHEMAS, make_app

ROOT = Path(__file__).resolve().parents[2]
FLASK = [sys.executable, "-m", "flask", "--app", "wsgi"]


def _flask(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*FLASK, *args], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, **env}, timeout=120)


def test_schema_check_prints_every_problem_and_exits_1() -> None:
    result = _flask("schema", "check", str(SCHEMAS / "broken" / "entities.yaml"))
    assert result.returncode == 1
    expected = (SCHEMAS / "broken" / "expected.txt").read_text(encoding="utf-8")
    assert result.stderr == expected + "10 problems in the schema.\n"


def test_schema_check_of_a_good_schema_exits_0() -> None:
    result = _flask("schema", "check", str(ALL_TYPES))
    assert result.returncode == 0, result.stderr
    assert "no problems" in result.stdout


@pytest.mark.parametrize("command", [("schema", "apply"), ("schema", "check"),
                                     ("users", "bootstrap"), ("demo", "load")])
def test_every_command_with_a_broken_schema_prints_the_report(tmp_path: Path,
                                                             command: tuple[str, ...]) -> None:
    result = _flask(*command, ADMIN_SCHEMA=str(SCHEMAS / "broken" / "entities.yaml"),
                    DATABASE_URL=f"sqlite:///{tmp_path}/x.db")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout
    assert result.stderr.endswith("10 problems in the schema.\n")


def test_app_refuses_to_start_on_an_invalid_schema(tmp_path: Path) -> None:
    with pytest.raises(SchemaError) as info:
        make_app(f"sqlite:///{tmp_path}/x.db", SCHEMAS / "broken" / "entities.yaml", tmp_path)
    assert len(info.value.problems) == 10
    # and through the command line, with the same report
    result = _flask("schema", "apply", ADMIN_SCHEMA=str(SCHEMAS / "broken" / "entities.yaml"),
                    DATABASE_URL=f"sqlite:///{tmp_path}/y.db")
    assert result.returncode != 0
    assert "SCHEMA-E010 modules/procurement.yaml:9" in result.stderr
    assert "10 problems in the schema." in result.stderr


def test_apply_then_users_create(tmp_path: Path) -> None:
    env = {"ADMIN_SCHEMA": str(ALL_TYPES), "DATABASE_URL": f"sqlite:///{tmp_path}/cli.db",
           "ADMIN_UPLOAD_FOLDER": str(tmp_path / "up")}
    dry = _flask("schema", "apply", "--dry-run", **env)
    assert dry.returncode == 0, dry.stderr
    assert "would + create table catalog_enterprise" in dry.stdout
    applied = _flask("schema", "apply", **env)
    assert "+ create table catalog_enterprise" in applied.stdout
    assert "already matches" in _flask("schema", "apply", **env).stdout
    created = _flask("users", "create", "--username", "u1", "--password", "Pass@12345",
                     "--role", "Admin", **env)
    assert created.returncode == 0, created.stderr
    again = _flask("users", "create", "--username", "u1", "--password", "Pass@12345",
                   "--role", "Admin", **env)
    assert again.returncode != 0 and "already exists" in again.stderr
    bad_role = _flask("users", "create", "--username", "u2", "--password", "Pass@12345",
                      "--role", "Nobody", **env)
    assert bad_role.returncode != 0 and "unknown role 'Nobody'" in bad_role.stderr
    first = _flask("users", "bootstrap", **env)
    assert "administrator created: username admin" in first.stdout
    assert "exists" in _flask("users", "bootstrap", **env).stdout
