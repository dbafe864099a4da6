"""The world of tests/data/schemas/gate_choices: enterprises, hospitals, a province, products
bound to enterprises, batches. Shared by test_gate, test_choices and test_org_keys."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from tests.conftest import (
    PASSWORD,
    SCHEMAS,
    apply_schema,
    ensure_admin,
    make_app,
    seed_people,
)
from tests.conftest import dispose as close  # noqa: F401 - the tests import it from here
from tests.conftest import sign_in as login  # noqa: F401

SCHEMA = SCHEMAS / "gate_choices" / "entities.yaml"
ENT_A, ENT_B, ENT_C = "91350100M000100Y43", "91110000600037341L", "91320500MA1M9X702E"
HOSP_A, HOSP_B = "1244000045585765XR", "12100000400000624D"
ORGS = {
    "350000": ("福建省", "province", None, None),
    ENT_A: ("甲企业", "unit", "350000", "enterprise"),
    ENT_B: ("乙企业", "unit", "350000", "enterprise"),
    ENT_C: ("丙企业", "unit", "350000", "enterprise"),
    HOSP_A: ("甲医院", "unit", "350000", "institution"),
    HOSP_B: ("乙医院", "unit", "350000", "institution"),
}
USERS = {
    "ent_a": ("legal", ENT_A, "legal_person"),
    "ent_b": ("legal", ENT_B, "legal_person"),
    "ent_c": ("legal", ENT_C, "legal_person"),
    "agent_c": ("agent", ENT_C, "agent"),  # may not fill 企业信息 itself
    "hosp_a": ("institution", HOSP_A, "institution"),
    "hosp_b": ("institution", HOSP_B, "institution"),
    "fj": ("province", "350000", "regulator"),
}
# product -> (imported, {enterprise: binding state})
PRODUCTS = {
    "进口药甲": (True, {ENT_A: "bound"}),
    "进口药乙": (True, {ENT_B: "bound"}),
    "国产药丙": (False, {ENT_A: "bound"}),
    "进口药丁": (True, {ENT_A: "unbound"}),
    "进口药戊": (True, {}),
}


def build_world(database_url: str, tmp: Path) -> dict[str, Any]:
    from app.security.models import Organisation

    app = make_app(database_url, SCHEMA, tmp)
    apply_schema(app)
    ensure_admin(app)
    with app.app_context():
        session = app.appbuilder.session
        models = app.extensions["admin"].models
        orgs = seed_people(app, ORGS, USERS, PASSWORD)
        products = {}
        for name, (imported, bindings) in PRODUCTS.items():
            product = models["basic.Product"](name=name, imported=imported)
            session.add(product)
            for code, state in bindings.items():
                session.add(models["binding.ProductBinding"](
                    product=product, state=state, org=orgs[code], org_path=orgs[code].path))
            products[name] = product
        batches = [models["basic.Batch"](name=n) for n in ("第一批", "第二批")]
        session.add_all(batches)
        session.commit()
        return {"app": app, "tmp": tmp,
                "orgs": {o.code: o.id for o in session.query(Organisation)},
                "products": {name: p.id for name, p in products.items()},
                "batches": [b.id for b in batches]}




def set_enterprise_info(app: Any, code: str, **values: Any) -> None:
    """The organisation's 企业信息 row as given (created when missing); None: no row."""
    from app.security.models import Organisation

    with app.app_context():
        session = app.appbuilder.session
        model = app.extensions["admin"].models["basic.EnterpriseInfo"]
        org = session.query(Organisation).filter_by(code=code).one()
        session.query(model).filter_by(org_id=org.id).delete()
        if values:
            session.add(model(org=org, org_path=org.path, **values))
        session.commit()


def complete_info(app: Any, code: str) -> None:
    set_enterprise_info(app, code, name="企业", uscc=code, legal_person="张三",
                        kind="overseas_agent")


def upload(client: Any, url: str, text: str, name: str = "in.csv") -> Any:
    return client.post(url, data={"file": (io.BytesIO(text.encode("utf-8")), name)},
                        content_type="multipart/form-data")
