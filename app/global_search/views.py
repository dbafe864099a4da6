"""/search/: the search page of the signed-in person (app/global_search/query.py)."""

from __future__ import annotations

from typing import Any

from flask import redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_babel import gettext as _

from app.context import signed_in
from app.global_search import query


class GlobalSearchView(BaseView):
    route_base = "/search"
    default_view = "index"

    @expose("/")
    def index(self) -> Any:
        user = signed_in()
        if user is None:
            return redirect(self.appbuilder.get_url_for_login)
        text = (request.args.get("q") or "").strip()[:200]
        known = {s.key: s for s in query.sources(user)}
        only = request.args.get("type") or None
        if only is not None and only not in known:
            only = None  # a type the person cannot search: all of theirs instead
        page = max(1, request.args.get("page", 1, type=int))
        words = query.terms(text)
        groups = query.found(user, words, only, page)
        loose = query.loosened(words) if not groups else []
        if loose:  # nothing for the words as typed: their two-character pieces
            groups = query.found(user, loose, only, page)
        total = sum(g.count for g in groups)
        links = {g.key: url_for(".index", q=text, type=g.key) for g in groups}
        pager = None
        if only is not None and groups:
            last = query.pages(groups[0].count)
            pager = {"page": page, "last": last,
                     "previous": url_for(".index", q=text, type=only, page=page - 1)
                     if page > 1 else None,
                     "next": url_for(".index", q=text, type=only, page=page + 1)
                     if page < last else None}
        return self.render_template(
            "admin/global_search.html", title=_("Global search"), q=text, groups=groups,
            total=total, only=only, links=links, pager=pager,
            all_url=url_for(".index", q=text), searchable=bool(known),
            per_group=query.PER_GROUP, loose=" ".join(loose) if groups else "")
