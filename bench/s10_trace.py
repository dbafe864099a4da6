"""10. 药品追溯 关联匹配 on 1M 进销存 rows in PostgreSQL.

Half the rows are sales of one enterprise to another, the rest mostly the downstream
purchases that answer them: of every 100 sales, 92 have their purchase, 3 a purchase of
another quantity (数量不符) and 5 none (下游未报购进); 2 purchases in 100 answer no sale (上游未报
销售). Ours: `app/matching.py` as the schedule action `match_records` runs it — the first
matching of every row, then again when nothing moved (what an hourly run mostly finds), and
after a bulk upload of 1,000 new purchases (as the upload matches: the groups of the rows it
wrote). Floor: the pairing alone (one join of the sales
and purchases on the keys, counted), by hand with psycopg.
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from typing import Any

from bench.common import (
    SCHEMAS,
    Row,
    Section,
    Shape,
    connect,
    emit,
    log,
    our_child,
    recreate_database,
)

SCHEMA = SCHEMAS / "trace.yaml"
USERS = {"nat": ("national", "CN")}
COLUMNS = ("kind, moved_on, drug_code, generic_name, batch_no, quantity, counterparty_uscc, "
           "org_id, org_path, row_version")


def sizes(quick: bool) -> dict[str, Any]:
    if quick:
        return {"rows": 10_000, "shape": Shape(2, 2, 2, 3)}
    return {"rows": 1_000_000, "shape": Shape(10, 4, 5, 5)}


def prepare(quick: bool) -> str:
    """The loaded rows, never matched yet (a fresh database each run: matching writes)."""
    size = sizes(quick)
    n = size["rows"]
    name = f"bench_trace_{n}"
    log(f"generating {name}: {n:,} rows")
    recreate_database(name)
    our_child("bench.s10_trace", "child-prepare", name, str(n), repr(size["shape"]))
    return name


def movements(n: int, unit_rows: list[tuple[int, str, str]]) -> Any:
    """(kind, day, drug, name, batch, quantity, counterparty, org_id, org_path, 1) rows."""
    day = dt.date(2026, 10, 1)
    count = len(unit_rows)
    for i in range(n // 2):
        seller = unit_rows[i % count]
        buyer = unit_rows[(i * 7 + 1) % count]
        if buyer is seller:
            buyer = unit_rows[(i + 1) % count]
        drug, batch, quantity = f"869{i % 5000:011d}", f"B{i // 5000:05d}", 10 + i % 90
        yield ("sale", day, drug, "阿莫西林胶囊", batch, quantity, buyer[2], seller[0],
               seller[1], 1)
        kind = i % 100
        if kind < 5:
            continue  # 下游未报购进
        if kind < 8:
            quantity += 1  # 数量不符
        yield ("purchase", day, drug, "阿莫西林胶囊", batch, quantity, seller[2], buyer[0],
               buyer[1], 1)
        if kind >= 98:  # a purchase whose seller reports no sale: 上游未报销售
            yield ("purchase", day, drug, "阿莫西林胶囊", f"X{batch}", quantity, seller[2],
                   buyer[0], buyer[1], 1)


def child_prepare(name: str, n: str, shape: str) -> None:
    from bench.ourapp import apply, make_app, seed_world, units

    app = make_app(name, SCHEMA)
    apply(app)
    seed_world(app, eval(shape, {"Shape": Shape}), USERS)  # noqa: S307 - our own repr
    unit_rows = units(name)
    rows = 0
    with connect(name) as conn:
        with conn.cursor().copy(f"COPY trace_stock_movement ({COLUMNS}) FROM STDIN") as copy:
            for row in movements(int(n), unit_rows):
                copy.write_row(row)
                rows += 1
        conn.commit()
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE trace_stock_movement")
    emit({"rows": rows})


def child_ours(name: str) -> None:
    from sqlalchemy import func, insert, select

    from app import matching
    from bench.ourapp import make_app

    app = make_app(name, SCHEMA)
    with app.app_context():
        admin = app.extensions["admin"]
        entity = admin.spec.entity("trace.StockMovement")
        model = admin.models["trace.StockMovement"]
        session = app.appbuilder.session
        timed: dict[str, float] = {}
        written: dict[str, Any] = {}
        for label in ("first", "again"):
            started = time.perf_counter()
            written[label] = matching.match_entity(session, entity, model)
            session.commit()
            timed[label] = time.perf_counter() - started
        states = dict(session.execute(select(model.match_state, func.count())
                                      .group_by(model.match_state)).all())
        # 1,000 purchases answering sales that had none, as a bulk upload writes them
        missing = session.execute(
            select(model.drug_code, model.batch_no, model.quantity, model.org_id,
                   model.counterparty_uscc).where(model.match_state == "missing_other")
            .limit(1000)).all()
        from app.security.models import Organisation

        codes = {o.code: o for o in session.query(Organisation).filter(
            Organisation.level == "unit")}
        by_id = {o.id: o for o in codes.values()}
        ids = session.execute(insert(model.__table__).returning(model.__table__.c.id), [
            {"kind": "purchase", "moved_on": dt.date(2026, 10, 2), "drug_code": drug,
             "generic_name": "阿莫西林胶囊", "batch_no": batch, "quantity": quantity,
             "counterparty_uscc": by_id[org].code, "org_id": codes[buyer].id,
             "org_path": codes[buyer].path, "row_version": 1}
            for drug, batch, quantity, org, buyer in missing]).scalars().all()
        started = time.perf_counter()  # as the bulk upload matches: the groups it wrote to
        written["upload"] = matching.match_entity(session, entity, model, touched=list(ids))
        session.commit()
        timed["upload"] = time.perf_counter() - started
    emit({"times": timed, "written": written,
          "states": {str(k): int(v) for k, v in states.items()}, "uploaded": len(missing)})


def floor(name: str) -> float:
    with connect(name, autocommit=True) as conn:
        started = time.perf_counter()
        conn.execute(
            "SELECT count(*) FROM trace_stock_movement s "
            "JOIN org_organisation so ON so.id = s.org_id "
            "JOIN trace_stock_movement p ON p.kind = 'purchase' "
            "AND p.counterparty_uscc = so.code AND p.drug_code = s.drug_code "
            "AND p.batch_no = s.batch_no AND p.quantity = s.quantity "
            "JOIN org_organisation po ON po.id = p.org_id AND po.code = s.counterparty_uscc "
            "WHERE s.kind = 'sale'").fetchone()
        return time.perf_counter() - started


def run(quick: bool) -> Section:
    size = sizes(quick)
    n = size["rows"]
    section = Section(10, f"药品追溯 关联匹配 on {n:,} 进销存 rows (PostgreSQL)",
                      "Every sale paired with the downstream purchase of the same drug, batch "
                      "and quantity (app/matching.py, the schedule action match_records): the "
                      "first matching of every row, again with nothing moved, and after 1,000 "
                      "new purchases; one run each (s).", "–",
                      "the pairing join alone, counted (psycopg)")
    name = prepare(quick)
    ours = our_child("bench.s10_trace", "child-ours", name)
    base = floor(name)
    times, states = ours["times"], ours["states"]
    total = sum(states.values())
    log(f"s10: first {times['first']:.2f} s, again {times['again']:.2f} s, upload "
        f"{times['upload']:.2f} s, floor {base:.2f} s; states {states}")
    section.rows.append(Row(f"matching, first run ({total:,} rows)", times["first"],
                            floor=base, unit="s", target="≤ 60 s",
                            met=times["first"] <= 60,
                            note=", ".join(f"{k}: {v:,}" for k, v in sorted(states.items()))))
    section.rows.append(Row("matching again, nothing moved", times["again"], floor=base,
                            unit="s", target="–"))
    section.rows.append(Row(f"matching after a bulk upload of {ours['uploaded']:,} purchases "
                            "(their groups)",
                            times["upload"], floor=base, unit="s", target="–",
                            note=", ".join(f"{k}: {v:,}" for k, v in
                                           sorted(ours["written"]["upload"].items()))))
    section.notes = ["One run each on a freshly loaded database (matching writes the rows).",
                     "The first run (and the schedule's hourly one) reads every row; an "
                     "import or bulk upload reads only the groups (drug and batch) it wrote "
                     "to and those of their former partners."]
    if times["first"] > 60:
        section.notes.append(
            "Missed: the first run's ≤ 60 s. Where the floor joins the two sides once, ours "
            "copies every row into a temporary table, ranks it (ROW_NUMBER) once per round "
            "(equal quantities, then the keys alone) and writes the outcome of all of them "
            "with one UPDATE; which of these costs most is not profiled yet. Ranking both "
            "rounds in one pass and writing the outcome through COPY into a staging table "
            "are the next steps. The machine's load average (above) inflates every figure.")
    return section


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1].startswith("child-"):
        {"child-prepare": child_prepare, "child-ours": child_ours}[sys.argv[1]](*sys.argv[2:])
    else:
        from bench.run import main

        main(["--only", "10", *sys.argv[1:]])
