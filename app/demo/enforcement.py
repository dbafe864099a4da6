"""The demo's 稽查执法 in 宁夏 (seed 004 §二(三)), all in 兴庆区: a 线索 still to be checked, one
the leader did not file, and cases from the clues in several states — 立案审批 (waiting for
the leaders), 调查取证 (海军's, with 苏婷 as 协办人 and two lines of 查封扣押) and 已作出处罚决定
(宁夏凤城医药 reads it and its 行政处罚决定书) — plus a 简易程序 case decided on the spot.
Each step is fired through the workflow engine as its person. Rows only while there are no
clues yet."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from app.demo.business import acting, model
from app.demo.flows import Actor

# (number, unit, source, what is suspected, found on, content, check result)
CLUES = (
    ("XS-2026-001", "nx_pharmacy", "complaint", "涉嫌执业药师不在岗销售处方药", "2026-11-30",
     "12331 热线接群众举报：该药房夜间无执业药师在岗仍销售处方药。", None),
    ("XS-2026-002", "nx_maker", "other", "涉嫌生产记录不完整", "2026-10-09",
     "来信反映该企业部分批次生产记录存在补记情况。",
     "现场核查该企业批生产记录完整，举报内容不属实。"),
    ("XS-2026-003", "nx_wholesale", "sampling", "涉嫌销售劣药阿莫西林胶囊", "2026-09-02",
     "省级抽检发现该企业销售的阿莫西林胶囊（批号 20251103）溶出度不符合规定。",
     "经核查，该企业购进该批次阿莫西林胶囊 200 盒，已售出 180 盒，库存 20 盒。"),
    ("XS-2026-004", "nx_pharmacy", "inspection", "涉嫌未按规定储存药品", "2026-11-20",
     "日常监督检查发现冷藏药品未放置于冷藏柜。",
     "现场核查胰岛素注射液 6 支存放于常温货架，温湿度记录缺失。"),
    ("XS-2026-005", "nx_wholesale", "assigned", "涉嫌从非法渠道购进药品", "2026-11-02",
     "省局交办：该企业涉嫌从无证个人处购进头孢类药品。",
     "经核查，该企业 2026 年 8 月从个人处购进头孢克肟分散片 50 盒，无合法票据。"),
)
DISMISS_REASON = "经核查举报内容不属实，违法事实不成立。"
SEIZURES = (("detain", "阿莫西林胶囊（批号20251103）", "20盒"),
            ("seal", "头孢克肟分散片", "50盒"))


def load(session: Any, users: dict[str, Any], orgs: dict[str, Any]) -> dict[str, int]:
    """Adds the 稽查执法 rows when there are no clues yet."""
    clue = model("enforcement.Clue")
    if session.execute(select(func.count()).select_from(clue)).scalar():
        return {}
    info = model("basic.EnterpriseInfo")
    infos = {row.org_id: row for row in session.execute(select(info)).scalars()}
    county = orgs["640104"]
    made = {}
    with acting(session, users["nx_inspector"]):
        for no, unit, source, title, day, content, result in CLUES:
            if orgs[unit].id not in infos:
                continue
            made[no] = clue(clue_no=no, title=title, source=source,
                            enterprise=infos[orgs[unit].id], found_on=dt.date.fromisoformat(day),
                            content=content, check_result=result, org=county)
        session.add_all(made.values())
    session.commit()
    inspector, leader = Actor(session, users["nx_inspector"]), Actor(session, users["nx_leader"])
    county_user = Actor(session, users["nx_county"])
    fired = 0
    if "XS-2026-002" in made:
        fired += leader.fire("enforcement.Clue", "dismiss", [made["XS-2026-002"].id],
                             DISMISS_REASON)
    turned = [made[n].id for n in ("XS-2026-003", "XS-2026-004", "XS-2026-005") if n in made]
    if turned:
        fired += inspector.fire("enforcement.Clue", "to_case", turned)
    case = model("enforcement.Case")
    cases = {row.clue_no: row for row in session.execute(select(case)).scalars()}
    for row in cases.values():
        row.handler, row.co_handler = users["nx_inspector"].id, users["nx_inspector2"].id
    session.commit()
    if cases:
        fired += inspector.fire("enforcement.Case", "propose", [c.id for c in cases.values()])
    filed = [cases[n].id for n in ("XS-2026-003", "XS-2026-005") if n in cases]
    if filed:
        fired += leader.fire("enforcement.Case", "approve_filing", filed)
    fired += _seize_and_decide(session, users, cases, inspector, county_user, leader)
    simple = _simple_case(session, users, infos, orgs, inspector)
    return {"enforcement_clues": len(made), "enforcement_cases": len(cases),
            "enforcement_simple_cases": simple, "enforcement_transitions": fired}


def _seize_and_decide(session: Any, users: dict[str, Any], cases: dict[str, Any],
                      inspector: Actor, county: Actor, leader: Actor) -> int:
    """查封扣押 on both filed cases; the first one investigated, reviewed and decided."""
    seizure = model("enforcement.Seizure")
    fired = 0
    with acting(session, users["nx_inspector"]):
        for (measure, item, quantity), no in zip(SEIZURES, ("XS-2026-003", "XS-2026-005"),
                                                strict=True):
            if no in cases:
                session.add(seizure(case=cases[no], measure=measure, item=item,
                                    quantity=quantity, place="宁夏凤城医药有限公司仓库",
                                    seized_on=dt.date(2026, 11, 10)))
    if "XS-2026-003" not in cases:
        session.commit()
        return fired
    row = cases["XS-2026-003"]
    row.investigation = ("经检验，该批次阿莫西林胶囊溶出度不符合规定，为劣药；当事人销售 180 盒，"
                         "违法所得 3600 元。")
    session.commit()
    fired += inspector.fire("enforcement.Case", "finish_investigation", [row.id])
    row.review_opinion = "事实清楚，证据确凿，定性准确，程序合法，处罚适当。"
    row.penalty = "没收劣药阿莫西林胶囊 20 盒，没收违法所得，并处罚款。"
    row.basis = "《中华人民共和国药品管理法》第一百一十七条第一款"
    row.fine, row.confiscated = Decimal("100000"), Decimal("3600")
    session.commit()
    fired += county.fire("enforcement.Case", "notify_party", [row.id])
    fired += county.fire("enforcement.Case", "no_hearing", [row.id])
    fired += leader.fire("enforcement.Case", "approve_decision", [row.id])
    return fired


def _simple_case(session: Any, users: dict[str, Any], infos: dict[int, Any],
                 orgs: dict[str, Any], inspector: Actor) -> int:
    unit = orgs["nx_pharmacy"]
    if unit.id not in infos:
        return 0
    simple = model("enforcement.SimpleCase")
    with acting(session, users["nx_inspector"]):
        row = simple(case_no="JY-2026-001", enterprise=infos[unit.id], uscc=unit.code,
                     place="银川市兴庆区康民大药房", facts="营业时间执业药师不在岗，未挂牌告知。",
                     basis="《药品经营质量管理规范》第一百四十五条", penalty="warning",
                     handler=users["nx_inspector"].id, co_handler=users["nx_inspector2"].id,
                     org=orgs["640104"])
        session.add(row)
    session.commit()
    inspector.fire("enforcement.SimpleCase", "decide_on_spot", [row.id])
    return 1
