"""The 宁夏 world of seed 004 for the scenario tests of its subsystems: 宁夏回族自治区 → 银川市
→ 兴庆区 (and 金凤区), three enterprises with their 企业信息, and the seed's regulators
(省局, 地市级, 区县级, 执法人员, 分管领导) and legal persons; plus another province's regulator
who must see none of it."""

from __future__ import annotations

from typing import Any

from generator.identifiers import compose_uscc
from tests.conftest import (
    PASSWORD,
    ROOT,
    apply_schema,
    dispose,
    ensure_admin,
    make_app,
    seed_people,
)
from tests.modules.conftest import add_row
from tests.world_cache import restore

SCHEMA = ROOT / "schema" / "entities.yaml"
MAKER = compose_uscc("91", "640105", "MA7CK001")  # 宁夏塞上康源制药有限公司 (西夏区)
WHOLESALE = compose_uscc("91", "640104", "MA7FC002")  # 宁夏凤城医药有限公司 (兴庆区)
PHARMACY = compose_uscc("92", "640104", "MA7KM003")  # 银川市兴庆区康民大药房 (兴庆区)
NAMES = {MAKER: "宁夏塞上康源制药有限公司", WHOLESALE: "宁夏凤城医药有限公司",
         PHARMACY: "银川市兴庆区康民大药房"}
ORGS = {
    "640000": ("宁夏回族自治区", "province", None, None),
    "640100": ("银川市", "city", "640000", None),
    "640104": ("兴庆区", "county", "640100", None),
    "640105": ("西夏区", "county", "640100", None),
    MAKER: (NAMES[MAKER], "unit", "640105", "enterprise"),
    WHOLESALE: (NAMES[WHOLESALE], "unit", "640104", "enterprise"),
    PHARMACY: (NAMES[PHARMACY], "unit", "640104", "enterprise"),
    "210000": ("辽宁省", "province", None, None),
}
USERS = {
    "nx_reg": ("province_regulator", "640000", "regulator"),
    "nx_leader": ("leader", "640000", "regulator"),
    "nx_city": ("city", "640100", "regulator"),
    "nx_city_leader": ("leader", "640100", "regulator"),
    "nx_county": ("county", "640104", "regulator"),
    "nx_county_leader": ("leader", "640104", "regulator"),
    "nx_inspector": ("inspector", "640104", "regulator"),
    "nx_inspector2": ("inspector", "640104", "regulator"),
    "nx_xixia": ("county", "640105", "regulator"),
    "nx_maker": ("legal_person", MAKER, "legal_person"),
    "nx_wholesale": ("legal_person", WHOLESALE, "legal_person"),
    "nx_pharmacy": ("legal_person", PHARMACY, "legal_person"),
    "ln_reg": ("province_regulator", "210000", "regulator"),
}
INFO = {"kind": "other", "legal_person": "李明远", "contact": "马丽", "mobile": "13909511101",
        "address": "宁夏银川市"}


def clear(app: Any, entities: tuple[str, ...], *more: Any) -> None:
    """Deletes the entities' rows (children first, as listed) and their audit entries, then
    runs `more` (further DELETE statements): each test starts from the bare world."""
    from sqlalchemy import delete

    from app.audit.models import AuditEntry

    models = app.extensions["admin"].models
    with app.app_context():
        session = app.appbuilder.session
        for name in entities:
            session.execute(delete(models[name]))
        session.execute(delete(AuditEntry).where(AuditEntry.entity.in_(entities)))
        for statement in more:
            session.execute(statement)
        session.commit()


def open_world(name: str, database_url: str, files: Any, build: Any,
               names: dict[str, str]) -> dict[str, Any]:
    """A cached world (tests/world_cache.py) copied into `database_url` and opened: the app,
    the organisations' ids by code and the 企业信息 ids of `names` by credit code."""
    from sqlalchemy import select

    from app.security.models import Organisation

    restore(name, database_url, files, build)
    app = make_app(database_url, SCHEMA, files)
    with app.app_context():
        session = app.appbuilder.session
        orgs = {o.code: o.id for o in session.query(Organisation)}
        info = app.extensions["admin"].models["basic.EnterpriseInfo"]
        infos = {uscc: pk for uscc, pk in session.execute(select(info.uscc, info.id))
                 if uscc in names}
    return {"app": app, "orgs": orgs, "infos": infos}


def build_world(database_url: str, files: Any, orgs: dict[str, Any], users: dict[str, Any],
                names: dict[str, str], info: dict[str, Any], people: Any = None) -> None:
    """The bundled schema with `orgs`, `users` (then `people(app)` on them) and a 企业信息 row
    per enterprise of `names`."""
    app = make_app(database_url, SCHEMA, files)
    apply_schema(app)
    ensure_admin(app)
    with app.app_context():
        seed_people(app, orgs, users, PASSWORD)
        if people is not None:
            people(app)
        app.appbuilder.session.commit()
    for uscc, name in names.items():
        add_row(app, "basic.EnterpriseInfo", uscc, name=name, uscc=uscc, **info)
    dispose(app)


def make_world(database_url: str, files: Any) -> dict[str, Any]:
    """The app on the bundled schema with the 宁夏 organisations, accounts and 企业信息 (made
    once per session and backend, then copied: tests/world_cache.py)."""
    return open_world("nx_world", database_url, files, _build, NAMES)


def _build(database_url: str, files: Any) -> None:
    build_world(database_url, files, ORGS, USERS, NAMES, INFO)


__all__ = ["MAKER", "PHARMACY", "SCHEMA", "WHOLESALE", "build_world", "clear", "dispose",
           "make_world", "open_world"]
