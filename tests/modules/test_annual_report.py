"""药品年度报告 (seed 000 §6) as the seed walks it: the enterprise completes its information
first, fills and submits one report a year; the provincial regulator sees its region, returns
a report for correction with a reason (it disappears from the regulators' lists), the
enterprise corrects and resubmits, and 补正历史 shows what changed; the NMPA sees all.

Each test stands alone: `fresh` clears the reports, bindings and 企业信息 (and their audit
trail) before it, and a test reaches its step with `informed`, `submitted` and `returned`."""

from __future__ import annotations

from typing import Any

import prison
import pytest

from tests.modules.conftest import MAKER, add_row, flashes, login, rows
from tests.modules.enterprise import complete_info, products

LIST = "/annual_report/annual_report/list/"
REPORT = {"year": "2025", "title": "2025年度药品年度报告", "production": "共生产片剂 3 个品种",
          "quality": "质量体系运行正常", "contact": "李丽", "mobile": "13812345678"}
ENTITIES = ("annual_report.AnnualReportProduct", "annual_report.AnnualReport",
            "binding.ProductBinding", "basic.EnterpriseInfo")


@pytest.fixture(scope="module")
def app(world: dict[str, Any]) -> Any:
    return world["app"]


@pytest.fixture(autouse=True)
def fresh(app: Any) -> None:
    """No report, binding or 企业信息 yet, and no trail of earlier ones (SQLite hands a
    deleted row's id out again: its history must not come back with it)."""
    from sqlalchemy import delete

    from app.audit.models import AuditEntry

    models = app.extensions["admin"].models
    with app.app_context():
        session = app.appbuilder.session
        for name in ENTITIES:
            session.execute(delete(models[name]))
        session.execute(delete(AuditEntry).where(AuditEntry.entity.in_(ENTITIES)))
        session.commit()


# -- the earlier steps, through the same doors ---------------------------------------------
def informed(app: Any) -> Any:
    """The manufacturer's legal person, signed in, with 企业信息 complete."""
    complete_info(app, "maker_legal", "辽宁康华制药有限公司", MAKER)
    return login(app, "maker_legal")


def submitted(app: Any) -> int:
    """The 2025 report filled and submitted; returns its id."""
    maker = informed(app)
    assert maker.post("/annual_report/annual_report/add", data=REPORT).status_code == 302
    [report] = rows(app, "annual_report.AnnualReport")
    maker.post(f"/annual_report/annual_report/transition/submit/{report.id}")
    assert rows(app, "annual_report.AnnualReport")[0].state == "submitted"
    return int(report.id)


def returned(app: Any) -> int:
    """Submitted, then returned for correction by the provincial regulator with a reason."""
    pk = submitted(app)
    login(app, "ln_reg").post(f"/annual_report/annual_report/transition/send_back/{pk}",
                              data={"reason": "质量管理情况过于简略，请补充"})
    assert rows(app, "annual_report.AnnualReport")[0].state == "returned"
    return pk


def test_enterprise_information_comes_first(app: Any) -> None:
    maker = login(app, "maker_legal")
    response = maker.get(LIST)
    assert response.status_code == 302 and "/basic/enterprise_info/" in response.headers[
        "Location"]
    assert "请先在“基础数据 → 企业信息”中补充企业信息" in flashes(
        maker.get(LIST, follow_redirects=True).text)
    api = maker.get("/api/v1/annual_report/")
    assert api.status_code == 403 and "企业信息" in api.json["message"]
    complete_info(app, "maker_legal", "辽宁康华制药有限公司", MAKER)
    assert maker.get(LIST).status_code == 200
    # regulators are never held at the gate
    assert login(app, "ln_reg").get(LIST).status_code == 200


def test_fill_and_submit_one_report_a_year(app: Any) -> None:
    maker = informed(app)
    response = maker.post("/annual_report/annual_report/add", data=REPORT)
    assert response.status_code == 302, flashes(response.text)[-800:]
    [report] = rows(app, "annual_report.AnnualReport")
    assert report.state == "draft"
    twice = maker.post("/annual_report/annual_report/add", data=REPORT)
    assert twice.status_code == 200 and len(rows(app, "annual_report.AnnualReport")) == 1
    # a draft is not yet shown to... nobody but its enterprise may change it
    page = maker.post(f"/annual_report/annual_report/transition/submit/{report.id}",
                      follow_redirects=True)
    assert "提交" in flashes(page.text)
    assert rows(app, "annual_report.AnnualReport")[0].state == "submitted"
    # after submitting: no edit, no delete
    delete = maker.post(f"/annual_report/annual_report/delete/{report.id}",
                        follow_redirects=True)
    assert "不能删除" in flashes(delete.text)
    assert maker.put(f"/api/v1/annual_report/{report.id}", json={"title": "x"}
                     ).status_code == 409
    assert len(rows(app, "annual_report.AnnualReport")) == 1


def test_regulators_see_their_region_and_return_for_correction(app: Any) -> None:
    pk = submitted(app)
    ln = login(app, "ln_reg")
    assert "2025年度药品年度报告" in ln.get("/annual_report/annual_report/list/").text
    assert ln.get(f"/annual_report/annual_report/show/{pk}").status_code == 200
    assert login(app, "sc_reg").get(f"/annual_report/annual_report/show/{pk}"
                                    ).status_code == 404
    assert "2025年度药品年度报告" in login(app, "nmpa").get(LIST).text
    no_reason = ln.post(f"/annual_report/annual_report/transition/send_back/{pk}",
                        data={"reason": " "}, follow_redirects=True)
    assert "请填写原因。" in flashes(no_reason.text)
    assert rows(app, "annual_report.AnnualReport")[0].state == "submitted"
    ln.post(f"/annual_report/annual_report/transition/send_back/{pk}",
            data={"reason": "质量管理情况过于简略，请补充"})
    assert rows(app, "annual_report.AnnualReport")[0].state == "returned"
    # gone from the regulators until resubmitted
    assert "2025年度药品年度报告" not in ln.get(LIST).text
    assert login(app, "nmpa").get(f"/annual_report/annual_report/show/{pk}").status_code == 404


def test_enterprise_corrects_resubmits_and_the_history_shows_it(app: Any) -> None:
    pk = returned(app)
    maker = login(app, "maker_legal")
    page = maker.get(f"/annual_report/annual_report/show/{pk}").text
    assert "退回补正" in page and "质量管理情况过于简略" in page
    response = maker.post(f"/annual_report/annual_report/edit/{pk}",
                          data={**REPORT, "quality": "建立并运行药品质量管理体系，年度自检 2 次"})
    assert response.status_code == 302, flashes(response.text)[-600:]
    maker.post(f"/annual_report/annual_report/transition/submit/{pk}")
    assert rows(app, "annual_report.AnnualReport")[0].state == "submitted"
    page = login(app, "ln_reg").get(f"/annual_report/annual_report/show/{pk}").text
    assert "补正历史" in page and "质量体系运行正常" in page and "年度自检 2 次" in page
    assert "质量管理情况过于简略，请补充" in page


def test_imported_product_lines_need_a_bound_product(app: Any) -> None:
    submitted(app)  # the year's report: the one below is for another year
    ids = products(app)
    maker = login(app, "maker_legal")
    data = {**REPORT, "year": "2024", "title": "2024年度报告",
            "products-0-product": str(ids["国药准字HJ20150001"]), "products-0-imported_qty": "10"}
    refused = maker.post("/annual_report/annual_report/add", data=data)
    assert "该产品未绑定到本企业或已解绑" in flashes(refused.text)
    assert len(rows(app, "annual_report.AnnualReport")) == 1
    add_row(app, "binding.ProductBinding", MAKER, product_id=ids["国药准字HJ20150001"],
            state="bound")
    allowed = maker.post("/annual_report/annual_report/add", data=data)
    assert allowed.status_code == 302, flashes(allowed.text)[-600:]
    assert len(rows(app, "annual_report.AnnualReportProduct")) == 1


# -- seed 000 §6: regulators see a report once it is submitted ----------------------------
def _maker(app: Any) -> Any:
    maker = login(app, "maker_legal")
    if maker.get(LIST).status_code == 302:
        complete_info(app, "maker_legal", "辽宁康华制药有限公司", MAKER)
    return maker


@pytest.fixture
def draft_and_submitted(app: Any) -> tuple[int, int]:
    maker = _maker(app)
    ids = []
    for year, title in (("2022", "2022年度报告（填报中）"), ("2023", "2023年度报告（已提交）")):
        response = maker.post("/annual_report/annual_report/add",
                              data={**REPORT, "year": year, "title": title})
        assert response.status_code == 302, flashes(response.text)[-500:]
        ids.append(rows(app, "annual_report.AnnualReport", title=title)[0].id)
    maker.post(f"/annual_report/annual_report/transition/submit/{ids[1]}")
    assert rows(app, "annual_report.AnnualReport", id=ids[1])[0].state == "submitted"
    return ids[0], ids[1]


def _ids(client: Any) -> list[int]:
    response = client.get("/api/v1/annual_report/",
                          query_string={"q": prison.dumps({"page_size": 100})})
    assert response.status_code == 200, response.text
    return list(response.json["ids"])


@pytest.mark.parametrize("username", ["ln_reg", "nmpa"])
def test_a_draft_is_hidden_from_regulators_at_every_door(
        app: Any, draft_and_submitted: tuple[int, int], username: str) -> None:
    draft, submitted = draft_and_submitted
    regulator = login(app, username)
    page = regulator.get(LIST).text
    assert "2023年度报告（已提交）" in page and "2022年度报告（填报中）" not in page
    assert regulator.get(f"/annual_report/annual_report/show/{submitted}").status_code == 200
    assert regulator.get(f"/annual_report/annual_report/show/{draft}").status_code == 404
    ids = _ids(regulator)
    assert submitted in ids and draft not in ids
    assert regulator.get(f"/api/v1/annual_report/{submitted}").status_code == 200
    assert regulator.get(f"/api/v1/annual_report/{draft}").status_code == 404
    for url in ("/annual_report/annual_report/export/csv",
                "/api/v1/annual_report/export?format=csv"):
        export = regulator.get(url)  # streamed: read before the next request
        assert export.status_code == 200
        text = export.data.decode("utf-8-sig")
        assert "2023年度报告（已提交）" in text and "2022年度报告（填报中）" not in text


def test_the_enterprise_still_sees_and_edits_its_draft(
        app: Any, draft_and_submitted: tuple[int, int]) -> None:
    draft, submitted = draft_and_submitted
    maker = _maker(app)
    page = maker.get(LIST).text
    assert "2022年度报告（填报中）" in page and "2023年度报告（已提交）" in page
    assert maker.get(f"/annual_report/annual_report/show/{draft}").status_code == 200
    assert {draft, submitted} <= set(_ids(maker))
    assert maker.get(f"/api/v1/annual_report/{draft}").status_code == 200
    assert maker.put(f"/api/v1/annual_report/{draft}",
                     json={"quality": "年度自检 1 次"}).status_code == 200
    response = maker.post(f"/annual_report/annual_report/edit/{draft}", data={
        **REPORT, "year": "2022", "title": "2022年度报告（填报中）", "contact": "王强"})
    assert response.status_code == 302, flashes(response.text)[-500:]
    [row] = rows(app, "annual_report.AnnualReport", id=draft)
    assert (row.state, row.contact) == ("draft", "王强")
