"""Worlds built once per test session and backend, then copied into each test module's own
database: the demo (`flask demo load`) and the 宁夏 world take far longer to write row by row
than to copy. A world lives as long as the session (under its base temporary folder, and as
template databases dropped at its end), so each run builds it from the code as it is. SQLite
copies the file;
PostgreSQL creates the module's database from a template database. The upload folder goes
along. Every test module still owns its database: what one module writes, no other sees."""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.conftest import POSTGRES_URL

TEMPLATE_PREFIX = "tpl_"


def session_root(path: Path) -> Path:
    """The session's base temporary folder (pytest-N), shared by its xdist workers, from
    any folder under it."""
    for folder in (path, *path.parents):
        if re.fullmatch(r"pytest-\d+", folder.name):
            return folder
    return path.parent  # --basetemp: a folder of tmp_path_factory.mktemp sits right under it


def session_tag(path: Path) -> str:
    """The same for the controller and every worker of one pytest session."""
    return hashlib.sha256(str(session_root(path)).encode()).hexdigest()[:8]


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def restore(name: str, database_url: str, files: Path,
            build: Callable[[str, Path], None]) -> None:
    """Leave in `database_url` (an empty database) and `files` (a folder of the session) the
    world `build` writes into an empty database and folder; `build` runs once per session and
    backend, and must close its connections before it returns."""
    root = session_root(files) / "worlds"
    root.mkdir(exist_ok=True)
    url = make_url(database_url)
    backend = url.get_backend_name()
    key = f"{name}_{backend}"
    with _locked(root / f"{key}.lock"):
        done = root / f"{key}.done"
        source_files = root / f"{key}-files"
        if backend == "sqlite":
            source_db = root / f"{key}.db"
            source_url = f"sqlite:///{source_db}"
        else:
            template = f"{TEMPLATE_PREFIX}{session_tag(files)}_{name}"
            source_url = url.set(database=template).render_as_string(hide_password=False)
        if not done.exists():
            shutil.rmtree(source_files, ignore_errors=True)
            if backend == "sqlite":
                source_db.unlink(missing_ok=True)
            else:
                server = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
                with server.connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)'))
                    conn.execute(text(f'CREATE DATABASE "{template}"'))
                server.dispose()
            source_files.mkdir()
            build(source_url, source_files)
            done.touch()
        if backend == "sqlite":
            assert url.database is not None
            shutil.copyfile(source_db, url.database)
        else:
            server = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
            with server.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
                conn.execute(text(f'CREATE DATABASE "{url.database}" TEMPLATE "{template}"'))
            server.dispose()
    shutil.copytree(source_files, files, dirs_exist_ok=True)


def drop_templates(basetemp: Path) -> None:
    """The session's template databases, once it is over (the controller's last step)."""
    if os.environ.get("TEST_BACKENDS", "") == "sqlite":
        return
    prefix = f"{TEMPLATE_PREFIX}{session_tag(basetemp)}_"
    try:
        server = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
        with server.connect() as conn:
            names = conn.execute(text("SELECT datname FROM pg_database WHERE datname LIKE :p"),
                                 {"p": prefix + "%"}).scalars().all()
            for db in names:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)'))
        server.dispose()
    except Exception:  # no PostgreSQL on this run: nothing was made there
        pass
