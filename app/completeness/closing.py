"""催报 before a reporting window closes (the `remind_window_closing` scheduled action): for
every entity whose `completeness` names a `window`, each open window of that series closing
within the next `days` reminds the units under its region (the whole country without one)
that have not filed its batch — through `remind.remind_units`, so at most once a day per unit.
A window for every batch (no batch) reminds about each batch the entity has rows of."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select

from app.completeness import progress, remind
from app.context import generated
from app.hooks.models import Window, beijing_now
from app.security.models import NATIONAL_CODE, Organisation


def remind_closing(session: Any, days: int) -> int:
    admin = generated()
    now = beijing_now()
    reminded = 0
    national = session.execute(select(Organisation).where(
        Organisation.code == NATIONAL_CODE)).scalar()
    for entity in admin.spec.entities:
        done = entity.completeness
        if done is None or done.window is None:
            continue
        model = admin.models[entity.qualified]
        field = entity.field(done.period)
        if not field.kind.refers:
            continue
        target = admin.models[str(field.to)]
        windows = session.execute(select(Window).where(
            Window.window == done.window, Window.is_open.is_(True), Window.opens_at <= now,
            Window.closes_at > now, Window.closes_at <= now + dt.timedelta(days=days))).scalars()
        for window in windows:
            region = (session.get(Organisation, window.region_id) if window.region_id
                      else national)
            if region is None:
                continue
            if window.batch is not None and window.batch.isdigit():
                batches = [int(window.batch)]
            else:
                batches = list(session.execute(select(getattr(model, field.column)).distinct()
                                               ).scalars())
            for batch_id in batches:
                batch = session.get(target, batch_id)
                if batch is None:
                    continue
                status = progress.unit_status(entity, model, batch_id, region, None)
                units = progress.unfiled_ids(session, status)
                sent, _skipped = remind.remind_units(session, entity, str(batch_id), str(batch),
                                                     units, None, None)
                reminded += sent
    return reminded
