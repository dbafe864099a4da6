"""11. 全局搜索 (app/global_search/): query time on 100,000 catalogue rows in PostgreSQL, what
the search keeps besides the rows, and its hit quality on a labelled query set.

Ours: `query.found` as the search page calls it (the count and the first page of one type,
words as typed, LIKE on the title, the text fields and the title's pinyin initials, under the
user's scope), for a national and a province user. Floor: the same count and page written by
hand in SQL and sent with psycopg. Quality: the 30 items of the demo's 事项清单
(app/demo/catalogue.py) and queries labelled with the items a person typing them wants;
precision and recall of the page's answer (the words as typed, then their two-character
pieces when nothing holds them whole).
"""

from __future__ import annotations

import sys
import time
from typing import Any

from bench.common import (
    PROVINCE_CODES,
    SCHEMAS,
    Row,
    Section,
    Shape,
    connect,
    drop_database,
    emit,
    log,
    median,
    our_child,
    recreate_database,
)

SCHEMA = SCHEMAS / "search.yaml"
USERS = {"nat": ("national", "CN"), "prov": ("province", f"{PROVINCE_CODES[0]}0000")}
SUBJECTS = ("药品", "医疗器械", "第二类医疗器械", "化妆品", "中药饮片", "疫苗", "医疗机构制剂",
            "麻醉药品", "体外诊断试剂", "药用辅料")
OBJECTS = ("生产许可证", "经营许可证", "注册证", "广告批准文号", "出口销售证明", "年度报告",
           "委托检验", "不良反应报告", "网络销售备案", "进口通关单")
ACTIONS = ("核发", "变更", "换证", "注销", "补发", "备案", "查询", "延续")
DISTRICTS = ("东城区", "西城区", "朝阳区", "丰台区", "石景山区", "海淀区", "门头沟区", "房山区",
             "通州区", "顺义区", "昌平区", "大兴区", "怀柔区", "平谷区", "密云区", "延庆区")
CATEGORIES = ("licence", "service", "reporting", "testing")
QUERIES = ("许可证", "委托检验", "朝阳区 年度报告", "ypsc", "不存在的词语")
# query -> the codes of the demo's items a person typing it wants
LABELLED = {
    "许可证": {"01-001", "01-002", "01-003", "01-004", "01-005",
            "01-009", "01-010"},
    "药品许可证": {"01-001", "01-002", "01-003", "01-004", "01-005"},
    "执业药师": {"02-001", "02-002"},
    "医疗器械注册": {"01-006", "04-003"},
    "不良反应": {"03-003"},
    "年度报告": {"03-002", "03-006"},
    "出口证明": {"02-004", "02-005"},
    "委托检验": {"04-002", "04-004"},
    "广告": {"02-006"},
    "投诉": {"02-007"},
    "ypsc": {"01-001", "01-002"},
    "ylqx": {"01-006", "01-007", "01-008", "02-005", "03-004",
             "03-005", "04-003"},
    "换证 网上办理": {"01-005"},
    "化妆品生产": {"01-009"},
}


def sizes(quick: bool) -> dict[str, Any]:
    if quick:
        return {"rows": 5_000, "shape": Shape(2, 2, 2, 2), "reps": 3}
    return {"rows": 100_000, "shape": Shape(4, 4, 4, 5), "reps": 9}


def name_of(i: int) -> str:
    return (f"{SUBJECTS[i % len(SUBJECTS)]}{OBJECTS[(i // 10) % len(OBJECTS)]}"
            f"{ACTIONS[(i // 100) % len(ACTIONS)]}（{DISTRICTS[(i // 800) % len(DISTRICTS)]}）")


def child_prepare(name: str, n: str, shape: str) -> None:
    from bench.ourapp import apply, make_app, seed_world, units
    from generator.pinyin import initials

    app = make_app(name, SCHEMA)
    apply(app)
    seed_world(app, eval(shape, {"Shape": Shape}), USERS)  # noqa: S307 - our own repr
    unit_rows = units(name)
    spelled: dict[str, str | None] = {}
    with connect(name) as conn:
        with conn.cursor().copy(
                "COPY portal_item (category, code, name, name_initials, code_initials, "
                "description, place, org_id, org_path, row_version) FROM STDIN") as copy:
            for i in range(int(n)):
                org_id, path, _code = unit_rows[i % len(unit_rows)]
                title = name_of(i)
                if title not in spelled:
                    spelled[title] = initials(title)
                code = f"BJ-{i:06d}"
                copy.write_row((CATEGORIES[i % 4], code, title, spelled[title], initials(code),
                                f"{title}：申请人通过服务门户提交申请材料，窗口受理后"
                                f"{5 + i % 20}个工作日内办结。", "政务服务中心药品监管窗口",
                                org_id, path, 1))
        conn.commit()
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE portal_item")
    emit({"rows": int(n)})


def _signed_in(app: Any, username: str) -> Any:
    from flask import g
    from flask_login import login_user
    from sqlalchemy import select

    from app.security.models import AppUser

    user = app.appbuilder.session.execute(
        select(AppUser).where(AppUser.username == username)).scalar_one()
    login_user(user)
    g.user = user
    return user


def child_ours(name: str, reps: str) -> None:
    from app.global_search import query
    from bench.ourapp import make_app

    app = make_app(name, SCHEMA)
    out: dict[str, Any] = {}
    for username in USERS:
        with app.test_request_context("/search/"):
            user = _signed_in(app, username)
            for text in QUERIES:
                times, hits = [], 0
                for i in range(int(reps) + 2):
                    started = time.perf_counter()
                    groups = query.found(user, query.terms(text), "portal.Item")
                    if i >= 2:
                        times.append(time.perf_counter() - started)
                    hits = groups[0].count if groups else 0
                out[f"{username}:{text}"] = {"ms": median(times) * 1000, "hits": hits}
            app.appbuilder.session.rollback()
    emit(out)


def child_quality(name: str) -> None:
    from app.demo.catalogue import ITEMS
    from app.global_search import query
    from app.security.models import Organisation
    from bench.ourapp import apply, make_app, seed_world

    app = make_app(name, SCHEMA)
    apply(app)
    seed_world(app, Shape(1, 1, 1, 1), {"nat": ("national", "CN")})
    model = app.extensions["admin"].models["portal.Item"]
    with app.app_context():
        session = app.appbuilder.session
        org = session.query(Organisation).filter_by(level="province").first()
        for category, code, title, _who, _days, place, text in ITEMS:
            session.add(model(category=category, code=code, name=title, description=text,
                              place=place, org=org))
        session.commit()
    codes: dict[str, str] = {}
    right = shown = wanted = whole = 0
    per: dict[str, list[int]] = {}
    with app.test_request_context("/search/"):
        user = _signed_in(app, "nat")
        codes = {str(title): str(code) for code, title in app.appbuilder.session.execute(
            model.__table__.select().with_only_columns(model.code, model.name)).all()}
        for text, label in LABELLED.items():
            words = query.terms(text)
            groups = query.found(user, words, "portal.Item")
            if not groups and query.loosened(words):
                groups = query.found(user, query.loosened(words), "portal.Item")
            got = {codes[_plain(h.title)] for g in groups for h in g.hits}
            hit = len(got & label)
            right, shown, wanted = right + hit, shown + len(got), wanted + len(label)
            whole += got == label
            per[text] = [hit, len(got), len(label)]
    emit({"precision": right / shown if shown else 0.0, "recall": right / wanted,
          "exact": whole, "queries": len(LABELLED), "per": per})


def _plain(markup: Any) -> str:
    import re

    return re.sub(r"<[^>]+>", "", str(markup))


def floor(name: str, reps: int) -> float:
    like = "%许可证%"
    times = []
    with connect(name, autocommit=True) as conn:
        for i in range(reps + 2):
            started = time.perf_counter()
            where = "name LIKE %s OR description LIKE %s OR place LIKE %s"
            conn.execute(f"SELECT count(*) FROM portal_item WHERE {where}",
                         (like, like, like)).fetchone()
            conn.execute(f"SELECT * FROM portal_item WHERE {where} ORDER BY CASE WHEN name "
                         "LIKE %s THEN 0 ELSE 1 END, id LIMIT 20",
                         (like, like, like, like)).fetchall()
            if i >= 2:
                times.append(time.perf_counter() - started)
    return median(times)


def sizes_on_disk(name: str) -> dict[str, float]:
    with connect(name, autocommit=True) as conn:
        table = conn.execute("SELECT pg_total_relation_size('portal_item')").fetchone()[0]
        spelled = conn.execute("SELECT sum(pg_column_size(name_initials)) FROM portal_item"
                               ).fetchone()[0]
    return {"table": table / 2**20, "initials": (spelled or 0) / 2**20}


def run(quick: bool) -> Section:
    size = sizes(quick)
    n = size["rows"]
    section = Section(11, f"全局搜索 on {n:,} catalogue rows (PostgreSQL)",
                      "The global search of one type as its page asks it: the count and the "
                      "first page of hits, the words as typed (LIKE on the title, the text "
                      "fields and the title's pinyin initials) under the user's scope; "
                      "medians (ms), warm. Hit quality: the demo's 30 service items and "
                      f"{len(LABELLED)} labelled queries.", "–", "the same count and page by "
                      "hand (psycopg)")
    name, quality = f"bench_search_{n}", "bench_search_quality"
    recreate_database(name)
    recreate_database(quality)
    try:
        our_child("bench.s11_search", "child-prepare", name, str(n), repr(size["shape"]))
        ours = our_child("bench.s11_search", "child-ours", name, str(size["reps"]))
        base = floor(name, size["reps"])
        disk = sizes_on_disk(name)
        judged = our_child("bench.s11_search", "child-quality", quality)
    finally:
        drop_database(name)
        drop_database(quality)
    for key, value in [(k, v) for k, v in ours.items() if ":" in k]:
        who, text = key.split(":", 1)
        section.rows.append(Row(
            f"{'national' if who == 'nat' else 'province'}: 「{text}」", value["ms"],
            floor=base * 1000 if key == "nat:许可证" else None, unit="ms", target="",
            note=f"{value['hits']:,} hits"))
    log(f"s11: {ours}; floor {base * 1000:.1f} ms; {disk}; {judged}")
    section.rows.append(Row("search index kept besides the rows", 0.0, unit="MB", target="",
                            note=f"table with its indexes {disk['table']:.1f} MB; the title's "
                            f"pinyin initials {disk['initials']:.1f} MB of it"))
    section.rows.append(Row("hit quality: precision", judged["precision"] * 100, unit="%",
                            target="", lower_is_better=False,
                            note=f"{judged['exact']} of {judged['queries']} queries answered "
                            "exactly"))
    section.rows.append(Row("hit quality: recall", judged["recall"] * 100, unit="%",
                            target="", lower_is_better=False))
    section.notes = [
        f"Runs: {size['reps']} after 2 warm-up ones; medians. Every query reads the table "
        "(LIKE '%…%' uses no index), so its time grows with the rows in the user's range.",
        "Per labelled query (found right / shown / wanted): " + ", ".join(
            f"「{q}」 {a}/{b}/{c}" for q, (a, b, c) in judged["per"].items()) + ".",
        "Word segmentation (jieba 0.42.1) was tried for the long words: loading its "
        "dictionary took 6 to 9 s per process on this machine, on the first search of each "
        "worker; the two-character pieces (「药品许可证」 → 药品 许可 证) cost nothing to load.",
    ]
    return section


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1].startswith("child-"):
        {"child-prepare": child_prepare, "child-ours": child_ours,
         "child-quality": child_quality}[sys.argv[1]](*sys.argv[2:])
    else:
        from bench.run import main

        main(["--only", "11", *sys.argv[1:]])
