"""收藏 (seed 003 ch. 3): entities with `favourites: true` get a star on each row of their
list, 已收藏 above it (`?favourites=1`, the REST list too) and 我的收藏 on the 工作台.

A favourite is one row of `fav_favourite` per person, entity and row id. It is only ever
read joined with the entity's rows under the person's scope condition
(app/security/scope.py): a row that has left the person's range, or was deleted, is simply
not found, in the list, the REST API and 我的收藏 alike. The star is a POST form with the
session's CSRF token; it toggles only a row the person can see.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import BaseView, Model, expose
from flask_appbuilder.models.filters import BaseFilter
from flask_babel import gettext as _
from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, and_, delete, false, select
from sqlalchemy.orm import Mapped, mapped_column

from app import gate
from app.context import db_session, generated, security, signed_in
from app.forms import endpoint_for
from app.labels import current_locale
from app.security.scope import current, scope_condition
from generator.spec import Entity

LIST_ARGUMENT = "favourites"  # ?favourites=1: only the person's favourites (已收藏)
PANEL_SIZE = 10  # 我的收藏 on the 工作台: the newest ones


class Favourite(Model):
    __tablename__ = "fav_favourite"
    user_id: Mapped[int] = mapped_column(Integer, ForeignKey("ab_user.id", ondelete="CASCADE"),
                                         primary_key=True)
    entity: Mapped[str] = mapped_column(String(100), primary_key=True)  # module.Entity
    row_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False,
                                                    default=dt.datetime.now)
    # 我的收藏 reads a person's newest first
    __table_args__ = (Index("ix_fav_favourite_user_created", "user_id", "created_at"),)


def ids_of(entity: Entity, user: Any) -> Any:
    """SELECT of the row ids the person starred on the entity."""
    return select(Favourite.row_id).where(Favourite.user_id == user.id,
                                          Favourite.entity == entity.qualified)


def narrowed() -> bool:
    return request.args.get(LIST_ARGUMENT) == "1"


class FavouriteFilter(BaseFilter):
    """FAB base filter of the list, its exports and the REST list: with ?favourites=1 only
    the rows the person starred (the scope filter beside it still applies)."""

    name = "favourites"
    arg_name = "favourites"

    def apply(self, query: Any, entity: Entity) -> Any:
        if not narrowed():
            return query
        user = current()
        if user is None:
            return query.filter(false())
        return query.filter(self.model.id.in_(ids_of(entity, user)))


def narrowing(entity: Entity) -> list[list[Any]]:
    return [["id", FavouriteFilter, entity]] if entity.favourites else []


def starred(entity: Entity, pks: list[Any], user: Any) -> set[int]:
    """Which of the listed rows the person starred (one query)."""
    if not entity.favourites or user is None or not pks:
        return set()
    return set(db_session().execute(ids_of(entity, user).where(
        Favourite.row_id.in_([int(pk) for pk in pks]))).scalars())


def list_toggle(entity: Entity) -> dict[str, Any] | None:
    """The 已收藏 button above the list: its link and whether it is on."""
    if not entity.favourites:
        return None
    args: dict[str, Any] = {k: v for k, v in request.args.to_dict(flat=False).items()
                            if k != LIST_ARGUMENT and not k.startswith("page_")}
    active = narrowed()
    endpoint = f"{endpoint_for(entity)}.list"
    return {"active": active,
            "url": url_for(endpoint, **args) if active
            else url_for(endpoint, **{**args, LIST_ARGUMENT: "1"})}


# -- 我的收藏 on the 工作台 ----------------------------------------------------------------------
@dataclass
class FavouriteLine:
    entity: str
    title: str
    url: str


def panel(user: Any, listed: list[Entity]) -> list[FavouriteLine]:
    """The person's newest favourites among the entities they may list, each still in
    their range now."""
    session, admin = db_session(), generated()
    found: list[tuple[dt.datetime, FavouriteLine]] = []
    for entity in listed:
        if not entity.favourites or gate.refusal(entity) is not None:
            continue
        model = admin.models[entity.qualified]
        query = (select(model, Favourite.created_at)
                 .join(Favourite, and_(Favourite.row_id == model.id,
                                       Favourite.entity == entity.qualified,
                                       Favourite.user_id == user.id))
                 .order_by(Favourite.created_at.desc(), model.id.desc()).limit(PANEL_SIZE))
        condition = scope_condition(entity, model, user)
        if condition is not None:
            query = query.where(condition)
        label = entity.label.get(current_locale())
        for row, at in session.execute(query).all():
            found.append((at, FavouriteLine(label, title_of(entity, row),
                                            url_for(f"{endpoint_for(entity)}.show", pk=row.id))))
    found.sort(key=lambda pair: pair[0], reverse=True)
    return [line for _at, line in found[:PANEL_SIZE]]


def title_of(entity: Entity, row: Any) -> str:
    """The row's display value (事项名称), as its type shows it."""
    from app.labels import render

    if not entity.has_field(entity.display):
        return _("record %(pk)s", pk=row.id)
    f = entity.field(entity.display)
    value = getattr(row, f.name, None)
    return (str(value) if f.kind.refers else f.kind.display(f, value, render())) or "—"


# -- the star ------------------------------------------------------------------------------
class FavouriteView(BaseView):
    """POST /favourites/<module.Entity>/<id>: star or unstar one row the person can see."""

    route_base = "/favourites"

    @expose("/<name>/<int:pk>", methods=["POST"])
    def toggle(self, name: str, pk: int) -> Any:
        user = signed_in()
        if user is None:
            return redirect(self.appbuilder.get_url_for_login)
        entity = _entity(name)
        model = generated().models[entity.qualified]
        if not security().has_access("can_list", entity.permission_name) \
                or gate.refusal(entity) is not None:
            abort(403)
        session = db_session()
        query = select(model.id).where(model.id == pk)
        condition = scope_condition(entity, model, user)
        if condition is not None:
            query = query.where(condition)
        listed = url_for(f"{endpoint_for(entity)}.list")
        if session.execute(query).first() is None:
            flash(_("This record does not exist or is outside your range."), "warning")
            return redirect(listed)
        mine = and_(Favourite.user_id == user.id, Favourite.entity == entity.qualified,
                    Favourite.row_id == pk)
        if session.execute(select(Favourite.row_id).where(mine)).first() is not None:
            session.execute(delete(Favourite).where(mine))
            flash(_("Removed from your favourites."), "info")
        else:
            session.add(Favourite(user_id=user.id, entity=entity.qualified, row_id=pk))
            flash(_("Added to your favourites."), "success")
        session.commit()
        back = request.form.get("next", "")
        shown = url_for(f"{endpoint_for(entity)}.show", pk=pk)
        if (back.startswith(listed) or back == shown) and not back.startswith("//"):
            return redirect(back)
        return redirect(listed)


def _entity(name: str) -> Entity:
    spec = generated().spec
    entity = next((e for e in spec.entities if e.qualified == name and e.favourites), None)
    if entity is None:
        abort(404)
    return entity


def toggle_url(name: str, pk: Any) -> str:
    """Where the star of a row posts to (`name`: the entity's qualified name)."""
    return url_for("FavouriteView.toggle", name=name, pk=pk)


def init_app(appbuilder: Any) -> None:
    appbuilder.add_view_no_menu(FavouriteView())
    appbuilder.app.jinja_env.globals["favourite_url"] = toggle_url
