"""The demo's 投诉举报 and 许可信息补录 in 宁夏 (seed 004): complaints the province registered from
12331 and letters — one waiting for acceptance, one accepted and transferred to 兴庆区 (its
check task open), one answered, one not accepted — and one 宁夏凤城医药 filed itself; the
licences the three 宁夏 enterprises back-filled: approved, waiting for review, returned.
Rows only while there are no complaints yet."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select

from app.demo import pdf
from app.demo.business import acting, model, store
from app.demo.flows import Actor
from app.hooks.models import Window, beijing_now

# (title, kind, channel, received on, complainant, reported unit, content, how far it went)
COMPLAINTS = (
    ("康民大药房销售过期药品", "report", "phone", "2026-11-30", "刘女士", "nx_pharmacy",
     "12月1日在该店购买的布洛芬缓释胶囊已过有效期。", "registered"),
    ("凤城医药冷链运输温度异常", "report", "letter", "2026-11-02", "王先生", "nx_wholesale",
     "送货车辆冷藏箱无温度记录，疫苗类药品运输不规范。", "transferred"),
    ("处方药未凭处方销售", "complaint", "visit", "2026-09-08", "马先生", "nx_pharmacy",
     "该店执业药师不在岗，店员未凭处方销售阿奇霉素片。", "replied"),
    ("药品价格过高", "complaint", "phone", "2026-10-20", "张女士", "nx_pharmacy",
     "该店感冒灵颗粒售价高于周边药店。", "rejected"),
)
REPLY = "经核查，该店执业药师当日请假未在岗，已责令整改并对企业负责人进行约谈。"
REJECTED = "药品价格问题不属于药品监督管理部门职责，已告知向价格主管部门反映。"
OWN = ("原料供应商资质材料不全", "complaint", "enterprise", "2026-11-25", "宁夏凤城医药有限公司",
       "宁夏某原料药经营部", "该经营部提供的原料药检验报告书与批号不符，请予核查。")
# (unit, type, number, valid from, valid until, how far it went)
LICENCES = (
    ("nx_wholesale", "drug_wholesale", "宁AA9510001", "2022-03-01", "2027-02-28", "approved"),
    ("nx_maker", "drug_making", "宁20220005", "2022-06-15", "2027-06-14", "submitted"),
    ("nx_pharmacy", "drug_retail", "宁CB9510104018", "2021-08-01", "2026-07-31", "returned"),
)
ISSUER = "宁夏回族自治区药品监督管理局"
RETURNED = "许可证有效期已届满，请上传换发后的许可证扫描件。"


def load(session: Any, users: dict[str, Any], orgs: dict[str, Any]) -> dict[str, int]:
    """Adds the rows when there is no 投诉举报 yet."""
    complaint = model("complaints.Complaint")
    if session.execute(select(func.count()).select_from(complaint)).scalar():
        return {}
    info = model("basic.EnterpriseInfo")
    infos = {row.org_id: row for row in session.execute(select(info)).scalars()}
    units = ("nx_maker", "nx_wholesale", "nx_pharmacy")
    if any(orgs[unit].id not in infos for unit in units):
        return {}
    enterprise = {unit: infos[orgs[unit].id] for unit in units}
    rows = {}
    with acting(session, users["nx_reg"]):
        for title, kind, channel, day, who, unit, content, _end in COMPLAINTS:
            rows[title] = complaint(
                title=title, kind=kind, channel=channel, received_on=dt.date.fromisoformat(day),
                complainant=who, phone="0951-12331", reported_name=enterprise[unit].name,
                enterprise=enterprise[unit], content=content, org=orgs["640000"])
        session.add_all(rows.values())
    title, kind, channel, day, who, reported, content = OWN
    with acting(session, users["nx_wholesale"]):
        session.add(complaint(title=title, kind=kind, channel=channel,
                              received_on=dt.date.fromisoformat(day), complainant=who,
                              reported_name=reported, content=content,
                              org=orgs["nx_wholesale"]))
    session.commit()
    province = Actor(session, users["nx_reg"])
    ends = {end: [rows[t].id for t, *_rest, e in COMPLAINTS if e == end]
            for end in ("transferred", "replied", "rejected")}
    fired = province.fire("complaints.Complaint", "transfer", ends["transferred"])
    fired += province.fire("complaints.Complaint", "accept", ends["replied"])
    for pk in ends["replied"]:
        session.get(complaint, pk).reply = REPLY
    session.commit()
    fired += province.fire("complaints.Complaint", "reply", ends["replied"])
    fired += province.fire("complaints.Complaint", "reject", ends["rejected"], REJECTED)
    session.commit()
    return {"complaints": len(COMPLAINTS) + 1, "complaint_transitions": fired,
            **_licences(session, users, orgs, enterprise)}


def _licences(session: Any, users: dict[str, Any], orgs: dict[str, Any],
              enterprise: dict[str, Any]) -> dict[str, int]:
    backfill = model("approval.LicenceBackfill")
    today = beijing_now().replace(hour=0, minute=0, second=0, microsecond=0)
    session.add(Window(window="licence_backfill", region_id=orgs["640000"].id,
                       opens_at=today - dt.timedelta(days=30),
                       closes_at=today + dt.timedelta(days=60, seconds=-60), is_open=True,
                       note="宁夏许可信息补录，全区统一时间"))
    made = {}
    for unit, kind, number, start, end, _state in LICENCES:
        with acting(session, users[unit]):
            row = backfill(year=2026, enterprise=enterprise[unit], licence_type=kind,
                           licence_no=number, valid_from=dt.date.fromisoformat(start),
                           valid_until=dt.date.fromisoformat(end), issuer=ISSUER,
                           issued_on=dt.date.fromisoformat(start), org=orgs[unit],
                           licence_scope="化学药制剂、中成药、抗生素制剂")
            store(row, "attachment", pdf.letter("许可证", [f"许可证编号：{number}"],
                                                [enterprise[unit].name]), "许可证扫描件.pdf")
            session.add(row)
            made[number] = row
    session.commit()
    fired = 0
    for unit, _kind, number, *_rest in LICENCES:
        fired += Actor(session, users[unit]).fire("approval.LicenceBackfill", "submit",
                                                  [made[number].id])
    session.commit()
    city = Actor(session, users["nx_city"])
    for _unit, _kind, number, *_dates, state in LICENCES:
        if state == "approved":
            fired += city.fire("approval.LicenceBackfill", "approve", [made[number].id])
        elif state == "returned":
            fired += city.fire("approval.LicenceBackfill", "send_back", [made[number].id],
                               RETURNED)
    session.commit()
    return {"licence_backfills": len(LICENCES), "licence_transitions": fired}
