"""8. 填报进度 at national level and a notice's fan-out.

Completeness: every institution of the country expected to file a year; ours is what the
screen computes (app/completeness/progress.py: the per-unit status, the counts by province and
the totals) as the national user; the floor is the same counts written by hand as one SQL
statement. Fan-out: a 全国 notice published to every institution's account, each subscribed
to its category — the publish's own path (app/notices/fanout.py `submit`: the job committed
and run through the job runner, whose kind writes the messages in one INSERT … SELECT over
the subscriptions, the range and the messages already sent) beside the same INSERT … SELECT
by hand. PostgreSQL; the organisations and rows are loaded by COPY.
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
    connect,
    database_exists,
    drop_database,
    emit,
    log,
    median,
    our_child,
    recreate_database,
)

SCHEMA = SCHEMAS / "completeness.yaml"
YEAR = 2025
FANOUT_FLOOR_SQL = """
INSERT INTO msg_message (user_id, kind, title, body, record_id, link, created_at)
SELECT u.id, 'notice', '通知公告：政策法规', %(title)s, %(notice)s, %(link)s, now()
FROM ab_user u JOIN ntc_subscription s ON s.user_id = u.id
JOIN org_organisation o ON o.id = u.org_id
WHERE s.category = 'policy' AND u.active AND o.path >= '/CN/' AND o.path < '/CN0'
  AND NOT EXISTS (SELECT 1 FROM msg_message m WHERE m.user_id = u.id AND m.kind = 'notice'
                  AND m.record_id = %(notice)s)
"""
NOTICE_TITLE = "关于基准测试的通知"
FLOOR_SQL = """
WITH status AS (
  SELECT o.id, o.path, count(r.id) AS n,
         coalesce(sum(CASE WHEN r.state = 'submitted' THEN 1 ELSE 0 END), 0) AS filed_rows,
         max(r.filed_at) AS filed_at
  FROM org_organisation o LEFT JOIN filing_filing r ON r.org_id = o.id AND r.year = %(year)s
  WHERE o.level = 'unit' AND o.kind = 'institution' GROUP BY o.id, o.path)
SELECT substr(path, 1, 11), count(*),
       sum(CASE WHEN n > 0 AND filed_rows = n THEN 1 ELSE 0 END),
       sum(CASE WHEN n > 0 AND filed_rows = n AND filed_at <= %(due)s THEN 1 ELSE 0 END)
FROM status GROUP BY 1
"""


def sizes(quick: bool) -> dict[str, Any]:
    if quick:
        return {"units": 2_000, "rows": 100_000, "reps": 3}
    return {"units": 100_000, "rows": 5_000_000, "reps": 7}


def db_name(units: int, rows: int) -> str:
    # "n": made with 通知公告's tables and subscriptions
    return f"bench_completeness_n_{units}_{rows}"


def child_prepare(name: str, units: str, rows: str) -> None:
    """The schema through our app; organisations (31 provinces × 10 cities × 10 counties,
    units spread over them), one institution account per unit and the rows by COPY."""
    from bench.ourapp import apply, make_app

    app = make_app(name, SCHEMA)
    apply(app)
    n_units, n_rows = int(units), int(rows)
    with connect(name) as conn:
        with conn.cursor() as cur:
            cur.execute("INSERT INTO org_organisation (code, name, level, path) "
                        "VALUES ('CN', '全国', 'national', '/CN/') ON CONFLICT DO NOTHING")
            with cur.copy("COPY org_organisation (code, name, level, kind, path) FROM STDIN"
                          ) as copy:
                for p in range(31):
                    province = f"{11 + p:02d}0000"
                    copy.write_row((province, f"省{p:02d}", "province", None,
                                    f"/CN/{province}/"))
                    for c in range(10):
                        city = f"{11 + p:02d}{c + 1:02d}00"
                        copy.write_row((city, f"市{p}-{c}", "city", None,
                                        f"/CN/{province}/{city}/"))
                        for k in range(10):
                            county = f"{11 + p:02d}{c + 1:02d}{k + 1:02d}"
                            copy.write_row((county, f"县{p}-{c}-{k}", "county", None,
                                            f"/CN/{province}/{city}/{county}/"))
                for u in range(n_units):
                    p, c, k = u % 31, (u // 31) % 10, (u // 310) % 10
                    province, city = f"{11 + p:02d}0000", f"{11 + p:02d}{c + 1:02d}00"
                    county = f"{11 + p:02d}{c + 1:02d}{k + 1:02d}"
                    copy.write_row((f"U{u:09d}", f"医院{u:06d}", "unit", "institution",
                                    f"/CN/{province}/{city}/{county}/U{u:09d}/"))
            cur.execute("UPDATE org_organisation o SET parent_id = p.id FROM org_organisation p "
                        "WHERE o.level <> 'national' AND p.path = regexp_replace(o.path, "
                        "'[^/]+/$', '')")
            cur.execute("INSERT INTO ab_user (id, first_name, last_name, username, email, "
                        "active, org_id) SELECT nextval('ab_user_id_seq'), name, '', "
                        "'u' || id, 'u' || id || '@bench.invalid', true, id "
                        "FROM org_organisation WHERE level = 'unit'")
            cur.execute("INSERT INTO ntc_subscription (user_id, category) "
                        "SELECT id, 'policy' FROM ab_user")
            cur.execute("INSERT INTO ntc_notice (category, title, body, range_org_id, "
                        "range_path, state, published_at, created_at) SELECT 'policy', "
                        "%s, '<p>正文</p>', id, path, 'published', now(), now() "
                        "FROM org_organisation WHERE code = 'CN'", (NOTICE_TITLE,))
            units_ = list(cur.execute("SELECT id, path FROM org_organisation "
                                      "WHERE level = 'unit' ORDER BY id"))
            due = dt.datetime(YEAR + 1, 3, 31, 23, 59, 59)
            with cur.copy("COPY filing_filing (year, item, state, filed_at, org_id, org_path, "
                          "row_version) FROM STDIN") as copy:
                per = max(1, n_rows // len(units_))
                for i in range(n_rows):
                    org_id, path = units_[(i // per) % len(units_)]
                    unit = (i // per) % len(units_)
                    # three in four units file everything, one in three of those late
                    filed = unit % 4 != 0 or i % per != 0
                    when = due - dt.timedelta(days=5) if unit % 3 else due + dt.timedelta(days=2)
                    copy.write_row((YEAR, f"I{i % per}", "submitted" if filed else "draft",
                                    when if filed else None, org_id, path, 1))
        conn.commit()
    with connect(name, autocommit=True) as conn:
        conn.execute("ANALYZE")
    emit({"units": n_units, "rows": n_rows})


def prepare(quick: bool) -> str:
    size = sizes(quick)
    name = db_name(size["units"], size["rows"])
    if not database_exists(name):
        log(f"generating {name}")
        recreate_database(name)
        try:
            our_child("bench.s8_completeness", "child-prepare", name, str(size["units"]),
                      str(size["rows"]))
        except BaseException:
            drop_database(name)  # half-made: made again next time
            raise
    return name


def child_ours(name: str, reps: str) -> None:
    from sqlalchemy import delete, func, select

    from app.completeness import progress
    from app.jobs.models import Job
    from app.messages.models import Message
    from app.notices import fanout
    from app.notices.models import Notice
    from app.security.models import Organisation
    from bench.ourapp import apply, make_app

    app = make_app(name, SCHEMA, ADMIN_JOBS_SYNC=True)  # the job runs as the publish returns
    apply(app)  # a kept database gets the tables and columns added since it was made
    with app.app_context():
        admin = app.extensions["admin"]
        entity = admin.spec.entity("filing.Filing")
        model = admin.models["filing.Filing"]
        session = app.appbuilder.session
        national = session.execute(select(Organisation).where(Organisation.code == "CN")
                                   ).scalar_one()
        due = dt.datetime(YEAR + 1, 3, 31, 23, 59, 59)
        times = []
        for _ in range(int(reps)):
            started = time.perf_counter()
            status = progress.unit_status(entity, model, YEAR, national, due)
            groups = progress.groups(session, status, national)
            total = progress.totals(session, status)
            times.append(time.perf_counter() - started)
        fan = []
        pk = session.execute(select(Notice.id).where(Notice.title == NOTICE_TITLE)).scalar_one()
        for rep in range(2):
            session = app.appbuilder.session
            notice = session.get(Notice, pk)
            notice.published_at = dt.datetime.now() + dt.timedelta(seconds=rep)  # a publish
            session.flush()
            started = time.perf_counter()
            fanout.submit(session, notice, None, f"/notices/{pk}")
            fan.append(time.perf_counter() - started)
            session = app.appbuilder.session
            job = session.execute(select(Job).where(Job.kind == fanout.KIND)
                                  .order_by(Job.id.desc()).limit(1)).scalar_one()
            sent = session.execute(select(func.count()).select_from(Message).where(
                Message.kind == "notice", Message.record_id == pk)).scalar_one()
            if job.state != "done" or sent == 0:
                raise RuntimeError(f"the fan-out job ended {job.state}: {job.reason}")
            session.execute(delete(Message).where(Message.kind == "notice",
                                                  Message.record_id == pk))
            session.commit()
    emit({"seconds": median(times), "groups": len(groups), "expected": total.expected,
          "filed": total.filed, "on_time": total.on_time, "fanout": median(fan), "sent": sent})


def floor(name: str, reps: int) -> dict[str, float]:
    due = dt.datetime(YEAR + 1, 3, 31, 23, 59, 59)
    times, fan = [], []
    with connect(name) as conn:
        for _ in range(reps):
            started = time.perf_counter()
            conn.execute(FLOOR_SQL, {"year": YEAR, "due": due}).fetchall()
            times.append(time.perf_counter() - started)
        pk = conn.execute("SELECT id FROM ntc_notice WHERE title = %s", (NOTICE_TITLE,)
                          ).fetchone()[0]
        for _ in range(2):
            started = time.perf_counter()
            conn.execute(FANOUT_FLOOR_SQL, {"title": NOTICE_TITLE, "notice": pk,
                                            "link": f"/notices/{pk}"})
            conn.commit()
            fan.append(time.perf_counter() - started)
            conn.execute("DELETE FROM msg_message WHERE kind = 'notice' AND record_id = %s",
                         (pk,))
            conn.commit()
    return {"seconds": median(times), "fanout": median(fan)}


def run(quick: bool) -> Section:
    size = sizes(quick)
    section = Section(8, f"填报进度 over {size['units']:,} units and {size['rows']:,} rows; "
                      "a notice's fan-out to every subscriber",
                      "The national view of a year's completeness (status per unit, counts by "
                      "province, totals) as the screen computes it, and a 全国 notice's "
                      "publish telling every subscribed account (the job, set-based).", "–",
                      "the same statement by hand")
    name = prepare(quick)
    ours = our_child("bench.s8_completeness", "child-ours", name, str(size["reps"]))
    base = floor(name, size["reps"])
    log(f"s8: completeness {ours['seconds'] * 1000:.0f} ms (floor "
        f"{base['seconds'] * 1000:.0f} ms), fan-out {ours['fanout']:.2f}s to {ours['sent']:,}")
    section.rows.append(Row("completeness, national level", ours["seconds"] * 1000,
                            floor=base["seconds"] * 1000, unit="ms", target="≤ 200 ms",
                            met=ours["seconds"] <= 0.2,
                            note=f"{ours['expected']:,} expected, {ours['filed']:,} filed, "
                                 f"{ours['on_time']:,} on time, {ours['groups']} provinces"))
    section.rows.append(Row(f"notice fan-out to {ours['sent']:,} subscribers", ours["fanout"],
                            floor=base["fanout"], target="≤ 10 s", met=ours["fanout"] <= 10,
                            note="publish's job: commit, claim, INSERT … SELECT, commit"))
    section.notes = ["Median of the repetitions; the fan-out's messages are deleted after "
                     "each run (both sides commit theirs)."]
    return section


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1].startswith("child-"):
        {"child-prepare": child_prepare, "child-ours": child_ours}[sys.argv[1]](*sys.argv[2:])
    else:
        from bench.run import main

        main(["--only", "8", *sys.argv[1:]])
