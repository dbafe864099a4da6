"""Workflow guards and helpers: 上报 needs the 承诺函 (`needs`), 全部上报 (`all`), the review log
(`log_field`) written by transitions only (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import html
import re
import threading
from typing import Any

import pytest

from tests.app.list_edit_world import (
    ACTION,
    DEMAND,
    HOSPITAL,
    LIST,
    OTHER_HOSPITAL,
    build_world,
    demand,
    dispose,
    login,
    make_demand,
    make_letter,
)

LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d (\S+)（(\S+)）(\S+?)(?:：(.*))?$")
SUBMIT_ALL = "/procurement/demand/transition_all/submit"


@pytest.fixture(scope="module")
def app(database_url: str, tmp_path_factory: Any) -> Any:
    application = build_world(database_url, tmp_path_factory.mktemp("files"))
    yield application
    dispose(application)


def clear_letters(app: Any) -> None:
    with app.app_context():
        session = app.appbuilder.session
        session.query(app.extensions["admin"].models["procurement.CommitmentLetter"]).delete()
        session.commit()


def submit(client: Any, pk: int) -> str:
    """Fire 上报 from the detail page; the page it leads back to."""
    response = client.post(f"/procurement/demand/transition/submit/{pk}")
    assert response.status_code == 302
    return html.unescape(client.get(response.headers["Location"]).text)


def test_submit_needs_the_commitment_letter_of_the_same_unit_and_batch(app: Any) -> None:
    clear_letters(app)
    pk = make_demand(app, "N-1", state="saved", planned=3)
    client = login(app, "hosp")
    assert "请先上传承诺函。" in submit(client, pk)
    assert demand(app, pk).state == "saved"
    make_letter(app, filled=False)  # a letter row without the file
    make_letter(app, batch="第二批")  # the letter of another batch
    make_letter(app, org=OTHER_HOSPITAL)  # another hospital's letter
    assert "请先上传承诺函。" in submit(client, pk)
    response = client.post(f"/api/v1/demand/{pk}/transition/submit", json={})
    assert response.status_code == 409 and response.json["message"] == "请先上传承诺函。"
    english = client.post(f"/api/v1/demand/{pk}/transition/submit?_l_=en", json={})
    assert english.json["message"] == "Upload the commitment letter first."
    assert demand(app, pk).state == "saved"
    make_letter(app)
    assert "上报：已处理 1 条记录" in submit(client, pk)
    assert demand(app, pk).state == "submitted"


def test_submit_all_fires_on_every_reachable_row_in_a_source_state(app: Any) -> None:
    clear_letters(app)
    make_letter(app)
    make_letter(app, org=OTHER_HOSPITAL)
    with app.app_context():  # a clean slate: only this test's rows
        session = app.appbuilder.session
        session.query(app.extensions["admin"].models[DEMAND]).update({"state": "submitted"})
        session.commit()
    saved = [make_demand(app, f"A-{i}", state="saved", planned=1) for i in range(3)]
    returned = make_demand(app, "A-R", state="returned", planned=1)
    pending = make_demand(app, "A-P")
    no_letter = make_demand(app, "A-2", state="saved", batch="第二批", planned=1)
    theirs = make_demand(app, "A-B", state="saved", org=OTHER_HOSPITAL, planned=1)
    client = login(app, "hosp")
    assert "全部上报" in client.get(LIST).text and SUBMIT_ALL in client.get(LIST).text
    response = client.post(SUBMIT_ALL)
    assert response.status_code == 302 and response.headers["Location"].startswith(LIST)
    page = html.unescape(client.get(LIST).text)
    assert "上报：已处理 4 条记录" in page
    assert "品规编号 A-2：请先上传承诺函。" in page  # the row by its display field
    # what 全部上报 left alone, and why (A-P; the rows submitted before are named too)
    assert re.search(r"(?<!\d)1 条未填报[^。]*，不在可上报的状态，未处理。", page)
    assert [demand(app, pk).state for pk in saved + [returned]] == ["submitted"] * 4
    assert demand(app, pending).state == "pending"
    assert demand(app, no_letter).state == "saved"
    other = demand(app, theirs)
    assert (other.state, other.row_version, other.review_log) == ("saved", 1, None)
    again = client.post(SUBMIT_ALL)
    assert "当前没有可执行“上报”的记录" not in html.unescape(client.get(LIST).text)
    assert again.status_code == 302  # A-2 is still there, refused again
    assert demand(app, no_letter).state == "saved"


def test_submit_all_is_for_those_who_may_submit(app: Any) -> None:
    county = login(app, "gl")
    assert "全部上报" not in county.get(LIST).text
    assert county.post(SUBMIT_ALL).status_code == 403
    hosp = login(app, "hosp")
    assert hosp.post("/procurement/demand/transition_all/withdraw").status_code == 404
    assert hosp.post("/procurement/demand/transition_all/nothing").status_code == 404
    assert hosp.get(SUBMIT_ALL).status_code == 405  # never on GET


def test_the_review_log_gets_one_line_per_transition(app: Any) -> None:
    clear_letters(app)
    make_letter(app)
    pk = make_demand(app, "G-1")
    hosp, county = login(app, "hosp"), login(app, "gl")
    hosp.post("/procurement/demand/action_post", data={
        "action": "list_edit", "rowid": [str(pk)], f"edit-{pk}-planned": "9"})
    submit(hosp, pk)
    reason = "预采购量偏高，\n请核实"
    response = county.post(f"/procurement/demand/transition/send_back/{pk}",
                           data={"reason": reason})
    assert response.status_code == 302
    lines = demand(app, pk).review_log.split("\n")
    parsed = [LINE.match(line).groups() for line in lines]  # type: ignore[union-attr]
    assert parsed == [("hosp", "福州甲医院", "保存", None),
                      ("hosp", "福州甲医院", "上报", None),
                      ("gl", "鼓楼区", "退回补正", "预采购量偏高， 请核实")]
    page = county.get(f"/procurement/demand/show/{pk}").text
    assert "保存<br>" in page and "上报<br>" in page
    listed = hosp.get(LIST).text
    assert "退回补正：预采购量偏高， 请核实" in listed
    refused = county.post(f"/procurement/demand/transition/send_back/{pk}",
                          data={"reason": "再退"})  # already returned: nothing appended
    assert refused.status_code == 302 and len(demand(app, pk).review_log.split("\n")) == 3


def test_the_log_is_escaped(app: Any) -> None:
    make_letter(app)
    pk = make_demand(app, "G-2", state="submitted", planned=1)
    login(app, "gl").post(f"/procurement/demand/transition/send_back/{pk}",
                          data={"reason": "<b>x</b>"})
    page = login(app, "hosp").get(f"/procurement/demand/show/{pk}").text
    assert "&lt;b&gt;x&lt;/b&gt;" in page and "<b>x</b>" not in page


def test_concurrent_reviewers_append_one_line(app: Any) -> None:
    pk = make_demand(app, "G-3", state="submitted", planned=1)
    clients = [login(app, "gl") for _ in range(2)]
    barrier = threading.Barrier(2)
    codes: list[int] = []

    def send_back(client: Any) -> None:
        barrier.wait()
        codes.append(client.post(f"/api/v1/demand/{pk}/transition/send_back",
                                 json={"reason": "请核实"}).status_code)

    threads = [threading.Thread(target=send_back, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(codes) == [200, 409]
    assert demand(app, pk).review_log.count("\n") == 0


def test_the_log_cannot_be_written_by_a_form_the_api_or_an_import(app: Any) -> None:
    pk = make_demand(app, "G-4", planned=2)
    client = login(app, "hosp")
    with app.app_context():
        batch = app.extensions["admin"].models["procurement.Batch"]
        batch_id = app.appbuilder.session.query(batch).filter_by(name="第一批").one().id
    form = client.post(f"/procurement/demand/edit/{pk}", data={
        "batch": str(batch_id), "item_code": "G-4", "planned": "3",
        "review_log": "伪造的审核记录"})
    assert form.status_code == 302
    row = demand(app, pk)
    assert row.planned == 3 and row.review_log is None
    assert 'name="review_log"' not in client.get(f"/procurement/demand/edit/{pk}").text
    put = client.put(f"/api/v1/demand/{pk}", json={"review_log": "伪造"})
    assert put.status_code == 422 and "review_log" in put.json["message"]
    post = client.post("/api/v1/demand/", json={"batch": batch_id, "item_code": "G-5",
                                                "review_log": "伪造"})
    assert post.status_code == 422
    assert demand(app, pk).review_log is None
    info = client.get("/api/v1/demand/_info").json
    assert "review_log" not in {f["name"] for f in info["edit_columns"]}
    with app.app_context():
        from app.io.columns import columns

        entity = app.extensions["admin"].spec.entity(DEMAND)
        assert "review_log" not in [c.key for c in columns(entity, for_import=True)]


def make_saved_rows(app: Any, count: int, prefix: str) -> list[int]:
    """`count` saved rows of 福州甲医院, alternately of the first and the second batch."""
    from app.security.models import Organisation

    with app.app_context():
        session = app.appbuilder.session
        models = app.extensions["admin"].models
        org = session.query(Organisation).filter_by(code=HOSPITAL).one()
        batches = session.query(models["procurement.Batch"]).order_by("id").all()
        rows = [models[DEMAND](item_code=f"{prefix}-{i}", state="saved", planned=1, org=org,
                               batch=batches[i % 2]) for i in range(count)]
        session.add_all(rows)
        session.commit()
        return [row.id for row in rows]


def only_these_rows_to_submit(app: Any) -> None:
    clear_letters(app)
    make_letter(app)
    make_letter(app, batch="第二批")
    with app.app_context():
        session = app.appbuilder.session
        session.query(app.extensions["admin"].models[DEMAND]).update({"state": "submitted"})
        session.commit()


def test_submit_all_costs_a_bounded_number_of_statements_per_row(app: Any) -> None:
    """The reporting window, the letters and the rows are looked up once, not per row."""
    from sqlalchemy import event

    only_these_rows_to_submit(app)
    ids = make_saved_rows(app, 50, "C")
    client = login(app, "hosp")
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    with app.app_context():
        engine = app.appbuilder.session.get_bind()
    event.listen(engine, "before_cursor_execute", count)
    try:
        response = client.post(SUBMIT_ALL)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert response.status_code == 302
    assert [demand(app, pk).state for pk in ids] == ["submitted"] * 50
    windows = [s for s in statements if "hook_window" in s]
    assert len(windows) == 4, windows  # window and extension, once per batch
    assert len(statements) <= 2 * 50 + 20, "\n".join(s[:80] for s in statements)


def test_each_batch_keeps_its_own_window_within_one_submit_all(app: Any) -> None:
    """Looking the window up once per batch does not lend one batch's window to another."""
    from app.hooks.models import Window, beijing_now

    only_these_rows_to_submit(app)
    ids = make_saved_rows(app, 6, "W")
    with app.app_context():
        session = app.appbuilder.session
        second = session.query(app.extensions["admin"].models["procurement.Batch"]).filter_by(
            name="第二批").one()
        now = beijing_now()
        session.add(Window(window="procurement_batch", batch=str(second.id), is_open=False,
                           opens_at=now - dt.timedelta(days=1),
                           closes_at=now + dt.timedelta(days=1)))
        session.commit()
    try:
        client = login(app, "hosp")
        assert client.post(SUBMIT_ALL).status_code == 302
        page = html.unescape(client.get(LIST).text)
    finally:
        with app.app_context():
            session = app.appbuilder.session
            session.query(Window).filter(Window.batch.is_not(None)).delete()
            session.commit()
    assert [demand(app, pk).state for pk in ids] == ["submitted", "saved"] * 3
    assert "上报：已处理 3 条记录" in page
    # the three refusals alike are one message naming the rows
    closed = re.search(r"3 条未上报：上报已关闭[^（]*（([^）]*)）", page)
    assert closed is not None, page
    assert closed.group(1) == "品规编号 W-1、W-3、W-5"


def test_list_actions_answer_404_for_unknown_ones_and_skip_missing_rows(app: Any) -> None:
    mine = make_demand(app, "X-1", state="submitted", planned=1)
    theirs = make_demand(app, "X-2", state="submitted", org=OTHER_HOSPITAL, planned=1)
    hosp = login(app, "hosp")
    assert hosp.post(ACTION, data={"action": "nope", "rowid": [str(mine)]}).status_code == 404
    assert hosp.post(ACTION, data={"rowid": [str(mine)]}).status_code == 404
    assert hosp.get(f"/procurement/demand/action/nope/{mine}").status_code == 404
    # a batch transition: rows missing or out of range are reported like engine.fire does
    response = hosp.post(ACTION, data={"action": "withdraw",
                                       "rowid": [str(mine), str(theirs), "999999", "abc"]})
    assert response.status_code == 302
    page = html.unescape(hosp.get(LIST).text)
    assert "撤回：已处理 1 条记录" in page
    assert f"2 条未撤回：记录不存在。（记录 {theirs}、999999）" in page
    assert demand(app, mine).state == "saved"
    other = demand(app, theirs)
    assert (other.state, other.row_version) == ("submitted", 1)
    # list editing skips them too
    response = hosp.post(ACTION, data={"action": "list_edit", "rowid": ["999999", str(mine)],
                                       f"edit-{mine}-planned": "8"})
    assert response.status_code == 302 and demand(app, mine).planned == 8
    assert "记录 999999：记录不存在" in html.unescape(hosp.get(LIST).text)
    # a known action the user may not run is refused as FAB refuses it
    county = login(app, "gl")
    response = county.post(ACTION, data={"action": "withdraw", "rowid": [str(theirs)]})
    assert response.status_code == 302 and demand(app, theirs).state == "submitted"
    assert "访问被拒绝" in county.get(LIST).text
