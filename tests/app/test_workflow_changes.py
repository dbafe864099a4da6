"""变更 on the review chain of seed 002: the partial unique index on databases older than it,
acceptance only of records still in a 变更 state, and the audit log naming both steps
(SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import inspect, text

from tests.app.test_workflow import ORGS, SCHEMA, USERS, fire, login, new_demand, state
from tests.conftest import PASSWORD, apply_schema, dispose, ensure_admin, make_app, seed_people

ENTITY = "procurement.Demand"
INDEX = "uq_workflow_change_request_pending"
CHAIN = [("hosp", "submit"), ("gl", "county_approve"), ("fz", "city_approve"),
         ("fj", "province_approve"), ("nat", "national_confirm")]


@pytest.fixture(scope="module")
def app(database_url: str, tmp_path_factory: Any) -> Any:
    application = make_app(database_url, SCHEMA, tmp_path_factory.mktemp("files"))
    apply_schema(application)
    ensure_admin(application)
    with application.app_context():
        seed_people(application, ORGS, USERS, PASSWORD)
        application.appbuilder.session.commit()
    yield application
    dispose(application)


def confirmed(app: Any) -> int:
    """A demand through the whole chain (国家已确认: the state where 变更 applies)."""
    pk = new_demand(app)
    for username, key in CHAIN:
        fire(app, username, pk, key)
    return pk


def requests(app: Any, pk: int) -> list[Any]:
    from app.workflow.changes import ChangeRequest

    with app.app_context():
        session = app.appbuilder.session
        session.expire_all()
        return list(session.query(ChangeRequest).filter_by(entity=ENTITY, record_id=pk)
                    .order_by(ChangeRequest.id))


def indexes(app: Any) -> set[str]:
    with app.app_context():
        engine = app.appbuilder.session.get_bind()
        return {i["name"] for i in inspect(engine).get_indexes("workflow_change_request")}


def execute(app: Any, sql: str, **params: Any) -> None:
    with app.app_context(), app.appbuilder.session.get_bind().begin() as conn:
        conn.execute(text(sql), params)


def test_apply_creates_the_unique_index_on_an_older_database(app: Any) -> None:
    from app.apply import ApplyRefused
    from app.cli import apply_command

    assert INDEX in indexes(app)
    pk = confirmed(app)
    execute(app, f"DROP INDEX {INDEX}")  # a database from before the rule
    for _ in range(2):  # what the missing rule let through
        execute(app, "INSERT INTO workflow_change_request (entity, record_id, proposed, status,"
                     " requested_by, requested_at) VALUES (:e, :r, '{}', 'pending', 1, :at)",
                e=ENTITY, r=pk, at="2026-01-05 10:00:00")
    with pytest.raises(ApplyRefused, match=f"{ENTITY}#{pk}"):
        apply_schema(app)
    result = app.test_cli_runner().invoke(apply_command, [])
    assert result.exit_code == 1 and f"{ENTITY}#{pk}" in result.output
    assert "Nothing was changed" in result.output and INDEX not in indexes(app)
    first = requests(app, pk)[0]
    execute(app, "UPDATE workflow_change_request SET status = 'rejected' WHERE id = :id",
            id=first.id)  # decided on the record's page
    plan = apply_schema(app)
    assert [c.text for c in plan.changes] == [
        f"create index {INDEX} on workflow_change_request"]
    assert INDEX in indexes(app) and apply_schema(app).changes == []
    hosp = login(app, "hosp")
    again = hosp.post(f"/procurement/demand/change/{pk}",
                      data={"item": "P001", "baseline": "100", "planned": "7"})
    assert again.status_code == 200 and "该记录已有待审核的变更申请" in again.text


def test_acceptance_needs_the_record_still_in_a_change_state(app: Any) -> None:
    pk = confirmed(app)
    hosp = login(app, "hosp")
    assert hosp.post(f"/procurement/demand/change/{pk}", data={
        "item": "P001", "baseline": "100", "planned": "40"}).status_code == 302
    [change] = requests(app, pk)
    with app.app_context():  # moved on by another door meanwhile
        table = app.extensions["admin"].models[ENTITY].__tablename__
    execute(app, f"UPDATE {table} SET state = 'saved' WHERE id = :id", id=pk)
    province = login(app, "fj")
    page = province.post(f"/procurement/demand/change/decide/{change.id}",
                         data={"decision": "accept"}, follow_redirects=True).text
    assert "记录当前为“已保存”，不能通过该变更" in page
    assert requests(app, pk)[0].status == "pending" and state(app, pk) == "saved"
    assert hosp.get(f"/api/v1/demand/{pk}").json["result"]["planned"] == 10
    # rejecting stays possible, with its reason
    page = province.post(f"/procurement/demand/change/decide/{change.id}",
                         data={"decision": "reject", "reason": "记录已退回"},
                         follow_redirects=True).text
    assert "变更已驳回" in page and requests(app, pk)[0].status == "rejected"


def test_the_audit_log_names_requests_and_decisions(app: Any) -> None:
    pk = confirmed(app)
    hosp = login(app, "hosp")
    hosp.post(f"/procurement/demand/change/{pk}", data={"item": "P001", "baseline": "100",
                                                        "planned": "12"})
    [change] = requests(app, pk)
    login(app, "fj").post(f"/procurement/demand/change/decide/{change.id}",
                          data={"decision": "accept", "reason": "依据充分"})
    assert hosp.get(f"/api/v1/demand/{pk}").json["result"]["planned"] == 12
    with app.app_context():
        from app.audit.models import AuditEntry

        entries = app.appbuilder.session.query(AuditEntry).filter_by(
            entity=ENTITY, record_id=pk).order_by(AuditEntry.id).all()
        steps = [(e.action, e.username, e.transition, e.reason) for e in entries
                 if e.action != "transition"]
    assert steps == [("create", "hosp", None, None),
                     ("change_request", "hosp", None, None),
                     ("change_decision", "fj", "accepted", "依据充分"),
                     ("edit", "fj", None, None)]  # the values, written with the decision
    page = login(app, "admin").get("/security/audit/list/?_flt_0_action=change_request").text
    assert "申请变更" in page
    page = login(app, "admin").get("/security/audit/list/?_flt_0_action=change_decision").text
    assert "变更审批" in page and "依据充分" in page
    shown = login(app, "fj").get(f"/procurement/demand/show/{pk}").text
    assert "已通过" in shown and "依据充分" in shown and "预采购量：10 → 12" in shown
