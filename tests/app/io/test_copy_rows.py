"""Rows an import adds are the same whichever way they are written: COPY on PostgreSQL
(app/io/copy_rows.py), a bulk INSERT on SQLite. The columns' own defaults (the version, the
pinyin initials of searched text) are filled, and every row has its audit entry, with
references readable, in the import's transaction."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from sqlalchemy import select

from tests.app.io.test_import_report import HOSPITAL_A, _login, world  # noqa: F401


def _csv(lines: list[str]) -> bytes:
    return ("\ufeff" + "\n".join(lines) + "\n").encode("utf-8")


def test_new_rows_have_their_defaults_and_their_history(world: dict[str, Any],  # noqa: F811
                                                        monkeypatch: pytest.MonkeyPatch
                                                        ) -> None:
    from app.io import copy_rows

    copied: list[int] = []
    real = copy_rows.insert

    def insert(session: Any, table: Any, sequence: str, values: list[Any]) -> list[int]:
        copied.append(len(values))
        return real(session, table, sequence, values)

    monkeypatch.setattr(copy_rows, "insert", insert)
    app = world["app"]
    client = _login(app, "fj")
    data = _csv(["需求编号,品规,类型,预采购量,所属机构",
                 f"甲乙C01,阿莫西林,续签,5,{HOSPITAL_A}", "M0000001,布洛芬,,,福州甲医院"])
    response = client.post("/api/v1/demand/import", data={"file": (io.BytesIO(data), "c.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 200, response.json
    assert response.json["created"] == 2
    postgres = app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql")
    assert copied == ([2] if postgres else [])
    with app.app_context():
        from app.audit.models import AuditEntry

        session = app.appbuilder.session
        table = app.extensions["admin"].models["procurement.Demand"].__table__
        rows = {r.code: r for r in session.execute(select(table).where(
            table.c.code.in_(["甲乙C01", "M0000001"])))}
        entries = {e.record_id: e for e in session.execute(select(AuditEntry).where(
            AuditEntry.action == "import",
            AuditEntry.record_id.in_([r.id for r in rows.values()]))).scalars()}
    first, second = rows["甲乙C01"], rows["M0000001"]
    assert (first.code_initials, second.code_initials) == ("jyc01", "m0000001")
    assert (first.row_version, second.row_version) == (1, 1)
    assert first.kind == "renew"
    assert first.org_path == second.org_path and first.org_path.endswith(f"/{HOSPITAL_A}/")
    changes = json.loads(entries[first.id].changes)
    assert list(changes) == ["code", "drug", "kind", "planned", "org"]
    assert changes["drug"] == [None, {"id": first.drug_id, "text": "阿莫西林"}]
    assert changes["org"][1]["text"] == "福州甲医院"
    assert entries[first.id].username == "fj" and entries[second.id].entity == \
        "procurement.Demand"
