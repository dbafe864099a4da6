"""The doors that fire transitions from the screens: one row (its button on the list or the
detail page), the ticked rows (the buttons above the list) and every row of the person's
range (全部上报). Each asks engine.fire, which allows exactly what rules.py offers."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import expose, has_access
from flask_babel import gettext as _
from sqlalchemy import select

from app.labels import current_locale
from app.progress.views import returns_here as progress_page
from app.security.scope import scope_condition
from app.workflow import buttons, engine


class TransitionViews:
    """Mixin of GeneratedModelView (app/views.py): needs `entity`, `datamodel`, `appbuilder`,
    `class_permission_name` and `_base_filters`."""

    entity: Any
    datamodel: Any
    appbuilder: Any
    class_permission_name: str
    _base_filters: Any

    def _granted(self, transition: Any) -> bool:
        """The person's right on the transition in FAB's tables (rules.Granted)."""
        return bool(self.appbuilder.sm.has_access(f"can_{transition.key}",
                                                  self.class_permission_name))

    @expose("/transition/<key>/<int:pk>", methods=["POST"])
    @has_access
    def transition(self, key: str, pk: int) -> Any:
        """Fire one transition on one row (the reason from the dialog when it needs one),
        then back where the button was: the list it came from (`next`), else the row's
        page, or the list when the row is no longer the person's to see (退回补正)."""
        flow = self.entity.workflow
        transition = flow.transition(key) if flow is not None else None
        if transition is None or not self._granted(transition):
            abort(403)
        fired = engine.fire(self.entity, self.datamodel.obj, self.datamodel.session, g.user,
                            key, [pk], request.form.get("reason"), self._granted)
        buttons.flash_fired(self.entity, fired, key)
        back = request.form.get("next", "")
        listed = url_for(".list")
        if (back.startswith(listed) and not back.startswith("//")) or progress_page(back):
            return redirect(back)
        if self.datamodel.get(pk, self._base_filters) is None:
            return redirect(listed)
        return redirect(url_for(".show", pk=pk))

    # -- transitions on every reachable row at once (`all: true`) ---------------------------
    def _all_transitions(self) -> list[Any]:
        flow = self.entity.workflow
        return [t for t in (flow.transitions if flow is not None else ())
                if t.all and engine.may_fire(t, g.user) and self._granted(t)]

    @expose("/transition_all/<key>", methods=["POST"])
    @has_access
    def transition_all(self, key: str) -> Any:
        """Fire the transition on every row of the user's range in one of its source states;
        say how many rows of the range it left alone, and why."""
        flow = self.entity.workflow
        transition = flow.transition(key) if flow is not None else None
        if transition is None or not transition.all:
            abort(404)
        if transition not in self._all_transitions():
            abort(403)
        model, session = self.datamodel.obj, self.datamodel.session
        counts = buttons.state_counts(self.entity, model, session, g.user)
        query = select(model.id).where(getattr(model, flow.field).in_(  # type: ignore[union-attr]
            transition.sources))
        condition = scope_condition(self.entity, model, g.user)
        if condition is not None:
            query = query.where(condition)
        ids = list(session.execute(query.order_by(model.id)).scalars())
        label = transition.label.get(current_locale())
        if not ids:
            flash(_("No record can be handled by %(action)s now.", action=label), "warning")
        else:
            buttons.flash_fired(self.entity, engine.fire(
                self.entity, model, session, g.user, key, ids, granted=self._granted), key)
        others = buttons.left_alone(self.entity, transition, counts)
        if others:
            flash(_("%(others)s: not %(action)s.", others=others, action=label), "info")
        return redirect(url_for(".list"))

    def fire_batch(self, key: str, items: Any) -> Any:
        """FAB list action: the same transition on every selected row the user can reach;
        the others are reported as missing."""
        ids = g.get("action_rowids")  # every row asked for (action_post), reached or not
        if ids is None:
            items = items if isinstance(items, list) else [items]
            ids = [item.id for item in items if item is not None]
        fired = engine.fire(self.entity, self.datamodel.obj, self.datamodel.session, g.user,
                            key, ids, granted=self._granted)
        buttons.flash_fired(self.entity, fired, key)
        return redirect(url_for(".list"))

