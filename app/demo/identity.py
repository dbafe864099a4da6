"""The demo's 北京 service portal (seed 003): the enterprise information of 北京京康医药科技有限公司
(its legal person `bj_legal` meets no gate), added only while that enterprise has none; and an
enterprise's application sent on 注册账号, waiting for `bj_admin` on 注册审核."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from werkzeug.security import generate_password_hash

from app.context import generated
from app.demo.business import acting
from app.demo.data import PASSWORD, UNIT
from app.identity.models import Registration
from app.security.models import Organisation
from generator.identifiers import compose_uscc as uscc

BJ_INFO = {"kind": "holder", "legal_person": "钱家豪", "contact": "林晓", "mobile": "13901105101",
           "address": "北京市朝阳区望京街 10 号"}


# 注册账号: an enterprise of 朝阳区 asking for an account (its password: the demo's)
APPLICATION = {"number": "ZC20261201000001", "uscc": uscc("91", "110105", "MA8KT002"),
               "name": "北京康泰医药有限公司", "legal_person": "冯志远",
               "id_no": "110105197605120035", "contact": "冯志远", "mobile": "13901105202",
               "email": "feng@kangtai.example", "username": "bj_kangtai"}


def load(session: Any, users: dict[str, Any], orgs: dict[str, Any]) -> dict[str, int]:
    return {**_enterprise_info(session, users, orgs), **_application(session)}


def _application(session: Any) -> dict[str, int]:
    region = session.execute(select(Organisation).where(Organisation.code == "110105")
                             ).scalar_one_or_none()
    if generated().spec.registration is None or region is None or session.execute(
            select(Registration.id).where(Registration.number == APPLICATION["number"])).first():
        return {}
    session.add(Registration(**APPLICATION, region_id=region.id, region_path=region.path,
                             password_hash=generate_password_hash(PASSWORD),
                             created_at=dt.datetime(2026, 12, 1, 9, 30)))
    return {"registration applications": 1}


def _enterprise_info(session: Any, users: dict[str, Any], orgs: dict[str, Any]
                     ) -> dict[str, int]:
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
