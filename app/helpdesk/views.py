"""帮助中心 (`/helpcenter/`), the content pages (`/pages/<key>`) and 咨询
(`/consult/<module>/<resource>/`).

- A page answers to those who may read it (pages.py); a private one sends an anonymous
  visitor to sign in and answers 404 to a signed-in person without its roles.
- 咨询 ranks the rows of the entity with `similar:` that the person reaches: the entity's
  `list` right and the scope condition of every door (app/security/scope.py), fields hidden
  from them neither compared nor shown. A question no entry answers is sent to the `ask`
  entity's own add door (its form posts there), so it passes every rule of that door.
- 帮助中心 lists the readable pages, the 咨询 pages, the rows anybody may read of the entities
  with `public:` (only their `public.fields`; files through `download`, which finds the row
  with the same condition), the operation manuals (app/help) and the module's screens the
  person may open.
"""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_babel import gettext as _
from sqlalchemy import and_, select

from app.context import db_session, generated, security, signed_in
from app.forms import endpoint_for
from app.help import manuals
from app.helpdesk import pages as page_rules
from app.helpdesk.markdown import render as markdown
from app.helpdesk.similar import Entry, rank
from app.labels import current_locale
from app.labels import render as label_render
from app.security.fields import field_rights
from app.security.headers import send_attachment
from app.security.scope import scope_condition
from generator.permissions import right
from generator.spec import Entity
from generator.spec_help import Similar

CANDIDATES = 5000  # rows of one entity compared at most (a FAQ holds tens to hundreds)
QUESTION_MAX = 1000


def may(action: str, entity: Entity) -> bool:
    return signed_in() is not None and bool(
        security().has_access(right(action), entity.permission_name))


def consult_entities() -> list[Entity]:
    return [e for e in generated().spec.entities if e.similar is not None]


def public_entities() -> list[Entity]:
    return [e for e in generated().spec.entities if e.public is not None]


def has_help_center() -> bool:
    spec = generated().spec
    return bool(page_rules.all_pages(spec) or consult_entities() or public_entities())


def consult_label(entity: Entity) -> str:
    similar = entity.similar
    if similar is not None and similar.label is not None:
        return similar.label.get(current_locale())
    return _("Ask a question")


def _entity(module: str, resource: str) -> Entity:
    found = next((e for e in generated().spec.entities
                  if e.module == module and e.resource == resource), None)
    if found is None:
        abort(404)
    return found


def _public_condition(entity: Entity, model: Any) -> Any:
    public = entity.public
    assert public is not None
    return and_(*(getattr(model, c.field).in_(c.values) for c in public.where))


def public_rows(entity: Entity) -> list[dict[str, Any]]:
    """The rows anybody reads, with only the public fields, as people read them."""
    public = entity.public
    assert public is not None
    model = generated().models[entity.qualified]
    query = select(model).where(_public_condition(entity, model))
    if entity.default_order is not None:
        name, direction = entity.default_order
        column = getattr(model, name, model.id)
        query = query.order_by(column.desc() if direction == "desc" else column, model.id)
    out, render = [], label_render()
    for row in db_session().execute(query.limit(200)).scalars():
        cells = []
        for name in public.fields:
            field = entity.field(name)
            if field.kind.uploads:
                key = getattr(row, name, None)
                cells.append((field, getattr(row, f"{name}_name", None) if key else None,
                              url_for("HelpCenterView.download", module=entity.module,
                                      resource=entity.resource, field=name, pk=row.id)
                              if key else None))
            else:
                cells.append((field, field.kind.display(field, getattr(row, name), render),
                              None))
        out.append({"id": row.id, "cells": cells})
    return out


def similar_entries(entity: Entity, question: str, user: Any) -> list[dict[str, Any]]:
    """The closest rows the person reaches, best first."""
    similar: Similar = entity.similar  # type: ignore[assignment]
    hidden = field_rights(entity, user).hidden
    fields = [n for n in similar.fields if n not in hidden]
    if not fields:
        return []
    model = generated().models[entity.qualified]
    columns = [getattr(model, n) for n in fields]
    query = select(model.id, *columns)
    condition = scope_condition(entity, model, user)
    if condition is not None:
        query = query.where(condition)
    rows = db_session().execute(query.order_by(model.id).limit(CANDIDATES)).all()
    entries = [Entry(r[0], tuple(r[1:])) for r in rows]
    texts = {e.key: e.texts for e in entries}
    shown = may("show", entity)
    return [{"id": key, "title": texts[key][0], "texts": texts[key][1:], "score": score,
             "href": url_for(f"{endpoint_for(entity)}.show", pk=key) if shown else None}
            for key, score in rank(question, entries, similar.top)]


class PageView(BaseView):
    route_base = "/pages"
    default_view = "show"

    @expose("/<key>")
    def show(self, key: str) -> Any:
        user = signed_in()
        page = page_rules.find(key)
        if page is None:
            abort(404)
        if not page_rules.may_read(page, user):
            if user is None:
                return redirect(self.appbuilder.get_url_for_login)
            abort(404)
        title = page.title.get(current_locale())
        return self.render_template("admin/content_page.html", title=title,
                                    body=markdown(page_rules.text(page)), page=page)


class ConsultView(BaseView):
    route_base = "/consult"
    default_view = "ask"

    @expose("/<module>/<resource>/")
    def ask(self, module: str, resource: str) -> Any:
        user = signed_in()
        if user is None:
            return redirect(self.appbuilder.get_url_for_login)
        entity = _entity(module, resource)
        if entity.similar is None or not may("list", entity):
            abort(404)
        question = (request.args.get("q") or "").strip()[:QUESTION_MAX]
        found = similar_entries(entity, question, user) if question else []
        ask_to, ask_field = None, None
        target = entity.similar.ask
        if target is not None:
            asked = generated().spec.entity(target.entity)
            if may("add", asked):
                ask_to, ask_field = url_for(f"{endpoint_for(asked)}.add"), target.field
        labels = [entity.field(n).label.get(current_locale()) for n in entity.similar.fields]
        return self.render_template(
            "admin/consult.html", title=consult_label(entity), entity=entity,
            question=question, found=found, labels=labels, ask_to=ask_to, ask_field=ask_field,
            list_href=url_for(f"{endpoint_for(entity)}.list"))


class HelpCenterView(BaseView):
    route_base = "/helpcenter"
    default_view = "index"

    @expose("/")
    def index(self) -> Any:
        if not has_help_center():
            abort(404)
        user = signed_in()
        locale = current_locale()
        consults = [(consult_label(e), url_for("ConsultView.ask", module=e.module,
                                               resource=e.resource))
                    for e in consult_entities() if may("list", e)]
        downloads = [(e.label.get(locale),
                      [e.field(n).label.get(locale) for n in e.public.fields],  # type: ignore[union-attr]
                      public_rows(e),
                      url_for(f"{endpoint_for(e)}.list") if may("list", e) else None)
                     for e in public_entities()]
        held = manuals(user) if user is not None else []
        modules = {e.module for e in (*consult_entities(), *public_entities())}
        modules |= {p.module for p in page_rules.all_pages(generated().spec)}
        screens = [(e.label.get(locale), url_for(f"{endpoint_for(e)}.list"), e.icon)
                   for m in generated().spec.modules if m.key in modules
                   for e in m.entities if e.menu and e.public is None and may("list", e)]
        return self.render_template(
            "admin/help_center.html", title=_("Help centre"),
            pages=[(p.title.get(locale), url_for("PageView.show", key=p.key), p.icon)
                   for p in page_rules.readable(user)],
            consults=consults, downloads=downloads, screens=screens,
            manuals=[(m.key, _("%(module)s operation manual", module=m.label.get(locale)))
                     for m in held], signed_in=user is not None)

    @expose("/download/<module>/<resource>/<field>/<int:pk>")
    def download(self, module: str, resource: str, field: str, pk: int) -> Any:
        entity = _entity(module, resource)
        public = entity.public
        if public is None or field not in public.fields or not entity.field(field).kind.uploads:
            abort(404)
        model = generated().models[entity.qualified]
        row = db_session().execute(select(model).where(
            model.id == pk, _public_condition(entity, model))).scalar()
        key = getattr(row, field, None) if row is not None else None
        if not key:
            abort(404)
        try:
            stream = generated().storage.open(key)
        except FileNotFoundError:
            abort(404)
        return send_attachment(stream, getattr(row, f"{field}_name") or key)


def init_app(appbuilder: Any) -> None:
    for view in (PageView, ConsultView, HelpCenterView):
        appbuilder.add_view_no_menu(view)
    current_app.jinja_env.globals["help_center_url"] = (
        lambda: url_for("HelpCenterView.index") if has_help_center() else None)
