"""A labelled set for 咨询 (the `similar:` of bj_help.Faq): questions as people type them, in
their own words, each with the 常见问题 (its question, app/demo/helpdesk.py FAQ) that answers
it. tests/modules/test_helpdesk.py measures hit@1 and hit@5 on it (docs/schema.md)."""

from __future__ import annotations

LOGIN_PAGE = "为什么登录成功后不是服务门户页面？"
ID_NO = "经办人身份证号为空，无法登录，要求补充身份证号"
AGAIN = "已经登录过服务门户，为什么还提示再次登录？"
PASSWORD = "忘记登录密码怎么办？"
REGISTER = "如何注册服务门户账号？"
PROGRESS = "如何查询业务的办理进度？"
WITHDRAW = "已经提交的申请可以撤回吗？"
FAVOURITE = "怎样收藏常用的办事事项？"
QUOTA = "企业空间的文档存储空间有多大？"
SUBSCRIBE = "如何订阅通知公告？"
FILE_TYPE = "上传附件提示文件类型不正确怎么办？"
TICKET = "系统页面报错或功能无法使用，怎么反馈？"
DRUG_LAB = "药品化妆品检验的咨询电话是多少？"
DEVICE_LAB = "医疗器械检验业务找谁咨询？"
PACKAGING = "药包材检验的联系电话"
LICENCE = "许可服务的业务咨询电话"
COURSES = "如何在药监网校学习课程和参加考试？"
STAFF_CREDITS = "企业怎样查看员工的学习情况和学分？"
STAFF = "如何维护企业员工信息？"

LABELLED: tuple[tuple[str, str], ...] = (
    ("登录完成后没有跳到服务门户，看不到业务办理入口", LOGIN_PAGE),
    ("法人登录以后页面不对，不是门户首页", LOGIN_PAGE),
    ("切换了个人登录再登录，进不去服务门户了", LOGIN_PAGE),
    ("提示经办人身份证号为空不能登录", ID_NO),
    ("办事人的身份证信息去哪里补充", ID_NO),
    ("法人统一身份认证系统怎么维护经办人信息", ID_NO),
    ("刚登录过为什么又要我重新登录", AGAIN),
    ("很久没操作，系统提示再次登录", AGAIN),
    ("密码忘了怎么找回", PASSWORD),
    ("登录密码记不住了，能重置吗", PASSWORD),
    ("第一次使用，怎么注册账号", REGISTER),
    ("证书同步注册是什么", REGISTER),
    ("我提交的申请现在办到哪一步了", PROGRESS),
    ("在哪里看办理记录和申请状态", PROGRESS),
    ("怎么查看在办申请和历史申请", PROGRESS),
    ("申请提交错了，想撤回", WITHDRAW),
    ("已经受理的事项还能申请撤回吗", WITHDRAW),
    ("常用的事项能不能收藏起来", FAVOURITE),
    ("我的收藏在哪里看", FAVOURITE),
    ("企业文档最多能上传多少", QUOTA),
    ("企业空间存储满了怎么办", QUOTA),
    ("有新通知公告的时候怎么提醒我", SUBSCRIBE),
    ("想订阅政策法规栏目", SUBSCRIBE),
    ("上传文件时说格式不对", FILE_TYPE),
    ("附件上传失败，提示类型不正确", FILE_TYPE),
    ("网页打不开报错了，向谁反映", TICKET),
    ("系统功能异常怎么提交工单", TICKET),
    ("化妆品检验打哪个电话", DRUG_LAB),
    ("药品检验业务怎么咨询", DRUG_LAB),
    ("医疗器械检验的电话", DEVICE_LAB),
    ("器械检验技术问题找谁", DEVICE_LAB),
    ("药包材检验找谁咨询", PACKAGING),
    ("包材检验的电话号码", PACKAGING),
    ("办理许可事项有问题打什么电话", LICENCE),
    ("许可服务热线", LICENCE),
    ("在网校怎么考试拿学分", COURSES),
    ("药监网校的课程在哪里学习", COURSES),
    ("公司怎么查员工的考试成绩", STAFF_CREDITS),
    ("企业能看到职工的学分吗", STAFF_CREDITS),
    ("怎么添加企业员工和证件", STAFF),
    ("人员管理里怎样修改员工信息", STAFF),
)
