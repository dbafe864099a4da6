"""The demo's 北京 业务申报 (seed 003 ch. 4): the applications of 北京京康医药科技有限公司 in every
state of the manual's 办理进度 table — a 备案 awaiting acceptance (撤回), 变更沟通 in handling
(申请撤回) and two awaiting the regulator's answer to 申请撤回 — and four in 历史 (withdrawn,
not accepted, completed). Filed by `bj_legal`, handled by `bj_reg`; added only while there
are none. The 核对码 are fixed here so the demo is the same every time (an application filed
on the screens or the API draws its own)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from app.context import generated
from app.demo.business import acting, model
from app.demo.flows import Actor

PLAN, CHANGE = "bj_filing.PsychotropicPlan", "bj_filing.ChangeConsultation"
CONTACT = {"contact": "林晓", "mobile": "13901105101"}
# 核对码, 产品名称, 批准文号, 提交时间, what happened to it (the transitions, in order)
CHANGES = (
    ("3DVBN7KB", "牛黄解毒片", "国药准字Z11020451", dt.datetime(2025, 3, 22, 9, 12), ["accept"]),
    ("Y4MHTRX9", "甘草合剂片", "国药准字Z11020612", dt.datetime(2025, 3, 22, 10, 5), ["accept"]),
    ("NK9QAWX6", "阿莫西林", "国药准字H11020287", dt.datetime(2025, 3, 22, 14, 40), ["accept"]),
    ("KMQ8XQZ3", "阿莫西林", "国药准字H11020287", dt.datetime(2025, 1, 22, 9, 30),
     ["accept", "ask_withdraw"]),
    ("QEMA9HPK", "牛黄解毒片", "国药准字Z11020451", dt.datetime(2025, 1, 22, 15, 8),
     ["accept", "ask_withdraw"]),
    ("R7WD3MZC", "甘草合剂片", "国药准字Z11020612", dt.datetime(2024, 11, 5, 10, 20),
     ["accept", "finish"]),
    ("H3TB6YQE", "阿莫西林", "国药准字H11020287", dt.datetime(2024, 9, 18, 16, 2),
     ["accept", "ask_withdraw", "refuse_withdraw", "finish"]),
    ("C8FZK2VN", "牛黄解毒片", "国药准字Z11020451", dt.datetime(2024, 8, 2, 11, 45),
     ["not_accept"]),
)
PLANS: tuple[tuple[str, str, str, dt.datetime, list[str]], ...] = (
    ("XAJA5XE9", "production", "艾司唑仑片", dt.datetime(2025, 4, 23, 8, 50), []),
    ("W2PG7HSA", "demand", "艾司唑仑", dt.datetime(2024, 12, 10, 9, 0), ["withdraw"]),
)
REASONS = {
    "ask_withdraw": "变更方案需重新评估，拟补充研究资料后再行沟通。",
    "refuse_withdraw": "沟通会议已安排，请按期参会后再办理。",
    "not_accept": "申请材料不齐全，缺少变更研究资料。",
}
CONTENT = ("拟变更生产场地（同一生产地址内新建车间），请问属于中等变更还是重大变更，"
           "需提交哪些研究资料？")


def load(session: Any, users: dict[str, Any], orgs: dict[str, Any]) -> dict[str, int]:
    if CHANGE not in generated().models:
        return {}  # a schema without 业务申报
    change, plan = model(CHANGE), model(PLAN)
    org, legal = orgs.get("bj_maker"), users.get("bj_legal")
    if org is None or legal is None or session.execute(
            select(func.count()).select_from(change)).scalar():
        return {}
    rows: list[tuple[str, Any, list[str]]] = []
    with acting(session, legal):
        for code, product, approval, at, steps in CHANGES:
            row = change(code=code, submitted_at=at, product_name=product, approval=approval,
                         change_class="moderate", subject="生产场地变更", content=CONTENT,
                         org=org, **CONTACT)
            session.add(row)
            rows.append((CHANGE, row, steps))
        for code, kind, drug, at, steps in PLANS:
            row = plan(code=code, submitted_at=at, year=at.year + (kind == "demand"),
                       plan_type=kind, drug_name=drug, approval="国药准字H11021234",
                       quantity=Decimal("120"), unit="万片" if kind == "production" else "千克",
                       org=org, **CONTACT)
            session.add(row)
            rows.append((PLAN, row, steps))
    session.commit()
    people = {"legal": Actor(session, legal), "reg": Actor(session, users["bj_reg"])}
    applicant = {"withdraw", "ask_withdraw"}
    fired = 0
    for entity, row, steps in rows:
        for step in steps:
            actor = people["legal" if step in applicant else "reg"]
            fired += actor.fire(entity, step, [row.id], REASONS.get(step))
    session.commit()
    return {"portal applications": len(rows), "portal application transitions": fired}
