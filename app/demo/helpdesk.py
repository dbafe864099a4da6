"""The demo's 帮助中心 of the 北京 service portal (seed 003 ch. 3, 7-10): the 常见问题 韩雪
(bj_reg) keeps, the software and documents to download, a 咨询 of 孙浩然 already answered and
one of 北京京康医药 waiting, a 工单 of the enterprise replied by 周晓东 (bj_admin) and one of
孙浩然 still open. Rows only while there are no 常见问题 yet."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from app.demo.business import acting, model, store
from app.demo.flows import Actor

# (question, category, answer): chapter 10 of the manual first, then what the portal's users
# ask about its other chapters
FAQ = (
    ("为什么登录成功后不是服务门户页面？", "login",
     "从服务门户入口处进入服务门户登录页面后，请不要切换登录方式，不要点击【个人登录】，也不要点击"
     "【个人登录】后重新切换到【法人登录】，此操作会导致链接失效，登录完成后无法跳转到服务门户页面。"
     "请从服务门户入口处重新进入，不要切换登录方式，重新登录。"),
    ("经办人身份证号为空，无法登录，要求补充身份证号", "login",
     "经办人的信息不对或者为空，需要到北京市法人统一身份认证系统中维护：打开法人中心，点击账户设置，"
     "补充办事人姓名和身份证号，完成后重新回到服务门户登录即可。"),
    ("已经登录过服务门户，为什么还提示再次登录？", "login",
     "由于长时间不办理审批业务，会需要重新登录来核实身份信息，所以会出现再次登录页面。"),
    ("忘记登录密码怎么办？", "login",
     "本平台使用北京市统一身份认证平台登录。请在登录页点击“忘记密码”，通过注册手机号接收验证码后"
     "重新设置密码。"),
    ("如何注册服务门户账号？", "login",
     "本平台使用北京市统一身份认证平台登录，注册方式包括用户名口令注册、证书同步注册和特殊用户注册。"
     "办理个人业务请注册自然人账号，办理企业业务请注册法人账号。"),
    ("如何查询业务的办理进度？", "business",
     "登录后在“办理进度”中查看在办申请和历史申请，可按事项类型、申报事项、核对码、申请状态和提交时间"
     "查询；企业也可以在“企业空间-办理记录”中查看许可事项、服务事项、数据报送、检验检测和咨询记录。"),
    ("已经提交的申请可以撤回吗？", "business",
     "尚未受理（待受理）的申请可以在办理进度中直接撤回；已经受理、正在办理的申请可以点击“申请撤回”，"
     "经审核同意后撤回。"),
    ("怎样收藏常用的办事事项？", "business",
     "在“业务办理-事项清单”中点击事项右侧的收藏按钮。收藏的事项可以在首页“我的收藏”中查看，也可以在"
     "事项清单中点击“已收藏”筛选。"),
    ("企业空间的文档存储空间有多大？", "system",
     "每个企业有 200M 的存储空间，文件格式不限。空间用满后请删除不再需要的文档再上传。"),
    ("如何订阅通知公告？", "system",
     "在“通知公告-订阅设置”中勾选关心的栏目（政策法规、重要通知、公告公示、惠企政策）。有新的通知公告"
     "发布时，您会在消息中心收到提醒。"),
    ("上传附件提示文件类型不正确怎么办？", "system",
     "各处上传对文件格式和大小有限制，页面会提示可以上传的格式（如 PDF、JPG、PNG）。请将文件转换为"
     "提示的格式并控制文件大小后重新上传。"),
    ("系统页面报错或功能无法使用，怎么反馈？", "system",
     "请在“工单反馈”中填写标题、问题描述、联系方式和邮箱，并附上问题截图提交，工作人员处理后会回复，"
     "回复会发到您的消息中心。工单反馈只受理系统相关的问题，业务问题请拨打业务咨询电话。"),
    ("药品化妆品检验的咨询电话是多少？", "inspection",
     "药品化妆品检验业务咨询电话：010-52779500；技术咨询电话：010-52779553。"),
    ("医疗器械检验业务找谁咨询？", "inspection",
     "器械检验业务咨询电话：010-57901588 或 010-57901488；技术咨询电话：16647696849。"),
    ("药包材检验的联系电话", "inspection",
     "药包材检验业务咨询电话：010-50950470 或 010-50950474；技术咨询电话：13167347438。"),
    ("许可服务的业务咨询电话", "business",
     "许可服务业务咨询电话：010-89150290。服务门户的技术问题请拨打 400-900-1866"
     "（工作日 9:00-18:00）或发邮件至 jszc2025@163.com。"),
    ("如何在药监网校学习课程和参加考试？", "training",
     "以自然人身份登录，在“药监网校”选择课程学习，学完后参加课程考试，考试通过即获得该课程的学分，"
     "学分情况可在药监网校中查看。"),
    ("企业怎样查看员工的学习情况和学分？", "training",
     "以企业身份登录，可以查询在“企业空间-人员管理”中登记的企业人员的学习情况、考试成绩和学分详情。"),
    ("如何维护企业员工信息？", "business",
     "在“企业空间-空间管理-人员管理”中添加和修改员工信息，并可以查看员工关联的证件信息。"),
)
DOWNLOADS = (
    ("北京市药品监督管理局服务门户用户操作手册", "guide", "2025版", "服务门户用户操作手册.pdf",
     "服务门户注册登录、通知公告、业务办理、办理进度、药监网校、企业空间、帮助中心和工单反馈的"
     "操作说明。", True),
    ("数字证书驱动安装包", "software", "3.2.1", "数字证书驱动.zip",
     "使用证书登录北京市统一身份认证平台前请先安装。", True),
    ("药品上市后变更沟通申请表", "template", "2025版", "药品上市后变更沟通申请表.docx",
     "药品上市后变更沟通事项的申请表模板。", True),
    ("内部培训资料（未公开）", "guide", "草稿", "内部培训资料.pdf", "仅供登录用户下载。", False),
)
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
ZIP = b"PK\x05\x06" + b"\x00" * 18  # an empty archive
CONSULTED = "我是自然人，忘记了统一身份认证的密码，在哪里重置？"
ANSWERED = "请在登录页点击“忘记密码”，用注册手机号接收验证码后重新设置密码。"
WAITING = "企业变更了法定代表人，服务门户里的企业信息多久会更新？"
TICKETS = (
    ("bj_legal", "办理进度页面打不开", "点击“办理进度”后页面一直转圈，刷新后仍然无法打开。",
     "13901105101", "linxiao@jingkang.example.cn",
     "经排查为浏览器缓存导致，已优化页面加载，请清除浏览器缓存后重试。"),
    ("bj_person", "药监网校视频无法播放", "课程视频点击播放后黑屏，换了浏览器也一样。",
     "13811008866", "sunhaoran@example.cn", None),
)


def load(session: Any, users: dict[str, Any], orgs: dict[str, Any]) -> dict[str, int]:
    faq = model("bj_help.Faq")
    if session.execute(select(func.count()).select_from(faq)).scalar():
        return {}
    region = orgs.get("110000")
    with acting(session, users["bj_reg"]):
        session.add_all(faq(question=q, category=c, answer=a, org=region) for q, c, a in FAQ)
        download = model("bj_help.Download")
        for name, category, version, filename, note, public in DOWNLOADS:
            row = download(name=name, category=category, version=version, description=note,
                           published=public, org=region)
            data = PDF if filename.endswith(".pdf") else ZIP
            store(row, "file", data, filename)
            session.add(row)
    consultation = model("bj_help.Consultation")
    with acting(session, users["bj_person"]):
        asked = consultation(question=CONSULTED, org=orgs["bj_person"])
        session.add(asked)
    with acting(session, users["bj_legal"]):
        session.add(consultation(question=WAITING, org=orgs["bj_maker"]))
    ticket = model("bj_help.Ticket")
    made = []
    for who, title, text, phone, email, _reply in TICKETS:
        unit = "bj_maker" if who == "bj_legal" else "bj_person"
        with acting(session, users[who]):
            row = ticket(title=title, description=text, contact=phone, email=email,
                         org=orgs[unit])
            store(row, "screenshot", _png(), "问题截图.png")
            session.add(row)
            made.append(row)
    session.commit()
    regulator, admin = Actor(session, users["bj_reg"]), Actor(session, users["bj_admin"])
    with acting(session, users["bj_reg"]):
        asked.answer = ANSWERED
    session.commit()
    fired = regulator.fire("bj_help.Consultation", "answer", [asked.id])
    fired += admin.fire("bj_help.Ticket", "accept", [made[0].id])
    with acting(session, users["bj_admin"]):
        made[0].reply = TICKETS[0][5]
    session.commit()
    fired += admin.fire("bj_help.Ticket", "reply", [made[0].id])
    session.commit()
    return {"faq": len(FAQ), "downloads": len(DOWNLOADS), "consultations": 2,
            "tickets": len(made), "helpdesk_transitions": fired}


def _png() -> bytes:
    """A small real PNG (the upload check reads the content)."""
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (320, 180), (240, 244, 248)).save(out, "PNG")
    return out.getvalue()

