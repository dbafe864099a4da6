"""What the hook tests share: a small world of organisations and users, PDFs, windows."""

from __future__ import annotations

import datetime as dt
import io
import os
from pathlib import Path
from typing import Any

from tests.conftest import (
    ADMIN_PASSWORD,
    SCHEMAS,
    apply_schema,
    ensure_admin,
    make_app,
    seed_people,
)

SCHEMA = SCHEMAS / "hooks" / "entities.yaml"
PASSWORD = "Pass@12345"
HOSPITAL_A, HOSPITAL_B, HOSPITAL_C = ("91350100M000100Y43", "91110000600037341L",
                                      "1244000045585765XR")
ORGS = {
    "350000": ("福建省", "province", None, None),
    "350102": ("鼓楼区", "county", "350000", None),
    HOSPITAL_A: ("福州甲医院", "unit", "350102", "institution"),
    HOSPITAL_B: ("福州乙医院", "unit", "350102", "institution"),
    "440000": ("广东省", "province", None, None),
    HOSPITAL_C: ("广州丙医院", "unit", "440000", "institution"),
}
USERS = {
    "hosp_a": ("institution", HOSPITAL_A), "hosp_b": ("institution", HOSPITAL_B),
    "hosp_c": ("institution", HOSPITAL_C),
    "fj": ("province", "350000"), "gd": ("province", "440000"),
    "fj_admin": ("sys_admin", "350000"), "gd_admin": ("sys_admin", "440000"),
    "nat_admin": ("sys_admin", "CN"),
}


def build_world(database_url: str, tmp: Path, **config: Any) -> dict[str, Any]:
    from app.security.models import Organisation

    app = make_app(database_url, SCHEMA, tmp, **config)
    apply_schema(app)
    ensure_admin(app)
    with app.app_context():
        session = app.appbuilder.session
        if session.query(Organisation).filter_by(code=HOSPITAL_A).first() is None:
            orgs = seed_people(app, ORGS, USERS, PASSWORD)
            models = app.extensions["admin"].models
            session.add_all([models["procurement.Batch"](name="第一批"),
                             models["procurement.Batch"](name="第二批")])
            session.commit()
        orgs = {o.code: o.id for o in session.query(Organisation)}
    return {"app": app, "orgs": orgs, "tmp": tmp}


def login(app: Any, username: str) -> Any:
    client = app.test_client()
    password = ADMIN_PASSWORD if username == "admin" else PASSWORD
    response = client.post("/login/", data={"username": username, "password": password})
    assert response.headers.get("Location") == "/", response.text[:500]
    return client


def beijing_now() -> dt.datetime:
    from app.hooks.models import beijing_now as now

    return now()


def set_window(app: Any, window: str = "procurement_batch", *, opens: dt.datetime,
               closes: dt.datetime, region: str | None = None, batch: str | None = None,
               is_open: bool = True) -> int:
    """Add a window directly (the screens are tested on their own)."""
    from app.hooks.models import Window
    from app.security.models import Organisation

    with app.app_context():
        session = app.appbuilder.session
        region_id = (session.query(Organisation).filter_by(code=region).one().id
                     if region else None)
        row = Window(window=window, batch=batch, region_id=region_id, opens_at=opens,
                     closes_at=closes, is_open=is_open)
        session.add(row)
        session.commit()
        return int(row.id)


def clear_windows(app: Any) -> None:
    from app.hooks.models import Window, WindowExtension

    with app.app_context():
        session = app.appbuilder.session
        session.query(WindowExtension).delete()
        session.query(Window).delete()
        session.commit()


def open_everywhere(app: Any, window: str = "procurement_batch") -> int:
    now = beijing_now()
    return set_window(app, window, opens=now - dt.timedelta(days=1),
                      closes=now + dt.timedelta(days=30))


def make_pdf(pad: int = 0, title: str = "承诺函") -> bytes:
    """A sound PDF of one page; `pad` bytes of random data ride along as an attachment."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    writer.add_metadata({"/Title": title})
    if pad:
        writer.add_attachment("pad.bin", os.urandom(pad))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
