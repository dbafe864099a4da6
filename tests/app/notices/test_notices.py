"""通知公告 on the demo world (SQLite and PostgreSQL): issue 16's acceptance — a subscribed user
gets a message for a new notice in its category, an unsubscribed one does not, nor does one
outside the notice's range — and what holds it up: the fan-out is a job, publishing again
after 撤回 doubles nothing, readers see only published notices of their range (anonymous
visitors too, the board being public), publishers publish only within their jurisdiction,
the body is cleaned of scripts on save and when shown, the attachment goes through the upload
limit and is served as an attachment, 订阅设置 keeps the ticks, the 工作台 lists the newest."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from sqlalchemy import select

from app.demo.pdf import letter
from tests.app.messages.test_inbox import messages_of
from tests.app.test_workbench import sign_in
from tests.conftest import dispose
from tests.demo_world import demo_app


@pytest.fixture(scope="module")
def demo(database_url: str, tmp_path_factory: Any) -> Any:
    app = demo_app(database_url, tmp_path_factory.mktemp("files"),
                   ADMIN_PASSWORD_POLICY={"captcha": False})
    yield app
    dispose(app)


def org_id(app: Any, code: str) -> int:
    from app.security.models import Organisation

    with app.app_context():
        return int(app.appbuilder.session.execute(
            select(Organisation.id).where(Organisation.code == code)).scalar_one())


def notice(app: Any, pk: int) -> Any:
    from app.notices.models import Notice

    with app.app_context():
        session = app.appbuilder.session
        found = session.get(Notice, pk)
        session.expunge_all()
        return found


def add(client: Any, app: Any, title: str, category: str, code: str,
        body: str = "<p>正文</p>", **extra: Any) -> Any:
    data = {"title": title, "category": category, "range_org": str(org_id(app, code)),
            "body": body, **extra}
    return client.post("/notices/add", data=data, content_type="multipart/form-data")


def created(response: Any) -> int:
    assert response.status_code == 302, response.text[:500]
    found = re.fullmatch(r"/notices/(\d+)", response.headers["Location"])
    assert found is not None, response.headers["Location"]
    return int(found.group(1))


def newest_title(app: Any) -> str:
    from app.notices.models import Notice

    with app.app_context():
        return str(app.appbuilder.session.execute(
            select(Notice.title).where(Notice.state == "published")
            .order_by(Notice.published_at.desc(), Notice.id.desc()).limit(1)).scalar_one())


def notice_messages(app: Any, username: str, pk: int) -> list[Any]:
    return [m for m in messages_of(app, username) if m.kind == "notice" and m.record_id == pk]


def test_a_subscribed_user_in_range_is_told_and_nobody_else(demo: Any) -> None:
    regulator = sign_in(demo, "ln_reg")
    pk = created(add(regulator, demo, "关于开展疫苗储运专项检查的通知", "important", "210000"))
    # a draft tells nobody
    assert notice_messages(demo, "ln_hospital1", pk) == []
    published = regulator.post(f"/notices/{pk}/publish")
    assert published.headers["Location"] == f"/notices/{pk}"
    assert "通知公告已发布" in regulator.get(published.headers["Location"]).text
    # ln_hospital1 and ln_county subscribed to 重要通知 in 辽宁省: told
    for username in ("ln_hospital1", "ln_county"):
        told = notice_messages(demo, username, pk)
        assert [(m.title, m.body, m.link) for m in told] == [
            ("通知公告：重要通知", "关于开展疫苗储运专项检查的通知", f"/notices/{pk}")]
    # ln_legal (辽宁省) subscribed to other categories only; sc_reg to 重要通知, outside the
    # range; ln_hospital2 to nothing
    for username in ("ln_legal", "sc_reg", "ln_hospital2"):
        assert notice_messages(demo, username, pk) == []
    # the message opens the notice
    hospital = sign_in(demo, "ln_hospital1")
    message = notice_messages(demo, "ln_hospital1", pk)[0]
    opened = hospital.get(f"/messages/{message.id}")
    assert opened.headers["Location"] == f"/notices/{pk}"
    page = hospital.get(f"/notices/{pk}").text
    assert "关于开展疫苗储运专项检查的通知" in page and "辽宁省" in page


def test_the_fan_out_is_a_job_of_its_own(demo: Any) -> None:
    from app.jobs.models import Job

    regulator = sign_in(demo, "nmpa")
    pk = created(add(regulator, demo, "关于药品说明书适老化改革的公告", "policy", "CN"))
    regulator.post(f"/notices/{pk}/publish")
    with demo.app_context():
        jobs = demo.appbuilder.session.execute(select(Job).where(
            Job.kind == "notice_publish")).scalars().all()
        mine = [j for j in jobs if f'"notice": {pk}' in (j.params or "")]
        assert [(j.state, j.progress) for j in mine] == [("done", 3)]
    # 全国: the subscribers of 政策法规 in both provinces
    assert {u for u in ("ln_hospital1", "ln_legal", "sc_legal", "ln_county", "sc_reg")
            if notice_messages(demo, u, pk)} == {"ln_hospital1", "ln_legal", "sc_legal"}


def test_publishing_again_after_withdrawing_doubles_nothing(demo: Any) -> None:
    regulator = sign_in(demo, "sc_reg")
    pk = created(add(regulator, demo, "四川省医药产业惠企政策解读", "enterprise", "510000"))
    regulator.post(f"/notices/{pk}/publish")
    assert len(notice_messages(demo, "sc_legal", pk)) == 1
    assert "通知公告已撤回" in regulator.post(f"/notices/{pk}/unpublish",
                                             follow_redirects=True).text
    # withdrawn: gone for the readers (a message, not an error)
    legal = sign_in(demo, "sc_legal")
    away = legal.get(f"/notices/{pk}")
    assert away.headers["Location"] == "/notices/"
    assert "该通知公告不存在或已撤回" in legal.get("/notices/").text
    regulator.post(f"/notices/{pk}/publish")
    assert len(notice_messages(demo, "sc_legal", pk)) == 1
    assert legal.get(f"/notices/{pk}").status_code == 200
    # publishing what is published already is refused, saying so
    again = regulator.post(f"/notices/{pk}/publish", follow_redirects=True).text
    assert "该通知公告已是已发布状态" in again


def test_readers_see_the_published_notices_of_their_range(demo: Any) -> None:
    ln = sign_in(demo, "ln_reg")
    pk = created(add(ln, demo, "辽宁省药品零售企业换证工作安排", "announcement", "210000"))
    draft = sign_in(demo, "ln_hospital1").get(f"/notices/{pk}")
    assert draft.headers["Location"] == "/notices/"  # a draft: only its managers
    ln.post(f"/notices/{pk}/publish")
    listed = sign_in(demo, "ln_hospital1").get("/notices/").text
    assert "辽宁省药品零售企业换证工作安排" in listed
    assert "四川省支持医药企业高质量发展的若干措施" not in listed  # 四川's
    assert "关于开展第十一批国家组织药品集中采购报量工作的通知" in listed  # 全国
    sichuan = sign_in(demo, "sc_hospital1")
    assert sichuan.get(f"/notices/{pk}").headers["Location"] == "/notices/"
    assert "辽宁省药品零售企业换证工作安排" not in sichuan.get("/notices/").text
    # a reader neither writes nor publishes
    hospital = sign_in(demo, "ln_hospital1")
    assert hospital.get("/notices/add").status_code == 403
    assert hospital.post(f"/notices/{pk}/unpublish").status_code == 403
    assert "发布通知公告" not in listed  # the add button is not offered


def test_a_province_publishes_only_within_its_jurisdiction(demo: Any) -> None:
    regulator = sign_in(demo, "ln_reg")
    form = regulator.get("/notices/add").text
    assert re.findall(r'<option[^>]*value="\d+"[^>]*>([^<]+)</option>', form.split(
        'name="range_org"')[1].split("</select>")[0]) == ["辽宁省"]
    refused = add(regulator, demo, "越权发布的通知", "important", "CN")
    assert refused.status_code == 200 and "越权发布的通知" in refused.text  # kept as typed
    refused = add(regulator, demo, "越权发布的通知", "important", "510000")
    assert refused.status_code == 200
    # another province's notice is not theirs to touch
    sichuan = sign_in(demo, "sc_reg")
    pk = created(add(sichuan, demo, "四川省内部通知", "important", "510000"))
    for path in (f"/notices/{pk}/edit", f"/notices/{pk}/publish"):
        answer = regulator.post(path) if path.endswith("publish") else regulator.get(path)
        assert answer.headers["Location"] == "/notices/"
    assert notice(demo, pk).state == "draft"
    national = sign_in(demo, "nmpa").get("/notices/add").text
    assert ">全国<" in national and ">辽宁省<" in national and ">四川省<" in national


def test_the_body_is_cleaned_when_saved_and_when_shown(demo: Any) -> None:
    from app.notices.models import Notice

    regulator = sign_in(demo, "ln_reg")
    body = ('<p onclick="steal()">安全<script>alert(1)</script><a href="javascript:x()">链接</a>'
            '<strong>加粗</strong><img src=x onerror=alert(2)></p>')
    pk = created(add(regulator, demo, "正文清理测试", "important", "210000", body=body))
    stored = notice(demo, pk).body
    assert stored == ('<p>安全<a rel="noopener noreferrer">链接</a><strong>加粗</strong></p>')
    # a body stored by another door (an old row, a script) is cleaned as it is drawn
    with demo.app_context():
        session = demo.appbuilder.session
        session.get(Notice, pk).body = '<p>旧</p><script>alert(3)</script><iframe></iframe>'
        session.commit()
    page = regulator.get(f"/notices/{pk}").text
    shown = page.split('class="notice-body')[1].split("</div></div>")[0]
    assert "<p>旧</p>" in shown and "script" not in shown and "iframe" not in shown
    # nothing but markup: the body is required, what was typed stays
    empty = add(regulator, demo, "没有正文", "important", "210000",
                body="<p> </p><script>x</script>")
    assert empty.status_code == 200
    assert "没有正文" in empty.text and "该字段是必填字段" in empty.text


def test_the_attachment_passes_the_upload_limit_and_is_served_as_a_file(demo: Any) -> None:
    regulator = sign_in(demo, "ln_reg")
    fake = (io.BytesIO(b"<html><script>alert(1)</script></html>"), "通知.pdf")
    refused = add(regulator, demo, "带附件的通知", "policy", "210000", attachment=fake)
    assert refused.status_code == 200
    assert "文件内容与文件名不符" in refused.text and "带附件的通知" in refused.text
    pdf = letter("附件", ["附件正文"], ["辽宁省药品监督管理局"])
    good = (io.BytesIO(pdf), "附件：检查安排.pdf")
    # a good file with another field wrong is kept for the next try
    again = add(regulator, demo, "", "policy", "210000", attachment=good)
    assert again.status_code == 200 and "附件：检查安排.pdf" in again.text
    kept = re.search(r'name="kept" type="hidden" value="([^"]+)"', again.text)
    assert kept is not None
    pk = created(add(regulator, demo, "带附件的通知", "policy", "210000", kept=kept.group(1)))
    regulator.post(f"/notices/{pk}/publish")
    for client in (sign_in(demo, "ln_hospital1"), demo.test_client()):  # anonymous too
        got = client.get(f"/notices/{pk}/attachment")
        assert got.status_code == 200 and got.data == pdf
        assert got.headers["X-Content-Type-Options"] == "nosniff"
        assert got.headers["Content-Disposition"].startswith("attachment;")
        assert "Content-Security-Policy" in got.headers
    assert sign_in(demo, "sc_hospital1").get(f"/notices/{pk}/attachment").status_code == 404
    # a forged token attaches nothing
    forged = add(regulator, demo, "伪造附件", "policy", "210000", kept="abc.def")
    assert notice(demo, created(forged)).attachment_key is None


def test_anonymous_visitors_read_the_public_board(demo: Any) -> None:
    visitor = demo.test_client()
    home = visitor.get("/").text
    assert "workbench-notices" in home and newest_title(demo) in home
    listed = visitor.get("/notices/")
    assert listed.status_code == 200
    assert "Content-Security-Policy" in listed.headers
    assert "四川省支持医药企业高质量发展的若干措施" in listed.text  # every range: public
    assert "关于开展药品网络销售专项检查的通知" not in listed.text  # the demo's draft
    pk = int(re.search(r'href="/notices/(\d+)">四川省支持', listed.text).group(1))  # type: ignore[union-attr]
    assert visitor.get(f"/notices/{pk}").status_code == 200
    for path in ("/notices/add", "/notices/subscriptions/"):
        assert "/login/" in visitor.get(path).headers["Location"]
    assert "/login/" in visitor.post(f"/notices/{pk}/unpublish").headers["Location"]


def test_subscriptions_keep_the_ticked_categories(demo: Any) -> None:
    from app.notices.models import NoticeSubscription
    from app.security.models import AppUser

    client = sign_in(demo, "ln_province")
    page = client.get("/notices/subscriptions/").text
    assert "订阅设置" in page and "政策法规" in page and "checked" not in page
    saved = client.post("/notices/subscriptions/", data={"category": ["policy", "alien",
                                                                      "enterprise"]})
    assert saved.headers["Location"] == "/notices/subscriptions/"
    with demo.app_context():
        session = demo.appbuilder.session
        user = session.execute(select(AppUser.id).where(AppUser.username == "ln_province")
                               ).scalar_one()
        assert sorted(session.execute(select(NoticeSubscription.category).where(
            NoticeSubscription.user_id == user)).scalars()) == ["enterprise", "policy"]
    assert client.get("/notices/subscriptions/").text.count("checked") == 2


def test_the_workbench_shows_the_newest_notices_of_the_range(demo: Any) -> None:
    sichuan = sign_in(demo, "sc_reg")
    pk = created(add(sichuan, demo, "四川省最新通知", "important", "510000"))
    sichuan.post(f"/notices/{pk}/publish")
    home = sign_in(demo, "sc_hospital1").get("/").text
    panel = home.split("workbench-notices")[1].split("</div>\n</div>")[0]
    assert f'href="/notices/{pk}"' in panel and "四川省最新通知" in panel
    assert re.findall(r'href="/notices/(\d+)"', panel)[0] == str(pk)  # newest first
    assert "辽宁省药品监督管理局关于2025年度药品年度报告填报情况的公告" not in panel
    assert re.search(r'href="/notices/\d+"', panel) and 'href="/notices/"' in panel
