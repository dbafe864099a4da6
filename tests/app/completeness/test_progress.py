"""填报进度 on the demo world (SQLite and PostgreSQL): as `lcb` the open batch shows the four
demo hospitals with their state, drills 辽宁省 → 沈阳市 → 和平区, exports, answers on REST; 催报
reaches the inbox of the unit's account, at most once a day; a county sees only its own
institutions; a hospital does not see the screen."""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import Any

import pytest
from openpyxl import load_workbook

from app.demo.data import OPEN_BATCH, PAST_BATCH
from tests.app.messages.test_inbox import messages_of, unread_badge
from tests.app.test_workbench import sign_in
from tests.conftest import dispose
from tests.demo_world import demo_app

PAGE = "/procurement/demand/completeness/"
ANNUAL = "/annual_report/annual_report/completeness/"


@pytest.fixture(scope="module")
def demo(database_url: str, tmp_path_factory: Any) -> Any:
    app = demo_app(database_url, tmp_path_factory.mktemp("files"),
                   ADMIN_PASSWORD_POLICY={"captcha": False})
    yield app
    dispose(app)


def groups(html: str) -> list[list[str]]:
    """The rows of the counts table: name, expected, filed, on time, partly, rates."""
    body = html.split('completeness-table">', 1)[1].split("</tbody>", 1)[0]
    rows = re.findall(r"<tr data-key=[^>]*>(.*?)</tr>", body, re.S)
    return [[re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", r,
                                                                    re.S)] for r in rows]


def units(html: str) -> dict[str, str]:
    """unit name -> its state, from the units table."""
    body = html.split('completeness-units">', 1)[1].split("</tbody>", 1)[0]
    out = {}
    for row in re.findall(r"<tr data-unit=[^>]*>(.*?)</tr>", body, re.S):
        cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>",
                                                                      row, re.S)]
        out[cells[1]] = cells[3]
    return out


def test_lcb_sees_the_four_hospitals_and_drills_to_the_county(demo: Any) -> None:
    client = sign_in(demo, "lcb")
    page = client.get(PAGE)
    assert page.status_code == 200
    html = page.text
    assert "填报进度" in html and f">{OPEN_BATCH}</option>" in html
    # 沈阳市和平区中医院 has 49 rows reported and one returned by the county: 退回修改
    assert groups(html) == [["辽宁省", "2", "0", "0", "0", "1", "0.0%", "0.0%"],
                            ["四川省", "2", "0", "0", "0", "0", "0.0%", "0.0%"]]
    assert units(html) == {
        "沈阳市和平区第一人民医院": "未上报", "沈阳市和平区中医院": "退回修改（1/50 条）",
        "成都市锦江区第一人民医院": "未上报", "成都市锦江区中医医院": "未上报"}
    batch = re.search(r'<option value="(\d+)" selected>', html).group(1)  # type: ignore[union-attr]
    city = client.get(f"{PAGE}?_period={batch}&region=210000").text
    assert [g[0] for g in groups(city)] == ["沈阳市"]
    county = client.get(f"{PAGE}?_period={batch}&region=210100").text
    assert [g[0] for g in groups(county)] == ["和平区"]
    unit_level = client.get(f"{PAGE}?_period={batch}&region=210102").text
    assert [g[0] for g in groups(unit_level)] == ["沈阳市和平区第一人民医院", "沈阳市和平区中医院"]
    assert "沈阳市 </a>" not in unit_level and ">和平区</li>" in unit_level  # the crumbs
    assert set(units(unit_level)) == {"沈阳市和平区第一人民医院", "沈阳市和平区中医院"}
    # the export holds the same counts and the units with their contacts
    book = load_workbook(io.BytesIO(client.get(f"{PAGE}export?_period={batch}").data))
    counts, listing = book.worksheets
    assert [c.value for c in counts[2]] == ["辽宁省", 2, 0, 0, "0.0%", "0.0%", 1]
    assert [c.value for c in counts[4]][:3] == ["合计", 4, 0]
    rows = {r[0].value: r for r in listing.iter_rows(min_row=2)}
    assert rows["成都市锦江区中医医院"][3].value == "未上报"
    assert "谢娟（sc_hospital2@demo.local）" in rows["成都市锦江区中医医院"][6].value
    # REST: the same, as JSON
    body = client.get(f"/api/v1/demand/completeness?_period={batch}&region=510000").json
    assert [(g["name"], g["expected"], g["filed"]) for g in body["groups"]] == [("成都市", 2, 0)]
    assert body["total"]["rate"] == 0


def test_a_county_sees_its_own_institutions_and_a_hospital_none(demo: Any) -> None:
    county = sign_in(demo, "sc_county")
    html = county.get(PAGE).text
    assert set(units(html)) == {"成都市锦江区第一人民医院", "成都市锦江区中医医院"}
    assert county.get(f"{PAGE}?region=210000").status_code == 400
    assert sign_in(demo, "sc_hospital2").get(PAGE).status_code in (302, 403)


def test_remind_reaches_the_inbox_once_a_day(demo: Any) -> None:
    from app.security.models import Organisation

    with demo.app_context():
        unit = demo.appbuilder.session.query(Organisation).filter_by(
            name="成都市锦江区中医医院").one()
        unit_id = unit.id
    client = sign_in(demo, "lcb")
    html = client.get(PAGE).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]
    done = client.post(f"{PAGE}remind", data={"csrf_token": token, "unit": str(unit_id)},
                       follow_redirects=True)
    assert "已向 1 个单位发送催报消息。" in done.text
    told = [m for m in messages_of(demo, "sc_hospital2") if m.kind == "reminder"]
    assert [m.title for m in told] == ["催报提醒：采购需求"]
    assert told[0].body == f"周建民（全国）催报：请尽快完成{OPEN_BATCH}的采购需求填报并上报。"
    assert messages_of(demo, "sc_hospital1") == []
    # the hospital sees it on its next page, and the link opens its list of that batch
    hospital = sign_in(demo, "sc_hospital2")
    assert unread_badge(hospital.get("/").text) == 1
    opened = hospital.get(f"/messages/{told[0].id}")
    batch = re.search(r'<option value="(\d+)" selected>', html).group(1)  # type: ignore[union-attr]
    assert opened.headers["Location"] == f"/procurement/demand/list/?_flt_0_batch={batch}"
    listed = hospital.get(opened.headers["Location"]).text
    assert ">11-001<" in listed and ">10-001<" not in listed  # item codes: 第十一批, 第十批
    # once a day
    again = client.post(f"{PAGE}remind", data={"csrf_token": token, "unit": str(unit_id)},
                        follow_redirects=True)
    assert "1 个单位今天已催报过" in again.text
    assert len([m for m in messages_of(demo, "sc_hospital2") if m.kind == "reminder"]) == 1


def test_the_past_batch_was_filed_on_time_by_all_four(demo: Any) -> None:
    client = sign_in(demo, "lcb")
    html = client.get(PAGE).text
    batch = re.search(rf'<option value="(\d+)"[^>]*>{PAST_BATCH}</option>', html
                      ).group(1)  # type: ignore[union-attr]
    past = client.get(f"{PAGE}?_period={batch}").text
    assert groups(past) == [["辽宁省", "2", "2", "2", "0", "0", "100.0%", "100.0%"],
                            ["四川省", "2", "2", "2", "0", "0", "100.0%", "100.0%"]]
    assert "2024-12-10 09:30" in past  # 上报时间 of each unit


def test_a_returned_annual_report_is_shown_returned_and_overdue_units_get_an_overdue_reminder(
        demo: Any) -> None:
    """The 2025 report of 沈阳海纳医药有限公司 was submitted, then returned: 退回补正, counted
    neither filed nor partly filed. Its due (30 April 2026) has passed, so 催报 is offered as
    逾期催报 and its message says the filing is overdue."""
    client = sign_in(demo, "nmpa")
    html = client.get(ANNUAL).text
    assert ">2025</option>" in html
    # 北京 and 宁夏 hold enterprises of the demo that filed nothing
    assert groups(html) == [["北京市", "1", "0", "0", "0", "0", "0.0%", "0.0%"],
                            ["辽宁省", "2", "0", "0", "0", "1", "0.0%", "0.0%"],
                            ["四川省", "2", "1", "0", "0", "0", "50.0%", "0.0%"],
                            ["宁夏回族自治区", "3", "0", "0", "0", "0", "0.0%", "0.0%"]]
    assert units(html)["沈阳海纳医药有限公司"] == "退回补正"
    assert units(html)["辽宁康瑞制药有限公司"] == "未上报"
    assert "逾期催报所选单位" in html and "全部逾期催报（所有逾期未报单位）" in html
    assert "催报所选单位</button>" not in html.replace("逾期催报所选单位", "")
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]
    done = client.post(f"{ANNUAL}remind", data={"csrf_token": token, "all": "1"},
                       follow_redirects=True)
    assert "已向 7 个单位发送逾期催报消息。" in done.text
    told = [m for m in messages_of(demo, "ln_import") if m.kind == "reminder"]
    assert [m.title for m in told] == ["逾期催报：年度报告采集"]
    assert told[0].body == ("李国华（全国）催报：请尽快提交2025年度报告。"
                            "（上报截止时间 2026-04-30 23:59 已过，已逾期。）")


def test_no_reminder_once_the_reporting_window_has_closed(demo: Any) -> None:
    """After a batch's window closes no hospital can report: 催报 is not offered, and a post
    is refused with the reason."""
    from app.hooks.models import Window

    client = sign_in(demo, "lcb")
    html = client.get(PAGE).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]
    with demo.app_context():
        session = demo.appbuilder.session
        windows = session.query(Window).filter(Window.window == "procurement").all()
        kept = [(w.id, w.opens_at, w.closes_at) for w in windows]
        for w in windows:
            w.opens_at = dt.datetime(2026, 1, 1, 8, 0)
            w.closes_at = dt.datetime(2026, 1, 31, 18, 0)
        session.commit()
    try:
        closed = client.get(PAGE).text
        assert "completeness-remind-all" not in closed and 'name="unit"' not in closed
        assert "上报已于 2026-01-31 18:00 截止，单位已无法上报，不再催报。" in closed
        refused = client.post(f"{PAGE}remind", data={"csrf_token": token, "all": "1"},
                              follow_redirects=True)
        assert "上报已于 2026-01-31 18:00 截止" in refused.text
        assert "发送催报消息" not in refused.text
    finally:
        with demo.app_context():
            session = demo.appbuilder.session
            for id_, opens, closes in kept:
                w = session.get(Window, id_)
                w.opens_at, w.closes_at = opens, closes
            session.commit()
