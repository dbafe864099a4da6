"""注册账号 on SQLite and PostgreSQL: the public form (check characters, duplicates, values kept),
the province's administrator approving (unit, account, message) or refusing with a reason,
the outcome looked up, the rate limit, and the 身份证号 an account completes before business."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select

from tests.app.identity.world import APPLICANT_PASSWORD, PASSWORD, build, known_uscc, valid_form
from tests.conftest import dispose


@pytest.fixture(scope="module")
def app(database_url: str, tmp_path_factory: Any) -> Any:
    application = build(database_url, tmp_path_factory.mktemp("files"))
    yield application
    dispose(application)


def sign_in(app: Any, username: str, password: str = PASSWORD) -> Any:
    client = app.test_client()
    response = client.post("/login/", data={"username": username, "password": password})
    assert response.status_code == 302, response.text[:300]
    return client


def applications(app: Any, **where: Any) -> list[Any]:
    from app.identity.models import Registration

    with app.app_context():
        query = select(Registration).filter_by(**where).order_by(Registration.id)
        rows = app.appbuilder.session.execute(query).scalars().all()
        app.appbuilder.session.expunge_all()
        return list(rows)


def send(app: Any, **changes: str) -> Any:
    return app.test_client().post("/register/", data=valid_form(**changes))


def clear(app: Any) -> None:
    """Applications, and what approving them created, gone: each test starts alike."""
    from app.identity.models import Registration
    from app.messages.models import Message
    from app.security.models import AppUser, Organisation

    with app.app_context():
        session = app.appbuilder.session
        rows = session.execute(select(Registration)).scalars().all()
        users = [r.user_id for r in rows if r.user_id]
        orgs = [r.org_id for r in rows if r.org_id]
        for row in rows:
            session.delete(row)
        session.flush()
        if users:
            session.execute(Message.__table__.delete().where(Message.user_id.in_(users)))
            for user in session.execute(select(AppUser).where(AppUser.id.in_(users))).unique(
                    ).scalars():
                session.delete(user)
            session.flush()
        if orgs:
            session.execute(Organisation.__table__.delete().where(Organisation.id.in_(orgs)))
        session.commit()


@pytest.fixture(autouse=True)
def _fresh(app: Any) -> Any:
    clear(app)
    yield
    clear(app)


def test_the_form_lists_the_districts_of_the_provinces_that_may_register(app: Any) -> None:
    page = app.test_client().get("/register/")
    assert page.status_code == 200
    assert "注册账号" in page.text
    assert '<option value="110105">北京市 / 朝阳区</option>' in page.text
    assert "310000" not in page.text  # 上海 does not register here
    login = app.test_client().get("/login/")
    assert 'href="/register/"' in login.text and "查询注册进度" in login.text


def test_bad_check_characters_are_refused_and_everything_typed_comes_back(app: Any) -> None:
    page = send(app, uscc="91110105MA8XY0010X", id_no="110105198001011230",
                mobile="1390123", name="北京新元医药有限公司（筹）")
    assert page.status_code == 200
    assert "不是有效的统一社会信用代码" in page.text, page.text
    assert "不是有效的居民身份证号码" in page.text
    assert "不是有效的中国大陆手机号码" in page.text
    assert 'value="北京新元医药有限公司（筹）"' in page.text
    assert 'value="91110105MA8XY0010X"' in page.text
    assert 'value="赵新元"' in page.text and 'value="zhao@xinyuan.example"' in page.text
    assert f'value="{APPLICANT_PASSWORD}"' in page.text  # not to be typed twice again
    assert '<option selected value="110105">' in page.text
    assert applications(app) == []


def test_the_password_policy_and_taken_names_are_checked(app: Any) -> None:
    page = send(app, password="abc", confirm="abd", username="bj_admin")
    assert page.status_code == 200
    assert "用户名已被使用" in page.text
    assert "两次输入的密码必须一致" in page.text
    assert "长度" in page.text  # a rule of the policy, in Chinese
    assert applications(app) == []


def test_an_application_is_pending_and_no_account_exists_yet(app: Any) -> None:
    page = send(app)
    assert page.status_code == 200
    assert "注册申请已提交" in page.text
    [item] = applications(app)
    assert item.state == "pending" and item.number in page.text
    assert item.password_hash != APPLICANT_PASSWORD and item.id_no == "110105198001011238"
    refused = app.test_client().post("/login/", data={"username": "xinyuan",
                                                      "password": APPLICANT_PASSWORD})
    assert refused.headers["Location"].startswith("/login/")


def test_a_credit_code_is_registered_once(app: Any) -> None:
    assert send(app).status_code == 200
    again = send(app, username="xinyuan2")
    assert "该统一社会信用代码已有待审核的注册申请" in again.text
    known = send(app, uscc=known_uscc(), username="xinyuan3")
    assert "该统一社会信用代码的单位已开通账号" in known.text
    assert len(applications(app)) == 1


def _pending_id(app: Any) -> int:
    assert send(app).status_code == 200
    return applications(app, state="pending")[0].id


def test_the_administrator_of_another_province_neither_sees_nor_decides(app: Any) -> None:
    pk = _pending_id(app)
    shanghai = sign_in(app, "sh_admin")
    listing = shanghai.get("/system/registrations/")
    assert listing.status_code == 200 and "北京新元医药有限公司" not in listing.text
    assert shanghai.get(f"/system/registrations/{pk}").status_code == 404
    decided = shanghai.post(f"/system/registrations/{pk}/decide", data={"decision": "approve"})
    assert decided.status_code == 404
    assert applications(app)[0].state == "pending"
    assert sign_in(app, "bj_legal").get("/system/registrations/").status_code == 302


def test_approving_creates_the_unit_and_the_legal_persons_account(app: Any) -> None:
    from app.messages.models import Message
    from app.security.models import AppUser

    pk = _pending_id(app)
    admin = sign_in(app, "bj_admin")
    listing = admin.get("/system/registrations/")
    assert "北京新元医药有限公司" in listing.text and "待审核" in listing.text
    done = admin.post(f"/system/registrations/{pk}/decide", data={"decision": "approve"},
                      follow_redirects=True)
    assert done.status_code == 200
    assert "已通过：已创建企业北京新元医药有限公司及其账号 xinyuan" in done.text
    [item] = applications(app)
    assert item.state == "approved" and item.user_id and item.org_id
    with app.app_context():
        session = app.appbuilder.session
        user = session.execute(select(AppUser).where(AppUser.username == "xinyuan")
                               ).unique().scalar_one()
        assert [r.name for r in user.roles] == ["legal_person"]
        assert user.user_class == "legal_person" and user.id_no == "110105198001011238"
        assert user.org.code == item.uscc and user.org.kind == "enterprise"
        assert user.org.path.startswith("/CN/110000/110105/")
        told = session.execute(select(Message).where(Message.user_id == user.id)
                               ).scalars().all()
        assert [m.title for m in told] == ["您的注册申请已通过"]
    again = admin.post(f"/system/registrations/{pk}/decide", data={"decision": "approve"},
                       follow_redirects=True)
    assert "已处理" not in again.text or "该申请已被处理" in again.text
    client = sign_in(app, "xinyuan", APPLICANT_PASSWORD)
    assert client.get("/").status_code == 200
    status = app.test_client().post("/register/status", data={"number": item.number,
                                                              "mobile": "13901234567"})
    assert "已通过" in status.text and "xinyuan" in status.text


def test_refusing_needs_a_reason_which_the_applicant_reads(app: Any) -> None:
    pk = _pending_id(app)
    admin = sign_in(app, "bj_admin")
    blank = admin.post(f"/system/registrations/{pk}/decide",
                       data={"decision": "refuse", "reason": "  "}, follow_redirects=True)
    assert "请填写不予通过的理由" in blank.text
    assert applications(app)[0].state == "pending"
    reason = "营业执照上的企业名称与填写的不一致，请核对后重新注册。"
    admin.post(f"/system/registrations/{pk}/decide", data={"decision": "refuse",
                                                          "reason": reason})
    [item] = applications(app)
    assert item.state == "refused" and item.reason == reason and item.user_id is None
    wrong = app.test_client().post("/register/status", data={"number": item.number,
                                                             "mobile": "13900000000"})
    assert "没有找到" in wrong.text and reason not in wrong.text
    status = app.test_client().post("/register/status", data={"number": item.number,
                                                              "mobile": "13901234567"})
    assert "未通过" in status.text and reason in status.text
    # refused: the same credit code may register again
    assert "注册申请已提交" in send(app).text


def test_an_account_without_id_number_completes_it_before_business(app: Any) -> None:
    from app.security.models import AppUser

    client = sign_in(app, "bj_legal")
    home = client.get("/")
    assert home.status_code == 302 and home.headers["Location"] == "/account/id-number/"
    page = client.get("/account/id-number/")
    assert "补充身份证号" in page.text and "退出" in page.text
    assert client.get("/api/v1/note/").status_code == 403
    bad = client.post("/account/id-number/", data={"id_no": "110105197505050010"})
    assert "不是有效的居民身份证号码" in bad.text
    good = client.post("/account/id-number/", data={"id_no": "110105197505050017"})
    assert good.status_code == 302 and good.headers["Location"] == "/"
    assert client.get("/").status_code == 200
    with app.app_context():
        session = app.appbuilder.session
        user = session.execute(select(AppUser).where(AppUser.username == "bj_legal")
                               ).unique().scalar_one()
        assert user.id_no == "110105197505050017"
        user.id_no = None
        session.commit()
    # a person with one meets no page
    assert sign_in(app, "bj_person").get("/").status_code == 200


def test_the_form_is_rate_limited(database_url: str, tmp_path_factory: Any) -> None:
    limited = build(database_url, tmp_path_factory.mktemp("limited"), RATELIMIT_ENABLED=True,
                    AUTH_RATE_LIMITED=True, ADMIN_REGISTRATION_RATE_LIMIT="2 per minute")
    try:
        client = limited.test_client()
        codes = [client.post("/register/", data=valid_form(uscc="1")).status_code
                 for _ in range(3)]
        assert codes == [200, 200, 429]
        assert re.search("请求过于频繁|太多", client.post("/register/", data={}).text)
    finally:
        dispose(limited)


def test_user_management_shows_the_id_number(app: Any) -> None:
    from app.security.models import AppUser

    with app.app_context():
        pk = app.appbuilder.session.execute(select(AppUser.id).where(
            AppUser.username == "bj_person")).scalar_one()
    admin = sign_in(app, "bj_admin")
    shown = admin.get(f"/system/users/show/{pk}")
    assert shown.status_code == 200
    assert "身份证号" in shown.text and "110105198803121236" in shown.text
    edit = admin.get(f"/system/users/edit/{pk}")
    assert 'name="id_no"' in edit.text and 'value="110105198803121236"' in edit.text
    mine = sign_in(app, "bj_person").get("/users/userinfo/")
    assert "110105198803121236" in mine.text
