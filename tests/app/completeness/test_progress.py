"""填报进度 on the demo world (SQLite and PostgreSQL): as `lcb` the open batch shows the four
demo hospitals with their state, drills 辽宁省 → 沈阳市 → 和平区, exports, answers on REST; 催报
reaches the inbox of the unit's account, at most once a day; a county sees only its own
institutions; a hospital does not see the screen."""

from __future__ import annotations

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
    assert groups(html) == [["辽宁省", "2", "0", "0", "1", "0.0%", "0.0%"],
                            ["四川省", "2", "0", "0", "0", "0.0%", "0.0%"]]
    assert units(html) == {
        "沈阳市和平区第一人民医院": "未上报", "沈阳市和平区中医院": "部分上报（49/50 条）",
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
    assert [c.value for c in counts[2]] == ["辽宁省", 2, 0, 0, "0.0%", "0.0%"]
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
    assert groups(past) == [["辽宁省", "2", "2", "2", "0", "100.0%", "100.0%"],
                            ["四川省", "2", "2", "2", "0", "100.0%", "100.0%"]]
    assert "2024-12-10 09:30" in past  # 上报时间 of each unit
