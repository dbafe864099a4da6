"""服务门户 → 业务办理 (seed 003 ch. 3) on the demo data, SQLite and PostgreSQL: the 事项清单 with
its category tabs and counts, the star (收藏) of a row and 已收藏, 我的收藏 on the 工作台 — only
rows still in the person's range — and the 全局搜索 over the catalogue and the 通知公告, within
each person's range, field rights and notice audience, with pinyin initials and pages."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import delete, insert, select, update

from app.demo.data import PASSWORD
from tests.conftest import dispose
from tests.demo_world import demo_app
from tests.modules.conftest import flashes

LIST = "/bj_portal/service_item/list/"
API = "/api/v1/service_item/"
ENTITY = "bj_portal.ServiceItem"


@pytest.fixture(scope="module")
def demo(database_url: str, tmp_path_factory: Any) -> Iterator[Any]:
    app = demo_app(database_url, tmp_path_factory.mktemp("files"))
    yield app
    dispose(app)


@pytest.fixture(autouse=True)
def favourites_as_loaded(demo: Any) -> Iterator[None]:
    """Each test starts from the demo's favourites and leaves them so."""
    from app.favourites import Favourite

    with demo.app_context():
        session = demo.appbuilder.session
        kept = [dict(user_id=f.user_id, entity=f.entity, row_id=f.row_id,
                     created_at=f.created_at) for f in session.query(Favourite)]
    yield
    with demo.app_context():
        session = demo.appbuilder.session
        session.execute(delete(Favourite))
        session.execute(insert(Favourite), kept)
        session.commit()


def client(app: Any, username: str) -> Any:
    c = app.test_client()
    response = c.post("/login/", data={"username": username, "password": PASSWORD})
    assert response.status_code == 302, response.text[:300]
    return c


def item(app: Any, code: str) -> Any:
    model = app.extensions["admin"].models[ENTITY]
    with app.app_context():
        return app.appbuilder.session.execute(select(model).where(model.code == code)
                                              ).scalar_one()


def names(page: str) -> list[str]:
    """The 事项名称 cells of the list, in order."""
    rows = re.findall(r"<tr>(.*?)</tr>", page, re.S)
    out = []
    for row in rows:
        cells = [flashes(c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        if len(cells) >= 3:
            out.append(html.unescape(cells[2]))
    return out


def stars_on(page: str) -> set[int]:
    return {int(pk) for pk in re.findall(
        r'action="/favourites/bj_portal.ServiceItem/(\d+)"[^>]*>\s*<input[^>]*>\s*<input[^>]*>'
        r'\s*<button[^>]*favourite-on', page)}


def bench_favourites(c: Any) -> list[str]:
    page = c.get("/").text
    box = page.split("workbench-favourites", 1)
    assert len(box) == 2, "我的收藏 is on the 工作台"
    return [flashes(t).strip() for t in re.findall(
        r'class="list-group-item favourite-line"[^>]*>.*?</span>(.*?)</a>', box[1], re.S)]


def test_the_list_has_a_tab_per_category_with_its_count(demo: Any) -> None:
    page = client(demo, "bj_legal").get(LIST).text
    tabs = [flashes(t).strip() for t in re.findall(r'<ul class="nav nav-tabs list-tabs".*?</ul>',
                                                     page, re.S)]
    assert tabs == ["全部 (30) 许可事项 (10) 服务事项 (8) 数据报送 (7) 检验检测 (5)"]
    licences = client(demo, "bj_legal").get(LIST + "?_flt_0_category=licence").text
    assert '<li role="presentation" class="active"><a href="' in licences
    assert "记录总数: 10" in flashes(licences)
    assert "药品生产许可证核发" in names(licences)
    assert not any("报告" in n for n in names(licences))


def test_keyword_search_of_the_list_and_its_tabs(demo: Any) -> None:
    page = client(demo, "bj_person").get(LIST + "?_flt_0_name=执业药师").text
    assert names(page) == ["执业药师注册", "执业药师继续教育学分查询"]


def test_a_star_keeps_an_item_among_the_favourites_and_a_second_click_drops_it(
        demo: Any) -> None:
    from app.favourites import Favourite

    c = client(demo, "bj_person")
    row = item(demo, "04-002")  # 药品委托检验
    assert bench_favourites(c) == ["执业药师注册"]
    answer = c.post(f"/favourites/{ENTITY}/{row.id}", data={"next": LIST})
    assert answer.status_code == 302 and answer.headers["Location"] == LIST
    assert "已收藏" in flashes(c.get(LIST).text)
    starred = c.get(LIST + "?favourites=1").text
    assert names(starred) == ["执业药师注册", "药品委托检验"]
    assert "仅列出您收藏的事项" in flashes(starred)
    assert row.id in stars_on(starred)
    assert bench_favourites(c) == ["药品委托检验", "执业药师注册"]  # newest first
    assert sorted(c.get(API + "?favourites=1").json["ids"]) == sorted(
        [row.id, item(demo, "02-001").id])
    assert c.get(API).json["count"] == 30  # the REST list without it: every row
    c.post(f"/favourites/{ENTITY}/{row.id}", data={"next": LIST})
    assert "已取消收藏" in flashes(c.get(LIST).text)
    assert names(c.get(LIST + "?favourites=1").text) == ["执业药师注册"]
    assert bench_favourites(c) == ["执业药师注册"]
    with demo.app_context():  # the others' favourites are theirs
        kept = demo.appbuilder.session.execute(select(Favourite.row_id).where(
            Favourite.user_id != _user_id(demo, "bj_person"))).scalars().all()
    assert len(kept) == 3


def test_the_record_s_page_has_its_star_too(demo: Any) -> None:
    c = client(demo, "bj_person")
    row = item(demo, "02-001")  # 执业药师注册, starred by the demo
    show = f"/bj_portal/service_item/show/{row.id}"
    page = c.get(show).text
    assert 'favourite-star favourite-on" aria-pressed="true"' in page and "取消收藏" in page
    answer = c.post(f"/favourites/{ENTITY}/{row.id}", data={"next": show})
    assert answer.headers["Location"] == show  # back on the record's page
    assert 'aria-pressed="false"' in c.get(show).text
    assert bench_favourites(c) == []
    assert "暂无收藏" in flashes(c.get("/").text)


def test_the_star_counts_only_the_favourites_in_the_tabs(demo: Any) -> None:
    page = client(demo, "bj_legal").get(LIST + "?favourites=1").text
    tabs = flashes(re.search(r'<ul class="nav nav-tabs list-tabs".*?</ul>', page, re.S)[0])
    assert tabs.split() == ["全部", "(3)", "许可事项", "(2)", "服务事项", "(1)", "数据报送", "(0)",
                            "检验检测", "(0)"]


def test_the_star_needs_the_session_token(demo: Any) -> None:
    row = item(demo, "04-002")
    c = client(demo, "bj_person")
    demo.config["WTF_CSRF_ENABLED"] = True
    try:
        answer = c.post(f"/favourites/{ENTITY}/{row.id}", data={"next": LIST})
    finally:
        demo.config["WTF_CSRF_ENABLED"] = False
    assert answer.status_code == 400
    assert "药品委托检验" not in bench_favourites(c)


def test_nobody_stars_a_row_outside_their_range(demo: Any) -> None:
    from app.favourites import Favourite

    row = item(demo, "01-001")
    c = client(demo, "ln_reg")  # 辽宁's regulator: 北京's items are not in their range
    answer = c.post(f"/favourites/{ENTITY}/{row.id}", follow_redirects=True)
    assert "该记录不存在或不在您的数据范围内" in flashes(answer.text)
    assert c.post(f"/favourites/{ENTITY}/999999").status_code == 302
    assert c.post("/favourites/basic.Product/1").status_code == 404  # no favourites there
    with demo.app_context():
        assert demo.appbuilder.session.execute(select(Favourite).where(
            Favourite.user_id == _user_id(demo, "ln_reg"))).first() is None
    assert c.get(API + "?favourites=1").json["ids"] == []


def test_a_favourite_that_leaves_the_range_is_not_shown(demo: Any) -> None:
    from app.security.models import Organisation

    model = demo.extensions["admin"].models[ENTITY]
    row = item(demo, "03-002")  # 药品年度报告
    reg = client(demo, "bj_reg")
    reg.post(f"/favourites/{ENTITY}/{row.id}")
    assert "药品年度报告" in bench_favourites(reg)
    with demo.app_context():
        session = demo.appbuilder.session
        liaoning = session.execute(select(Organisation).where(
            Organisation.code == "210000")).scalar_one()
        beijing = (row.org_id, row.org_path)
        session.execute(update(model).where(model.id == row.id).values(
            org_id=liaoning.id, org_path=liaoning.path))
        session.commit()
    try:
        assert "药品年度报告" not in bench_favourites(reg)
        assert names(reg.get(LIST + "?favourites=1").text) == []
        assert reg.get(API + "?favourites=1").json["ids"] == []
        found = reg.get(f"/search/?q=药品年度报告&type={ENTITY}").text
        assert f"/bj_portal/service_item/show/{row.id}" not in found
    finally:
        with demo.app_context():
            session = demo.appbuilder.session
            session.execute(update(model).where(model.id == row.id).values(
                org_id=beijing[0], org_path=beijing[1]))
            session.commit()
    assert "药品年度报告" in bench_favourites(reg)


def _user_id(app: Any, username: str) -> int:
    from app.security.models import AppUser

    with app.app_context():
        return int(app.appbuilder.session.execute(select(AppUser.id).where(
            AppUser.username == username)).scalar_one())


# -- 全局搜索 ------------------------------------------------------------------------------------
def groups(page: str) -> dict[str, list[str]]:
    """{group label: [hit titles]} of a search page."""
    out = {}
    for block in re.findall(r'<div class="panel panel-default search-group".*?</div>\s*</div>',
                            page, re.S):
        label = flashes(re.search(r"<strong>(.*?)</strong>", block)[1]).strip()
        out[label] = [html.unescape(re.sub(r"<[^>]+>", "", t)).strip() for t in re.findall(
            r'<strong class="search-title">(.*?)</strong>', block, re.S)]
    return out


def test_search_finds_items_and_notices_with_the_words_marked(demo: Any) -> None:
    page = client(demo, "bj_legal").get("/search/?q=年度报告").text
    found = groups(page)
    assert found["事项清单"] == ["药品年度报告", "化妆品年度报告"]
    # 全国's notice; 辽宁's 公告 is for 辽宁 only
    assert found["通知公告"] == ["关于进一步做好药品年度报告工作的通知"]
    assert "药品<mark>年度报告</mark>" in page
    assert f'href="/bj_portal/service_item/show/{item(demo, "03-002").id}"' in page


def test_notices_are_searched_by_their_audience(demo: Any) -> None:
    liaoning = groups(client(demo, "ln_reg").get("/search/?q=年度报告").text)
    assert liaoning == {"通知公告": ["辽宁省药品监督管理局关于2025年度药品年度报告填报情况的公告",
                                  "关于进一步做好药品年度报告工作的通知"]}
    assert groups(client(demo, "ln_reg").get("/search/?q=网络销售专项检查").text) == {}  # a draft


def test_search_stays_in_the_range_and_the_field_rights(demo: Any) -> None:
    # the 内部备注 is the regulators': the enterprise finds nothing by its words
    assert groups(client(demo, "bj_legal").get("/search/?q=转处室").text) == {}
    inside = groups(client(demo, "bj_reg").get(f"/search/?q=转处室&type={ENTITY}").text)
    assert len(inside["事项清单"]) == 10
    assert "事项清单" not in groups(client(demo, "ln_reg").get("/search/?q=许可").text)
    assert "内部备注" in client(demo, "bj_reg").get("/search/?q=转处室").text
    assert "内部备注" not in client(demo, "bj_legal").get("/search/?q=许可证").text


def test_search_by_pinyin_initials_and_several_words(demo: Any) -> None:
    page = client(demo, "bj_person").get("/search/?q=ypsc").text
    assert groups(page)["事项清单"] == ["药品生产许可证核发", "药品生产许可证变更"]
    assert "<mark>药品生产</mark>许可证核发" in page
    both = groups(client(demo, "bj_person").get("/search/?q=医疗器械 出口").text)
    assert both == {"事项清单": ["医疗器械出口销售证明"]}


def test_search_pages_one_type(demo: Any) -> None:
    c = client(demo, "bj_reg")
    first = c.get("/search/?q=药品").text
    shown = groups(first)["事项清单"]
    assert len(shown) == 5 and "search-more" in first
    total = int(re.search(r"search-group\" data-type=\"bj_portal.ServiceItem\">.*?"
                          r"<span class=\"badge\">(\d+)</span>", first, re.S)[1])
    assert total > 20
    one = c.get(f"/search/?q=药品&type={ENTITY}").text
    two = c.get(f"/search/?q=药品&type={ENTITY}&page=2").text
    assert len(groups(one)["事项清单"]) == 20
    assert len(groups(two)["事项清单"]) == total - 20
    assert "通知公告" not in groups(one)
    assert "第 2 页，共 2 页" in flashes(two)
    assert not set(groups(one)["事项清单"]) & set(groups(two)["事项清单"])


def test_search_is_for_signed_in_people_and_the_box_is_in_the_top_bar(demo: Any) -> None:
    anonymous = demo.test_client().get("/search/?q=药品")
    assert anonymous.status_code == 302 and "/login/" in anonymous.headers["Location"]
    page = client(demo, "bj_person").get("/").text
    assert 'class="admin-search"' in page and 'class="workbench-search"' in page
    none = client(demo, "bj_person").get("/search/?q=不存在的事项xyz").text
    assert "没有找到" in flashes(none)
    wild = groups(client(demo, "bj_person").get("/search/?q=%25").text)
    assert wild == {}  # the user's wildcards are literal


def test_a_long_word_not_found_whole_is_searched_by_its_pieces(demo: Any) -> None:
    page = client(demo, "bj_legal").get("/search/?q=药品许可证").text
    assert groups(page)["事项清单"] == [
        "药品生产许可证核发", "药品生产许可证变更", "药品经营许可证（批发）核发",
        "药品经营许可证（零售连锁总部）核发", "药品经营许可证换证"]
    assert "以下结果包含拆分后的关键词：药品 许可 证" in flashes(page)
    assert "search-loose" not in client(demo, "bj_legal").get("/search/?q=许可证").text
