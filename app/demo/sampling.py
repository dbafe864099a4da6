"""The demo's 检验检测 in 宁夏 (seed 004): the province's 2026 drug sampling plan, issued, with
the shares of 兴庆区 and 西夏区 (抽检任务); four samples the 兴庆区 inspectors took: one just
sampled, one in the laboratory, one conforming and one not, whose failure opened a 核查处置
task for 兴庆区 and an 异议 that 宁夏凤城医药 filed for the province to decide; and a draft
计划外 cosmetics plan. Rows only while there is no plan yet."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select

from app.demo.business import acting, model
from app.demo.flows import Actor
from app.security.models import Organisation

PLAN = "2026年宁夏药品监督抽检计划"
# (region code, title, batches planned)
TASKS = (("640104", "2026年药品监督抽检（兴庆区）", 5),
         ("640105", "2026年药品监督抽检（西夏区）", 3))
RESULT = {"lab": "宁夏回族自治区药品检验研究院", "reported_on": dt.date(2026, 11, 26)}
# (number, unit, product, batch, strength, quantity, sampled on, how far it went)
SAMPLES = (
    ("YC2026-0101", "nx_wholesale", "阿莫西林胶囊", "20251103", "0.25g×24粒", "6盒",
     "2026-10-14", "unqualified"),
    ("YC2026-0102", "nx_pharmacy", "板蓝根颗粒", "2507021", "10g×20袋", "4袋", "2026-10-14",
     "qualified"),
    ("YC2026-0103", "nx_pharmacy", "布洛芬缓释胶囊", "250612", "0.3g×20粒", "6盒",
     "2026-11-20", "testing"),
    ("YC2026-0104", "nx_wholesale", "维生素C片", "250901", "0.1g×100片", "3瓶", "2026-12-01",
     "sampled"),
)
ITEMS = {
    "unqualified": (("性状", "本品内容物为白色或类白色粉末", "符合规定", "conform"),
                    ("溶出度", "限度为标示量的80%", "62%", "nonconform")),
    "qualified": (("性状", "本品为浅棕黄色颗粒", "符合规定", "conform"),
                  ("水分", "不得过8.0%", "5.1%", "conform")),
}
CONCLUSION = {"unqualified": "经抽样检验，溶出度项目不符合规定。",
              "qualified": "经抽样检验，所检项目符合规定。"}
GROUNDS = "本公司留样经委托第三方检测溶出度符合规定，对检验结论有异议，申请复检。"


def load(session: Any, users: dict[str, Any], orgs: dict[str, Any]) -> dict[str, int]:
    """Adds the 检验检测 rows when there is no 抽检计划 yet."""
    plan_model = model("sampling.SamplingPlan")
    if session.execute(select(func.count()).select_from(plan_model)).scalar():
        return {}
    info = model("basic.EnterpriseInfo")
    infos = {row.org_id: row for row in session.execute(select(info)).scalars()}
    enterprise = {unit: infos.get(orgs[unit].id) for unit in ("nx_wholesale", "nx_pharmacy")}
    regions = {o.code: o for o in session.execute(select(Organisation).where(
        Organisation.code.in_([code for code, *_ in TASKS]))).scalars()}
    if any(row is None for row in enterprise.values()) or len(regions) < len(TASKS):
        return {}
    with acting(session, users["nx_reg"]):
        plan = plan_model(name=PLAN, year=2026, kind="planned", category="drug",
                          issued_on=dt.date(2026, 3, 2), org=orgs["640000"],
                          basis="依据国家药监局2026年药品抽检工作计划，重点抽检基本药物、"
                                "集采中选品种和儿童用药。")
        session.add(plan)
        session.add(plan_model(name="2026年化妆品计划外专项抽检", year=2026, kind="unplanned",
                               category="cosmetic", org=orgs["640000"],
                               basis="针对网络舆情反映的染发类化妆品开展专项抽检。"))
        task_model = model("sampling.SamplingTask")
        tasks = {code: task_model(title=title, plan=plan, planned=planned,
                                  due_on=dt.date(2026, 11, 30), org=regions[code])
                 for code, title, planned in TASKS}
        session.add_all(tasks.values())
    sample_model, item_model = model("sampling.Sample"), model("sampling.SampleItem")
    samples = {}
    with acting(session, users["nx_inspector"]):
        for no, unit, product, batch, spec, quantity, day, _end in SAMPLES:
            samples[no] = sample_model(
                sample_no=no, task=tasks["640104"], enterprise=enterprise[unit],
                product=product, batch_no=batch, spec=spec, quantity=quantity,
                sampled_on=dt.date.fromisoformat(day), sampler=users["nx_inspector"].id,
                co_sampler=users["nx_inspector2"].id, org=orgs["640104"])
        session.add_all(samples.values())
    session.commit()
    reached = [(samples[no].id, end) for no, *_rest, end in SAMPLES]
    inspector, province = Actor(session, users["nx_inspector"]), Actor(session, users["nx_reg"])
    fired = province.fire("sampling.SamplingPlan", "issue", [plan.id])
    fired += inspector.fire("sampling.Sample", "send",
                           [pk for pk, end in reached if end != "sampled"])
    fired += province.fire("sampling.Sample", "receive",
                           [pk for pk, end in reached if end != "sampled"])
    with acting(session, users["nx_reg"]):
        for number, (no, *_rest, end) in enumerate(SAMPLES, start=1):
            if end not in ITEMS:
                continue
            row = samples[no]
            for key, value in RESULT.items():
                setattr(row, key, value)
            row.report_no = f"NXYJ2026-{number:04d}"
            row.conclusion = CONCLUSION[end]
            session.add_all(item_model(sample=row, item=item, standard=standard, result=result,
                                       verdict=verdict)
                            for item, standard, result, verdict in ITEMS[end])
    session.commit()
    for end, key in (("qualified", "qualify"), ("unqualified", "disqualify")):
        fired += province.fire("sampling.Sample", key, [pk for pk, e in reached if e == end])
    session.commit()
    objection = model("sampling.Objection")
    with acting(session, users["nx_wholesale"]):
        filed = list(session.execute(select(objection)).scalars())
        for row in filed:
            row.grounds = GROUNDS
    session.commit()
    fired += Actor(session, users["nx_wholesale"]).fire(
        "sampling.Objection", "raise_objection", [row.id for row in filed])
    session.commit()
    return {"sampling_plans": 2, "sampling_tasks": len(tasks), "samples": len(samples),
            "sampling_transitions": fired}
