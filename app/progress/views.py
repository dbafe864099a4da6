"""The 办理进度 page: /progress/?tab=open|history with the search form's filters and `page`.

Each row's 操作 are 详情 (the entity's show page) and the transitions the rules allow the
person on the row now (rules.offers, allowed verdicts only: a button offered is a button that
works); they post to the entity's transition door, which comes back here (`next`)."""

from __future__ import annotations

from typing import Any

from flask import abort, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_babel import gettext as _

from app.context import db_session, security, signed_in
from app.forms import endpoint_for
from app.labels import current_locale
from app.progress import CATEGORY_LABELS, TITLE, query
from app.workflow import rules
from generator.spec import PROGRESS_CATEGORIES, Entity


def _granted(entity: Entity) -> rules.Granted:
    sm = security()
    return lambda t: bool(sm.has_access(f"can_{t.key}", entity.permission_name))


def returns_here(address: str) -> bool:
    """Whether a transition fired from this page may come back to `address`."""
    home = url_for("ProgressView.index")
    return address.startswith(home) and not address.startswith("//")


class ProgressView(BaseView):
    route_base = "/progress"
    default_view = "index"

    @expose("/")
    def index(self) -> Any:
        user = signed_in()
        if user is None:
            return redirect(self.appbuilder.get_url_for_login)
        found = query.entities(user)
        if not found:
            abort(403)
        session = db_session()
        filters = query.Filters.of(request.args)
        number = max(1, request.args.get("page", 1, type=int))
        counts = query.counts(found, user, session, filters)
        total = counts.tabs[filters.tab]
        pages = max(1, -(-total // query.PAGE))
        number = min(number, pages)
        rows = query.page(found, user, session, filters, number)
        wanted: dict[str, Any] = {"tab": filters.tab, "page": number, **filters.args()}
        here = url_for(".index", **wanted)
        return self.render_template(
            "admin/progress.html", title=str(TITLE), filters=filters, counts=counts,
            lines=self._lines(rows, user, session, (number - 1) * query.PAGE),
            total=total, page=number, pages=pages, here=here,
            categories=[(k, str(CATEGORY_LABELS[k])) for k in PROGRESS_CATEGORIES
                        if any(e.progress is not None and e.progress.category == k
                               for e in found) or counts.categories[k]],
            states=query.state_choices(found, filters.tab), args=filters.args())

    def _lines(self, rows: list[query.Found], user: Any, session: Any, first: int
               ) -> list[dict[str, Any]]:
        locale = current_locale()
        offered: dict[tuple[str, int], list[rules.Verdict]] = {}
        by_entity: dict[str, list[Any]] = {}
        entities: dict[str, Entity] = {}
        for item in rows:
            by_entity.setdefault(item.entity.qualified, []).append(item.row)
            entities[item.entity.qualified] = item.entity
        for key, found in by_entity.items():
            entity = entities[key]
            for pk, verdicts in rules.offers(entity, found, user, session,
                                             _granted(entity)).items():
                offered[(key, pk)] = [v for v in verdicts if v.offered and v.allowed]
        lines = []
        for number, item in enumerate(rows, first + 1):
            entity, row = item.entity, item.row
            p = entity.progress
            assert p is not None and entity.workflow is not None
            blueprint = endpoint_for(entity)
            submitted = getattr(row, entity.field(p.submitted).column)
            name = rules.row_name(entity, row)
            lines.append({
                "number": number,
                "code": getattr(row, entity.field(p.code).column) or "",
                "product": (getattr(row, entity.field(p.product).column) or "")
                if p.product else "",
                "item": query.item_text(entity, row),
                "submitted": submitted.strftime("%Y-%m-%d") if submitted else "",
                "state": entity.workflow.state_label(getattr(row, entity.workflow.field),
                                                     locale),
                "show": url_for(f"{blueprint}.show", pk=row.id),
                "actions": [{
                    "key": v.transition.key, "label": v.transition.label.get(locale),
                    "reason": v.transition.reason, "pk": row.id,
                    "url": url_for(f"{blueprint}.transition", key=v.transition.key,
                                   pk=row.id),
                    "confirm": _("%(action)s %(name)s?",
                                 action=v.transition.label.get(locale), name=name)}
                    for v in offered.get((entity.qualified, row.id), [])],
            })
        return lines
