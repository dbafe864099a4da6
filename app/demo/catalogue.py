"""The demo's 事项清单 of the 北京市药品监督管理局 service portal (seed 003 ch. 3): the items
of its four categories, held by the bureau, with where and how fast each is handled; 钱家豪
(bj_legal) has starred the licences his company needs, 孙浩然 (bj_person) the 执业药师 item.
Rows only while the catalogue is empty."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from app.demo.business import acting, model
from app.favourites import Favourite

HALL = "北京市政务服务中心药品监管窗口（丰台区西三环南路1号）"
ONLINE = "北京市药品监督管理局服务门户 网上办理"
INSPECT = "北京市药品检验研究院业务受理大厅（通州区留庄路6号院）"
PHONE = "010-12345"
ENTERPRISE, PERSON, BOTH = "enterprise", "person", "both"

# (category, code, name, audience, days, place, description)
ITEMS = (
    ("licence", "01-001", "药品生产许可证核发", ENTERPRISE, 15, HALL,
     "从事药品生产活动的企业，应当取得药品生产许可证；申请人提交申请材料，经资料审查和现场检查"
     "符合《药品生产质量管理规范》要求的，核发药品生产许可证。"),
    ("licence", "01-002", "药品生产许可证变更", ENTERPRISE, 15, HALL,
     "变更生产地址、生产范围等许可事项，或变更企业名称、法定代表人等登记事项的，向原发证机关申请变更。"),
    ("licence", "01-003", "药品经营许可证（批发）核发", ENTERPRISE, 20, HALL,
     "从事药品批发活动的企业，应当取得药品经营许可证；经审查符合药品经营质量管理规范的，予以核发。"),
    ("licence", "01-004", "药品经营许可证（零售连锁总部）核发", ENTERPRISE, 20, HALL,
     "药品零售连锁企业总部申请药品经营许可证，需具备统一的质量管理体系和计算机信息管理系统。"),
    ("licence", "01-005", "药品经营许可证换证", ENTERPRISE, 20, ONLINE,
     "药品经营许可证有效期届满需要继续经营的，应当在有效期届满前六个月申请换发。"),
    ("licence", "01-006", "第二类医疗器械产品注册", ENTERPRISE, 60, HALL,
     "境内第二类医疗器械由本市药品监督管理部门审查，批准后发给医疗器械注册证。"),
    ("licence", "01-007", "第二类、第三类医疗器械生产许可", ENTERPRISE, 20, HALL,
     "从事第二类、第三类医疗器械生产的，向所在地药品监督管理部门申请生产许可。"),
    ("licence", "01-008", "第三类医疗器械经营许可", ENTERPRISE, 20, ONLINE,
     "从事第三类医疗器械经营的，向所在地设区的市级负责药品监督管理的部门申请经营许可。"),
    ("licence", "01-009", "化妆品生产许可", ENTERPRISE, 30, HALL,
     "从事化妆品生产活动，应当向所在地省级药品监督管理部门提出申请，经现场核查合格的发给化妆品生产许可证。"),
    ("licence", "01-010", "医疗机构制剂许可证核发", ENTERPRISE, 30, HALL,
     "医疗机构配制制剂，应当经所在地省级药品监督管理部门批准，取得医疗机构制剂许可证。"),
    ("service", "02-001", "执业药师注册", PERSON, 20, ONLINE,
     "取得执业药师职业资格证书者，经注册取得执业药师注册证后，方可以执业药师身份执业。"),
    ("service", "02-002", "执业药师继续教育学分查询", PERSON, 1, ONLINE,
     "执业药师可在线查询本人继续教育学分及学习记录。"),
    ("service", "02-003", "药品上市后变更沟通", ENTERPRISE, 10, ONLINE,
     "持有人在实施药品上市后变更前，可就变更分类、研究内容等与药品监督管理部门进行沟通交流。"),
    ("service", "02-004", "药品出口销售证明办理", ENTERPRISE, 10, ONLINE,
     "为本市药品生产企业出口药品出具药品出口销售证明。"),
    ("service", "02-005", "医疗器械出口销售证明", ENTERPRISE, 5, ONLINE,
     "为已取得医疗器械注册证或备案的产品出具出口销售证明。"),
    ("service", "02-006", "药品广告审查", ENTERPRISE, 10, ONLINE,
     "发布药品广告前，应当由广告主向生产企业所在地广告审查机关申请审查，取得药品广告批准文号。"),
    ("service", "02-007", "投诉举报受理", BOTH, 7, ONLINE,
     "受理公众对药品、医疗器械、化妆品质量安全问题及违法行为的投诉举报，也可拨打12315。"),
    ("service", "02-008", "政府信息公开申请", BOTH, 20, ONLINE,
     "公民、法人或者其他组织可以向本局申请获取相关政府信息。"),
    ("reporting", "03-001", "第二类精神药品制剂生产计划和第二类精神药品原料药需用计划备案",
     ENTERPRISE, 5, ONLINE, "生产第二类精神药品制剂的企业按年度报送生产计划和原料药需用计划备案。"),
    ("reporting", "03-002", "药品年度报告", ENTERPRISE, None, ONLINE,
     "药品上市许可持有人每年将药品生产销售、上市后研究、风险管理等情况按照规定报告。"),
    ("reporting", "03-003", "药品不良反应报告", BOTH, None, ONLINE,
     "持有人、经营企业和医疗机构发现可能与用药有关的不良反应，应当通过国家药品不良反应监测系统报告。"),
    ("reporting", "03-004", "医疗器械不良事件报告", ENTERPRISE, None, ONLINE,
     "医疗器械注册人、备案人和使用单位发现医疗器械不良事件，应当按规定报告。"),
    ("reporting", "03-005", "医疗器械生产企业质量管理体系自查报告", ENTERPRISE, None, ONLINE,
     "医疗器械注册人、备案人和受托生产企业每年3月31日前提交上一年度质量管理体系自查报告。"),
    ("reporting", "03-006", "化妆品年度报告", ENTERPRISE, None, ONLINE,
     "普通化妆品备案人每年1月1日至3月31日报告上一年度生产、进口情况。"),
    ("reporting", "03-007", "药品网络销售企业信息报告", ENTERPRISE, 5, ONLINE,
     "通过网络销售药品的企业，应当向所在地药品监督管理部门报告网站名称、网络客户端应用程序名称等信息。"),
    ("testing", "04-001", "药品注册检验", ENTERPRISE, 60, INSPECT,
     "药品注册申请受理后，由药品检验机构按照申请人申报的药品标准进行样品检验和标准复核。"),
    ("testing", "04-002", "药品委托检验", BOTH, 30, INSPECT,
     "接受企业、医疗机构等委托，对药品、药用辅料、包装材料进行检验。"),
    ("testing", "04-003", "医疗器械注册检验", ENTERPRISE, 60, INSPECT,
     "申请第二类、第三类医疗器械注册，提交具有资质的医疗器械检验机构出具的检验报告。"),
    ("testing", "04-004", "化妆品委托检验", BOTH, 30, INSPECT,
     "接受委托对化妆品进行微生物、理化和安全性检验，出具检验报告。"),
    ("testing", "04-005", "进口药材口岸检验", ENTERPRISE, 20, INSPECT,
     "进口药材到货后，由口岸药品检验机构抽样检验，检验合格的方可销售使用。"),
)
NOTE = "窗口受理后2个工作日内转处室审查。"
STARS = (("bj_legal", ("01-001", "01-003", "02-003")),
         ("bj_person", ("02-001",)))


def load(session: Any, users: dict[str, Any], orgs: dict[str, Any]) -> dict[str, int]:
    """Adds the catalogue and the demo's favourites when the catalogue is empty."""
    item = model("bj_portal.ServiceItem")
    if session.execute(select(func.count()).select_from(item)).scalar():
        return {}
    rows = {}
    with acting(session, users["bj_reg"]):
        for category, code, name, audience, days, place, text in ITEMS:
            rows[code] = item(category=category, code=code, name=name, audience=audience,
                              time_limit_days=days, place=place, description=text,
                              phone=PHONE, note=NOTE if category == "licence" else None,
                              org=orgs["110000"])
            session.add(rows[code])
        session.flush()
    stars = [Favourite(user_id=users[name].id, entity="bj_portal.ServiceItem",
                       row_id=rows[code].id) for name, codes in STARS for code in codes]
    session.add_all(stars)
    session.flush()
    return {"service items": len(ITEMS), "favourites": len(stars)}
