"""`tabs: <field>`: the list opens with a row of tabs, one per value of a field of fixed
values (事项类型: 许可事项 (10) 服务事项 (8) …), each with how many rows of that value the
person may see, and 全部. A tab is the search form's own filter of the field
(`_flt_0_<field>`, app/search.py), so pages, sorting, exports and the keyword search keep
it; the counts are one GROUP BY under the person's scope (and 已收藏 when it is on).
"""

from __future__ import annotations

from typing import Any

from flask import request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select

from app import favourites
from app.context import db_session
from app.forms import endpoint_for
from app.labels import render
from app.search import argument
from app.security.fields import field_rights
from app.security.scope import scope_condition
from generator.spec import Entity


def tabs(entity: Entity, model: Any, user: Any) -> list[dict[str, Any]] | None:
    """[{label, count, url, active}] with 全部 first; None when the entity has no tabs."""
    name = entity.tabs
    if name is None or name in field_rights(entity, user).hidden:
        return None
    f = entity.field(name)
    column = getattr(model, f.column)
    query = select(column, func.count()).group_by(column)
    condition = scope_condition(entity, model, user)
    if condition is not None:
        query = query.where(condition)
    if favourites.narrowed() and entity.favourites and user is not None:
        query = query.where(model.id.in_(favourites.ids_of(entity, user)))
    counts = {value: n for value, n in db_session().execute(query).all()}
    key = argument(name)
    args: dict[str, Any] = {k: v for k, v in request.args.to_dict(flat=False).items()
                            if k != key and not k.startswith("page_")}
    chosen = request.args.get(key) or ""
    endpoint = f"{endpoint_for(entity)}.list"
    out = [{"label": _("All"), "count": sum(counts.values()), "url": url_for(endpoint, **args),
            "active": chosen == "", "value": ""}]
    for value, label in f.kind.choices(f, render()):
        stored = f.kind.stored_value(f, f.kind.parse(f, value))
        out.append({"label": label, "count": counts.get(stored, 0), "value": str(value),
                    "url": url_for(endpoint, **{**args, key: value}),
                    "active": chosen == str(value)})
    return out
