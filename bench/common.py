"""What every scenario shares: databases, measured child processes, medians, statement counts,
deterministic data, and the result rows that bench/run.py turns into docs/performance.md.

Nothing here imports the application: scenarios import bench/ourapp.py in the child processes
that measure our side, and the anchors (bench/anchors/) import neither.
"""

from __future__ import annotations

import ipaddress
import json
import os
import resource
import statistics
import subprocess
import sys
import time
import venv
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
SCHEMAS = BENCH / "schemas"
INSTANCE = ROOT / "instance"
WORK = INSTANCE / "bench"  # generated schemas and files; instance/ is not committed
ANCHOR_VENV = INSTANCE / "bench-anchor-venv"
ANCHOR_REQUIREMENTS = BENCH / "anchors" / "requirements.txt"
SERVER_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/15")
MARK = "BENCH-RESULT "
PASSWORD = "Bench@2026x"  # every benchmark user's
QUICK = False  # set by the scenario's entry point


def _loopback_only(url: str) -> None:
    """Benchmarks send traffic to this machine only."""
    host = urlsplit(url).hostname or "localhost"
    if host != "localhost":
        try:
            if ipaddress.ip_address(host).is_loopback:
                return
        except ValueError:
            pass
        raise SystemExit(f"bench: {url} is not on the loopback interface; refusing")


_loopback_only(SERVER_URL)
_loopback_only(REDIS_URL)


# -- databases ----------------------------------------------------------------------------
def db_url(name: str) -> str:
    parts = urlsplit(SERVER_URL)
    return urlunsplit(parts._replace(path=f"/{name}"))


def connect(name: str, autocommit: bool = False) -> Any:
    import psycopg

    return psycopg.connect(db_url(name), autocommit=autocommit)


def _server() -> Any:
    import psycopg

    return psycopg.connect(SERVER_URL, autocommit=True)


def recreate_database(name: str) -> None:
    with _server() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_database(name: str) -> None:
    with _server() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def database_exists(name: str) -> bool:
    with _server() as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)
                            ).fetchone() is not None


# -- measuring ------------------------------------------------------------------------------
def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def peak_rss_mb() -> float:
    """This process's high-water mark of resident memory (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rss_mb() -> float:
    with open("/proc/self/statm", encoding="ascii") as fh:
        pages = int(fh.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1024 / 1024


def emit(result: dict[str, Any]) -> None:
    """A child's result: one marked JSON line on stdout."""
    result.setdefault("peak_rss_mb", round(peak_rss_mb(), 1))
    sys.stdout.write(MARK + json.dumps(result, default=str) + "\n")
    sys.stdout.flush()


def child(argv: list[str], env: dict[str, str] | None = None, python: str | None = None,
          timeout: float = 3600) -> dict[str, Any]:
    """Run a measured step in a fresh process; return the JSON it emitted."""
    command = [python or sys.executable, *argv]
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    proc = subprocess.run(command, cwd=ROOT, env=full_env, capture_output=True, text=True,
                          timeout=timeout, check=False)
    found = [line[len(MARK):] for line in proc.stdout.splitlines() if line.startswith(MARK)]
    if proc.returncode != 0 or not found:
        tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-25:])
        raise RuntimeError(f"{' '.join(argv[:3])} failed (exit {proc.returncode}):\n{tail}")
    return json.loads(found[-1])


def our_child(module: str, *args: str, env: dict[str, str] | None = None,
              timeout: float = 3600) -> dict[str, Any]:
    return child(["-m", module, *args], env=env, timeout=timeout)


class Statements:
    """Counts statements sent to the database by every engine of this process."""

    def __init__(self) -> None:
        self.count = 0
        self.texts: list[str] = []
        self.keep = False

    def _hit(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        self.count += 1
        if self.keep:
            self.texts.append(statement)

    def install(self) -> Statements:
        from sqlalchemy import event
        from sqlalchemy.engine import Engine

        event.listen(Engine, "before_cursor_execute", self._hit)
        return self

    def reset(self) -> None:
        self.count = 0
        self.texts = []


@contextmanager
def stopwatch() -> Iterator[dict[str, float]]:
    box: dict[str, float] = {}
    started = time.perf_counter()
    try:
        yield box
    finally:
        box["seconds"] = time.perf_counter() - started


# -- the anchors' environment ---------------------------------------------------------------
def anchor_python() -> str:
    """instance/bench-anchor-venv with django-import-export and tablib, made on first use."""
    python = ANCHOR_VENV / "bin" / "python"
    stamp = ANCHOR_VENV / ".installed"
    wanted = ANCHOR_REQUIREMENTS.read_text(encoding="utf-8")
    if not (python.exists() and stamp.exists() and stamp.read_text(encoding="utf-8") == wanted):
        log(f"creating the anchors' environment in {ANCHOR_VENV.relative_to(ROOT)}")
        venv.EnvBuilder(with_pip=True, clear=True).create(ANCHOR_VENV)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check",
                        "-r", str(ANCHOR_REQUIREMENTS)], check=True)
        stamp.write_text(wanted, encoding="utf-8")
    return str(python)


def anchor_child(script: str, *args: str, env: dict[str, str] | None = None,
                 timeout: float = 3600) -> dict[str, Any]:
    return child([str(BENCH / "anchors" / script), *args], env=env, python=anchor_python(),
                 timeout=timeout)


def anchor_versions() -> dict[str, str]:
    out = subprocess.run([anchor_python(), "-c", (
        "import django, import_export, tablib, openpyxl, psycopg, json;"
        "print(json.dumps({'Django': django.get_version(), 'django-import-export': "
        "import_export.__version__, 'tablib': tablib.__version__, 'openpyxl': "
        "openpyxl.__version__, 'psycopg (anchor venv)': psycopg.__version__}))")],
        capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


# -- deterministic data ---------------------------------------------------------------------
PROVINCE_CODES = ["11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34"]
DRUGS = [f"药品{i:03d}" for i in range(1, 51)]
KINDS = [("new", "新增"), ("renew", "续签")]


@dataclass(frozen=True)
class Shape:
    """An organisation tree: provinces x cities x counties x units."""

    provinces: int
    cities: int
    counties: int
    units: int

    @property
    def unit_count(self) -> int:
        return self.provinces * self.cities * self.counties * self.units


def uscc(n: int) -> str:
    """A valid 统一社会信用代码, the n-th of a fixed sequence."""
    from generator.identifiers import _org_code_check_char, uscc_check_char

    body = f"{n:08d}"
    first17 = "91" + "110000" + body + _org_code_check_char(body)
    return first17 + uscc_check_char(first17)


def id_card(n: int) -> str:
    from generator.identifiers import id_card_check_char

    first17 = f"110101{1960 + n % 40}{1 + n % 12:02d}{1 + n % 28:02d}{n % 1000:03d}"
    return first17 + id_card_check_char(first17)


def org_tree(shape: Shape) -> list[tuple[str, str, str, str | None, str | None]]:
    """(code, name, level, parent code, kind), parents first."""
    out: list[tuple[str, str, str, str | None, str | None]] = []
    n = 0
    for p in range(shape.provinces):
        province = f"{PROVINCE_CODES[p]}0000"
        out.append((province, f"省{p:02d}", "province", None, None))
        for c in range(shape.cities):
            city = f"{PROVINCE_CODES[p]}{c + 1:02d}00"
            out.append((city, f"市{p:02d}{c:02d}", "city", province, None))
            for k in range(shape.counties):
                county = f"{PROVINCE_CODES[p]}{c + 1:02d}{k + 1:02d}"
                out.append((county, f"县{p:02d}{c:02d}{k:02d}", "county", city, None))
                for _u in range(shape.units):
                    out.append((uscc(n), f"医院{n:05d}", "unit", county, "institution"))
                    n += 1
    return out


@dataclass
class Row:
    """One result line of a scenario's table."""

    case: str
    ours: float | None
    anchor: float | None = None
    floor: float | None = None
    unit: str = "s"
    target: str = ""
    met: bool | None = None
    note: str = ""
    lower_is_better: bool = True

    def as_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()


@dataclass
class Section:
    number: int
    title: str
    what: str
    anchor_name: str
    floor_name: str
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    error: str = ""


def log(message: str) -> None:
    sys.stderr.write(f"[bench {time.strftime('%H:%M:%S')}] {message}\n")
    sys.stderr.flush()


def repeat(times: int, fn: Callable[[], float]) -> list[float]:
    return [fn() for _ in range(times)]
