"""`flask demo load`: a realistic, deterministic demo data set for the bundled schema.

Two provinces (辽宁省 and 四川省, real GB/T 2260 divisions) with hospitals and enterprises, one
account per role, and records of every module in the states a demonstration needs. Running it
again changes nothing: organisations and accounts are added when missing (by code and user
name), the records only when the open procurement batch does not exist yet.

Organisations, accounts and records are written in one transaction; the state changes that
follow (report, review, return, submit, unbind) go through the workflow engine as the people
concerned, one commit per transition like a click on the screens.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from app.demo import business, flows, usage
from app.demo import catalogue as demo_catalogue
from app.demo import credit as demo_credit
from app.demo import enforcement as demo_enforcement
from app.demo import filing as demo_filing
from app.demo import helpdesk as demo_helpdesk
from app.demo import identity as demo_identity
from app.demo import interaction as demo_interaction
from app.demo import notices as demo_notices
from app.demo import regulation as demo_regulation
from app.demo import sampling as demo_sampling
from app.demo import space as demo_space
from app.demo import supervision as demo_supervision
from app.demo import trace as demo_trace
from app.demo import training as demo_training
from app.demo.data import ACCOUNTS, OPEN_BATCH, PASSWORD
from app.demo.people import (
    DemoError,
    load_accounts,
    load_orgs,
    org_code,
    orgs_by_key,
    users_by_name,
)

__all__ = ["PASSWORD", "DemoError", "Report", "accounts_table", "load"]

ENTITIES = ("basic.EnterpriseInfo", "basic.Product", "procurement.Batch",
            "procurement.CatalogItem", "procurement.Demand", "procurement.CommitmentLetter",
            "annual_report.AnnualReport", "annual_report.AnnualReportProduct",
            "export_dossier.ExportDossier", "binding.ProductBinding")


@dataclass
class Report:
    created: dict[str, int] = field(default_factory=dict)
    skipped: str | None = None  # why nothing was loaded (a schema without the modules)

    @property
    def changed(self) -> bool:
        return any(self.created.values())


def load(app: Any) -> Report:
    admin = app.extensions["admin"]
    missing = [name for name in ENTITIES if name not in admin.models]
    if missing:
        return Report(skipped="the schema lacks " + ", ".join(missing)
                      + " (the demo is made for schema/entities.yaml)")
    report = Report()
    with app.test_request_context():  # the engine and the audit trail expect a request
        session = app.appbuilder.session
        try:
            divisions, units = load_orgs(session)
            report.created.update(divisions=divisions, organisations=units,
                                  accounts=load_accounts(session))
            batch = admin.models["procurement.Batch"]
            fresh = session.execute(select(batch.id).where(batch.name == OPEN_BATCH)
                                    ).first() is None
            users, orgs = users_by_name(session), orgs_by_key(session)
            if fresh:
                for block in (business.basic, business.procurement, business.bindings,
                              business.annual_reports, business.dossiers):
                    report.created.update(block(session, users, orgs))
                report.created["sign_ins"] = usage.sign_ins(session, users)
            # also into a demo loaded before 通知公告 existed: only while there are none
            report.created.update(demo_notices.load(session, users, orgs))
            report.created.update(demo_identity.load(session, users, orgs))
            report.created.update(demo_space.load(session, users, orgs))
            report.created.update(demo_credit.load(session, users, orgs))
            report.created.update(demo_enforcement.load(session, users, orgs))
            report.created.update(demo_sampling.load(session, users, orgs))
            report.created.update(demo_regulation.load(session, users, orgs))
            report.created.update(demo_interaction.load(session, users, orgs))
            report.created.update(demo_supervision.load(session, users, orgs))
            report.created.update(demo_trace.load(session, users, orgs))
            report.created.update(demo_filing.load(session, users, orgs))
            report.created.update(demo_helpdesk.load(session, users, orgs))
            report.created.update(demo_catalogue.load(session, users, orgs))
            report.created.update(demo_training.load(session, users, orgs))
            session.commit()
        except Exception:
            session.rollback()
            raise
        if fresh:
            report.created["transitions"] = (flows.procurement(session, users, orgs)
                                             + flows.enterprises(session, users, orgs))
    return report


def accounts_table(app: Any) -> list[tuple[str, str, str]]:
    """(user name, role, organisation) of every demo account, in the order of the README."""
    spec = app.extensions["admin"].spec
    labels = {r.key: r.label.zh for r in spec.roles}
    with app.app_context():
        orgs = orgs_by_key(app.appbuilder.session)
    names = {str(o.code): str(o.name) for o in orgs.values()}
    return [(a.username, labels.get(a.role, a.role), names.get(org_code(a), org_code(a)))
            for a in ACCOUNTS]
