"""The demo's 信用管理 in 宁夏 (seed 004): the province's 扣分标准, a 信用档案 for each of the
three 宁夏 enterprises, a 违法记录 of 宁夏凤城医药 whose deduction the city approved (its score
and grade moved), another still waiting for review, and a grade adjustment nx_city proposed
for the province to approve. Rows only while there are no standards yet."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from app.demo.business import acting, model
from app.demo.flows import Actor

# (code, item, category, points)
STANDARDS = (
    ("RC-01", "药品储存温湿度监测记录不完整", "inspection", "5"),
    ("RC-02", "未按规定建立药品购进验收记录", "inspection", "10"),
    ("RC-03", "执业药师不在岗销售处方药", "inspection", "5"),
    ("WF-01", "销售劣药", "illegal", "20"),
    ("WF-02", "未取得许可从事药品经营", "illegal", "40"),
)
UNITS = ("nx_maker", "nx_wholesale", "nx_pharmacy")
# (source number, unit, standard, decided on, facts, approved by the city)
VIOLATIONS = (
    ("宁药监罚〔2026〕3号", "nx_wholesale", "WF-01", "2026-05-12",
     "销售的阿莫西林胶囊（批号 20251103）经检验溶出度不符合规定。", True),
    ("银市监药罚〔2026〕11号", "nx_pharmacy", "WF-01", "2026-09-18",
     "销售的板蓝根颗粒（批号 2507021）经检验性状不符合规定。", False),
)
ADJUSTMENT = ("nx_pharmacy", "C",
              "该店年内两次被群众投诉执业药师不在岗，且整改不到位，建议下调一级。")


def load(session: Any, users: dict[str, Any], orgs: dict[str, Any]) -> dict[str, int]:
    """Adds the 信用管理 rows when there are no 扣分标准 yet."""
    standard = model("credit.DeductionStandard")
    if session.execute(select(func.count()).select_from(standard)).scalar():
        return {}
    info = model("basic.EnterpriseInfo")
    infos = {row.org_id: row for row in session.execute(select(info)).scalars()}
    enterprise = {unit: infos[orgs[unit].id] for unit in UNITS if orgs[unit].id in infos}
    with acting(session, users["nx_reg"]):
        standards = {code: standard(code=code, name=name, category=category,
                                    points=Decimal(points))
                     for code, name, category, points in STANDARDS}
        session.add_all(standards.values())
        profile = model("credit.CreditProfile")
        profiles = {unit: profile(enterprise=row, base_score=100, org=orgs[unit])
                    for unit, row in enterprise.items()}
        session.add_all(profiles.values())
    record = model("credit.IllegalRecord")
    for no, unit, code, day, facts, _approved in VIOLATIONS:
        if unit not in enterprise:
            continue
        with acting(session, users["nx_city"]):
            session.add(record(source_no=no, enterprise=enterprise[unit],
                               standard=standards[code], facts=facts,
                               decided_on=dt.date.fromisoformat(day), org=orgs["640100"]))
    unit, grade, reason = ADJUSTMENT
    adjustments = 0
    if unit in profiles:
        with acting(session, users["nx_city"]):
            session.add(model("credit.GradeAdjustment")(profile=profiles[unit], grade=grade,
                                                        reason=reason, org=orgs["640100"]))
        adjustments = 1
    session.commit()  # the reviews below are clicks of their own
    deduction = model("credit.Deduction")
    approved = [f"WF-{no}" for no, unit, *_rest, ok in VIOLATIONS if ok and unit in enterprise]
    ids = list(session.execute(select(deduction.id).where(deduction.ref_no.in_(approved))
                               ).scalars())
    fired = Actor(session, users["nx_city"]).fire("credit.Deduction", "approve", ids)
    return {"credit_standards": len(standards), "credit_profiles": len(profiles),
            "illegal_records": len(VIOLATIONS), "grade_adjustments": adjustments,
            "credit_reviews": fired}
