"""The demo's 药品追溯 in 宁夏 (seed 004 §二(七)): 宁夏凤城医药 (批发) reports its sales to
康民大药房 and its purchase from the maker, the pharmacy its purchases and a stock count; after
matching two sales answer their purchases, one purchase was not reported (下游未报购进), one
quantity differs (数量不符) and the maker reports no sale to the wholesaler (上游未报销售).
Rows only while there are none yet."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select

from app import matching
from app.context import generated
from app.demo.business import acting, model

ENTITY = "trace.StockMovement"
# (drug code, generic name, strength, batch, expires)
DRUGS = {
    "amx": ("86900123000017", "阿莫西林胶囊", "0.25g*24粒", "20251103", "2027-10-31"),
    "blg": ("86900456000025", "板蓝根颗粒", "10g*20袋", "2507021", "2027-06-30"),
    "ylj": ("86900789000033", "银翘解毒片", "0.5g*36片", "2508115", "2027-07-31"),
    "hxz": ("86900321000041", "藿香正气水", "10ml*10支", "2506088", "2027-05-31"),
}
MAKER_NAME = "宁夏塞上康源制药有限公司"
# (unit, kind, drug, quantity, day, counterparty unit)
MOVEMENTS = (
    ("nx_wholesale", "purchase", "amx", 500, "2026-10-08", "nx_maker"),
    ("nx_wholesale", "sale", "amx", 120, "2026-10-12", "nx_pharmacy"),
    ("nx_wholesale", "sale", "blg", 60, "2026-10-15", "nx_pharmacy"),
    ("nx_wholesale", "sale", "ylj", 40, "2026-10-20", "nx_pharmacy"),
    ("nx_wholesale", "sale", "hxz", 80, "2026-11-02", "nx_pharmacy"),
    ("nx_pharmacy", "purchase", "amx", 120, "2026-10-13", "nx_wholesale"),
    ("nx_pharmacy", "purchase", "blg", 60, "2026-10-16", "nx_wholesale"),
    # the pharmacy booked 36 of the 40 boxes
    ("nx_pharmacy", "purchase", "ylj", 36, "2026-10-21", "nx_wholesale"),
    # no purchase of the 藿香正气水: 下游未报购进
    ("nx_pharmacy", "stock", "amx", 85, "2026-11-30", None),
)


def load(session: Any, users: dict[str, Any], orgs: dict[str, Any]) -> dict[str, int]:
    """Adds the 进销存 records when there are none yet, then matches them."""
    movement = model(ENTITY)
    if session.execute(select(func.count()).select_from(movement)).scalar():
        return {}
    added = 0
    for unit, kind, drug, quantity, day, party in MOVEMENTS:
        if unit not in users or (party is not None and party not in orgs):
            continue
        code, name, strength, batch, expires = DRUGS[drug]
        counterparty = orgs[party] if party is not None else None
        with acting(session, users[unit]):
            session.add(movement(
                kind=kind, moved_on=dt.date.fromisoformat(day), drug_code=code,
                generic_name=name, strength=strength, maker=MAKER_NAME, batch_no=batch,
                expires_on=dt.date.fromisoformat(expires), quantity=quantity, unit="盒",
                counterparty_uscc=counterparty.code if counterparty is not None else None,
                counterparty_name=counterparty.name if counterparty is not None else None,
                org=orgs[unit]))
        added += 1
    session.flush()
    matching.match_entity(session, generated().spec.entity(ENTITY), movement)
    session.commit()
    return {"stock_movements": added}
