"""列表填报: values typed into the list, saved for the selected rows, all or nothing
(SQLite and PostgreSQL)."""

from __future__ import annotations

import html
from typing import Any

import pytest

from tests.app.list_edit_world import (
    ACTION,
    LIST,
    OTHER_HOSPITAL,
    build_world,
    demand,
    dispose,
    login,
    make_demand,
)


@pytest.fixture(scope="module")
def app(database_url: str, tmp_path_factory: Any) -> Any:
    application = build_world(database_url, tmp_path_factory.mktemp("files"))
    yield application
    dispose(application)


def save(client: Any, rows: list[int], values: dict[str, str], query: str = "") -> Any:
    return client.post(ACTION + query, data={"action": "list_edit",
                                             "rowid": [str(pk) for pk in rows], **values})


def test_inputs_only_on_editable_rows(app: Any) -> None:
    pending = make_demand(app, "E-1")
    returned = make_demand(app, "E-2", state="returned")
    submitted = make_demand(app, "E-3", state="submitted", planned=4)
    other = make_demand(app, "E-4", org=OTHER_HOSPITAL)
    page = login(app, "hosp").get(LIST + "?psize_DemandView=100").text
    for pk in (pending, returned):
        assert f'name="edit-{pk}-planned"' in page and f'name="edit-{pk}-change_note"' in page
        assert f'<select form="action_form" name="edit-{pk}-kind"' in page
    assert f'name="edit-{submitted}-planned"' not in page  # 已上报: shown, not editable
    assert f'name="edit-{other}-' not in page and f'value="{other}"' not in page
    assert 'type="number"' in page and "中成药" in page and "保存" in page
    county = login(app, "gl").get(LIST + "?psize_DemandView=100").text
    assert "E-1" in county and 'name="edit-' not in county  # no can_edit


def test_saving_two_rows_writes_both_and_moves_pending_to_saved(app: Any) -> None:
    first, second = make_demand(app, "S-1"), make_demand(app, "S-2")
    returned = make_demand(app, "S-3", state="returned", planned=1)
    versions = {pk: demand(app, pk).row_version for pk in (first, second, returned)}
    client = login(app, "hosp")
    response = save(client, [first, second, returned], {
        f"edit-{first}-planned": "12", f"edit-{first}-change_note": " 新增科室 ",
        f"edit-{first}-kind": "chinese", f"edit-{second}-planned": "0",
        f"edit-{returned}-planned": "3"})
    assert response.status_code == 302, response.text[:2000]
    rows = {pk: demand(app, pk) for pk in (first, second, returned)}
    assert (rows[first].planned, rows[first].change_note, rows[first].kind) == (
        12, "新增科室", "chinese")
    assert rows[second].planned == 0 and rows[returned].planned == 3
    assert rows[first].state == rows[second].state == "saved"
    assert rows[returned].state == "returned"  # 退回补正 keeps its state
    assert all(rows[pk].row_version > versions[pk] for pk in rows)
    assert rows[first].review_log.endswith("hosp（福州甲医院）保存")
    with app.app_context():
        from sqlalchemy import select

        from app.audit.models import AuditEntry

        edits = app.appbuilder.session.execute(select(AuditEntry).where(
            AuditEntry.action == "edit", AuditEntry.record_id == first,
            AuditEntry.entity == "procurement.Demand")).scalars().all()
    assert len(edits) == 1 and '"planned": [null, 12]' in edits[0].changes
    assert edits[0].username == "hosp"
    assert "已保存 3 条记录" in client.get(response.headers["Location"]).text


def test_one_bad_value_saves_nothing_and_keeps_what_was_typed(app: Any) -> None:
    good, bad, wrong = make_demand(app, "B-1"), make_demand(app, "B-2"), make_demand(app, "B-3")
    response = save(login(app, "hosp"), [good, bad, wrong], {
        f"edit-{good}-planned": "8", f"edit-{good}-change_note": "本次新增",
        f"edit-{bad}-planned": "-5", f"edit-{wrong}-planned": "十二",
        f"edit-{wrong}-change_note": "x" * 201})
    assert response.status_code == 200
    page = html.unescape(response.text)
    assert "“B-2”的预采购量：不能小于 0" in page
    assert "“B-3”的预采购量：必须是整数" in page
    assert "“B-3”的变化说明：最多 200 个字符" in page
    assert "未保存任何记录" in page
    for typed in ('value="8"', 'value="本次新增"', 'value="-5"', 'value="十二"'):
        assert typed in page
    assert f'value="{good}" type="checkbox" checked' in page  # the selection stays too
    for pk in (good, bad, wrong):
        row = demand(app, pk)
        assert (row.state, row.planned, row.change_note, row.row_version) == (
            "pending", None, None, 1)


def test_required_if_and_enum_rules_of_the_edit_form_apply(app: Any) -> None:
    pk = make_demand(app, "R-1")
    response = save(login(app, "hosp"), [pk], {f"edit-{pk}-kind": "herbal"})
    assert response.status_code == 200
    assert "“R-1”的类别：" in html.unescape(response.text)
    assert demand(app, pk).kind is None


def test_a_row_outside_the_scope_is_not_touched(app: Any) -> None:
    mine = make_demand(app, "O-1")
    theirs = make_demand(app, "O-2", org=OTHER_HOSPITAL)
    client = login(app, "hosp")
    response = save(client, [mine, theirs], {
        f"edit-{mine}-planned": "5", f"edit-{theirs}-planned": "99"})
    assert response.status_code == 302
    assert demand(app, mine).planned == 5
    row = demand(app, theirs)
    assert (row.planned, row.state, row.row_version, row.review_log) == (
        None, "pending", 1, None)
    assert f"记录 {theirs}：记录不存在" in client.get(LIST).text


def test_locked_rows_and_the_county_are_refused(app: Any) -> None:
    locked = make_demand(app, "L-1", state="submitted", planned=4)
    response = save(login(app, "hosp"), [locked], {f"edit-{locked}-planned": "40"})
    assert response.status_code == 302 and demand(app, locked).planned == 4
    pk = make_demand(app, "L-2")
    response = save(login(app, "gl"), [pk], {f"edit-{pk}-planned": "40"})
    assert demand(app, pk).planned is None  # no can_edit: FAB refuses the action
    assert response.status_code == 302


def test_outside_the_reporting_window_nothing_is_saved(app: Any) -> None:
    from app.hooks.models import Window

    pk = make_demand(app, "W-1")
    with app.app_context():
        session = app.appbuilder.session
        session.query(Window).update({"is_open": False})
        session.commit()
    try:
        response = save(login(app, "hosp"), [pk], {f"edit-{pk}-planned": "6"})
        assert response.status_code == 200 and "上报已关闭" in response.text
        assert 'value="6"' in response.text
    finally:
        with app.app_context():
            session = app.appbuilder.session
            session.query(Window).update({"is_open": True})
            session.commit()
    assert demand(app, pk).planned is None


def test_a_refused_save_keeps_the_page_of_the_list(app: Any) -> None:
    pk = make_demand(app, "P-1")
    client = login(app, "hosp")
    query = "?psize_DemandView=5&page_DemandView=0"
    response = save(client, [pk], {f"edit-{pk}-planned": "-1"}, query)
    assert response.status_code == 200 and "psize_DemandView=5" in response.text
    follow = client.get(ACTION + query)  # a page link of the list shown again
    assert follow.status_code == 302 and follow.headers["Location"].startswith(LIST)


def test_the_reporting_window_is_looked_up_once_per_save(app: Any) -> None:
    """Saving 20 rows (then moving them to 已保存) asks for the window once each, not per row."""
    from sqlalchemy import event

    rows = [make_demand(app, f"Q-{i}") for i in range(20)]
    client = login(app, "hosp")
    windows: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "hook_window" in statement:
            windows.append(statement)

    with app.app_context():
        engine = app.appbuilder.session.get_bind()
    event.listen(engine, "before_cursor_execute", count)
    try:
        response = save(client, rows, {f"edit-{pk}-planned": "7" for pk in rows})
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert response.status_code == 302
    assert all((demand(app, pk).planned, demand(app, pk).state) == (7, "saved") for pk in rows)
    assert len(windows) == 4, windows  # window and extension: for the save, for 保存
