"""行政审批 许可信息补录 (seed 004 §二(一)) as the 宁夏 users walk it: the enterprise back-fills
its licence inside the window (3月底), submits it complete, the approval department of its
region returns it with a reason or approves it within its time limit, 补录进度 shows who has not
finished, and every enterprise sees only its own (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest

from tests.modules.conftest import flashes, login, make_pdf, open_window, rows, set_window
from tests.modules.ningxia import MAKER, PHARMACY, SZS_FIRM, info_id, nx_world  # noqa: F401

BASE = "/approval/licence_backfill"
ENTITY = "approval.LicenceBackfill"
LICENCE = {"year": "2026", "licence_type": "drug_making", "licence_no": "宁20160001",
           "licence_scope": "片剂、硬胶囊剂、颗粒剂", "valid_from": "2021-01-01",
           "valid_until": "2025-12-31", "issuer": "宁夏回族自治区药品监督管理局",
           "issued_on": "2021-01-01"}


@pytest.fixture(scope="module")
def window(nx: Any) -> int:
    return open_window(nx, "licence_backfill")


@pytest.fixture(autouse=True)
def fresh(nx: Any, window: int) -> None:
    from sqlalchemy import delete

    from app.audit.models import AuditEntry

    set_window(nx, window, is_open=True)
    with nx.app_context():
        session = nx.appbuilder.session
        session.execute(delete(nx.extensions["admin"].models[ENTITY]))
        session.execute(delete(AuditEntry).where(AuditEntry.entity == ENTITY))
        session.commit()


def filled(app: Any, username: str = "maker", uscc: str = MAKER, **values: Any) -> int:
    """The enterprise's back-fill saved through the add form, with its licence scan."""
    data = {**LICENCE, "enterprise": str(info_id(app, uscc)),
            "attachment": (io.BytesIO(make_pdf("许可证")), "许可证.pdf"), **values}
    response = login(app, username).post(f"{BASE}/add", data=data,
                                         content_type="multipart/form-data")
    assert response.status_code == 302, flashes(response.text)[-800:]
    return int(rows(app, ENTITY)[-1].id)


def submitted(app: Any) -> int:
    pk = filled(app)
    response = login(app, "maker").post(f"/api/v1/licence_backfill/{pk}/transition/submit",
                                        json={})
    assert response.status_code == 200, response.json
    return pk


def test_an_incomplete_back_fill_cannot_be_submitted(nx: Any) -> None:
    pk = filled(nx, licence_scope="", attachment=(io.BytesIO(b""), ""))
    maker = login(nx, "maker")
    refused = maker.post(f"/api/v1/licence_backfill/{pk}/transition/submit", json={})
    assert refused.status_code in (409, 422)
    text = str(refused.json)
    assert "许可范围" in text and "许可证扫描件" in text
    assert rows(nx, ENTITY)[0].state == "draft"


def test_drafts_are_the_enterprise_s_own(nx: Any) -> None:
    pk = filled(nx)
    assert "宁20160001" not in login(nx, "nx_county").get(f"{BASE}/list/").text
    assert login(nx, "nx_county").get(f"{BASE}/show/{pk}").status_code == 404
    for other in ("pharmacy", "szs_firm"):
        client = login(nx, other)
        assert "宁20160001" not in client.get(f"{BASE}/list/").text
        assert client.get(f"/api/v1/licence_backfill/{pk}").status_code == 404
        assert client.post(f"/api/v1/licence_backfill/{pk}/transition/submit",
                           json={}).status_code == 404


def test_the_region_reviews_returns_with_a_reason_and_approves(nx: Any) -> None:
    from generator.working_days import due_date

    pk = submitted(nx)
    county = login(nx, "nx_county")
    shown = county.get(f"/api/v1/licence_backfill/{pk}").json["result"]
    assert shown["state_due"] == due_date(dt.date.today(), 20, "working").isoformat()
    assert "许可信息补录" in county.get("/").text  # the 工作台 待办
    assert "宁20160001" in county.get(f"{BASE}/list/?todo=1").text
    # another city's department does not see it at all
    szs = login(nx, "szs_county")
    assert szs.get(f"/api/v1/licence_backfill/{pk}").status_code == 404
    assert szs.post(f"/api/v1/licence_backfill/{pk}/transition/approve",
                    json={}).status_code == 404
    # the enterprise cannot approve its own
    assert login(nx, "maker").post(f"/api/v1/licence_backfill/{pk}/transition/approve",
                                   json={}).status_code == 403
    assert county.post(f"/api/v1/licence_backfill/{pk}/transition/send_back",
                       json={}).status_code in (409, 422)  # a reason is needed
    back = county.post(f"{BASE}/transition/send_back/{pk}",
                       data={"reason": "有效期与许可证正本不一致"})
    assert back.status_code == 302
    assert rows(nx, ENTITY)[0].state == "returned"
    maker = login(nx, "maker")
    page = flashes(maker.get(f"{BASE}/show/{pk}").text)
    assert "退回补正" in page and "有效期与许可证正本不一致" in page
    inbox = flashes(maker.get("/messages/").text)
    assert "被冯" in inbox or "退回补正，原因：有效期与许可证正本不一致" in inbox
    edited = maker.put(f"/api/v1/licence_backfill/{pk}", json={"valid_until": "2030-12-31"})
    assert edited.status_code == 200, edited.json
    assert maker.post(f"/api/v1/licence_backfill/{pk}/transition/submit",
                      json={}).status_code == 200
    assert "有效期至" in flashes(county.get(f"{BASE}/show/{pk}").text)  # 补正历史
    assert county.post(f"/api/v1/licence_backfill/{pk}/transition/approve",
                       json={}).status_code == 200
    row = rows(nx, ENTITY)[0]
    assert (row.state, str(row.valid_until)) == ("approved", "2030-12-31")
    assert maker.put(f"/api/v1/licence_backfill/{pk}", json={"note": "改"}).status_code == 409


def test_the_window_closes_the_back_fill_at_the_end_of_march(nx: Any, window: int) -> None:
    pk = filled(nx)
    set_window(nx, window, is_open=False)
    maker = login(nx, "maker")
    refused = maker.post(f"/api/v1/licence_backfill/{pk}/transition/submit", json={})
    assert refused.status_code in (403, 409, 422) and "上报" in str(refused.json)
    assert maker.put(f"/api/v1/licence_backfill/{pk}", json={"note": "晚了"}).status_code in (
        403, 409, 422)
    assert rows(nx, ENTITY)[0].state == "draft"


def test_progress_shows_who_has_not_finished(nx: Any) -> None:
    submitted(nx)
    page = "/approval/licence_backfill/completeness/"
    province = login(nx, "nx_reg")
    body = province.get("/api/v1/licence_backfill/completeness?_period=2026").json
    text = str(body)
    assert "银川市" in text and "石嘴山市" in text
    units = province.get("/api/v1/licence_backfill/completeness?_period=2026&region=640104"
                         "&unfiled=1").json
    assert [u["name"] for u in units["units"]] == ["银川市兴庆区康民大药房"]
    assert [(g["name"], g["filed"]) for g in units["groups"]] == [
        ("宁夏塞上康源制药有限公司", 1), ("银川市兴庆区康民大药房", 0)]
    html = flashes(login(nx, "nx_county").get(page).text)
    assert "许可信息补录进度" in html and "康民大药房" in html
    assert login(nx, "szs_county").get(f"{page}?region=640104").status_code == 400
    assert login(nx, "maker").get(page).status_code in (302, 403)
    _ = (PHARMACY, SZS_FIRM)
