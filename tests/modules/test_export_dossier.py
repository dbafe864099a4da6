"""出口药品档案 (seed 001): the enterprise completes its information first; the legal person
fills, edits, deletes before submitting, views, and requests a change (变更) after submitting,
decided by the provincial regulator; an agent works only on the modules delegated to it;
regulators query their jurisdiction."""

from __future__ import annotations

from typing import Any

import pytest

from tests.modules.conftest import AGENT_LN, MAKER, flashes, login, rows
from tests.modules.enterprise import complete_info

BASE = "/export_dossier/export_dossier"
DOSSIER = {"product_name": "阿莫西林胶囊", "approval": "国药准字H20203001",
           "dosage_form": "capsule",
           "spec": "0.25g*24粒", "destination": "越南", "quantity": "100000", "amount": "12.50"}


@pytest.fixture(scope="module")
def app(world: dict[str, Any]) -> Any:
    return world["app"]


def _dossiers(app: Any) -> list[Any]:
    return rows(app, "export_dossier.ExportDossier")


def test_01_gate_then_fill_edit_delete_view(app: Any) -> None:
    legal = login(app, "maker_legal")
    if legal.get(f"{BASE}/list/").status_code == 302:
        complete_info(app, "maker_legal", "辽宁康华制药有限公司", MAKER)
    bad = legal.post(f"{BASE}/add", data={**DOSSIER, "approval": "国药准字X123"})
    assert "批准文号" in flashes(bad.text) and not _dossiers(app)
    assert 'value="越南"' in bad.text  # what was typed stays
    assert legal.post(f"{BASE}/add", data=DOSSIER).status_code == 302
    assert legal.post(f"{BASE}/add", data={**DOSSIER, "product_name": "布洛芬片",
                                           "approval": ""}).status_code == 302
    first, second = _dossiers(app)
    assert legal.post(f"{BASE}/edit/{first.id}", data={**DOSSIER, "destination": "越南、老挝"}
                      ).status_code == 302
    assert _dossiers(app)[0].destination == "越南、老挝"
    assert legal.post(f"{BASE}/delete/{second.id}").status_code == 302
    assert len(_dossiers(app)) == 1
    assert "越南、老挝" in legal.get(f"{BASE}/show/{first.id}").text


def test_02_no_delete_after_submit_but_a_change_request(app: Any) -> None:
    legal = login(app, "maker_legal")
    [dossier] = _dossiers(app)
    legal.post(f"{BASE}/transition/submit/{dossier.id}")
    assert _dossiers(app)[0].state == "submitted"
    assert "不能删除" in flashes(legal.post(f"{BASE}/delete/{dossier.id}",
                                           follow_redirects=True).text)
    assert legal.delete(f"/api/v1/export_dossier/{dossier.id}").status_code == 409
    assert len(_dossiers(app)) == 1
    response = legal.post(f"{BASE}/change/{dossier.id}", data={**DOSSIER,
                                                                "destination": "泰国"})
    assert response.status_code == 302
    assert _dossiers(app)[0].destination == "越南、老挝"  # stays until accepted
    regulator = login(app, "ln_reg")
    page = regulator.get(f"{BASE}/show/{dossier.id}").text
    assert "泰国" in page
    change_id = int(page.split("/change/decide/")[1].split('"')[0])
    assert login(app, "sc_reg").post(f"{BASE}/change/decide/{change_id}",
                                     data={"decision": "accept"}).status_code == 404
    regulator.post(f"{BASE}/change/decide/{change_id}", data={"decision": "accept"})
    assert _dossiers(app)[0].destination == "泰国"


def test_03_agent_needs_the_delegation(app: Any) -> None:
    agent = login(app, "maker_agent")
    assert agent.get(f"{BASE}/list/").status_code == 403
    assert agent.get("/api/v1/export_dossier/").status_code == 403
    legal = login(app, "maker_legal")
    with app.app_context():
        user = app.appbuilder.sm.find_user(username="maker_agent")
        agent_id, org_id = user.id, user.org_id
    response = legal.post(f"/system/users/edit/{agent_id}", data={
        "username": "maker_agent", "first_name": "经办人", "org": str(org_id),
        "user_class": "agent", "roles": ["agent"], "modules": ["export_dossier"]})
    assert response.status_code == 302, flashes(response.text)[-500:]
    agent = login(app, "maker_agent")
    assert agent.get(f"{BASE}/list/").status_code == 200
    assert agent.post(f"{BASE}/add", data={**DOSSIER, "product_name": "头孢克肟片"}
                      ).status_code == 302
    assert agent.get("/annual_report/annual_report/list/").status_code == 403  # not delegated


def test_04_regulators_query_their_jurisdiction(app: Any) -> None:
    assert "泰国" in login(app, "ln_reg").get(f"{BASE}/list/").text
    assert "头孢克肟片" in login(app, "nmpa").get(f"{BASE}/list/").text
    page = login(app, "sc_reg").get(f"{BASE}/list/").text
    assert "泰国" not in page and "头孢克肟片" not in page
    # another enterprise's legal person sees none of them
    legal = login(app, "ln_agent_legal")
    if legal.get(f"{BASE}/list/").status_code == 302:
        complete_info(app, "ln_agent_legal", "辽宁远航医药有限公司", AGENT_LN,
                      kind="overseas_agent")
    assert "泰国" not in legal.get(f"{BASE}/list/").text
