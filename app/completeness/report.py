"""What the 填报进度 screen, its export and its REST door show for one request: the period
(one batch or year at a time, `_period`), the region (`region`: a GB/T 2260 code within the
viewer's organisation; the viewer's own by default), the counts by the level below, the
totals, and a page of units (`unfiled=1`: only those that have not filed)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from app.completeness import progress
from app.context import db_session, generated
from app.hooks import window_deadline
from app.hooks.models import beijing_now
from app.labels import current_locale
from app.security.models import Organisation
from app.security.scope import within
from generator.spec import Entity

PERIOD = "_period"
PAGE = 50


class BadRequest(Exception):
    """A period or region the viewer cannot ask for (told to them in Chinese)."""


@dataclass
class Report:
    entity: Entity
    title: str
    period_label: str  # the period field's label: 国采批次, 报告年度
    period: Any  # the period's value (a batch id, a year); None: no period yet
    period_arg: str
    period_text: str
    choices: list[tuple[str, str]]
    region: Organisation
    crumbs: list[Organisation]
    level_label: str  # what the groups are: 省份, 地市, 区县, 单位
    closes_at: dt.datetime | None
    groups: list[progress.Group] = field(default_factory=list)
    total: progress.Group | None = None
    units: list[progress.Unit] = field(default_factory=list)
    unfiled_only: bool = False
    page: int = 1
    more: bool = False
    status: Any = None  # the per-unit subquery (for 催报)

    @property
    def overdue(self) -> bool:
        """The period has closed (its window or `due`) for the region shown."""
        return self.closes_at is not None and beijing_now() > self.closes_at

    @property
    def may_remind(self) -> bool:
        """催报 is of use while a unit can still file: before the close, and after a `due`
        (a legal deadline: filing late is still owed, 逾期催报); a closed reporting window
        refuses every filing (单位延期 reopens it for one unit), so nobody is reminded then."""
        done = self.entity.completeness
        assert done is not None
        return not self.overdue or done.window is None

    def args(self, **extra: Any) -> dict[str, Any]:
        out: dict[str, Any] = {PERIOD: self.period_arg, "region": self.region.code}
        if self.unfiled_only:
            out["unfiled"] = "1"
        out.update(extra)
        return {k: v for k, v in out.items() if v is not None}


def level_label(level: str) -> str:
    return {"province": _("Province"), "city": _("City"), "county": _("County"),
            "unit": _("Unit")}[level]


def period_choices(entity: Entity, model: Any, user: Any) -> list[tuple[Any, str]]:
    """(value, label) of the periods, the newest first."""
    admin = generated()
    done = entity.completeness
    assert done is not None
    f = entity.field(done.period)
    if f.kind.refers:
        target = admin.models[str(f.to)]
        spec_target = admin.spec.entity(str(f.to))
        query = admin.related_query(target, user)
        order = spec_target.default_order
        if order is not None and order[0] != "id":
            column = getattr(target, spec_target.field(order[0]).column)
            query = query.order_by(column.desc() if order[1] == "desc" else column.asc())
        rows = db_session().execute(query.order_by(target.id.desc())).scalars().all()
        return [(row.id, str(row)) for row in rows]
    column = getattr(model, f.column)
    values = db_session().execute(select(column).where(column.is_not(None)).distinct()
                                  .order_by(column.desc())).scalars().all()
    return [(v, f.kind.display(f, v, _render())) for v in values]


def _render() -> Any:
    from app.labels import render

    return render()


def closing(entity: Entity, region: Organisation, period: Any) -> dt.datetime | None:
    """When filing the period ends for the region: the reporting window's close, or `due`
    of the year after a year period; None when neither says (every filing is on time)."""
    done = entity.completeness
    assert done is not None
    if done.window is not None:
        applied = window_deadline.resolve(db_session(), done.window, region, str(period))
        return applied[0].closes_at if applied else None
    if done.due is not None and isinstance(period, int):
        month, day = (int(p) for p in done.due.split("-"))
        return dt.datetime(period + 1, month, day, 23, 59, 59)
    return None


def build(entity: Entity, args: Any, user: Any, units_page: bool = True) -> Report:
    done = entity.completeness
    assert done is not None
    admin = generated()
    model = admin.models[entity.qualified]
    session = db_session()
    home = getattr(user, "org", None)
    if home is None or home.level == "unit":
        raise BadRequest(_("You may not do this."))
    periods = period_choices(entity, model, user)
    choices = [(str(v), label) for v, label in periods]
    values = {str(v): v for v, _label in periods}
    raw = args.get(PERIOD) or (choices[0][0] if choices else "")
    if choices and raw not in values:
        raise BadRequest(_("Not a valid value for %(name)s.",
                           name=entity.field(done.period).label.get(current_locale())))
    code = args.get("region") or home.code
    region = session.execute(select(Organisation).where(
        Organisation.code == code, within(Organisation.path, home.path))).scalar()
    if region is None or region.level == "unit":
        raise BadRequest(_("This region is not within your range."))
    paths = [p for p in _prefixes(region.path) if p.startswith(home.path)]
    crumbs = sorted(session.execute(select(Organisation).where(Organisation.path.in_(paths)))
                    .scalars(), key=lambda o: len(o.path))
    period = values.get(raw)
    closes_at = closing(entity, region, period) if period is not None else None
    report = Report(entity, done.label.get(current_locale()),
                    entity.field(done.period).label.get(current_locale()), period, raw,
                    dict(choices).get(raw, ""), choices, region, crumbs,
                    level_label(progress.BELOW.get(region.level, "unit")), closes_at,
                    unfiled_only=args.get("unfiled") == "1")
    if period is None:
        return report
    status = progress.unit_status(entity, model, period, region, closes_at)
    report.status = status
    report.groups = progress.groups(session, status, region)
    report.total = progress.totals(session, status)
    if units_page:
        report.page = max(1, _int(args.get("page"), 1))
        found = progress.units(session, status, report.unfiled_only,
                               (report.page - 1) * PAGE, PAGE + 1)
        report.units, report.more = found[:PAGE], len(found) > PAGE
    return report


def _prefixes(path: str) -> list[str]:
    parts = [p for p in path.split("/") if p]
    return ["/" + "/".join(parts[:i]) + "/" for i in range(1, len(parts) + 1)]


def _int(raw: Any, default: int) -> int:
    try:
        return int(raw)
    except (TypeError, ValueError):
        return default
