"""What the demo's people did after the rows existed: fill in, save, report, review, return,
submit, unbind. Every state change goes through the workflow engine as that person, so the
审核记录, 补正历史 and the audit trail read as if it had been done on the screens. The engine
commits each transition on its own, as it does for a click."""

from __future__ import annotations

from typing import Any

from flask import g
from sqlalchemy import select

from app.context import generated
from app.demo.business import item_code, model, planned
from app.demo.data import OPEN_BATCH, OPEN_ITEMS, UNBOUND
from app.demo.people import DemoError
from app.workflow.engine import fire

RETURNED_ITEM = 20  # index of the open batch's item the county sends back
RETURN_REASON = "预采购量较2020年采购量增幅超过30%且未填写增幅说明，请核实后重新上报。"
REPORT_RETURN_REASON = "进口产品年销售量与年进口量差异较大，请在药品生产销售情况中补充库存说明。"


class Actor:
    """Fires transitions as one person, refusing to go on when the engine refuses."""

    def __init__(self, session: Any, user: Any):
        self.session, self.user = session, user

    def fire(self, entity: str, key: str, ids: list[int], reason: str | None = None) -> int:
        spec = generated().spec
        g.user = self.user
        result = fire(spec.entity(entity), model(entity), self.session, self.user, key, ids,
                      reason)
        if result.refused:
            raise DemoError(f"{self.user.username} could not {key} {entity} "
                            f"{result.refused[0][0]}: {result.refused[0][1]}")
        return len(result.done)


def demand_ids(session: Any, org: Any, indexes: range) -> list[int]:
    demand, batch = model("procurement.Demand"), model("procurement.Batch")
    codes = [item_code(11, i) for i in indexes]
    query = (select(demand.id).join(batch, demand.batch_id == batch.id)
             .where(batch.name == OPEN_BATCH, demand.org_id == org.id,
                    demand.item_code.in_(codes)).order_by(demand.item_code))
    return list(session.execute(query).scalars())


def fill(session: Any, user: Any, unit: str, ids: list[int]) -> None:
    """The institution types 预采购量 (and reasons) into its rows: an edit of its own."""
    g.user = user
    demand = model("procurement.Demand")
    for row in session.execute(select(demand).where(demand.id.in_(ids))).scalars():
        value, note = planned(row.item_code, unit)
        if row.item_code == item_code(11, RETURNED_ITEM):  # a jump nobody explained
            value, note = round(row.baseline * 1.35), None
        row.planned, row.change_note = value, note
    session.commit()


def procurement(session: Any, users: dict[str, Any], orgs: dict[str, Any]) -> int:
    fired = 0
    everything = range(len(OPEN_ITEMS))
    # ln_hospital2 reports the whole batch (its commitment letter is there)
    reporter = demand_ids(session, orgs["ln_hospital2"], everything)
    fill(session, users["ln_hospital2"], "ln_hospital2", reporter)
    hospital = Actor(session, users["ln_hospital2"])
    fired += hospital.fire("procurement.Demand", "save", reporter)
    fired += hospital.fire("procurement.Demand", "submit", reporter)
    county = Actor(session, users["ln_county"])
    fired += county.fire("procurement.Demand", "county_approve", reporter[:20])
    fired += county.fire("procurement.Demand", "send_back", [reporter[RETURNED_ITEM]],
                         RETURN_REASON)
    fired += Actor(session, users["ln_city"]).fire("procurement.Demand", "city_approve",
                                                   reporter[:10])
    # two institutions saved part of the batch; sc_hospital2 has not started
    for unit, count in (("ln_hospital1", 15), ("sc_hospital1", 8)):
        ids = demand_ids(session, orgs[unit], range(count))
        fill(session, users[unit], unit, ids)
        fired += Actor(session, users[unit]).fire("procurement.Demand", "save", ids)
    return fired


def ids_of(session: Any, entity: str, **where: Any) -> list[int]:
    target = model(entity)
    query = select(target.id).filter_by(**where).order_by(target.id)
    return list(session.execute(query).scalars())


def enterprises(session: Any, users: dict[str, Any], orgs: dict[str, Any]) -> int:
    report = "annual_report.AnnualReport"
    fired = Actor(session, users["ln_legal"]).fire(
        report, "submit", ids_of(session, report, org_id=orgs["ln_maker"].id, year=2024))
    for unit in ("ln_importer", "sc_importer"):
        fired += Actor(session, users[f"{unit[:2]}_import"]).fire(
            report, "submit", ids_of(session, report, org_id=orgs[unit].id, year=2025))
    fired += Actor(session, users["ln_reg"]).fire(
        report, "send_back", ids_of(session, report, org_id=orgs["ln_importer"].id, year=2025),
        REPORT_RETURN_REASON)
    dossier = "export_dossier.ExportDossier"
    fired += Actor(session, users["ln_agent"]).fire(dossier, "submit", ids_of(
        session, dossier, org_id=orgs["ln_maker"].id, product_name="注射用头孢曲松钠"))
    unit, approval, reason = UNBOUND
    binding, product = model("binding.ProductBinding"), model("basic.Product")
    bound = list(session.execute(
        select(binding.id).join(product, binding.product_id == product.id)
        .where(binding.org_id == orgs[unit].id, product.approval == approval)).scalars())
    fired += Actor(session, users["ln_reg"]).fire("binding.ProductBinding", "unbind", bound,
                                                  reason)
    return fired
