"""工作台 on the demo world: each person's 待办 (counted, each count a link to exactly those
rows), the reporting windows of their batches with the time left, and the statements it costs
(SQLite and PostgreSQL)."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import pytest
from sqlalchemy import event, select

from app.demo.data import OPEN_BATCH, PASSWORD
from tests.conftest import dispose
from tests.demo_world import demo_app

DEMAND = "/procurement/demand"
DOSSIER = "/export_dossier/export_dossier"
VIEW = "ProcurementDemandView"  # FAB's page and sort arguments are named after the view


@pytest.fixture(scope="module")
def demo(database_url: str, tmp_path_factory: Any) -> Any:
    app = demo_app(database_url, tmp_path_factory.mktemp("files"),
                   ADMIN_PASSWORD_POLICY={"captcha": False})
    yield app
    dispose(app)


def sign_in(app: Any, username: str) -> Any:
    client = app.test_client()
    response = client.post("/login/", data={"username": username, "password": PASSWORD})
    assert response.headers.get("Location") == "/", response.text[:300]
    return client


def todos(html: str) -> dict[str, tuple[int, str]]:
    """{entity label: (count, link)} of the 待办 panel."""
    found = re.findall(r'<a class="list-group-item todo-item[^"]*" href="([^"]+)">\s*'
                       r'<span class="badge todo-count[^"]*">(\d+)</span>\s*<i[^>]*></i>\s*'
                       r'([^<]+?)\s*<small', html)
    return {label: (int(count), url.replace("&amp;", "&")) for url, count, label in found}


def demand_ids(app: Any, states: tuple[str, ...], path: str | None = None,
               org: str | None = None, batch: str = OPEN_BATCH) -> set[int]:
    """Ids of Demand rows in the states (under an org path, or of one organisation)."""
    from app.security.models import Organisation

    models = app.extensions["admin"].models
    demand, batches = models["procurement.Demand"], models["procurement.Batch"]
    with app.app_context():
        session = app.appbuilder.session
        query = (select(demand.id).join(batches, demand.batch_id == batches.id)
                 .where(batches.name == batch, demand.state.in_(states)))
        if path is not None:
            query = query.where(demand.org_path.startswith(path))
        if org is not None:
            org_id = session.execute(select(Organisation.id).where(
                Organisation.name == org)).scalar_one()
            query = query.where(demand.org_id == org_id)
        return set(session.execute(query).scalars())


def org_path(app: Any, username: str) -> str:
    """The path of the person's organisation."""
    with app.app_context():
        return str(app.appbuilder.sm.find_user(username=username).org.path)


def listed_ids(client: Any, url: str) -> set[int]:
    """Ids of the rows a list shows on all its pages."""
    ids: set[int] = set()
    for page in range(10):
        html = client.get(f"{url}&page_{VIEW}={page}" if "?" in url else url).text
        found = shown_ids(html)
        if not found - ids:
            break
        ids |= found
    return ids


def shown_ids(html: str) -> set[int]:
    """Ids of the rows a list page links to (their detail pages)."""
    return {int(i) for i in re.findall(r'/show/(\d+)', html)}


def exported_codes(client: Any, url: str) -> list[str]:
    response = client.get(url)
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    return [r[0] for r in rows[1:]]


def test_ln_hospital1_sees_its_todo_and_the_window_countdown(demo: Any) -> None:
    client = sign_in(demo, "ln_hospital1")
    html = client.get("/").text
    assert "工作台" in html and "待办事项" in html
    wanted = demand_ids(demo, ("pending", "saved", "returned"), org="沈阳市和平区第一人民医院")
    assert len(wanted) == 50  # 15 saved, 35 not filled: every row of the open batch
    assert todos(html) == {"采购需求": (50, f"{DEMAND}/list/?todo=1")}
    # the open batch's window with the time left (from yesterday for 30 days)
    panel = html.split("workbench-windows", 1)[1]
    assert OPEN_BATCH in panel
    assert re.search(r'window-left">剩余 (29|30) 天</span>', panel), panel[:2000]
    assert "第十批" not in panel  # closed in 2024: not a window of now


def test_the_todo_list_holds_exactly_the_counted_rows(demo: Any) -> None:
    client = sign_in(demo, "ln_hospital1")
    wanted = demand_ids(demo, ("pending", "saved", "returned"), org="沈阳市和平区第一人民医院")
    listed = client.get(f"{DEMAND}/list/?todo=1")
    assert "仅列出等待您处理的记录。" in listed.text
    assert listed_ids(client, f"{DEMAND}/list/?todo=1") == wanted
    # the filter survives sorting and paging, and the export holds the same rows
    sorted_page = client.get(f"{DEMAND}/list/?todo=1&_oc_{VIEW}=item_code&_od_{VIEW}=asc")
    assert "11-001" in sorted_page.text and "10-001" not in sorted_page.text
    assert "todo=1" in re.search(r'href="([^"]*export/csv[^"]*)"', sorted_page.text).group(1)
    pages = [shown_ids(client.get(f"{DEMAND}/list/?todo=1&psize_{VIEW}=20"
                                  f"&page_{VIEW}={n}").text) for n in range(3)]
    assert [len(p) for p in pages] == [20, 20, 10] and set().union(*pages) == wanted
    first = client.get(f"{DEMAND}/list/?todo=1&psize_{VIEW}=20").text
    links = [u.replace("&amp;", "&")
             for u in re.findall(rf'href="([^"]*page_{VIEW}=[^"]*)"', first)]
    assert links and all("todo=1" in u for u in links)
    codes = exported_codes(client, f"{DEMAND}/export/csv?todo=1")
    assert len(codes) == 50
    # without it the list holds the closed batch's history too
    assert len(exported_codes(client, f"{DEMAND}/export/csv")) == 60
    # the REST list and its export narrow the same way
    api = client.get("/api/v1/demand/?todo=1&q=(page_size:100)").get_json()
    assert api["count"] == 50 and set(api["ids"]) == wanted
    assert client.get("/api/v1/demand/?q=(page_size:100)").get_json()["count"] == 60


def test_reviewers_count_the_rows_at_their_step(demo: Any) -> None:
    heping = org_path(demo, "ln_county")
    shenyang = org_path(demo, "ln_city")
    liaoning = org_path(demo, "ln_province")
    expected = {"ln_county": demand_ids(demo, ("submitted",), path=heping),
                "ln_city": demand_ids(demo, ("county_ok",), path=shenyang),
                "ln_province": demand_ids(demo, ("city_ok",), path=liaoning)}
    assert {k: len(v) for k, v in expected.items()} == {"ln_county": 29, "ln_city": 10,
                                                        "ln_province": 10}
    for username, ids in expected.items():
        client = sign_in(demo, username)
        lines = todos(client.get("/").text)
        assert lines.pop("采购需求") == (len(ids), f"{DEMAND}/list/?todo=1")
        # the other modules (投诉举报, 行政审批, …) hold nothing for 辽宁 in the demo
        assert all(count == 0 for count, _link in lines.values()), lines
        assert listed_ids(client, f"{DEMAND}/list/?todo=1") == ids, username
    # 四川's county has nothing reported: nothing waits, and no row of 辽宁 is listed
    client = sign_in(demo, "sc_county")
    lines = todos(client.get("/").text)
    assert lines.pop("采购需求") == (0, f"{DEMAND}/list/?todo=1")
    assert all(count == 0 for count, _link in lines.values()), lines
    assert listed_ids(client, f"{DEMAND}/list/?todo=1") == set()


def test_ningxia_inspections_wait_for_their_handler_and_the_leader(demo: Any) -> None:
    """日常监管: a task waits for its 承办人 alone, a submitted one for the leaders."""
    tasks = "/supervision/inspection_task/list/?todo=1"
    expected = {"nx_inspector": 2, "nx_inspector2": 0, "nx_city_leader": 1, "nx_leader": 1}
    for username, count in expected.items():
        client = sign_in(demo, username)
        assert todos(client.get("/").text)["检查任务"] == (count, tasks), username
        assert len(listed_ids(client, tasks)) == count, username
    assert "检查任务" not in todos(sign_in(demo, "nx_wholesale").get("/").text)


def test_withdraw_and_send_back_are_not_work_waiting(demo: Any) -> None:
    # 沈阳市和平区中医院 has 29 rows it could 撤回 and one returned row to correct
    client = sign_in(demo, "ln_hospital2")
    returned = demand_ids(demo, ("returned",), org="沈阳市和平区中医院")
    assert len(returned) == 1
    assert todos(client.get("/").text) == {"采购需求": (1, f"{DEMAND}/list/?todo=1")}
    assert listed_ids(client, f"{DEMAND}/list/?todo=1") == returned
    # 省局: 退回补正 of annual reports and 解绑 of bindings are never 待办
    reg = sign_in(demo, "ln_reg").get("/").text
    assert "年度报告采集" not in todos(reg) and "产品绑定/解绑管理" not in todos(reg)


def test_ln_reg_sees_the_change_request_to_review(demo: Any) -> None:
    dossier = demo.extensions["admin"].models["export_dossier.ExportDossier"]
    fields = ("product_name", "approval", "dosage_form", "spec", "standard", "destination",
              "importer", "quantity", "amount")
    with demo.app_context():
        row = demo.appbuilder.session.execute(select(dossier).where(
            dossier.state == "submitted")).scalar_one()
        pk = row.id
        values = {name: "" if getattr(row, name) is None else str(getattr(row, name))
                  for name in fields}
    reg = sign_in(demo, "ln_reg")
    assert todos(reg.get("/").text)["出口药品档案信息"] == (0, f"{DOSSIER}/list/?todo=1")
    legal = sign_in(demo, "ln_legal")
    values["destination"] = "越南"
    response = legal.post(f"{DOSSIER}/change/{pk}", data=values)
    assert response.status_code == 302, response.text[:500]
    assert todos(reg.get("/").text)["出口药品档案信息"] == (1, f"{DOSSIER}/list/?todo=1")
    listed = reg.get(f"{DOSSIER}/list/?todo=1").text
    assert shown_ids(listed) == {pk}
    # 四川's regulator does not decide it
    other = sign_in(demo, "sc_reg")
    assert todos(other.get("/").text)["出口药品档案信息"] == (0, f"{DOSSIER}/list/?todo=1")
    assert shown_ids(other.get(f"{DOSSIER}/list/?todo=1").text) == set()


def test_the_review_mode_moves_the_waiting_rows(demo: Any) -> None:
    """With 跳过区县 for 辽宁 the county waits for nothing and the city for the reported
    rows (the `when` of the transitions, in the query)."""
    models = demo.extensions["admin"].models
    setting, batches = models["procurement.ReviewSetting"], models["procurement.Batch"]
    with demo.app_context():
        session = demo.appbuilder.session
        batch = session.execute(select(batches).where(batches.name == OPEN_BATCH)).scalar_one()
        province = session.merge(demo.appbuilder.sm.find_user(username="ln_province").org)
        row = setting(batch=batch, review_mode="skip_county", org=province)
        session.add(row)
        session.commit()
        pk = row.id
    try:
        county = sign_in(demo, "ln_county")
        assert todos(county.get("/").text)["采购需求"][0] == 0
        city = sign_in(demo, "ln_city")
        shenyang = org_path(demo, "ln_city")
        wanted = demand_ids(demo, ("submitted",), path=shenyang)
        assert todos(city.get("/").text)["采购需求"][0] == len(wanted) == 29
        assert listed_ids(city, f"{DEMAND}/list/?todo=1") == wanted
    finally:
        with demo.app_context():
            session = demo.appbuilder.session
            session.delete(session.get(setting, pk))
            session.commit()


def test_a_closed_window_leaves_nothing_to_do(demo: Any) -> None:
    from app.hooks.models import Window

    with demo.app_context():
        session = demo.appbuilder.session
        window = session.execute(select(Window).where(
            Window.window == "procurement", Window.is_open.is_(True))).scalar_one()
        window.is_open = False
        window_id = window.id
        session.commit()
    try:
        client = sign_in(demo, "ln_hospital1")
        html = client.get("/").text
        assert todos(html) == {"采购需求": (0, f"{DEMAND}/list/?todo=1")}
        assert "上报已关闭" in html.split("workbench-windows", 1)[1]  # switched off just now
        assert exported_codes(client, f"{DEMAND}/export/csv?todo=1") == []
    finally:
        with demo.app_context():
            session = demo.appbuilder.session
            session.get(Window, window_id).is_open = True
            session.commit()


def test_the_counts_cost_one_statement_per_entity(demo: Any) -> None:
    admin = demo.extensions["admin"]
    tables = {admin.models[e.qualified].__table__.name for e in admin.spec.entities
              if e.workflow is not None}
    for username in ("ln_hospital1", "ln_county", "ln_reg", "lcb"):
        client = sign_in(demo, username)
        seen: list[str] = []

        def record(_conn: Any, _cursor: Any, statement: str, *_args: Any,
                   seen: list[str] = seen) -> None:
            seen.append(statement)

        with demo.app_context():
            engine = demo.appbuilder.session.get_bind()
        event.listen(engine, "before_cursor_execute", record)
        try:
            assert client.get("/").status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", record)
        per_table = {t: sum(1 for s in seen if re.search(rf"\bFROM {t}\b", s)) for t in tables}
        assert max(per_table.values()) <= 1, (username, {t: n for t, n in per_table.items()
                                                         if n})


@pytest.mark.parametrize(("opens", "closes", "status", "left"), [
    (-24, 5, "soon", "剩余 5 小时"),  # closing within three days: marked
    (-24, 24 * 4 + 1, "open", "剩余 4 天"),
    (24 * 2 + 1, 24 * 9, "not_yet", "2 天后开始"),
    (-24 * 9, -24 * 2, "closed", "已截止"),  # closed two days ago: still shown
])
def test_the_window_line_says_how_long_is_left(demo: Any, opens: int, closes: int,
                                               status: str, left: str) -> None:
    import datetime as dt

    from app.hooks.models import Window, beijing_now

    with demo.app_context():
        session = demo.appbuilder.session
        window = session.execute(select(Window).where(
            Window.window == "procurement", Window.is_open.is_(True))).scalar_one()
        window_id, before = window.id, (window.opens_at, window.closes_at)
        now = beijing_now()
        window.opens_at = now + dt.timedelta(hours=opens)
        window.closes_at = now + dt.timedelta(hours=closes, minutes=30)
        session.commit()
    try:
        html = sign_in(demo, "ln_hospital1").get("/").text
        line = re.search(r'<a class="list-group-item window-line window-(\w+)"[^>]*>\s*'
                         r'<span [^>]*window-left">([^<]+)</span>\s*<strong>([^<]+)</strong>',
                         html)
        assert line is not None and line.groups() == (status, left, OPEN_BATCH)
    finally:
        with demo.app_context():
            session = demo.appbuilder.session
            window = session.get(Window, window_id)
            window.opens_at, window.closes_at = before
            session.commit()


def test_enterprises_count_their_drafts_and_the_gate_holds_back(demo: Any) -> None:
    legal = todos(sign_in(demo, "ln_legal").get("/").text)
    assert legal["年度报告采集"] == (1, "/annual_report/annual_report/list/?todo=1")  # the draft
    assert legal["出口药品档案信息"] == (1, f"{DOSSIER}/list/?todo=1")
    # 四川蜀康药业 has not completed 企业信息: its modules wait behind the gate, no 待办 there
    gated = sign_in(demo, "sc_legal").get("/").text
    assert "年度报告采集" not in todos(gated) and "出口药品档案信息" not in todos(gated)
    assert "/annual_report/annual_report/list/" in gated  # the module is still a tile
