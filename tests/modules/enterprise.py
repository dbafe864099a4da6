"""Steps the enterprise scenarios share: completing 企业信息 and the drug catalogue."""

from __future__ import annotations

from typing import Any

from tests.modules.conftest import add_row, login, rows

INFO = {"kind": "manufacturer", "legal_person": "王建国", "contact": "李丽",
        "mobile": "13812345678", "address": "辽宁省沈阳市和平区南京北街1号"}


def complete_info(app: Any, username: str, name: str, uscc: str, **values: Any) -> None:
    """The legal person fills 基础数据 → 企业信息 through the add form."""
    data = {**INFO, "name": name, "uscc": uscc, **values}
    response = login(app, username).post("/basic/enterprise_info/add", data=data)
    assert response.status_code == 302, response.text[-2000:]


def products(app: Any) -> dict[str, int]:
    """Two imported products and a domestic one, once."""
    if not rows(app, "basic.Product"):
        for approval, name, imported in (("国药准字HJ20150001", "瑞舒伐他汀钙片", True),
                                         ("国药准字HJ20160002", "恩格列净片", True),
                                         ("国药准字H20203001", "阿莫西林胶囊", False)):
            add_row(app, "basic.Product", approval=approval, name=name, holder="某持有人",
                    imported=imported)
    return {p.approval: p.id for p in rows(app, "basic.Product")}
