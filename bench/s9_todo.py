"""9. 工作台 待办 counts at national level on 1M rows in PostgreSQL.

Ours: the 待办 count of the workflow's Demand as the national reviewer's 工作台 computes it
(app/workflow/todo.py `counts`: the rows in the states the user may act on, within the user's
range, and those past their time limit, one statement), then the whole 工作台 page (GET /,
the Flask test client). The national reviewer may 国家确认 rows at 省级已审核 and 退回补正 rows
at any step under review, so about half of the rows wait for it.
Floor: the same count written by hand and sent with psycopg.
填报进度 at national level is scenario 8 (100,000 institutions, 5M rows).
"""

from __future__ import annotations

import hashlib
import inspect
import sys
import time
from typing import Any

from bench.common import (
    SCHEMAS,
    Row,
    Section,
    Shape,
    connect,
    database_exists,
    emit,
    log,
    median,
    our_child,
    recreate_database,
)

SCHEMA = SCHEMAS / "workflow.yaml"
USERS = {"nat": ("national", "CN")}
# state by row number % 20: in review (submitted … province_ok) 11 of 20
STATES = (["saved"] * 6 + ["submitted"] * 4 + ["county_ok"] * 3 + ["city_ok"] * 2
          + ["province_ok"] * 2 + ["national_ok"] * 2 + ["returned"])
WAITING = ("submitted", "county_ok", "city_ok", "province_ok")  # national's 待办


def sizes(quick: bool) -> dict[str, Any]:
    if quick:
        return {"rows": 10_000, "shape": Shape(2, 2, 2, 3), "reps": 3}
    return {"rows": 1_000_000, "shape": Shape(10, 4, 5, 5), "reps": 15}


def _fingerprint(n: int, shape: Shape) -> str:
    source = SCHEMA.read_text(encoding="utf-8") + inspect.getsource(sys.modules[__name__])
    return hashlib.sha256((source + repr((n, shape))).encode()).hexdigest()[:16]


def prepare(quick: bool) -> str:
    size = sizes(quick)
    n = size["rows"]
    name, wanted = f"bench_todo_{n}", _fingerprint(n, size["shape"])
    if database_exists(name):
        try:
            with connect(name) as conn:
                have = conn.execute("SELECT fingerprint FROM bench_meta").fetchone()
            if have and have[0] == wanted:
                log(f"reusing {name}")
                return name
        except Exception:  # noqa: BLE001 - half-made: make it again
            pass
    log(f"generating {name}: {n:,} rows")
    recreate_database(name)
    our_child("bench.s9_todo", "child-prepare", name, str(n), repr(size["shape"]))
    with connect(name) as conn:
        conn.execute("CREATE TABLE bench_meta (fingerprint text)")
        conn.execute("INSERT INTO bench_meta VALUES (%s)", (wanted,))
        conn.commit()
    return name


def child_prepare(name: str, n: str, shape: str) -> None:
    from bench.ourapp import apply, make_app, seed_world, units

    app = make_app(name, SCHEMA)
    apply(app)
    seed_world(app, eval(shape, {"Shape": Shape}), USERS)  # noqa: S307 - our own repr
    unit_rows = units(name)
    with connect(name) as conn:
        with conn.cursor().copy("COPY procurement_demand (item, baseline, planned, state, "
                                "org_id, org_path, row_version) FROM STDIN") as copy:
            for i in range(int(n)):
                org_id, path, _code = unit_rows[(i // 10) % len(unit_rows)]
                copy.write_row((f"11-{i % 50 + 1:03d}", (i * 37) % 1000, (i * 7919) % 100_000,
                                STATES[i % len(STATES)], org_id, path, 1))
        conn.commit()
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE procurement_demand")
    emit({"rows": int(n)})


def child_ours(name: str, reps: str) -> None:
    from flask import g
    from flask_login import login_user
    from sqlalchemy import select

    from app.security.models import AppUser
    from app.workflow import todo
    from bench.ourapp import login, make_app

    app = make_app(name, SCHEMA)
    with app.test_request_context("/"):  # the rights are the signed-in user's
        admin = app.extensions["admin"]
        entity = admin.spec.entity("procurement.Demand")
        model = admin.models["procurement.Demand"]
        session = app.appbuilder.session
        user = session.execute(select(AppUser).where(AppUser.username == "nat")).scalar_one()
        login_user(user)
        g.user = user
        times, waiting = [], 0
        for i in range(int(reps) + 2):
            started = time.perf_counter()
            waiting, _late = todo.counts(entity, model, user, session)
            if i >= 2:
                times.append(time.perf_counter() - started)
        session.rollback()
    client = app.test_client()
    login(client, "nat")
    page = []
    for i in range(int(reps) + 2):
        started = time.perf_counter()
        response = client.get("/")
        body = response.get_data(as_text=True)
        if i >= 2:
            page.append(time.perf_counter() - started)
    if response.status_code != 200 or f"{waiting:,}" not in body and str(waiting) not in body:
        raise RuntimeError(f"工作台: {response.status_code}, {waiting} not on the page")
    emit({"counts": median(times), "page": median(page), "waiting": waiting})


def floor(name: str, reps: int) -> float:
    times = []
    with connect(name, autocommit=True) as conn:
        for i in range(reps + 2):
            started = time.perf_counter()
            conn.execute("SELECT count(*) FROM procurement_demand WHERE state = ANY(%s)",
                         (list(WAITING),)).fetchone()
            if i >= 2:
                times.append(time.perf_counter() - started)
    return median(times)


def run(quick: bool) -> Section:
    size = sizes(quick)
    n = size["rows"]
    section = Section(9, f"工作台 待办 at national level on {n:,} rows (PostgreSQL)",
                      "The national reviewer's 待办 count of the workflow's Demand (about half "
                      "the rows wait for it), as the 工作台 computes it, and the whole 工作台 "
                      "page; medians (ms), warm.", "–", "the same count by hand (psycopg)")
    name = prepare(quick)
    ours = our_child("bench.s9_todo", "child-ours", name, str(size["reps"]))
    base = floor(name, size["reps"])
    log(f"s9: counts {ours['counts'] * 1000:.1f} ms, page {ours['page'] * 1000:.1f} ms, floor "
        f"{base * 1000:.1f} ms ({ours['waiting']:,} waiting)")
    section.rows.append(Row("待办 counts, national level", ours["counts"] * 1000,
                            floor=base * 1000, unit="ms", target="≤ 50 ms",
                            met=ours["counts"] <= 0.05,
                            note=f"{ours['waiting']:,} of {n:,} rows wait"))
    section.rows.append(Row("工作台 page (GET /), national level", ours["page"] * 1000,
                            floor=base * 1000, unit="ms", target="–"))
    section.notes = [f"Runs: {size['reps']} after 2 warm-up ones; medians. 填报进度 at national "
                     "level: scenario 8."]
    return section


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1].startswith("child-"):
        {"child-prepare": child_prepare, "child-ours": child_ours}[sys.argv[1]](*sys.argv[2:])
    else:
        from bench.run import main

        main(["--only", "9", *sys.argv[1:]])
