"""What the list-editing and workflow-guard tests share: two hospitals of one county, a
county reviewer, a batch, the reporting window open, and helpers to make rows directly."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from tests.conftest import (
    PASSWORD,
    SCHEMAS,
    apply_schema,
    dispose,  # noqa: F401 - the tests import it from here
    ensure_admin,
    make_app,
    seed_people,
)
from tests.conftest import sign_in as login  # noqa: F401

SCHEMA = SCHEMAS / "list_edit" / "entities.yaml"
HOSPITAL, OTHER_HOSPITAL = "91350100M000100Y43", "12100000400000624D"
ORGS = {
    "350000": ("福建省", "province", None, None),
    "350102": ("鼓楼区", "county", "350000", None),
    HOSPITAL: ("福州甲医院", "unit", "350102", "institution"),
    OTHER_HOSPITAL: ("福州乙医院", "unit", "350102", "institution"),
}
USERS = {"hosp": ("institution", HOSPITAL, "institution"),
         "hosp2": ("institution", OTHER_HOSPITAL, "institution"),
         "gl": ("county", "350102", "regulator")}
DEMAND = "procurement.Demand"
LIST = "/procurement/demand/list/"
ACTION = "/procurement/demand/action_post"


def build_world(database_url: str, tmp: Path) -> Any:
    from app.hooks.models import Window, beijing_now

    app = make_app(database_url, SCHEMA, tmp)
    apply_schema(app)
    ensure_admin(app)
    with app.app_context():
        session = app.appbuilder.session
        seed_people(app, ORGS, USERS, PASSWORD)
        models = app.extensions["admin"].models
        session.add_all([models["procurement.Batch"](name="第一批"),
                         models["procurement.Batch"](name="第二批")])
        now = beijing_now()
        session.add(Window(window="procurement_batch", opens_at=now - dt.timedelta(days=1),
                           closes_at=now + dt.timedelta(days=30), is_open=True))
        session.commit()
    return app




def _org(session: Any, code: str) -> Any:
    from app.security.models import Organisation

    return session.query(Organisation).filter_by(code=code).one()


def _batch(app: Any, session: Any, name: str) -> Any:
    model = app.extensions["admin"].models["procurement.Batch"]
    return session.query(model).filter_by(name=name).one()


def make_demand(app: Any, code: str, state: str = "pending", org: str = HOSPITAL,
                batch: str = "第一批", planned: int | None = None) -> int:
    """A Demand row written directly (the screens under test come after)."""
    with app.app_context():
        session = app.appbuilder.session
        row = app.extensions["admin"].models[DEMAND](
            item_code=code, state=state, planned=planned, org=_org(session, org),
            batch=_batch(app, session, batch))
        session.add(row)
        session.commit()
        return int(row.id)


def make_letter(app: Any, org: str = HOSPITAL, batch: str = "第一批",
                filled: bool = True) -> int:
    with app.app_context():
        session = app.appbuilder.session
        row = app.extensions["admin"].models["procurement.CommitmentLetter"](
            org=_org(session, org), batch=_batch(app, session, batch),
            letter="letters/x.pdf" if filled else None,
            letter_name="承诺函.pdf" if filled else None)
        session.add(row)
        session.commit()
        return int(row.id)


def demand(app: Any, pk: int) -> Any:
    """The stored row, read afresh (detached: attributes already loaded)."""
    with app.app_context():
        session = app.appbuilder.session
        session.expire_all()
        row = session.get(app.extensions["admin"].models[DEMAND], pk)
        for name in ("state", "planned", "change_note", "kind", "review_log", "row_version"):
            getattr(row, name)
        session.expunge(row)
        return row
