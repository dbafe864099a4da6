"""The demo's 通知公告: notices of each category for 全国 and for the two provinces (one still
a draft), and the people who subscribed to some categories — told through the same fan-out
as a publish on the screen (app/notices/fanout.py), so their inboxes hold the messages.

People whose inbox the tests count (ln_hospital2, sc_hospital1, sc_hospital2, sc_import)
subscribe to nothing here."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from flask import url_for
from sqlalchemy import func, insert, select

from app.context import generated
from app.demo import pdf
from app.notices.fanout import fan_out
from app.notices.models import DRAFT, PUBLISHED, Notice, NoticeSubscription

# (author, range code, category, title, paragraphs, days ago published or None: a draft,
#  attachment title or None)
NOTICES = (
    ("nmpa", "CN", "policy", "关于进一步做好药品年度报告工作的通知",
     ["各省、自治区、直辖市药品监督管理局：", "为落实药品上市许可持有人主体责任，现就 2025 年度"
      "药品年度报告工作通知如下：请持有人于每年 4 月 30 日前通过本平台提交上一年度报告。"],
     20, "药品年度报告填报说明"),
    ("lcb", "CN", "important", "关于开展第十一批国家组织药品集中采购报量工作的通知",
     ["各省级联采办：", "第十一批国家组织药品集中采购报量工作现已启动，请组织辖区内医疗机构在"
      "上报时间内完成采购需求填报并上传承诺函。"], 2, None),
    ("ln_reg", "210000", "announcement",
     "辽宁省药品监督管理局关于2025年度药品年度报告填报情况的公告",
     ["截至目前，全省大部分持有人已完成 2025 年度药品年度报告填报，现将有关情况公告如下。"],
     5, None),
    ("sc_reg", "510000", "enterprise", "四川省支持医药企业高质量发展的若干措施",
     ["为支持全省医药产业高质量发展，现提出以下措施：优化审评审批服务、支持创新药械研发、"
      "加强人才引进培养。"], 8, None),
    ("ln_reg", "210000", "important", "关于开展药品网络销售专项检查的通知",
     ["各市局：", "为规范药品网络销售行为，定于近期在全省开展专项检查，具体安排另行通知。"],
     None, None),
)
# (user name, categories)
SUBSCRIPTIONS = (
    ("ln_hospital1", ("important", "policy")),
    ("ln_legal", ("policy", "enterprise", "announcement")),
    ("ln_county", ("important",)),
    ("sc_legal", ("enterprise", "policy")),
    ("sc_reg", ("important",)),
)


def body(paragraphs: list[str]) -> str:
    return "".join(f"<p>{text}</p>" for text in paragraphs)


def load(session: Any, users: dict[str, Any], orgs: dict[str, Any]) -> dict[str, int]:
    """Adds the notices and subscriptions when there are no notices yet."""
    board = generated().spec.notices
    if board is None or session.execute(select(func.count()).select_from(Notice)).scalar():
        return {}
    session.execute(insert(NoticeSubscription), [
        {"user_id": users[name].id, "category": key}
        for name, keys in SUBSCRIPTIONS for key in keys if board.category(key) is not None])
    now = dt.datetime.now().replace(microsecond=0)
    published = []
    for author, code, category, title, paragraphs, days, attached in NOTICES:
        if board.category(category) is None:
            continue
        org = orgs[code]
        notice = Notice(category=category, title=title, body=body(paragraphs),
                        range_org_id=org.id, range_path=org.path, created_by_id=users[author].id,
                        state=DRAFT if days is None else PUBLISHED,
                        created_at=now - dt.timedelta(days=days or 0, hours=1),
                        published_at=None if days is None else now - dt.timedelta(days=days))
        if attached and board.attachment is not None:
            data = pdf.letter(attached, paragraphs, ["国家药品监督管理局"])
            notice.attachment_name = f"{attached}.pdf"
            notice.attachment_key, notice.attachment_size = generated().storage.save(
                io.BytesIO(data), notice.attachment_name)
        session.add(notice)
        session.flush()
        if days is not None:
            published.append(notice.id)
    told = sum(fan_out(session, board, pk, url_for("NoticeView.show", pk=pk))
               for pk in published)
    return {"notices": len(NOTICES), "notice messages": told}
