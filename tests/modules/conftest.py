"""The bundled schema (schema/entities.yaml) as its users meet it: two provinces with their
cities, counties, hospitals and enterprises, one account per role, real databases."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest

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
from tests.conftest import sign_in as login  # noqa: F401 - the scenarios import it from here

SCHEMA = ROOT / "schema" / "entities.yaml"


HOSP1 = compose_uscc("12", "210102", "H0000001")
HOSP2 = compose_uscc("12", "210102", "H0000002")
HOSP_SC = compose_uscc("12", "510104", "H0000003")
MAKER = compose_uscc("91", "210102", "E0000001")  # domestic manufacturer
AGENT_LN = compose_uscc("91", "210102", "A0000001")
AGENT_SC = compose_uscc("91", "510104", "A0000002")
ORGS = {
    "210000": ("辽宁省", "province", None, None),
    "210100": ("沈阳市", "city", "210000", None),
    "210102": ("和平区", "county", "210100", None),
    HOSP1: ("沈阳市第一人民医院", "unit", "210102", "institution"),
    HOSP2: ("和平区中心医院", "unit", "210102", "institution"),
    MAKER: ("辽宁康华制药有限公司", "unit", "210102", "enterprise"),
    AGENT_LN: ("辽宁远航医药有限公司", "unit", "210102", "enterprise"),
    "510000": ("四川省", "province", None, None),
    "510100": ("成都市", "city", "510000", None),
    "510104": ("锦江区", "county", "510100", None),
    HOSP_SC: ("锦江区人民医院", "unit", "510104", "institution"),
    AGENT_SC: ("四川海通医药有限公司", "unit", "510104", "enterprise"),
}
USERS = {
    "ln_hosp1": ("institution", HOSP1, "institution"),
    "ln_hosp2": ("institution", HOSP2, "institution"),
    "ln_county": ("county", "210102", "regulator"),
    "ln_city": ("city", "210100", "regulator"),
    "ln_prov": ("province", "210000", "regulator"),
    "sc_hosp": ("institution", HOSP_SC, "institution"),
    "sc_county": ("county", "510104", "regulator"),
    "sc_city": ("city", "510100", "regulator"),
    "sc_prov": ("province", "510000", "regulator"),
    "lcb": ("national", "CN", "regulator"),
    "nmpa": ("nmpa_regulator", "CN", "regulator"),
    "ln_reg": ("province_regulator", "210000", "regulator"),
    "sc_reg": ("province_regulator", "510000", "regulator"),
    "maker_legal": ("legal_person", MAKER, "legal_person"),
    "maker_agent": ("agent", MAKER, "agent"),
    "ln_agent_legal": ("legal_person", AGENT_LN, "legal_person"),
    "sc_agent_legal": ("legal_person", AGENT_SC, "legal_person"),
    "ln_sys": ("sys_admin", "210000", "admin"),
}


@pytest.fixture(scope="module")
def world(database_url: str, tmp_path_factory: Any) -> Any:
    from app.security.models import Organisation

    app = make_app(database_url, SCHEMA, tmp_path_factory.mktemp("files"))
    apply_schema(app)
    ensure_admin(app)
    with app.app_context():
        session = app.appbuilder.session
        seed_people(app, ORGS, USERS, PASSWORD)
        session.commit()
        orgs = {o.code: o.id for o in session.query(Organisation)}
    yield {"app": app, "orgs": orgs}
    dispose(app)



def model(app: Any, name: str) -> Any:
    return app.extensions["admin"].models[name]


def rows(app: Any, name: str, **where: Any) -> list[Any]:
    with app.app_context():
        session = app.appbuilder.session
        session.expire_all()
        return session.query(model(app, name)).filter_by(**where).order_by("id").all()


def add_row(app: Any, name: str, org_code: str | None = None, /, **values: Any) -> int:
    """A row written straight to the database (what earlier steps of a scenario left)."""
    from app.security.models import Organisation

    with app.app_context():
        session = app.appbuilder.session
        row = model(app, name)(**values)
        if org_code is not None:
            org = session.query(Organisation).filter_by(code=org_code).one()
            row.org = org  # the relationship: saving derives org_id and org_path from it
        session.add(row)
        session.commit()
        return int(row.id)


def open_window(app: Any, series: str = "procurement", days: int = 30,
                is_open: bool = True) -> int:
    from app.hooks.models import Window, beijing_now

    with app.app_context():
        session = app.appbuilder.session
        now = beijing_now()
        window = Window(window=series, batch=None, region_id=None,
                        opens_at=now - dt.timedelta(days=1),
                        closes_at=now + dt.timedelta(days=days), is_open=is_open)
        session.add(window)
        session.commit()
        return int(window.id)


def set_window(app: Any, pk: int, **values: Any) -> None:
    from app.hooks.models import Window

    with app.app_context():
        session = app.appbuilder.session
        window = session.get(Window, pk)
        for key, value in values.items():
            setattr(window, key, value)
        session.commit()


def make_pdf(title: str = "承诺函") -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    writer.add_metadata({"/Title": title})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def flashes(html: str) -> str:
    """The page's text, for asserting on the Chinese messages it shows."""
    import re

    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
