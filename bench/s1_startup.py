"""1. Start-up and permission sync for 200 generated entities on PostgreSQL.

Ours: a fresh process builds the app from the YAML, runs `schema apply` (tables, then the
set-based permission sync of app/security/sync.py) and answers its first request; then a
restart does the same on the synced database (apply finds nothing to do).
Anchor: stock FAB (bench/anchors/fab_app.py) registering the same 200 ModelViews and
ModelRestApis with FAB_UPDATE_PERMS=True, fresh database and restart.
Every start is its own process; the time runs from before Flask is imported to the first
answered request. A fresh start has an empty cache folder (ADMIN_CACHE_FOLDER: the checked
Spec, compiled templates) as well as an empty database; a restart has what the fresh one left.
The bytecode of app/ and generator/ is compiled beforehand, as `pip install` or a first start
leaves it (this machine sets PYTHONDONTWRITEBYTECODE, which would make every start compile).
"""

from __future__ import annotations

import time

T0 = time.perf_counter()

import compileall  # noqa: E402
import shutil  # noqa: E402
import sys  # noqa: E402

from bench.common import (  # noqa: E402
    ROOT,
    WORK,
    Row,
    Section,
    Statements,
    drop_database,
    emit,
    log,
    median,
    our_child,
    recreate_database,
)

DB_OURS, DB_FAB = "bench_s1_ours", "bench_s1_fab"
CACHE = WORK / "s1-cache"


def sizes(quick: bool) -> dict[str, int]:
    return ({"entities": 20, "ours_runs": 2, "fab_runs": 1} if quick else
            {"entities": 200, "ours_runs": 3, "fab_runs": 1})


def schema_file(n: int) -> str:
    """n entities, as in tests/app/test_security.py's 200-entity start-up test."""
    lines = ["app:", "  title: {zh: 启动基准, en: Start-up benchmark}", "roles:",
             "  clerk: {label: 办事员, level: unit}", "module: big", "entities:"]
    for i in range(n):
        lines += [f"  Thing{i}:", "    scope: jurisdiction", "    fields:",
                  "      name: {type: string, max: 50}", "      qty: integer",
                  "    permissions:", "      clerk: [list, show, add, edit]"]
    WORK.mkdir(parents=True, exist_ok=True)
    path = WORK / f"s1_{n}_entities.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


# -- children -------------------------------------------------------------------------------
def child_ours(dbname: str, schema: str) -> None:
    statements = Statements().install()
    from bench.ourapp import apply, make_app

    app = make_app(dbname, schema)
    built = time.perf_counter()
    applied = apply(app)
    synced = time.perf_counter()
    response = app.test_client().get("/login/")
    assert response.status_code == 200, response.status_code
    ready = time.perf_counter()
    emit({"seconds": ready - T0, "build": built - T0, "apply": synced - built,
          "first_request": ready - synced, "cpu_seconds": time.process_time(),
          "sync_seconds": applied.permissions.seconds,
          "sync_statements": applied.permissions.statements,
          "grants": applied.permissions.added, "statements": statements.count})


def child_fab(dbname: str, n: str) -> None:
    statements = Statements().install()
    from bench.anchors.fab_app import startup_app
    from bench.common import db_url

    app = startup_app(db_url(dbname), int(n))
    built = time.perf_counter()
    response = app.test_client().get("/login/")
    assert response.status_code == 200, response.status_code
    ready = time.perf_counter()
    emit({"seconds": ready - T0, "build": built - T0, "cpu_seconds": time.process_time(),
          "statements": statements.count})


# -- the scenario ---------------------------------------------------------------------------
def run(quick: bool) -> Section:
    size = sizes(quick)
    n = size["entities"]
    schema = schema_file(n)
    section = Section(1, f"Start-up and permission sync, {n} generated entities",
                      "A fresh process per start, PostgreSQL, from before Flask is imported "
                      "to the first answered request. Fresh: empty database. Restart: the "
                      "same again on the database the fresh start left.",
                      "stock FAB, FAB_UPDATE_PERMS=True", "")
    for folder in ("app", "generator", "bench"):
        compileall.compile_dir(str(ROOT / folder), quiet=1)
    env = {"ADMIN_CACHE_FOLDER": str(CACHE)}
    fresh, restart = [], []
    for i in range(size["ours_runs"]):
        recreate_database(DB_OURS)
        shutil.rmtree(CACHE, ignore_errors=True)
        fresh.append(our_child("bench.s1_startup", "child-ours", DB_OURS, schema, env=env))
        restart.append(our_child("bench.s1_startup", "child-ours", DB_OURS, schema, env=env))
        log(f"s1 ours run {i + 1}: fresh {fresh[-1]['seconds']:.2f}s, "
            f"restart {restart[-1]['seconds']:.2f}s")
    fab_fresh, fab_restart = [], []
    for i in range(size["fab_runs"]):
        recreate_database(DB_FAB)
        fab_fresh.append(our_child("bench.s1_startup", "child-fab", DB_FAB, str(n)))
        fab_restart.append(our_child("bench.s1_startup", "child-fab", DB_FAB, str(n)))
        log(f"s1 stock FAB run {i + 1}: fresh {fab_fresh[-1]['seconds']:.1f}s, "
            f"restart {fab_restart[-1]['seconds']:.1f}s")
    drop_database(DB_OURS)
    drop_database(DB_FAB)
    shutil.rmtree(CACHE, ignore_errors=True)

    def med(runs: list[dict], key: str) -> float:
        return median([r[key] for r in runs])

    ours_fresh, anchor_fresh = med(fresh, "seconds"), med(fab_fresh, "seconds")
    ours_restart, anchor_restart = med(restart, "seconds"), med(fab_restart, "seconds")
    section.rows = [
        Row("fresh database: start-up + tables + permission sync", ours_fresh, anchor_fresh,
            target="≤ 3 s and ≥ 40x stock FAB",
            met=ours_fresh <= 3 and anchor_fresh / ours_fresh >= 40),
        Row("restart on the synced database", ours_restart, anchor_restart,
            target="≤ 1.5 s and ≥ 40x stock FAB",
            met=ours_restart <= 1.5 and anchor_restart / ours_restart >= 40),
        Row("CPU time of the process, fresh start", med(fresh, "cpu_seconds"),
            med(fab_fresh, "cpu_seconds"),
            note="the machine is shared: wall time also counts waiting for a core"),
        Row("CPU time of the process, restart", med(restart, "cpu_seconds"),
            med(fab_restart, "cpu_seconds")),
        Row("statements sent, fresh start", med(fresh, "statements"),
            med(fab_fresh, "statements"), unit="statements"),
        Row("statements sent, restart", med(restart, "statements"),
            med(fab_restart, "statements"), unit="statements"),
        Row("permission sync alone, fresh (ours: app/security/sync.py)",
            med(fresh, "sync_seconds"), None,
            note=f"{med(fresh, 'sync_statements'):.0f} statements, "
                 f"{med(fresh, 'grants'):.0f} grants written"),
    ]
    section.notes = [
        f"Runs: ours {size['ours_runs']} fresh + {size['ours_runs']} restarts (median), "
        f"stock FAB {size['fab_runs']} + {size['fab_runs']} (it takes minutes).",
        f"Ours, median split: fresh: build the app {med(fresh, 'build'):.2f} s (imports "
        f"included), `schema apply` {med(fresh, 'apply'):.2f} s, first request "
        f"{med(fresh, 'first_request'):.2f} s; restart: {med(restart, 'build'):.2f} s, "
        f"{med(restart, 'apply'):.2f} s (the tables' fingerprint matches: no table is "
        f"compared), {med(restart, 'first_request'):.2f} s. Stock FAB spends its time in "
        "`add_view`/`add_api`, where FAB_UPDATE_PERMS syncs view by view.",
        "Measured here before the project existed (same kind of machine): stock FAB 35-40 s "
        "for 100 entities (16,349 statements), 137 s for 200; a set-based sync 0.19 s for 100.",
    ]
    return section


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "child-ours":
        child_ours(*sys.argv[2:])
    elif len(sys.argv) > 1 and sys.argv[1] == "child-fab":
        child_fab(*sys.argv[2:])
    else:
        from bench.run import main

        main(["--only", "1", *sys.argv[1:]])
