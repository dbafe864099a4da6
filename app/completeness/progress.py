"""填报进度 in SQL: for one period, every expected unit under a region with whether it has
filed (every row of the period in a filed state), partly filed, filed on time; counted by the
region's next level (province → city → county → unit) in one GROUP BY, and the units listed a
page at a time. Nothing is read row by row: the work is the database's, whatever the size.

Regions are GB/T 2260 codes of six digits, so the organisation path of a unit starts with its
province in its first 11 characters (`/CN/210000/`), its city in 18 and its county in 25; the
level below a region is a `substr` of the path.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, case, func, literal_column, or_, select

from app.security.models import AppUser, Organisation
from app.security.scope import within
from generator.spec import FILED_AT, Entity

# the path length of a region of each level, and the level below it
PREFIX = {"province": 11, "city": 18, "county": 25}
BELOW = {"national": "province", "province": "city", "city": "county", "county": "unit"}


@dataclass(frozen=True)
class Group:
    key: str  # the region's path (or the unit's id, at the lowest level)
    name: str
    expected: int
    filed: int
    on_time: int
    partial: int
    drill: bool  # a region to open further
    returned: int = 0  # units with a row sent back (退回补正): neither filed nor partly

    @property
    def rate(self) -> float | None:
        return self.filed / self.expected if self.expected else None

    @property
    def on_time_rate(self) -> float | None:
        return self.on_time / self.expected if self.expected else None


@dataclass(frozen=True)
class Unit:
    id: int
    name: str
    code: str
    county: str
    rows: int
    filed_rows: int
    filed: bool
    on_time: bool
    filed_at: dt.datetime | None
    contacts: tuple[str, ...] = ()
    returned_rows: int = 0  # rows in a correction state (退回补正)


def period_column(entity: Entity, model: Any) -> Any:
    done = entity.completeness
    assert done is not None
    return getattr(model, entity.field(done.period).column)


def correction_states(entity: Entity) -> tuple[str, ...]:
    """The workflow's states marked `correction: true` (退回补正): a unit with a row in one
    was sent back and has to file again."""
    assert entity.workflow is not None
    return tuple(s.key for s in entity.workflow.states if s.correction)


def unit_status(entity: Entity, model: Any, period: Any, region: Organisation,
                closes_at: dt.datetime | None) -> Any:
    """One row per expected unit under `region`: id, path, rows, filed_rows, returned_rows,
    filed (0/1), on_time (0/1), partial (0/1), returned (0/1), filed_at — a subquery the
    counts and the lists read. Filed, partly filed and returned exclude one another."""
    done = entity.completeness
    assert done is not None
    state = getattr(model, entity.workflow.field)  # type: ignore[union-attr]
    sent_back = correction_states(entity)
    rows = (select(model.org_id.label("org_id"), func.count().label("rows"),
                   func.sum(case((state.in_(done.filed), 1), else_=0)).label("filed_rows"),
                   func.sum(case((state.in_(sent_back), 1), else_=0)).label("returned_rows"),
                   func.max(getattr(model, FILED_AT)).label("filed_at"))
            .where(period_column(entity, model) == period,
                   within(model.org_path, region.path))
            .group_by(model.org_id).subquery())
    count = func.coalesce(rows.c.rows, 0)
    filed_rows = func.coalesce(rows.c.filed_rows, 0)
    returned_rows = func.coalesce(rows.c.returned_rows, 0)
    is_filed = and_(count > 0, filed_rows == count)
    in_time = is_filed if closes_at is None else and_(is_filed, rows.c.filed_at <= closes_at)
    today = dt.date.today()
    return (select(Organisation.id.label("id"), Organisation.path.label("path"),
                   count.label("rows"), filed_rows.label("filed_rows"),
                   returned_rows.label("returned_rows"),
                   case((is_filed, 1), else_=0).label("filed"),
                   case((in_time, 1), else_=0).label("on_time"),
                   case((and_(filed_rows > 0, filed_rows < count, returned_rows == 0), 1),
                        else_=0).label("partial"),
                   case((returned_rows > 0, 1), else_=0).label("returned"),
                   rows.c.filed_at.label("filed_at"))
            .select_from(Organisation).outerjoin(rows, rows.c.org_id == Organisation.id)
            .where(Organisation.level == "unit", Organisation.kind == done.kind,
                   within(Organisation.path, region.path),
                   or_(Organisation.valid_to.is_(None), Organisation.valid_to > today))
            .subquery())


def groups(session: Any, status: Any, region: Organisation) -> list[Group]:
    """The counts by the level below `region` (units themselves below a county)."""
    below = BELOW.get(region.level, "unit")
    if below == "unit":
        key = status.c.id
    else:
        key = func.substr(status.c.path, literal_column("1"), literal_column(str(PREFIX[below])))
    query = (select(key.label("key"), func.count().label("expected"),
                    func.sum(status.c.filed).label("filed"),
                    func.sum(status.c.on_time).label("on_time"),
                    func.sum(status.c.partial).label("partial"),
                    func.sum(status.c.returned).label("returned"))
             .group_by(key))
    found = session.execute(query).all()
    if below == "unit":
        names = dict(session.execute(select(Organisation.id, Organisation.name).where(
            Organisation.id.in_([r.key for r in found]))).all()) if found else {}
    else:
        names = dict(session.execute(select(Organisation.path, Organisation.name).where(
            Organisation.path.in_([r.key for r in found]))).all()) if found else {}
    out = [Group(str(r.key), str(names.get(r.key, r.key)), int(r.expected), int(r.filed or 0),
                 int(r.on_time or 0), int(r.partial or 0),
                 below != "unit" and r.key in names, int(r.returned or 0)) for r in found]
    return sorted(out, key=lambda g: g.key)


def totals(session: Any, status: Any) -> Group:
    found = session.execute(select(func.count(), func.sum(status.c.filed),
                                   func.sum(status.c.on_time), func.sum(status.c.partial),
                                   func.sum(status.c.returned))).one()
    return Group("", "", int(found[0]), int(found[1] or 0), int(found[2] or 0),
                 int(found[3] or 0), False, int(found[4] or 0))


def units(session: Any, status: Any, unfiled_only: bool, offset: int, limit: int
          ) -> list[Unit]:
    """Units under the region, those that have not filed first, with their contacts."""
    county = Organisation.__table__.alias("county")
    query = (select(status, Organisation.name, Organisation.code, county.c.name.label("county"))
             .join(Organisation, Organisation.id == status.c.id)
             .outerjoin(county, county.c.id == Organisation.parent_id))
    if unfiled_only:
        query = query.where(status.c.filed == 0)
    found = session.execute(query.order_by(status.c.filed, status.c.path)
                            .offset(offset).limit(limit)).all()
    people = contacts(session, [r.id for r in found])
    return [Unit(r.id, r.name, r.code, r.county or "", int(r.rows), int(r.filed_rows),
                 bool(r.filed), bool(r.on_time), r.filed_at, people.get(r.id, ()),
                 int(r.returned_rows)) for r in found]


def unfiled_ids(session: Any, status: Any, among: list[int] | None = None) -> list[int]:
    query = select(status.c.id).where(status.c.filed == 0)
    if among is not None:
        query = query.where(status.c.id.in_(among))
    return list(session.execute(query).scalars())


def contacts(session: Any, unit_ids: list[int]) -> dict[int, tuple[str, ...]]:
    """unit id -> its active accounts as 「姓名（e-mail）」."""
    if not unit_ids:
        return {}
    out: dict[int, list[str]] = {}
    query = (select(AppUser.org_id, AppUser.first_name, AppUser.last_name, AppUser.username,
                    AppUser.email)
             .where(AppUser.org_id.in_(unit_ids), AppUser.active.is_(True))
             .order_by(AppUser.username))
    for org_id, first, last, username, email in session.execute(query):
        name = f"{first or ''}{last or ''}".strip() or username
        out.setdefault(org_id, []).append(f"{name}（{email}）" if email else name)
    return {k: tuple(v) for k, v in out.items()}
