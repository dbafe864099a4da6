"""The frame of every page (app/layout.py, templates/admin/base.html): the sidebar holds exactly
what the signed-in person may open, by module then the system menus; the breadcrumbs name
module / entity / page; titles stay 「页面 - 系统名」; nothing is loaded from another host."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

import pytest
from sqlalchemy import select

from app.demo.data import PASSWORD
from app.hooks import CATALOGUE
from app.layout import Crumb, Group, Link, breadcrumbs, module_groups, open_groups, sidebar
from generator import load_spec
from generator.builders.matrix import role_perms
from generator.permissions import MENU_ACCESS
from tests.conftest import ADMIN_PASSWORD, ROOT, dispose, ensure_admin
from tests.demo_world import demo_app

SCHEMA = ROOT / "schema" / "entities.yaml"
NAME = "药监信息采集平台"


class _Frame(HTMLParser):
    """The sidebar's groups with their links, the active link and the breadcrumbs."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.groups: list[tuple[str, list[str]]] = []
        self.active: list[str] = []
        self.crumbs: list[str] = []
        self.links: dict[str, str] = {}  # label -> href inside the sidebar
        self.title = ""
        self.external: list[str] = []
        self.webkit = False
        self._where: list[str] = []  # "nav" / "crumbs" / "title" / "group" / "link"
        self._href = ""
        self._active = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        classes = values.get("class", "").split()
        for name in ("src", "href"):
            if tag in {"script", "link", "img"} and re.match(r"(https?:)?//", values.get(name, "")):
                self.external.append(values[name])
        if tag == "meta" and values.get("name") == "renderer":
            self.webkit = values.get("content") == "webkit"
        if tag == "title":
            self._where.append("title")
        if tag == "nav":
            self._where.append("nav")
        if tag == "ol" and "admin-crumbs" in classes:
            self._where.append("crumbs")
        if "nav" in self._where:
            if tag == "li":
                self._active = "active" in classes
            if tag == "a" and "admin-menu-title" in classes:
                self.groups.append(("", []))
                self._where.append("group")
            elif tag == "a":
                self._href = values.get("href", "")
                self._where.append("link")

    def handle_endtag(self, tag: str) -> None:
        if tag == "title" and self._where and self._where[-1] == "title":
            self._where.pop()
        if tag == "a" and self._where and self._where[-1] in ("group", "link"):
            self._where.pop()
        if tag == "nav" and self._where and self._where[-1] == "nav":
            self._where.pop()
        if tag == "ol" and self._where and self._where[-1] == "crumbs":
            self._where.pop()

    def handle_data(self, data: str) -> None:
        text = data.strip()
        where = self._where[-1] if self._where else ""
        if where == "title":
            self.title += data
        if not text:
            return
        if where == "group":
            self.groups[-1] = (text, [])
        elif where == "link":
            if self.groups:
                self.groups[-1][1].append(text)
            self.links[text] = self._href
            if self._active:
                self.active.append(text)
        elif where == "crumbs":
            self.crumbs.append(text)


def frame_of(html: str) -> _Frame:
    parser = _Frame()
    parser.feed(html)
    return parser


# --- pure: the Spec and a role's rights ---------------------------------------------------


@pytest.fixture(scope="module")
def spec() -> Any:
    return load_spec(str(SCHEMA), CATALOGUE)


def _may(spec: Any, role: str) -> Any:
    granted = {p.view for p in role_perms(spec)[role] if p.permission == MENU_ACCESS}
    return lambda name: name in granted


def _labels(groups: tuple[Group, ...]) -> list[tuple[str, list[str]]]:
    return [(g.label, [link.label for link in g.links]) for g in groups]


def test_a_role_sees_the_modules_it_may_list_in_their_order(spec: Any) -> None:
    assert _labels(sidebar(spec, (), _may(spec, "institution"), "zh_CN")) == [
        ("服务门户", ["通知公告", "订阅设置"]),
        ("集采需求报量", ["国采批次", "品规目录", "采购需求", "承诺函"])]
    assert _labels(sidebar(spec, (), _may(spec, "institution"), "en")) == [
        ("Service portal", ["Notices", "Subscriptions"]),
        ("Procurement demand", ["Procurement batch", "Catalogue item", "Demand",
                                "Commitment letter"])]
    shown = _labels(sidebar(spec, (), _may(spec, "province_regulator"), "zh_CN"))
    assert [label for label, _links in shown] == [
        "服务门户", "业务办理", "业务申报", "药监网校", "基础数据", "企业空间", "企业信息采集管理",
        "出口药品档案", "产品绑定/解绑管理", "行政审批", "日常监管", "投诉举报", "信用管理",
        "稽查执法", "检验检测", "政企互动", "药品追溯", "帮助中心"]


def test_a_summary_is_a_link_of_its_module_for_its_roles_only(spec: Any) -> None:
    national = dict(_labels(sidebar(spec, (), _may(spec, "national"), "zh_CN")))
    assert national["集采需求报量"][3:6] == ["标的量计算基数", "各地报量汇总", "品规报量汇总"]
    hospital = dict(_labels(sidebar(spec, (), _may(spec, "institution"), "zh_CN")))
    assert "各地报量汇总" not in hospital["集采需求报量"]


def test_system_menus_follow_the_modules_and_need_their_category(spec: Any) -> None:
    system = (Group("Security", "安全", "fa-cogs",
                    (Link("permission_matrix", "权限矩阵", "fa-th", "MatrixView.show"),
                     Link("audit_log", "审计日志", "fa-history", "AuditLogView.list"))),)
    granted = {"Security", "permission_matrix", "procurement", "procurement.Batch"}
    groups = sidebar(spec, system, granted.__contains__, "zh_CN")
    assert _labels(groups) == [("集采需求报量", ["国采批次"]), ("安全", ["权限矩阵"])]
    # a link without its category's right is not shown, as in FAB's menu
    assert sidebar(spec, system, {"permission_matrix"}.__contains__, "zh_CN") == ()


def test_every_module_entry_of_the_spec_is_a_link_to_its_list(spec: Any) -> None:
    links = {link.name: link.endpoint for g in module_groups(spec, "zh_CN") for link in g.links}
    assert links["procurement.Demand"] == "ProcurementDemandView.list"
    assert links["procurement.Demand.summary.by_region"] == (
        "ProcurementDemandSummary_by_region.table")
    child_lines = [e.qualified for e in spec.entities if not e.menu]
    assert child_lines and not set(child_lines) & links.keys()


def test_breadcrumbs_name_module_entity_and_page(spec: Any) -> None:
    groups = module_groups(spec, "zh_CN")
    assert breadcrumbs(spec, groups, "ProcurementDemandView.list", "采购需求列表", "zh_CN",
                       "首页") == (Crumb("首页", "IndexView.index"), Crumb("集采需求报量"),
                                   Crumb("采购需求"))
    assert breadcrumbs(spec, groups, "ProcurementDemandView.show", "查看采购需求", "zh_CN",
                       "首页") == (Crumb("首页", "IndexView.index"), Crumb("集采需求报量"),
                                   Crumb("采购需求", "ProcurementDemandView.list"),
                                   Crumb("查看采购需求"))
    # outside the modules: 首页 / the page; the home page has none
    assert breadcrumbs(spec, groups, "UserInfoEditView.this_form_get", "编辑个人信息",
                       "zh_CN", "首页") == (Crumb("首页", "IndexView.index"),
                                            Crumb("编辑个人信息"))
    assert breadcrumbs(spec, groups, "IndexView.index", "首页", "zh_CN", "首页") == ()


def test_breadcrumbs_of_an_entity_without_a_menu_entry(spec: Any) -> None:
    line = next(e for e in spec.entities if not e.menu)
    module = next(m for m in spec.modules if m.key == line.module)
    endpoint = "".join(p.capitalize() for p in line.module.split("_")) + line.key + "View.edit"
    assert breadcrumbs(spec, (), endpoint, "编辑", "zh_CN", "首页") == (
        Crumb("首页", "IndexView.index"), Crumb(module.label.zh), Crumb(line.label.zh),
        Crumb("编辑"))


def test_few_groups_start_open_many_only_the_current_one(spec: Any) -> None:
    groups = module_groups(spec, "zh_CN")
    assert len(groups) > 3
    assert open_groups(groups, groups[1]) == {groups[1].key}
    assert open_groups(groups, None) == frozenset()
    assert open_groups(groups[:2], None) == {groups[0].key, groups[1].key}


# --- the demo world through the screens ----------------------------------------------------


@pytest.fixture(scope="module")
def demo(database_url: str, tmp_path_factory: Any) -> Any:
    app = demo_app(database_url, tmp_path_factory.mktemp("files"),
                   ADMIN_PASSWORD_POLICY={"captcha": False, "not_username": False,
                                          "change_first_login": False})
    yield app
    dispose(app)


def _client(app: Any, username: str) -> Any:
    client = app.test_client()
    response = client.post("/login/", data={"username": username, "password": PASSWORD})
    assert response.headers.get("Location") == "/", response.text[:300]
    return client


def _page(client: Any, url: str) -> _Frame:
    response = client.get(url)
    assert response.status_code == 200, url
    return frame_of(response.get_data(as_text=True))


PORTAL = ("服务门户", ["通知公告", "订阅设置"])  # 通知公告: every role reads and subscribes
PLANS = "第二类精神药品制剂生产计划和第二类精神药品原料药需用计划备案"
FILINGS = ("业务申报", [PLANS, "药品上市后变更沟通"])  # 办理进度 is for who files them
SIDEBARS = {
    "ln_hospital1": [PORTAL, ("集采需求报量", ["国采批次", "品规目录", "采购需求", "承诺函"])],
    "ln_reg": [PORTAL, ("业务办理", ["事项清单"]), FILINGS,
               ("药监网校", ["课程", "题库", "考试记录", "学分统计"]),
               ("基础数据", ["企业信息", "药品信息"]),
               ("企业空间", ["电子证照", "法律文书"]),
               ("企业信息采集管理", ["年度报告采集", "年度报告填报进度"]),
               ("出口药品档案", ["出口药品档案信息"]),
               ("产品绑定/解绑管理", ["产品绑定/解绑管理"]),
               ("行政审批", ["许可信息补录", "许可信息补录进度"]),
               ("日常监管", ["检查计划", "检查任务"]),
               ("投诉举报", ["投诉举报登记", "转办核查"]),
               ("信用管理", ["扣分标准", "信用档案", "违法记录", "扣分记录", "信用等级调整"]),
               ("稽查执法", ["案件线索", "稽查案件", "简易程序案件"]),
               ("检验检测", ["抽检计划", "抽检任务", "抽检进度", "抽样登记", "核查处置",
                         "异议处理"]),
               ("政企互动", ["企业自查", "函询", "上报期次", "数据上报", "上报数据汇总",
                         "数据上报进度"]),
               ("药品追溯", ["进销存记录"]),
               ("帮助中心", ["咨询", "常见问题", "咨询记录", "软件资料下载", "服务热线",
                         "答复规范"]),
               ("数据分析", ["智慧监管总览", "监管相对人分析", "年度报告分析", "出口药品档案分析",
                         "药品追溯分析", "药监网校统计", "绩效考核统计"]),
               ("上报时间管理", ["单位延期"])],
    "sysadmin": [PORTAL, ("帮助中心", ["工单反馈", "服务热线", "答复规范"]),
                 ("系统管理", ["用户管理", "注册审核", "意见反馈", "定时任务", "数据字典",
                           "参数设置"]),
                 ("安全", ["权限矩阵"]), ("上报时间管理", ["上报时间设置"])],
    "secadmin": [PORTAL, ("安全", ["权限矩阵", "审计日志", "在线用户", "登录日志"])],
    # an agent reaches the modules its legal person delegated (服务门户 is one of them)
    "ln_agent": [("出口药品档案", ["出口药品档案信息"])],
}


@pytest.mark.parametrize("username", sorted(SIDEBARS))
def test_the_sidebar_holds_exactly_what_the_account_may_open(demo: Any, username: str) -> None:
    client = _client(demo, username)
    frame = _page(client, "/")
    assert frame.groups == SIDEBARS[username]
    assert frame.active == ["首页"]  # the current entry, no module link
    for label, href in frame.links.items():
        assert client.get(href).status_code == 200, (label, href)


def test_the_built_in_administrator_sees_every_module_and_fab_s_screens_in_chinese(
        demo: Any) -> None:
    ensure_admin(demo)
    client = demo.test_client()
    client.post("/login/", data={"username": "admin", "password": ADMIN_PASSWORD})
    groups = dict(_page(client, "/").groups)
    assert list(groups) == ["服务门户", "业务办理", "业务申报", "药监网校", "基础数据", "企业空间",
                            "集采需求报量",
                            "企业信息采集管理",
                            "出口药品档案", "产品绑定/解绑管理", "行政审批", "日常监管", "投诉举报",
                            "信用管理", "稽查执法", "检验检测", "政企互动", "药品追溯", "帮助中心",
                            "数据分析",
                            "系统管理", "安全", "上报时间管理"]
    assert groups["数据分析"] == ["智慧监管总览", "监管相对人分析", "集采需求报量分析",
                              "年度报告分析", "出口药品档案分析", "药品追溯分析", "药监网校统计",
                              "绩效考核统计"]
    assert groups["安全"] == ["用户列表", "角色列表", "用户组列表", "用户统计", "基础权限",
                              "视图/菜单", "视图/菜单权限", "权限矩阵", "审计日志", "在线用户",
                              "登录日志"]
    assert groups["上报时间管理"] == ["上报时间设置", "单位延期"]


def test_the_current_page_is_lit_and_named_in_the_breadcrumbs(demo: Any) -> None:
    client = _client(demo, "ln_hospital1")
    listing = _page(client, "/procurement/demand/list/")
    assert listing.active == ["采购需求"]
    assert listing.crumbs == ["首页", "集采需求报量", "采购需求"]
    assert listing.title == f"采购需求列表 - {NAME}"
    demand = demo.extensions["admin"].models["procurement.Demand"]
    with demo.app_context():
        pk = demo.appbuilder.session.scalars(select(demand.id).limit(1)).first()
    # the scope of the account decides which row: take one from its own list
    show = re.search(r'href="(/procurement/demand/show/\d+)"',
                     client.get("/procurement/demand/list/").get_data(as_text=True))
    assert pk is not None and show is not None
    detail = _page(client, show.group(1))
    assert detail.active == ["采购需求"]
    assert detail.crumbs == ["首页", "集采需求报量", "采购需求", "查看采购需求"]
    assert detail.title == f"查看采购需求 - {NAME}"


def test_pages_outside_the_modules_have_a_short_path(demo: Any) -> None:
    client = _client(demo, "sysadmin")
    users = _page(client, "/system/users/list/")
    assert users.active == ["用户管理"] and users.crumbs == ["首页", "系统管理", "用户管理"]
    info = _page(client, "/users/userinfo/")
    assert info.crumbs == ["首页", "您的个人信息"]
    assert _page(client, "/").crumbs == []


def test_the_top_bar_names_the_organisation_and_holds_the_user_menu(demo: Any) -> None:
    html = _client(demo, "ln_hospital1").get("/").get_data(as_text=True)
    top = html[html.index('<header class="admin-topbar">'):html.index("</header>")]
    assert NAME in top and "沈阳市和平区第一人民医院" in top
    menu = top[top.index('class="dropdown admin-user"'):]
    assert [label for label in ("个人信息", "修改密码", "退出") if label in menu] == [
        "个人信息", "修改密码", "退出"]
    assert 'href="/users/userinfo/"' in menu and 'href="/logout/"' in menu


def test_the_sign_in_page_has_no_menu_and_nothing_from_elsewhere(demo: Any) -> None:
    html = demo.test_client().get("/login/").get_data(as_text=True)
    frame = frame_of(html)
    assert frame.groups == [] and frame.crumbs == [] and "<nav" not in html
    assert frame.webkit and frame.external == []
    assert frame.title == f"登录 - {NAME}"
    signed_in = frame_of(_client(demo, "ln_reg").get("/").get_data(as_text=True))
    assert signed_in.webkit and signed_in.external == []
    assert 'rel="icon"' in html


def test_the_frame_reads_nothing_more_from_the_database(demo: Any) -> None:
    """The menu asks the rights the page has already read (one query per request for all of
    the roles' pairs): drawing it sends no statement of its own."""
    from sqlalchemy import event

    frame = demo.jinja_env.globals["admin_frame"]
    sent: list[str] = []
    drawn: list[Any] = []

    def counted(title: Any = "") -> Any:
        drawn.append(title)
        engine = demo.appbuilder.session.get_bind()

        def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            sent.append(statement)

        event.listen(engine, "before_cursor_execute", record)
        try:
            return frame(title)
        finally:
            event.remove(engine, "before_cursor_execute", record)

    demo.jinja_env.globals["admin_frame"] = counted
    try:
        client = _client(demo, "ln_reg")
        for url in ("/", "/annual_report/annual_report/list/", "/users/userinfo/"):
            assert client.get(url).status_code == 200
    finally:
        demo.jinja_env.globals["admin_frame"] = frame
    assert len(drawn) == 3 and sent == []
