"""Row buttons (issue 14): what a list row offers is exactly what its person may do.

The matrix: for every account of the two provinces, every 采购需求 row it sees, and every
transition of the workflow, the row's button is offered (enabled) exactly when posting the
transition moves the row; a disabled button says why, and posting it gives the same reason.
Then: edit and delete icons only where the row allows them, refusals naming the row by its
display field and grouped, 全部上报 saying first what it will do, and the list after a
transition that hides the row (SQLite and PostgreSQL)."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.modules import conftest as scenario
from tests.modules.conftest import HOSP1, HOSP2, USERS, add_row, flashes, login, open_window
from tests.modules.enterprise import complete_info

DEMAND = "procurement.Demand"
LIST = "/procurement/demand/list/"
REASON = "数量与上年差异过大，请核实。"
BUTTON = re.compile(r'<button[^>]*class="[^"]*\b(row-transition(?:-refused)?)"[^>]*'
                    r'data-key="(\w+)" data-pk="(\d+)"[^>]*>')
REFUSED = re.compile(r'title="([^"]*)"[^>]*><button[^>]*row-transition-refused"[^>]*'
                     r'data-key="(\w+)" data-pk="(\d+)"')


world = scenario.world  # the bundled schema's two provinces and their accounts


@pytest.fixture(scope="module")
def app(world: dict[str, Any]) -> Any:
    return world["app"]


@pytest.fixture(scope="module")
def demand(app: Any) -> Iterator[dict[str, int]]:
    """Rows of 沈阳 hospitals in every state, in a batch whose 承诺函 only hospital 1 gave, a
    province that skips the county's review (跳过区县), and a second batch whose window is
    shut; returns {name: row id}."""
    from app.hooks.models import Window, beijing_now

    b1 = add_row(app, "procurement.Batch", name="第十一批", year=2026)
    b2 = add_row(app, "procurement.Batch", name="第十二批", year=2026)
    open_window(app)
    with app.app_context():
        session = app.appbuilder.session
        now = beijing_now()
        session.add(Window(window="procurement", batch=str(b2), is_open=False,
                           opens_at=now, closes_at=now))
        session.commit()
    add_row(app, "procurement.ReviewSetting", "210000", batch_id=b1, review_mode="skip_county")
    for batch in (b1, b2):
        add_row(app, "procurement.CommitmentLetter", HOSP1, batch_id=batch,
                letter="k/letter.pdf", letter_name="承诺函.pdf")
    rows = {}
    for name, org, state, batch, planned in (
            ("pending", HOSP1, "pending", b1, None),
            ("saved", HOSP1, "saved", b1, 10),
            ("saved-empty", HOSP1, "saved", b1, None),
            ("saved-empty-2", HOSP1, "saved", b1, None),
            ("saved-shut", HOSP1, "saved", b2, 10),
            ("submitted", HOSP1, "submitted", b1, 10),
            ("county_ok", HOSP1, "county_ok", b1, 10),
            ("city_ok", HOSP1, "city_ok", b1, 10),
            ("province_ok", HOSP1, "province_ok", b1, 10),
            ("returned", HOSP1, "returned", b1, 10),
            ("no-letter", HOSP2, "saved", b1, 10),
            ("other-submitted", HOSP2, "submitted", b1, 10)):
        rows[name] = add_row(app, DEMAND, org, batch_id=batch, item_code=f"M-{name}",
                             item_name="阿托伐他汀钙片", spec="10mg", planned=planned,
                             state=state)
    yield rows


def _state(app: Any, pk: int) -> str:
    with app.app_context():
        session = app.appbuilder.session
        session.expire_all()
        return str(session.get(app.extensions["admin"].models[DEMAND], pk).state)


def _set_state(app: Any, pk: int, state: str) -> None:
    with app.app_context():
        session = app.appbuilder.session
        session.get(app.extensions["admin"].models[DEMAND], pk).state = state
        session.commit()


def _buttons(page: str) -> tuple[set[tuple[str, int]], dict[tuple[str, int], str]]:
    """({(transition, row) offered enabled}, {(transition, row): reason of a disabled one})."""
    offered = {(key, int(pk)) for kind, key, pk in BUTTON.findall(page)
               if kind == "row-transition"}
    refused = {(key, int(pk)): html.unescape(title) for title, key, pk in REFUSED.findall(page)}
    return offered, refused


def test_a_row_offers_exactly_what_posting_it_does(app: Any, demand: dict[str, int]) -> None:
    flow = app.extensions["admin"].spec.entity(DEMAND).workflow
    keys = [t.key for t in flow.transitions if t.key != "save"]  # save: the list's 保存
    ids = {pk: name for name, pk in demand.items()}
    checked = 0
    for username in USERS:
        client = login(app, username)
        page = client.get(LIST)
        seen = {int(pk) for pk in re.findall(r'name="rowid" value="(\d+)"', page.text)}
        seen &= set(ids)
        offered, refused = _buttons(page.text)
        assert not offered & set(refused)
        for pk in sorted(seen):
            for key in keys:
                before = _state(app, pk)
                response = client.post(f"/procurement/demand/transition/{key}/{pk}",
                                       data={"reason": REASON, "next": LIST})
                after = _state(app, pk)
                moved = after != before
                if moved:
                    _set_state(app, pk, before)
                assert moved == ((key, pk) in offered), (username, ids[pk], key, before)
                if (key, pk) in refused:
                    assert response.status_code == 302
                    assert refused[key, pk] in flashes(client.get(LIST).text), (
                        username, ids[pk], key)
                checked += 1
    assert checked > 100


def test_the_rules_of_the_matrix_are_the_seeds(app: Any, demand: dict[str, int]) -> None:
    """What the matrix above holds, spelled out for the rows where a rule decides."""
    offered, refused = _buttons(login(app, "ln_hosp1").get(LIST).text)
    assert ("submit", demand["saved"]) in offered
    assert ("withdraw", demand["submitted"]) in offered  # 撤回: one click and a confirmation
    assert refused["submit", demand["saved-empty"]] == "请先填写：预采购量。"
    assert "关闭" in refused["submit", demand["saved-shut"]] or "截止" in refused[
        "submit", demand["saved-shut"]]
    assert ("submit", demand["pending"]) not in offered | set(refused)  # not a source state
    other, other_refused = _buttons(login(app, "ln_hosp2").get(LIST).text)
    assert other_refused["submit", demand["no-letter"]].startswith("请先上传本批次的承诺函")
    county, _ = _buttons(login(app, "ln_county").get(LIST).text)
    assert ("county_approve", demand["submitted"]) not in county  # 跳过区县: not offered
    assert ("send_back", demand["submitted"]) in county
    city, _ = _buttons(login(app, "ln_city").get(LIST).text)
    assert ("city_approve_direct", demand["submitted"]) in city
    assert not any(pk == demand["submitted"] for _key, pk in _buttons(
        login(app, "sc_prov").get(LIST).text)[0])  # another province's row


def test_edit_and_delete_icons_only_where_the_row_allows(app: Any,
                                                         demand: dict[str, int]) -> None:
    hospital = login(app, "ln_hosp1")
    page = hospital.get(LIST).text
    for name in ("pending", "saved", "returned"):
        assert f"/procurement/demand/edit/{demand[name]}" in page, name
        assert hospital.get(f"/procurement/demand/edit/{demand[name]}").status_code == 200
    for name in ("submitted", "county_ok"):
        assert f"/procurement/demand/edit/{demand[name]}" not in page, name
        assert hospital.get(f"/procurement/demand/edit/{demand[name]}").status_code == 302
    assert "/procurement/demand/delete/" not in page  # the institution deletes nothing
    assert "/procurement/demand/edit/" not in login(app, "ln_county").get(LIST).text


def test_a_refusal_names_the_row_and_many_alike_are_one_message(app: Any,
                                                               demand: dict[str, int]) -> None:
    hospital = login(app, "ln_hosp1")
    hospital.post(f"/procurement/demand/transition/submit/{demand['saved-empty']}",
                  data={"next": LIST})
    assert "品规编号 M-saved-empty：请先填写：预采购量。" in flashes(hospital.get(LIST).text)
    # two ticked rows refused alike: one message naming them; one refused otherwise
    rows = [demand["saved-empty"], demand["saved-empty-2"], demand["county_ok"]]
    response = hospital.post("/procurement/demand/action_post",
                             data={"action": "submit", "rowid": [str(pk) for pk in rows]})
    assert response.status_code == 302
    text = flashes(hospital.get(LIST).text)
    assert ("2 条未上报：请先填写：预采购量。（品规编号 M-saved-empty、M-saved-empty-2）"
            in text), text
    assert "品规编号 M-county_ok：该记录当前为“区县级审核通过”，不能执行“上报”。" in text
    assert not re.search(r"记录 \d", text)  # no row by its internal number


def test_submit_all_says_first_what_it_will_do_and_then_what_it_did(
        app: Any, demand: dict[str, int]) -> None:
    hospital = login(app, "ln_hosp1")
    page = html.unescape(hospital.get(LIST).text)
    confirm = re.search(r'class="transition-all"[^>]*data-confirm="([^"]*)"', page)
    assert confirm is not None
    # saved, saved-empty (2), saved-shut, returned; the others are in states it leaves
    # of those, two lack 预采购量 and the second batch's window is shut: it says so first
    assert confirm.group(1).startswith("将上报 2 条；"), confirm.group(1)
    assert "2 条不能办理（请先填写：预采购量）" in confirm.group(1)
    assert "1 条未填报" in confirm.group(1) and confirm.group(1).endswith("不会上报。确定吗？")
    try:
        hospital.post("/procurement/demand/transition_all/submit")
        text = flashes(hospital.get(LIST).text)
        assert "上报：已处理 2 条记录" in text  # saved and returned
        assert "2 条未上报：请先填写：预采购量。（品规编号 M-saved-empty、M-saved-empty-2）" in text
        assert "品规编号 M-saved-shut：" in text  # the second batch's window is shut
        assert "不在可上报的状态，未处理。" in text
    finally:
        for name in ("saved", "returned"):
            _set_state(app, demand[name], "saved" if name == "saved" else "returned")


def test_after_a_return_that_hides_the_row_the_list_is_shown(app: Any,
                                                            demand: dict[str, int]) -> None:
    from tests.modules.conftest import MAKER, rows

    complete_info(app, "maker_legal", "辽宁康华制药有限公司", MAKER)
    maker = login(app, "maker_legal")
    report = {"year": "2025", "title": "2025年度药品年度报告", "production": "片剂 3 个品种",
              "quality": "质量体系运行正常", "contact": "李丽", "mobile": "13812345678"}
    assert maker.post("/annual_report/annual_report/add", data=report).status_code == 302
    [row] = rows(app, "annual_report.AnnualReport")
    maker.post(f"/annual_report/annual_report/transition/submit/{row.id}")
    regulator = login(app, "ln_reg")
    page = regulator.get("/annual_report/annual_report/list/").text
    assert f'data-key="send_back" data-pk="{row.id}"' in page  # 【退回补正】 on the row
    assert 'data-reason="1"' in page  # its dialog asks for the reason
    # from the detail page: the row is no longer the regulator's to see, so the list
    response = regulator.post(f"/annual_report/annual_report/transition/send_back/{row.id}",
                              data={"reason": REASON})
    assert response.headers["Location"].endswith("/annual_report/annual_report/list/")
    listed = regulator.get(response.headers["Location"])
    assert listed.status_code == 200 and "退回补正：已处理 1 条记录" in flashes(listed.text)
    assert regulator.get(f"/annual_report/annual_report/show/{row.id}").status_code == 404


def test_the_buttons_of_a_page_cost_the_same_statements_for_any_number_of_rows(
        app: Any, demand: dict[str, int]) -> None:
    from sqlalchemy import delete, event

    def statements(client: Any) -> int:
        seen: list[str] = []

        def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            seen.append(statement)

        with app.app_context():
            engine = app.appbuilder.session.get_bind()
        event.listen(engine, "before_cursor_execute", count)
        try:
            assert client.get(LIST).status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", count)
        return len(seen)

    hospital = login(app, "ln_hosp1")
    statements(hospital)
    before = statements(hospital)
    model = app.extensions["admin"].models[DEMAND]
    with app.app_context():
        batch = app.appbuilder.session.get(model, demand["saved"]).batch_id
    extra = [add_row(app, DEMAND, HOSP1, batch_id=batch, item_code=f"X-{i}", item_name="阿莫西林",
                     spec="0.25g", planned=5, state=state)
             for i, state in enumerate(["saved", "submitted", "returned", "pending"] * 5)]
    try:
        assert statements(hospital) == before
    finally:
        with app.app_context():
            session = app.appbuilder.session
            session.execute(delete(model).where(model.id.in_(extra)))
            session.commit()
