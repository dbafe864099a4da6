"""The demo's 政企互动 in 宁夏 (seed 004): 兴庆区 issued a GSP self-inspection to 宁夏凤城医药
(to fill) and one to 康民大药房 (submitted, for the county to review); 银川市 sent 康民大药房 a
written inquiry (awaiting its reply); the province opened the 2026年第三季度 reporting period,
宁夏凤城医药 reported, 宁夏塞上康源制药 has a draft and 康民大药房 nothing yet. Rows only while
there is no reporting period yet."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from app.demo.business import acting, model
from app.demo.flows import Actor

GSP = ("2026年药品经营质量管理规范自查",
       "对照《药品经营质量管理规范》逐项自查人员资质、设施设备、冷链管理和购销记录，如实填写自查表。")
FINDINGS = ("阴凉库温湿度记录有2天缺失，已补充培训。", 1,
            "已更换温湿度自动监测系统并每日核对记录。")
INQUIRY = ("银市监药函〔2026〕8号", "关于布洛芬缓释胶囊购进渠道的函询",
           "请于收到本函之日起10个工作日内书面说明2026年10月购进的布洛芬缓释胶囊（批号250612）的"
           "供货单位、购进票据及验收记录。")


def load(session: Any, users: dict[str, Any], orgs: dict[str, Any]) -> dict[str, int]:
    """Adds the 政企互动 rows when there is no 上报期次 yet."""
    period_model = model("interaction.ReportPeriod")
    if session.execute(select(func.count()).select_from(period_model)).scalar():
        return {}
    check, inquiry = model("interaction.SelfInspection"), model("interaction.Inquiry")
    with acting(session, users["nx_county"]):
        checks = [check(title=GSP[0], requirements=GSP[1], org=orgs[unit])
                  for unit in ("nx_wholesale", "nx_pharmacy")]
        session.add_all(checks)
    with acting(session, users["nx_city"]):
        letter = inquiry(letter_no=INQUIRY[0], subject=INQUIRY[1], content=INQUIRY[2],
                         org=orgs["nx_pharmacy"])
        session.add(letter)
    with acting(session, users["nx_reg"]):
        period = period_model(name="2026年第三季度", starts_on=dt.date(2026, 7, 1),
                              ends_on=dt.date(2026, 9, 30),
                              note="药品生产、批发企业按季度上报产值、销售额和在产在售品种数。")
        session.add(period)
    report = model("interaction.DataReport")
    reports = {}
    for unit, output, sales, varieties in (("nx_wholesale", "0", "1260.50", 420),
                                           ("nx_maker", "3580.00", "3215.80", 36)):
        with acting(session, users[unit]):
            reports[unit] = report(period=period, output_value=Decimal(output),
                                   sales_value=Decimal(sales), varieties=varieties,
                                   adverse_events=2, org=orgs[unit],
                                   quality="本季度未发生药品质量事故。")
            session.add(reports[unit])
    session.commit()
    county = Actor(session, users["nx_county"])
    fired = county.fire("interaction.SelfInspection", "issue", [c.id for c in checks])
    fired += Actor(session, users["nx_city"]).fire("interaction.Inquiry", "send", [letter.id])
    with acting(session, users["nx_pharmacy"]):
        filled = checks[1]
        filled.findings, filled.problems, filled.rectification = FINDINGS
    session.commit()
    fired += Actor(session, users["nx_pharmacy"]).fire(
        "interaction.SelfInspection", "submit", [checks[1].id])
    fired += Actor(session, users["nx_wholesale"]).fire(
        "interaction.DataReport", "submit", [reports["nx_wholesale"].id])
    session.commit()
    return {"self_inspections": len(checks), "inquiries": 1, "report_periods": 1,
            "data_reports": len(reports), "interaction_transitions": fired}
