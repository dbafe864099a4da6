"""产品绑定/解绑管理 (seed 000 §5): only the domestic agent of an overseas holder binds imported
products; a product bound to one agent cannot be found by another until a regulator unbinds
it; after unbinding the enterprise can no longer report on the product.

Each test stands alone: `fresh` clears bindings, reports and 企业信息 before it; a test reaches
its step with `agents`, `bound` and `unbound`."""

from __future__ import annotations

from typing import Any

import pytest

from tests.modules.conftest import AGENT_LN, AGENT_SC, MAKER, add_row, flashes, login, rows
from tests.modules.enterprise import complete_info, products

BASE = "/binding/product_binding"
HJ1, HJ2, H3 = "国药准字HJ20150001", "国药准字HJ20160002", "国药准字H20203001"
REPORT = {"year": "2025", "title": "2025年度报告", "production": "进口销售", "quality": "正常",
          "contact": "赵敏", "mobile": "13900000000", "products-0-imported_qty": "500"}
ENTITIES = ("annual_report.AnnualReportProduct", "annual_report.AnnualReport",
            "binding.ProductBinding", "basic.EnterpriseInfo")


@pytest.fixture(scope="module")
def app(world: dict[str, Any]) -> Any:
    return world["app"]


@pytest.fixture(scope="module")
def ids(app: Any) -> dict[str, int]:
    """The products by approval number (two imported, one domestic)."""
    return products(app)


@pytest.fixture(autouse=True)
def fresh(app: Any) -> None:
    """No binding, report or 企业信息 yet, and no trail of earlier ones."""
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
def agents(app: Any) -> None:
    """Both domestic agents of overseas holders have completed 企业信息."""
    complete_info(app, "ln_agent_legal", "辽宁远航医药有限公司", AGENT_LN, kind="overseas_agent")
    complete_info(app, "sc_agent_legal", "四川海通医药有限公司", AGENT_SC, kind="overseas_agent")


def bound(app: Any, ids: dict[str, int]) -> int:
    """The Liaoning agent has bound HJ1; returns the binding."""
    agents(app)
    response = login(app, "ln_agent_legal").post(f"{BASE}/add",
                                                 data={"product": str(ids[HJ1])})
    assert response.status_code == 302, flashes(response.text)[-500:]
    [binding] = _bindings(app)
    return int(binding.id)


def unbound(app: Any, ids: dict[str, int]) -> int:
    """Bound, then unbound by the Liaoning regulator; returns the binding."""
    pk = bound(app, ids)
    login(app, "ln_reg").post(f"{BASE}/transition/unbind/{pk}",
                              data={"reason": "原代理人已变更，附变更证明"})
    assert _bindings(app)[0].state == "unbound"
    return pk


def _bindings(app: Any) -> list[Any]:
    return rows(app, "binding.ProductBinding")


def _approval(result: dict[str, Any]) -> str:
    """A picker's row 「国药准字HJ20150001（瑞舒伐他汀钙片）」 by its approval number."""
    return str(result["text"]).split("（")[0]


def test_only_agents_of_overseas_holders_bind(app: Any) -> None:
    complete_info(app, "maker_legal", "辽宁康华制药有限公司", MAKER)
    maker = login(app, "maker_legal")
    page = maker.get(f"{BASE}/list/", follow_redirects=True).text
    assert "只有境外药品上市许可持有人指定的境内企业法人需要绑定进口产品" in flashes(page)
    agents(app)
    assert login(app, "ln_agent_legal").get(f"{BASE}/list/").status_code == 200


def test_bind_imported_products_by_approval_number(app: Any, ids: dict[str, int]) -> None:
    agents(app)
    agent = login(app, "ln_agent_legal")
    found = agent.get(f"{BASE}/choices/product?q=HJ").json["results"]
    assert {_approval(r) for r in found} == {HJ1, HJ2}  # the domestic product is not offered
    refused = agent.post(f"{BASE}/add", data={"product": str(ids[H3])})
    assert "该产品不是进口药品" in flashes(refused.text) and not _bindings(app)
    assert agent.post(f"{BASE}/add", data={"product": str(ids[HJ1])}).status_code == 302
    assert [b.state for b in _bindings(app)] == ["bound"]
    # the other agent cannot find nor bind it while it is bound
    other = login(app, "sc_agent_legal")
    assert {_approval(r) for r in other.get(f"{BASE}/choices/product?q=HJ").json["results"]} \
        == {HJ2}
    taken = other.post("/api/v1/product_binding/", json={"product": ids[HJ1]})
    assert taken.status_code == 422 and "仍绑定在其他企业名下" in str(taken.json)
    assert len(_bindings(app)) == 1


def test_the_agent_reports_on_its_bound_product(app: Any, ids: dict[str, int]) -> None:
    bound(app, ids)
    agent = login(app, "ln_agent_legal")
    data = {**REPORT, "products-0-product": str(ids[HJ1])}
    assert agent.post("/annual_report/annual_report/add", data=data).status_code == 302


def test_regulator_finds_the_enterprise_and_unbinds(app: Any, ids: dict[str, int]) -> None:
    bound(app, ids)
    [binding] = _bindings(app)
    sc = login(app, "sc_reg")
    assert sc.get(f"{BASE}/show/{binding.id}").status_code == 404  # not its province
    ln = login(app, "ln_reg")
    page = ln.get(f"{BASE}/list/").text
    assert "辽宁远航医药有限公司" in page and HJ1 in page
    assert "解绑" in ln.get(f"{BASE}/show/{binding.id}").text
    ln.post(f"{BASE}/transition/unbind/{binding.id}", data={"reason": "原代理人已变更，附变更证明"})
    assert _bindings(app)[0].state == "unbound"
    # the enterprise itself cannot unbind
    assert login(app, "ln_agent_legal").post(
        f"/api/v1/product_binding/{binding.id}/transition/unbind",
        json={"reason": "x"}).status_code == 403


def test_after_unbinding_no_more_reports_and_the_product_is_free(
        app: Any, ids: dict[str, int]) -> None:
    unbound(app, ids)
    agent = login(app, "ln_agent_legal")
    data = {**REPORT, "products-0-product": str(ids[HJ1]), "year": "2024",
            "title": "2024年度报告"}
    refused = agent.post("/annual_report/annual_report/add", data=data)
    assert "该产品未绑定到本企业或已解绑" in flashes(refused.text)
    assert agent.get(f"{BASE}/choices/product?q=HJ").json["results"] != []
    other = login(app, "sc_agent_legal")
    assert other.post(f"{BASE}/add", data={"product": str(ids[HJ1])}).status_code == 302
    assert sorted(b.state for b in _bindings(app)) == ["bound", "unbound"]


def test_the_database_holds_one_bound_agent_per_product(app: Any,
                                                        ids: dict[str, int]) -> None:
    """Two agents binding the same product in the same instant both pass the choices check;
    the partial unique index lets only one bound row of a product exist."""
    from sqlalchemy.exc import IntegrityError

    from app.security.models import Organisation

    binding = app.extensions["admin"].models["binding.ProductBinding"]
    with app.app_context():
        session = app.appbuilder.session
        ln, sc = (session.query(Organisation).filter_by(code=code).one()
                  for code in (AGENT_LN, AGENT_SC))
        session.add(binding(org=ln, product_id=ids[HJ2], state="bound"))
        session.commit()
        session.add(binding(org=sc, product_id=ids[HJ2], state="bound"))
        with pytest.raises(IntegrityError):
            session.commit()
        session.rollback()
        # unbound rows do not count: the history of a product keeps every binding it had
        session.add(binding(org=session.merge(sc), product_id=ids[HJ2], state="unbound"))
        session.commit()
    assert sorted(b.state for b in _bindings(app) if b.product_id == ids[HJ2]) == [
        "bound", "unbound"]


# -- 000 §5: regulators find an enterprise and its products; products by name too ---------
def test_000_5_regulator_finds_an_enterprise_and_sees_its_bound_products(
        app: Any, ids: dict[str, int], world: dict[str, Any]) -> None:
    bound(app, ids)
    assert login(app, "sc_agent_legal").post(
        f"{BASE}/add", data={"product": str(ids[HJ2])}).status_code == 302
    ln = login(app, "ln_reg")
    found = ln.get(f"{BASE}/choices/org?search=1&q=远航").json["results"]
    assert [r["text"] for r in found] == ["辽宁远航医药有限公司"]
    assert [r["text"] for r in ln.get(f"{BASE}/choices/org?search=1&q=lnyh").json[
        "results"]] == ["辽宁远航医药有限公司"]  # its pinyin initials
    assert ln.get(f"{BASE}/choices/org?search=1&q=海通").json["results"] == []  # 四川's
    page = ln.get(f"{BASE}/list/?_flt_0_org={world['orgs'][AGENT_LN]}").text
    assert HJ1 in page and HJ2 not in page
    assert 'name="_flt_0_org"' in page and "辽宁远航医药有限公司</option>" in page
    national = login(app, "nmpa").get(f"{BASE}/list/?_flt_0_org={world['orgs'][AGENT_SC]}")
    assert HJ2 in national.text and HJ1 not in national.text
    # out of reach: another province's enterprise filters to nothing, never to its rows
    assert HJ2 not in ln.get(f"{BASE}/list/?_flt_0_org={world['orgs'][AGENT_SC]}").text


def test_000_5_bindings_and_product_pickers_search_by_drug_name(
        app: Any, ids: dict[str, int]) -> None:
    montelukast = add_row(app, "basic.Product", approval="国药准字HJ20170004",
                          name="孟鲁司特钠片", holder="某持有人", imported=True)
    try:
        agents(app)
        agent = login(app, "ln_agent_legal")
        picked = agent.get(f"{BASE}/choices/product?q=孟鲁司特").json["results"]
        assert picked == [{"id": montelukast, "text": "国药准字HJ20170004（孟鲁司特钠片）"}]
        assert [r["id"] for r in agent.get(f"{BASE}/choices/product?q=mlst").json[
            "results"]] == [montelukast]
        assert agent.post(f"{BASE}/add", data={"product": str(montelukast)}).status_code == 302
        # bound now: the add form's picker no longer offers it, the search form's still does
        reg = login(app, "ln_reg")
        assert reg.get(f"{BASE}/choices/product?q=孟鲁司特").json["results"] == []
        searched = reg.get(f"{BASE}/choices/product?search=1&q=孟鲁司特").json["results"]
        assert [r["id"] for r in searched] == [montelukast]
        page = reg.get(f"{BASE}/list/?_flt_0_product={montelukast}").text
        assert "国药准字HJ20170004" in page and HJ1 not in page
    finally:
        from sqlalchemy import delete

        model = app.extensions["admin"].models
        with app.app_context():
            session = app.appbuilder.session
            session.execute(delete(model["binding.ProductBinding"]))
            session.execute(delete(model["basic.Product"]).where(
                model["basic.Product"].id == montelukast))
            session.commit()
