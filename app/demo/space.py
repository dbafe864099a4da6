"""The demo's 企业空间 of 北京京康医药科技有限公司 (seed 003 ch. 6): the 北京市 regulator issued its
药品经营许可证 and a 监督检查意见书; its legal person `bj_legal` keeps three documents (counted
against the 200 MB of its space) and three staff, one of them the demo 自然人 孙浩然 (whom
药监网校 finds by his 身份证号). Rows only while the enterprise has no licence yet."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select

from app.demo.business import acting, model, store
from app.demo.pdf import letter
from app.hooks import runtime

REGULATOR = "北京市药品监督管理局"
LICENCE = ("京20260017", "药品经营许可证",
           "化学药制剂、抗生素制剂、中成药、生化药品（冷藏冷冻药品除外）")
NOTICE = ("京药监检〔2026〕15号", "监督检查意见书",
          "经检查，你单位阴凉库温湿度记录有 2 天缺失，请于 15 日内完成整改并书面报告。")
DOCUMENTS = (
    ("质量管理制度（2026版）", "quality", "质量管理制度（2026版）.pdf",
     ["本制度适用于本企业药品采购、验收、储存、销售和运输全过程的质量管理。"]),
    ("冷链验证报告", "qualification", "冷链验证报告.pdf",
     ["冷藏车和冷库的温度分布验证已于 2026 年 5 月完成，结果符合规定。"]),
)
TRAINING = ("2026年员工培训签到表", "training", "员工培训签到表.csv",
            "姓名,身份证号,课程,日期\n孙浩然,110105198803121236,药品经营质量管理规范,2026-06-18\n")
Certificate = tuple[str, str, dt.date]
STAFF: tuple[tuple[str, str, str, str, str, list[Certificate]], ...] = (
    ("孙浩然", "male", "110105198803121236", "质量负责人", "13901105103",
     [("pharmacist", "ZY1101052019001", dt.date(2029, 12, 31)),
      ("health", "JK-2026-0318", dt.date(2027, 3, 17))]),
    ("钱家豪", "male", "110105197905082341", "企业负责人", "13901105101", []),
    ("刘思雨", "female", "110105199206150420", "验收员", "13901105104",
     [("training", "PX-2026-0042", dt.date(2028, 6, 30))]),
)


def load(session: Any, users: dict[str, Any], orgs: dict[str, Any]) -> dict[str, int]:
    models = {name: model(f"space.{name}") for name in (
        "License", "LegalDocument", "Document", "Staff", "StaffCertificate")}
    info_model = model("basic.EnterpriseInfo")
    org = orgs.get("bj_maker")
    if org is None or session.execute(select(models["License"].id).where(
            models["License"].org_id == org.id)).first():
        return {}
    info = session.execute(select(info_model).where(info_model.org_id == org.id)
                           ).scalar_one_or_none()
    if info is None:
        return {}
    made = {"space licences": 0, "space legal documents": 0, "space documents": 0,
            "space staff": 0}
    with acting(session, users["bj_reg"]):
        licence = models["License"](
            enterprise=info, kind="drug_trade", number=LICENCE[0], issuer=REGULATOR,
            issued_on=dt.date(2026, 3, 2), valid_until=dt.date(2031, 3, 1), scope_text=LICENCE[2],
            org=org)
        store(licence, "file", letter(LICENCE[1], [f"许可证编号：{LICENCE[0]}",
                                                  f"经营范围：{LICENCE[2]}"], [REGULATOR]),
              f"{LICENCE[1]}.pdf")
        notice = models["LegalDocument"](
            enterprise=info, kind="inspection", number=NOTICE[0], title=NOTICE[1],
            issuer=REGULATOR, issued_on=dt.date(2026, 9, 8), summary=NOTICE[2], org=org)
        store(notice, "file", letter(NOTICE[1], [NOTICE[2]], [REGULATOR]), f"{NOTICE[1]}.pdf")
        session.add_all([licence, notice])
        made["space licences"] += 1
        made["space legal documents"] += 1
    legal = users["bj_legal"]
    with acting(session, legal):
        for title, category, file_name, paragraphs in DOCUMENTS:
            doc = models["Document"](title=title, category=category, org=org)
            store(doc, "file", letter(title, paragraphs, [org.name]), file_name)
            _charge(session, doc, legal)
        title, category, file_name, text = TRAINING
        doc = models["Document"](title=title, category=category, org=org)
        store(doc, "file", text.encode("utf-8-sig"), file_name)
        _charge(session, doc, legal)
        made["space documents"] = len(DOCUMENTS) + 1
        for name, gender, id_no, position, phone, certificates in STAFF:
            person = models["Staff"](name=name, gender=gender, id_no=id_no, position=position,
                                     phone=phone, org=org)
            session.add(person)
            for kind, number, valid_until in certificates:
                session.add(models["StaffCertificate"](staff=person, kind=kind, number=number,
                                                       valid_until=valid_until))
            made["space staff"] += 1
    return made


def _charge(session: Any, doc: Any, user: Any) -> None:
    """The document counts against the enterprise's space, as an upload through the form."""
    session.add(doc)
    runtime.before_save(doc.__entity__, doc, user, session)
