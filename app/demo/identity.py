"""The demo's 北京 service portal (seed 003): the enterprise information of 北京京康医药科技有限公司
(its legal person `bj_legal` meets no gate), added only while that enterprise has none."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from app.context import generated
from app.demo.business import acting
from app.demo.data import UNIT

BJ_INFO = {"kind": "holder", "legal_person": "钱家豪", "contact": "林晓", "mobile": "13901105101",
           "address": "北京市朝阳区望京街 10 号"}


def load(session: Any, users: dict[str, Any], orgs: dict[str, Any]) -> dict[str, int]:
    models = generated().models
    info = models.get("basic.EnterpriseInfo")
    org = orgs.get("bj_maker")
    if info is None or org is None or session.execute(
            select(info.id).where(info.org_id == org.id)).first():
        return {}
    with acting(session, users["bj_legal"]):
        session.add(info(name=UNIT["bj_maker"].name, uscc=UNIT["bj_maker"].code, org=org,
                         **BJ_INFO))
    return {"portal enterprise information": 1}
