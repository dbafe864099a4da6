"""出口药品档案 (seed 001): the enterprise completes its information first; the legal person
fills, edits, deletes before submitting, views, and requests a change (变更) after submitting,
decided by the provincial regulator; an agent works only on the modules delegated to it;
regulators query their jurisdiction.

Each test stands alone: `fresh` clears the dossiers, their change requests and trail, and the
agent's delegation before it; a test reaches its step with `_added`, `_submitted` and
`delegated`."""

from __future__ import annotations

import io
import json
import threading
from typing import Any

import prison
import pytest

from tests.modules.conftest import AGENT_LN, MAKER, flashes, login, make_pdf, rows
from tests.modules.enterprise import complete_info

BASE = "/export_dossier/export_dossier"
DOSSIER = {"product_name": "阿莫西林胶囊", "approval": "国药准字H20203001",
           "dosage_form": "capsule",
           "spec": "0.25g*24粒", "destination": "越南", "quantity": "100000", "amount": "12.50"}


DOSSIER_ENTITY = "export_dossier.ExportDossier"


@pytest.fixture(scope="module")
def app(world: dict[str, Any]) -> Any:
    return world["app"]


@pytest.fixture(scope="module")
def agent_modules(app: Any) -> str | None:
    """The agent's delegated modules as the world made it."""
    with app.app_context():
        return app.appbuilder.sm.find_user(username="maker_agent").modules


@pytest.fixture(autouse=True)
def fresh(app: Any, agent_modules: str | None) -> None:
    """No dossier yet, no change request or trail of earlier ones (SQLite hands a deleted
    row's id out again), and the agent delegated nothing more than at the start."""
    from sqlalchemy import delete, update

    from app.audit.models import AuditEntry
    from app.security.models import AppUser
    from app.workflow.changes import ChangeRequest

    with app.app_context():
        session = app.appbuilder.session
        session.execute(delete(app.extensions["admin"].models[DOSSIER_ENTITY]))
        session.execute(delete(ChangeRequest).where(ChangeRequest.entity == DOSSIER_ENTITY))
        session.execute(delete(AuditEntry).where(AuditEntry.entity == DOSSIER_ENTITY))
        session.execute(update(AppUser).where(AppUser.username == "maker_agent").values(
            modules=agent_modules))
        session.commit()


def _dossiers(app: Any) -> list[Any]:
    return rows(app, "export_dossier.ExportDossier")


def test_gate_then_fill_edit_delete_view(app: Any) -> None:
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


def test_no_delete_after_submit_but_a_change_request(app: Any) -> None:
    _added(app, DOSSIER["product_name"], destination="越南、老挝")
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


def delegated(app: Any) -> Any:
    """The legal person delegates 出口药品档案 to its agent; returns the agent signed in."""
    legal = _legal(app)
    with app.app_context():
        user = app.appbuilder.sm.find_user(username="maker_agent")
        agent_id, org_id = user.id, user.org_id
    response = legal.post(f"/system/users/edit/{agent_id}", data={
        "username": "maker_agent", "first_name": "经办人", "org": str(org_id),
        "user_class": "agent", "roles": ["agent"], "modules": ["export_dossier"]})
    assert response.status_code == 302, flashes(response.text)[-500:]
    return login(app, "maker_agent")


def test_agent_needs_the_delegation(app: Any) -> None:
    _legal(app)  # 企业信息 complete: what refuses the agent is the missing delegation
    agent = login(app, "maker_agent")
    assert agent.get(f"{BASE}/list/").status_code == 403
    assert agent.get("/api/v1/export_dossier/").status_code == 403
    agent = delegated(app)
    assert agent.get(f"{BASE}/list/").status_code == 200
    assert agent.post(f"{BASE}/add", data={**DOSSIER, "product_name": "头孢克肟片"}
                      ).status_code == 302
    assert agent.get("/annual_report/annual_report/list/").status_code == 403  # not delegated


def test_regulators_query_their_jurisdiction(app: Any) -> None:
    # the legal person's dossier, submitted after its change to 泰国 was accepted; the
    # agent's still a draft
    pk = _submitted(app, DOSSIER["product_name"])
    assert _request(app, pk, DOSSIER["product_name"], destination="泰国").status_code == 302
    [change] = _requests(app, pk)
    login(app, "ln_reg").post(f"{BASE}/change/decide/{change.id}", data={"decision": "accept"})
    assert rows(app, DOSSIER_ENTITY, id=pk)[0].destination == "泰国"
    assert delegated(app).post(f"{BASE}/add", data={**DOSSIER, "product_name": "头孢克肟片"}
                               ).status_code == 302
    assert "泰国" in login(app, "ln_reg").get(f"{BASE}/list/").text
    nmpa = login(app, "nmpa").get(f"{BASE}/list/").text
    assert "泰国" in nmpa and "头孢克肟片" not in nmpa  # the agent's is still a draft
    page = login(app, "sc_reg").get(f"{BASE}/list/").text
    assert "泰国" not in page and "头孢克肟片" not in page
    # another enterprise's legal person sees none of them
    legal = login(app, "ln_agent_legal")
    if legal.get(f"{BASE}/list/").status_code == 302:
        complete_info(app, "ln_agent_legal", "辽宁远航医药有限公司", AGENT_LN,
                      kind="overseas_agent")
    assert "泰国" not in legal.get(f"{BASE}/list/").text


# -- drafts are the enterprise's own until submitted (seed 000 §6, 001) -------------------
def _legal(app: Any) -> Any:
    """The manufacturer's legal person, past the 企业信息 gate."""
    legal = login(app, "maker_legal")
    if legal.get(f"{BASE}/list/").status_code == 302:
        complete_info(app, "maker_legal", "辽宁康华制药有限公司", MAKER)
    return legal


def _added(app: Any, name: str, **files: Any) -> int:
    response = _legal(app).post(f"{BASE}/add", data={**DOSSIER, "product_name": name, **files})
    assert response.status_code == 302, flashes(response.text)[-500:]
    [row] = rows(app, "export_dossier.ExportDossier", product_name=name)
    return int(row.id)


def _submitted(app: Any, name: str) -> int:
    pk = _added(app, name)
    _legal(app).post(f"{BASE}/transition/submit/{pk}")
    assert rows(app, "export_dossier.ExportDossier", id=pk)[0].state == "submitted"
    return pk


@pytest.fixture
def draft_and_submitted(app: Any) -> tuple[int, int]:
    draft = _added(app, "草稿档案甲药", certificate=(io.BytesIO(make_pdf("出口证明")),
                                                      "出口证明.pdf"))
    return draft, _submitted(app, "已提交档案乙药")


def _ids(client: Any) -> list[int]:
    response = client.get("/api/v1/export_dossier/",
                          query_string={"q": prison.dumps({"page_size": 100})})
    assert response.status_code == 200, response.text
    return list(response.json["ids"])


@pytest.mark.parametrize("username", ["ln_reg", "nmpa"])
def test_a_draft_is_hidden_from_regulators_at_every_door(
        app: Any, draft_and_submitted: tuple[int, int], username: str) -> None:
    draft, submitted = draft_and_submitted
    regulator = login(app, username)
    page = regulator.get(f"{BASE}/list/").text
    assert "已提交档案乙药" in page and "草稿档案甲药" not in page
    assert regulator.get(f"{BASE}/show/{submitted}").status_code == 200
    assert regulator.get(f"{BASE}/show/{draft}").status_code == 404
    assert regulator.get(f"{BASE}/download/certificate/{draft}").status_code == 404
    ids = _ids(regulator)
    assert submitted in ids and draft not in ids
    assert regulator.get(f"/api/v1/export_dossier/{submitted}").status_code == 200
    assert regulator.get(f"/api/v1/export_dossier/{draft}").status_code == 404
    for url in (f"{BASE}/export/csv", "/api/v1/export_dossier/export?format=csv"):
        export = regulator.get(url)  # streamed: read before the next request
        assert export.status_code == 200
        text = export.data.decode("utf-8-sig")
        assert "已提交档案乙药" in text and "草稿档案甲药" not in text


def test_the_enterprise_still_sees_and_edits_its_draft(
        app: Any, draft_and_submitted: tuple[int, int]) -> None:
    draft, submitted = draft_and_submitted
    legal = _legal(app)
    page = legal.get(f"{BASE}/list/").text
    assert "草稿档案甲药" in page and "已提交档案乙药" in page
    assert legal.get(f"{BASE}/show/{draft}").status_code == 200
    download = legal.get(f"{BASE}/download/certificate/{draft}")
    assert download.status_code == 200 and download.data.startswith(b"%PDF-")
    assert {draft, submitted} <= set(_ids(legal))
    assert legal.get(f"/api/v1/export_dossier/{draft}").status_code == 200
    response = legal.post(f"{BASE}/edit/{draft}", data={**DOSSIER, "product_name": "草稿档案甲药",
                                                         "destination": "老挝"})
    assert response.status_code == 302, flashes(response.text)[-500:]
    assert rows(app, "export_dossier.ExportDossier", id=draft)[0].destination == "老挝"


# -- 变更: one pending request per record, rejections with a reason, all of it audited -------
def _request(app: Any, pk: int, name: str, **changed: str) -> Any:
    return _legal(app).post(f"{BASE}/change/{pk}",
                            data={**DOSSIER, "product_name": name, **changed})


def _requests(app: Any, pk: int) -> list[Any]:
    from app.workflow.changes import ChangeRequest

    with app.app_context():
        session = app.appbuilder.session
        session.expire_all()
        return list(session.query(ChangeRequest).filter_by(
            entity="export_dossier.ExportDossier", record_id=pk).order_by(ChangeRequest.id))


def _audit(app: Any, pk: int) -> list[tuple[str, Any, Any, Any]]:
    from app.audit.models import AuditEntry

    with app.app_context():
        entries = app.appbuilder.session.query(AuditEntry).filter(
            AuditEntry.entity == "export_dossier.ExportDossier", AuditEntry.record_id == pk,
            AuditEntry.action.in_(["change_request", "change_decision"])
        ).order_by(AuditEntry.id)
        return [(e.action, e.username, e.transition, e.reason,
                 json.loads(e.changes) if e.changes else None) for e in entries]


def _decide(client: Any, change_id: int, decision: str, reason: str = "") -> Any:
    return client.post(f"{BASE}/change/decide/{change_id}",
                       data={"decision": decision, "reason": reason}, follow_redirects=True)


def test_a_rejection_needs_a_reason_and_the_requester_sees_it(app: Any) -> None:
    pk = _submitted(app, "变更驳回丙药")
    response = _request(app, pk, "变更驳回丙药", destination="新加坡", dosage_form="tablet",
                        export_only="y")
    assert response.status_code == 302, flashes(response.text)[-500:]
    [change] = _requests(app, pk)
    regulator = login(app, "ln_reg")
    for blank in ("", "   "):
        page = flashes(_decide(regulator, change.id, "reject", blank).text)
        assert "请填写驳回原因" in page
        assert _requests(app, pk)[0].status == "pending"
    assert [a[0] for a in _audit(app, pk)] == ["change_request"]
    page = flashes(_decide(regulator, change.id, "reject", "出口国家与证明文件不符").text)
    assert "变更已驳回" in page
    [change] = _requests(app, pk)
    assert (change.status, change.decided_by_name, change.reason) == (
        "rejected", "ln_reg", "出口国家与证明文件不符")
    row = rows(app, "export_dossier.ExportDossier", id=pk)[0]
    assert (row.destination, row.dosage_form, row.export_only) == ("越南", "capsule", False)
    # decided: a second decision answers like a missing request
    assert regulator.post(f"{BASE}/change/decide/{change.id}",
                          data={"decision": "accept"}).status_code == 404
    # the requester sees the request, its status, who decided, when and why, readable
    page = flashes(_legal(app).get(f"{BASE}/show/{pk}").text)
    assert "已驳回" in page and "ln_reg 于 " in page and "出口国家与证明文件不符" in page
    assert "出口国家（地区）：越南 → 新加坡" in page
    assert "剂型：胶囊剂 → 片剂" in page and "仅供出口：否 → 是" in page
    assert "申请变更" in page and "变更审批" in page  # the history names both
    assert _audit(app, pk) == [
        ("change_request", "maker_legal", None, None,
         {"destination": ["越南", "新加坡"], "dosage_form": ["capsule", "tablet"],
          "export_only": [False, True]}),
        ("change_decision", "ln_reg", "rejected", "出口国家与证明文件不符", None),
    ]
    # a new request may follow; accepting needs no reason and applies the values
    assert _request(app, pk, "变更驳回丙药", destination="新加坡").status_code == 302
    accepted = _requests(app, pk)[-1]
    assert "变更已接受" in flashes(_decide(regulator, accepted.id, "accept").text)
    assert rows(app, "export_dossier.ExportDossier", id=pk)[0].destination == "新加坡"
    page = flashes(_legal(app).get(f"{BASE}/show/{pk}").text)
    assert "已通过" in page and "已驳回" in page
    assert [a[0] for a in _audit(app, pk)][-1] == "change_decision"
    assert _audit(app, pk)[-1][2:4] == ("accepted", None)


def test_one_pending_request_per_record(app: Any) -> None:
    pk = _submitted(app, "一条待审丁药")
    assert _request(app, pk, "一条待审丁药", destination="泰国").status_code == 302
    second = _request(app, pk, "一条待审丁药", destination="缅甸")
    assert second.status_code == 200
    assert "该记录已有待审核的变更申请" in flashes(second.text)
    assert 'value="缅甸"' in second.text  # what was typed comes back
    assert [c.status for c in _requests(app, pk)] == ["pending"]
    page = _legal(app).get(f"{BASE}/change/{pk}", follow_redirects=True)
    assert "该记录已有待审核的变更申请" in flashes(page.text)
    shown = _legal(app).get(f"{BASE}/show/{pk}").text
    assert f"/change/{pk}\"" not in shown and "正在等待审核" in flashes(shown)
    assert [a[0] for a in _audit(app, pk)] == ["change_request"]
    # the REST API has no 变更 door: a submitted record stays locked there
    put = _legal(app).put(f"/api/v1/export_dossier/{pk}", json={"destination": "缅甸"})
    assert put.status_code == 409
    assert rows(app, "export_dossier.ExportDossier", id=pk)[0].destination == "越南"


def test_the_database_holds_one_pending_request_per_record(app: Any) -> None:
    from sqlalchemy.exc import IntegrityError

    from app.workflow.changes import ChangeRequest

    pk = _submitted(app, "唯一索引戊药")
    with app.app_context():
        session = app.appbuilder.session

        def add(status: str) -> None:
            session.add(ChangeRequest(entity="export_dossier.ExportDossier", record_id=pk,
                                      proposed="{}", status=status, requested_by=1))
            session.commit()

        add("rejected")
        add("rejected")  # decided ones are not limited
        add("pending")
        with pytest.raises(IntegrityError):
            add("pending")
        session.rollback()
    assert [c.status for c in _requests(app, pk)] == ["rejected", "rejected", "pending"]


@pytest.mark.parametrize("checked", [True, False], ids=["checked", "unchecked"])
def test_two_requests_at_once_one_wins(app: Any, checked: bool,
                                          monkeypatch: Any) -> None:
    """Two requests at the same moment: exactly one is stored, the other is told why. With the
    application's check skipped, the unique index alone decides."""
    from app.workflow import changes

    name = f"并发申请己药{int(checked)}"
    pk = _submitted(app, name)
    if not checked:
        monkeypatch.setattr(changes, "pending", lambda *args: [])
    clients = [_legal(app) for _ in range(2)]
    barrier = threading.Barrier(2)
    answers: list[Any] = []

    def ask(client: Any, destination: str) -> None:
        barrier.wait()
        answers.append(client.post(f"{BASE}/change/{pk}", data={
            **DOSSIER, "product_name": name, "destination": destination}))
        with app.app_context():
            app.appbuilder.session.remove()  # this thread's connection back to the pool

    threads = [threading.Thread(target=ask, args=(c, d))
               for c, d in zip(clients, ("泰国", "缅甸"), strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(a.status_code for a in answers) == [200, 302]
    [refused] = [a for a in answers if a.status_code == 200]
    assert "该记录已有待审核的变更申请" in flashes(refused.text)
    assert [c.status for c in _requests(app, pk)] == ["pending"]
    assert [a[0] for a in _audit(app, pk)] == ["change_request"]


def test_accepting_refuses_a_record_changed_since_the_request(app: Any) -> None:
    pk = _submitted(app, "改后再审庚药")
    assert _request(app, pk, "改后再审庚药", destination="泰国").status_code == 302
    [change] = _requests(app, pk)
    with app.app_context():  # another door wrote the field meanwhile
        model = app.extensions["admin"].models["export_dossier.ExportDossier"]
        session = app.appbuilder.session
        session.get(model, pk).destination = "越南、柬埔寨"
        session.commit()
    page = flashes(_decide(login(app, "ln_reg"), change.id, "accept").text)
    assert "申请变更后记录已被修改（出口国家（地区））" in page
    assert _requests(app, pk)[0].status == "pending"
    assert rows(app, "export_dossier.ExportDossier", id=pk)[0].destination == "越南、柬埔寨"


def test_the_regulator_lists_the_records_with_a_pending_change(app: Any) -> None:
    waiting = _submitted(app, "待审变更辛药")
    _submitted(app, "无变更壬药")
    assert _request(app, waiting, "待审变更辛药", destination="泰国").status_code == 302
    with app.app_context():
        from app.workflow.changes import ChangeRequest

        pending = app.appbuilder.session.query(ChangeRequest).filter_by(
            entity="export_dossier.ExportDossier", status="pending").count()
    regulator = login(app, "ln_reg")
    page = flashes(regulator.get(f"{BASE}/list/").text)
    assert f"有待审核变更（{pending}）" in page and "无变更壬药" in page
    narrowed = regulator.get(f"{BASE}/list/?pending_change=1").text
    assert "待审变更辛药" in narrowed and "无变更壬药" not in narrowed
    assert "再次点击显示全部" in flashes(narrowed)
    export = regulator.get(f"{BASE}/export/csv?pending_change=1").data.decode("utf-8-sig")
    assert "待审变更辛药" in export and "无变更壬药" not in export
    # another province sees none of them, and counts none
    other = login(app, "sc_reg")
    assert "有待审核变更（0）" in flashes(other.get(f"{BASE}/list/").text)
    assert "待审变更辛药" not in other.get(f"{BASE}/list/?pending_change=1").text
