"""The demo's 日常监管 in 宁夏 (seed 004): a 日常检查 plan of 银川市 and a 专项检查 and a 飞行检查
plan of the province, all issued; tasks at 兴庆区's two enterprises in every state: one waiting
for 海军 (nx_inspector), one he is checking with 苏婷, one of 苏婷 (nx_inspector2) waiting for
the leader's review, one closed as 符合 and one closed as 不符合, whose 扣分记录 waits for the
city's review. Rows only while there are no plans yet; the moves are the people's clicks."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select

from app.demo.business import acting, model
from app.demo.flows import Actor

# (key, title, kind, issuer, starts on, ends on, description)
PLANS = (
    ("routine", "2026年银川市药品经营企业日常检查计划", "routine", "nx_city", "2026-03-01",
     "2026-11-30", "对辖区药品批发、零售企业开展全覆盖日常检查，重点检查购进验收、储存养护、"
     "处方药销售和执业药师在岗情况。"),
    ("special", "2026年全区冷链药品专项检查", "special", "nx_reg", "2026-06-01", "2026-09-30",
     "检查疫苗、生物制品等冷藏药品的储存运输温度监测和记录。"),
    ("flight", "2026年药品经营企业飞行检查", "flight", "nx_reg", "2026-10-01", "2026-12-31",
     "对投诉举报集中、风险较高的企业不预先告知开展飞行检查。"),
)
CHECKLIST = (
    ("购进验收", "查验供货单位资质及购进验收记录"),
    ("储存养护", "检查阴凉库、冷藏柜温湿度监测记录"),
    ("人员资质", "核对执业药师注册证及在岗情况"),
)
# (number, plan, title, unit, handler, co-handler, state, conclusion, results, rectification,
#  standard)
TASKS = (
    ("YC-2026-001", "routine", "凤城医药日常检查", "nx_wholesale", "nx_inspector", None,
     "pending", None, (), None, None),
    ("YC-2026-002", "routine", "康民大药房日常检查", "nx_pharmacy", "nx_inspector",
     "nx_inspector2", "inspecting", None, ("pass", "pass"), None, None),
    ("ZX-2026-001", "special", "康民大药房冷链药品专项检查", "nx_pharmacy", "nx_inspector2",
     None, "reviewing", "basic", ("pass", "fail", "pass"),
     "冷藏柜温度记录缺失2天，10日内补充温度自动监测设备并提交整改报告。", None),
    ("ZX-2026-002", "special", "凤城医药冷链药品专项检查", "nx_wholesale", "nx_inspector2",
     None, "closed", "pass", ("pass", "pass", "pass"), None, None),
    ("FX-2026-001", "flight", "凤城医药飞行检查", "nx_wholesale", "nx_inspector",
     "nx_inspector2", "closed", "fail", ("pass", "fail", "na"),
     "阴凉库温湿度监测记录不完整，立即整改，15日内提交整改报告。", "RC-01"),
)
PROBLEM = "9月份温湿度记录缺失5天，监测探头未校准。"
STEPS = {"pending": (), "inspecting": ("start",), "reviewing": ("start", "submit"),
         "closed": ("start", "submit", "approve")}


def load(session: Any, users: dict[str, Any], orgs: dict[str, Any]) -> dict[str, int]:
    """Adds the 日常监管 rows when there are no 检查计划 yet."""
    plan = model("supervision.InspectionPlan")
    if session.execute(select(func.count()).select_from(plan)).scalar():
        return {}
    info = model("basic.EnterpriseInfo")
    infos = {row.org_id: row for row in session.execute(select(info)).scalars()}
    standard = model("credit.DeductionStandard")
    standards = {row.code: row for row in session.execute(select(standard)).scalars()}
    plans, issuers = {}, {}
    for key, title, kind, issuer, starts, ends, text in PLANS:
        with acting(session, users[issuer]):
            plans[key] = plan(title=title, kind=kind, year=2026, description=text,
                              starts_on=dt.date.fromisoformat(starts),
                              ends_on=dt.date.fromisoformat(ends), org=users[issuer].org)
            session.add(plans[key])
        issuers[key] = users[issuer]
    task, line = model("supervision.InspectionTask"), model("supervision.ChecklistLine")
    made = []
    for (no, key, title, unit, handler, co, state, conclusion, results, rectification,
         code) in TASKS:
        enterprise = infos.get(orgs[unit].id)
        if enterprise is None:
            continue
        with acting(session, issuers[key]):  # the plan's office assigns its tasks
            row = task(task_no=no, plan=plans[key], title=title, enterprise=enterprise,
                       handler=users[handler].id, co_handler=users[co].id if co else None,
                       planned_on=plans[key].starts_on + dt.timedelta(days=20),
                       inspected_on=(plans[key].starts_on + dt.timedelta(days=20)
                                     if conclusion else None),
                       conclusion=conclusion, rectification=rectification,
                       standard=standards.get(code or ""))
            session.add(row)
            session.add_all(line(task=row, item=item, content=content, result=result,
                                 problem=PROBLEM if result == "fail" else None)
                            for (item, content), result in zip(CHECKLIST, results, strict=False))
        made.append((row, handler, state))
    session.commit()  # the issues and the inspections below are clicks of their own
    issued = sum(Actor(session, users[issuer]).fire("supervision.InspectionPlan", "issue",
                                                    [plans[key].id])
                 for key, _t, _k, issuer, *_rest in PLANS)
    moved = 0
    for row, handler, state in made:
        for step in STEPS[state]:
            who = users["nx_city_leader"] if step == "approve" else users[handler]
            moved += Actor(session, who).fire("supervision.InspectionTask", step, [row.id])
    return {"inspection_plans": len(plans), "inspection_tasks": len(made),
            "inspection_moves": issued + moved}
