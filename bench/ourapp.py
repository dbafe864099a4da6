"""Our application as the benchmarks run it: PostgreSQL, no captcha, no sign-in rate limit (the
load test signs 100 users in from one address), everything else as deployed.

Imported only by the child processes that measure our side, never by the anchors.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.common import DRUGS, PASSWORD, WORK, Shape, db_url, id_card, org_tree

SETTINGS: dict[str, Any] = {
    "SECRET_KEY": "bench-secret",
    "WTF_CSRF_ENABLED": False,
    "RATELIMIT_ENABLED": False,
    "AUTH_RATE_LIMITED": False,
    "ADMIN_PASSWORD_POLICY": {"captcha": False, "change_first_login": False,
                              "not_username": False},
    "ADMIN_UPLOAD_FOLDER": str(WORK / "uploads"),
    "ADMIN_IMPORT_FOLDER": str(WORK / "imports"),
}


def make_app(dbname: str, schema: Path | str, **config: Any) -> Any:
    from app import create_app

    settings = {**SETTINGS, "SQLALCHEMY_DATABASE_URI": db_url(dbname),
                "ADMIN_SCHEMA": str(schema), **config}
    return create_app(settings)


def apply(app: Any) -> Any:
    from app.apply import apply_schema

    with app.app_context():
        return apply_schema(app)


def seed_world(app: Any, shape: Shape, users: dict[str, tuple[str, str]]) -> None:
    """National + the org tree, the drugs (when the schema has them) and users
    {username: (role, org code; 'CN' for national, 'unit:N' for the N-th unit)}, through the
    application's own functions."""
    from app.security.models import Organisation
    from app.security.orgs import add_org, national

    with app.app_context():
        session = app.appbuilder.session
        sm = app.appbuilder.sm
        national(session)
        tree = org_tree(shape)
        for code, name, level, parent, kind in tree:
            add_org(session, code, name, level, parent, kind)
        units = [code for code, _n, level, _p, _k in tree if level == "unit"]
        models = app.extensions["admin"].models
        if "procurement.Drug" in models:
            session.add_all([models["procurement.Drug"](name=name) for name in DRUGS])
        session.flush()
        orgs = {o.code: o for o in session.query(Organisation)}
        for username, (role, where) in users.items():
            code = units[int(where[5:])] if where.startswith("unit:") else where
            user = sm.add_user(username, username, "bench", f"{username}@bench.invalid",
                               sm.find_role(role), PASSWORD)
            if user is None or user is False:
                raise RuntimeError(f"user {username} was not created")
            user.org = orgs[code]
        session.commit()


def units(dbname: str) -> list[tuple[int, str, str]]:
    """(id, path, code) of every unit, in code order of creation (id order)."""
    from bench.common import connect

    with connect(dbname) as conn:
        return list(conn.execute("SELECT id, path, code FROM org_organisation "
                                 "WHERE level = 'unit' ORDER BY id"))


def demand_code(i: int) -> str:
    """First digit after D is i % 10, so 'D3' matches a tenth of any number of rows."""
    return f"D{i % 10}{i // 10:07d}"


def load_demands(dbname: str, n: int) -> None:
    """n rows of procurement_demand by COPY, deterministic, spread over every unit."""
    import datetime as dt

    from bench.common import connect

    unit_rows = units(dbname)
    with connect(dbname) as conn:
        drugs = [r[0] for r in conn.execute("SELECT id FROM procurement_drug ORDER BY id")]
        base = dt.date(2026, 1, 1)
        with conn.cursor().copy(
                "COPY procurement_demand (code, drug_id, kind, baseline, planned, contact_id, "
                "signed_on, note, org_id, org_path, row_version) FROM STDIN") as copy:
            for i in range(n):
                org_id, path, _code = unit_rows[(i // 10) % len(unit_rows)]
                copy.write_row((demand_code(i), drugs[i % len(drugs)],
                                "new" if i % 3 else "renew", (i * 37) % 1000,
                                (i * 7919) % 100_000, id_card(i % 5000),
                                base + dt.timedelta(days=i % 365), f"备注{i % 100}",
                                org_id, path, 1))
        conn.commit()
        # as autovacuum leaves a loaded table: statistics and the visibility map (which
        # index-only scans need)
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE procurement_demand")


def login(client: Any, username: str) -> None:
    response = client.post("/login/", data={"username": username, "password": PASSWORD})
    if response.status_code != 302 or response.headers.get("Location") != "/":
        raise RuntimeError(f"sign-in of {username} failed: {response.status_code} "
                           f"{response.headers.get('Location')}")
