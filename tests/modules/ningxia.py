"""The 宁夏 world the seed 004 scenarios share (宁夏回族自治区 → 银川市 → 兴庆区, and 石嘴山市
for a region of its own), its accounts, and the steps the scenarios begin with."""

from __future__ import annotations

from typing import Any

import pytest

from generator.identifiers import compose_uscc
from tests.conftest import PASSWORD, ROOT, apply_schema, dispose, make_app, seed_people
from tests.modules.enterprise import complete_info
from tests.world_cache import restore

SCHEMA = ROOT / "schema" / "entities.yaml"
MAKER = compose_uscc("91", "640104", "NX000001")
PHARMACY = compose_uscc("92", "640104", "NX000002")
SZS_FIRM = compose_uscc("91", "640202", "NX000003")  # 石嘴山市大武口区
NAMES = {MAKER: "宁夏塞上康源制药有限公司", PHARMACY: "银川市兴庆区康民大药房",
         SZS_FIRM: "石嘴山市大武口医药有限公司"}
ORGS = {
    "640000": ("宁夏回族自治区", "province", None, None),
    "640100": ("银川市", "city", "640000", None),
    "640104": ("兴庆区", "county", "640100", None),
    "640200": ("石嘴山市", "city", "640000", None),
    "640202": ("大武口区", "county", "640200", None),
    MAKER: (NAMES[MAKER], "unit", "640104", "enterprise"),
    PHARMACY: (NAMES[PHARMACY], "unit", "640104", "enterprise"),
    SZS_FIRM: (NAMES[SZS_FIRM], "unit", "640202", "enterprise"),
}
USERS = {
    "nx_reg": ("province_regulator", "640000", "regulator"),
    "nx_leader": ("leader", "640000", "regulator"),
    "nx_city": ("city", "640100", "regulator"),
    "nx_county": ("county", "640104", "regulator"),
    "nx_inspector": ("inspector", "640104", "regulator"),
    "szs_city": ("city", "640200", "regulator"),
    "szs_county": ("county", "640202", "regulator"),
    "maker": ("legal_person", MAKER, "legal_person"),
    "pharmacy": ("legal_person", PHARMACY, "legal_person"),
    "szs_firm": ("legal_person", SZS_FIRM, "legal_person"),
}
LOGINS = {"maker": MAKER, "pharmacy": PHARMACY, "szs_firm": SZS_FIRM}


@pytest.fixture(scope="module", name="nx")
def nx_world(database_url: str, tmp_path_factory: Any) -> Any:
    """The app with the 宁夏 organisations and accounts, each enterprise's 企业信息 filled
    (made once per session and backend, then copied: tests/world_cache.py)."""
    files = tmp_path_factory.mktemp("files")
    restore("ningxia", database_url, files, _build)
    app = make_app(database_url, SCHEMA, files)
    yield app
    dispose(app)


def _build(database_url: str, files: Any) -> None:
    app = make_app(database_url, SCHEMA, files)
    apply_schema(app)
    with app.app_context():
        seed_people(app, ORGS, USERS, PASSWORD)
        app.appbuilder.session.commit()
    for username, uscc in LOGINS.items():
        complete_info(app, username, NAMES[uscc], uscc, address="宁夏银川市兴庆区解放东街1号")
    dispose(app)


def info_id(app: Any, uscc: str) -> int:
    """The id of the enterprise's 企业信息 (its 监管相对人 row)."""
    from tests.modules.conftest import rows

    return int(next(r.id for r in rows(app, "basic.EnterpriseInfo") if r.uscc == uscc))
