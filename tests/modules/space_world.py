"""The 北京 world of seed 003 for the 企业空间 scenarios: 北京市 → 朝阳区 and 海淀区, two
enterprises with their 企业信息 (北京京康医药科技有限公司 of the demo and a neighbour), their
legal persons and an agent, the province's regulator, and a regulator of another province."""

from __future__ import annotations

from typing import Any

from generator.identifiers import compose_uscc
from tests.conftest import ROOT, dispose
from tests.modules.nx_world import build_world, open_world

SCHEMA = ROOT / "schema" / "entities.yaml"
JINGKANG = compose_uscc("91", "110105", "MA8JK001")  # 北京京康医药科技有限公司 (朝阳区)
OTHER = compose_uscc("91", "110108", "MA8HD002")  # 北京海淀康达医药有限公司 (海淀区)
NAMES = {JINGKANG: "北京京康医药科技有限公司", OTHER: "北京海淀康达医药有限公司"}
ORGS = {
    "110000": ("北京市", "province", None, None),
    "110105": ("朝阳区", "county", "110000", None),
    "110108": ("海淀区", "county", "110000", None),
    JINGKANG: (NAMES[JINGKANG], "unit", "110105", "enterprise"),
    OTHER: (NAMES[OTHER], "unit", "110108", "enterprise"),
    "210000": ("辽宁省", "province", None, None),
}
USERS = {
    "bj_reg": ("province_regulator", "110000", "regulator"),
    "bj_legal": ("legal_person", JINGKANG, "legal_person"),
    "bj_agent": ("agent", JINGKANG, "agent"),
    "hd_legal": ("legal_person", OTHER, "legal_person"),
    "ln_reg": ("province_regulator", "210000", "regulator"),
}
INFO = {"kind": "holder", "legal_person": "钱家豪", "contact": "林晓", "mobile": "13901105101",
        "address": "北京市朝阳区望京街 10 号"}


def make_world(database_url: str, files: Any) -> dict[str, Any]:
    """The app on the bundled schema with the 北京 organisations, accounts and 企业信息 (made
    once per session and backend, then copied: tests/world_cache.py)."""
    return open_world("bj_space_world", database_url, files, _build, NAMES)


def _people(app: Any) -> None:
    # 子用户授权: the legal person delegated 企业空间 to its agent
    app.appbuilder.sm.find_user(username="bj_agent").modules = "space"
    # seed 003 ch. 10.2: 北京's enterprise accounts have given their 身份证号
    for username, id_no in (("bj_legal", "110105197905082341"),
                            ("bj_agent", "110105198502113451"),
                            ("hd_legal", "110108197001014564")):
        app.appbuilder.sm.find_user(username=username).id_no = id_no


def _build(database_url: str, files: Any) -> None:
    build_world(database_url, files, ORGS, USERS, NAMES, INFO, _people)


__all__ = ["JINGKANG", "OTHER", "SCHEMA", "dispose", "make_world"]
