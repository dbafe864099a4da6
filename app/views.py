"""Base class of every generated screen: Flask-AppBuilder's ModelView plus what it lacks.

Options come from the Spec as class attributes (see registry.py); behaviour that varies at
run time goes through methods here. Added: input kept on every failure, Chinese messages,
a paged search endpoint for reference fields and a scoped file download.
"""

from __future__ import annotations

import builtins
import logging
import re
from typing import Any

from flask import (
    abort,
    flash,
    g,
    jsonify,
    redirect,
    request,
    url_for,
)
from flask_appbuilder import ModelView, expose, has_access
from flask_appbuilder.const import FLAMSG_ERR_SEC_ACCESS_DENIED
from flask_appbuilder.security.decorators import permission_name
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm.exc import StaleDataError

from app import documents, favourites, gate, list_count, list_seek, list_tabs, needs_panel
from app import help as help_views
from app.audit import history
from app.audit.views import ACTIONS as AUDIT_ACTIONS
from app.compat import ModelViewHooks
from app.context import generated
from app.hooks import runtime, window_deadline
from app.io.views import ViewIO
from app.labels import current_locale
from app.row_rules import clear_hidden, hidden_on_row
from app.search import choices_page, form_inputs
from app.security.fields import VisibleColumns, field_rights
from app.security.headers import send_attachment
from app.security.scope import scope_condition, user_scope
from app.workflow import buttons, changes, engine, fill, list_edit, rules, todo
from app.workflow.views import TransitionViews
from generator.builders.conditions import form_conditions
from generator.spec import Entity

log = logging.getLogger(__name__)


VISIBLE_OPTIONS = ("list_columns", "show_columns", "search_columns", "order_columns")


class GeneratedModelView(ModelViewHooks, ViewIO, TransitionViews, ModelView):
    entity: Entity
    # Per request, these leave out the fields hidden from the user (security/fields.py).
    list_columns = VisibleColumns()
    show_columns = VisibleColumns()
    search_columns = VisibleColumns()
    order_columns = VisibleColumns()
    list_template = "admin/list.html"
    add_template = "admin/add.html"
    edit_template = "admin/edit.html"
    show_template = "admin/show.html"
    list_widget = list_edit.ListEditWidget
    search_inputs: tuple[tuple[str, str], ...] = ()  # the search form (app/search.py)
    add_row_message = lazy_gettext("Saved.")
    edit_row_message = lazy_gettext("Changes saved.")
    delete_row_message = lazy_gettext("Deleted.")

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for name in VISIBLE_OPTIONS:  # generated values become the descriptors' defaults
            value = cls.__dict__.get(name)
            if value is not None and not isinstance(value, VisibleColumns):
                delattr(cls, name)
                setattr(cls, f"_{name}_default", value)

    def create_blueprint(self, appbuilder: Any, *args: Any, **kwargs: Any) -> Any:
        blueprint = super().create_blueprint(appbuilder, *args, **kwargs)
        blueprint.before_request(self._gate)  # every screen of the entity, before its view
        return blueprint

    def _gate(self) -> Any:
        """The module's gate (app/gate.py): to the gate entity's screens until it is met."""
        refused = gate.refusal(self.entity)
        if refused is None:
            return None
        flash(refused.message, "warning")
        return redirect(refused.url or self.appbuilder.get_url_for_index)

    def __init__(self, **kwargs: Any) -> None:
        for name in VISIBLE_OPTIONS:
            self.__dict__[f"_{name}_all"] = list(getattr(type(self), f"_{name}_default", []))
        super().__init__(**kwargs)

    def render_template(self, template: str, **kwargs: Any) -> Any:
        if template == self.list_template:
            listed = kwargs.get("widgets", {}).get("list")
            kwargs["io_links"] = self.io_links(
                getattr(listed, "template_args", {}).get("count"))
            kwargs["pending_changes"] = self._pending_changes()
            kwargs["list_narrowed"] = self._narrowed()
            mine: dict[str, Any] = {todo.MINE_ARGUMENT: "1"}
            kwargs["mine_url"] = (url_for(".list", **mine)
                                  if todo.mine_fields(self.entity)
                                  and not todo.mine_narrowed() else None)
            kwargs["search_form"] = form_inputs(self)
            kwargs["favourites_toggle"] = favourites.list_toggle(self.entity)
            kwargs["list_tabs"] = list_tabs.tabs(self.entity, self.datamodel.obj, g.user)
        if template in (self.list_template, self.add_template, self.edit_template,
                        self.show_template):
            kwargs["hook_banner"] = runtime.banner(self.entity, g.user, self.datamodel.session)
            # 帮助文档 and 意见反馈; above the list 模板下载 and the 承诺函 of the open batch
            extra = [help_views.links(self.entity)] + (
                [needs_panel.panel(self.entity, g.user, self.datamodel.session)]
                if template == self.list_template and window_deadline.list_window() != "closed"
                else [])
            kwargs["hook_banner"] = Markup("").join(
                m for m in [extra[0], kwargs["hook_banner"], *extra[1:]] if m) or None
        if template in (self.add_template, self.edit_template):
            conditions = form_conditions(  # applied live, lines too: admin/conditions.js
                self.entity, generated().spec)
            kwargs["field_conditions"] = None if conditions.empty else conditions.as_json()
        if template == self.show_template and "pk" in kwargs:
            kwargs.update(self._show_extras(kwargs["pk"]))
        return super().render_template(template, **kwargs)

    # -- 有待审核变更: the list (and its export) narrowed to records with a pending change ---
    def _init_properties(self) -> None:
        super()._init_properties()
        if changes.enabled(self.entity):
            self._base_filters.add_filter("id", changes.PendingChangeFilter, self.entity)
        for column, kind, entity in [*todo.narrowing(self.entity),  # ?todo=1, ?window=
                                     *favourites.narrowing(self.entity)]:  # ?favourites=1
            self._base_filters.add_filter(column, kind, entity)

    def _pending_changes(self) -> dict[str, Any] | None:
        """The toggle above the list: how many requests wait in the user's range."""
        sm, name = self.appbuilder.sm, self.class_permission_name
        if not changes.enabled(self.entity) or not (
                sm.has_access("can_decide_change", name)
                or sm.has_access("can_request_change", name)):
            return None
        model = self.datamodel.obj
        count = changes.pending_count(self.datamodel.session, self.entity, model,
                                      scope_condition(self.entity, model, g.user))
        args: dict[str, Any] = {k: v for k, v in request.args.to_dict(flat=False).items()
                                if k != changes.LIST_ARGUMENT and not k.startswith("page_")}
        active = changes.list_narrowed()
        return {"count": count, "active": active,
                "url": url_for(".list", **args) if active else
                url_for(".list", **{**args, changes.LIST_ARGUMENT: "1"})}

    def _narrowed(self) -> list[dict[str, str]]:
        """What ?todo=1 and ?window= narrow the list to, each with a link to undo it."""
        notes = []
        args: dict[str, Any] = {k: v for k, v in request.args.to_dict(flat=False).items()
                                if not k.startswith("page_")}
        if todo.mine_narrowed() and todo.mine_fields(self.entity):
            rest = {k: v for k, v in args.items() if k != todo.MINE_ARGUMENT}
            notes.append({"text": _("Only the records you handle are listed."),
                          "url": url_for(".list", **rest)})
        if todo.list_narrowed() and self.entity.workflow is not None:
            rest = {k: v for k, v in args.items() if k != todo.LIST_ARGUMENT}
            notes.append({"text": _("Only the records waiting for you are listed."),
                          "url": url_for(".list", **rest)})
        window = window_deadline.list_window()
        ref = self.entity.hook("window_deadline")
        if window is not None and ref is not None and ref.get("batch_field"):
            rest = {k: v for k, v in args.items() if k != window_deadline.LIST_ARGUMENT}
            notes.append({"text": _("Only the batches whose reporting time is open are "
                                    "listed.") if window == "open" else
                          _("Only the batches whose reporting time is over are listed (read "
                            "only)."), "url": url_for(".list", **rest)})
        return notes

    def _get_show_widget(self, pk: Any, item: Any, *args: Any, **kwargs: Any) -> Any:
        """The detail page leaves out the fields the row's `visible_if` hides."""
        g.row_hidden = set(hidden_on_row(self.entity, item))
        try:
            return super()._get_show_widget(pk, item, *args, **kwargs)
        finally:
            g.pop("row_hidden", None)

    def _show_extras(self, pk: Any) -> dict[str, Any]:
        """Transition buttons, the record's change requests, its history and its rounds of
        correction."""
        item = self.datamodel.get(pk, self._base_filters)
        if item is None:
            return {}
        session = self.datamodel.session
        sm, name = self.appbuilder.sm, self.class_permission_name
        flow = self.entity.workflow
        changeable = bool(flow and getattr(item, flow.field) in flow.change_states)
        requests = changes.shown(session, self.entity, item.id)
        waiting = any(r.request.status == changes.PENDING for r in requests)
        may_request = changeable and sm.has_access("can_request_change", name)
        hidden = frozenset(field_rights(self.entity).hidden)  # not in its history either
        events = history.history(session, self.entity, item.id, hidden)
        for event in events:  # 申请变更 / 变更审批 entries read as the audit log names them
            if event.action in ("change_request", "change_decision"):
                event.action = str(AUDIT_ACTIONS[event.action])
        return {
            "can_request_change": may_request and not waiting,
            "change_waiting": may_request and waiting,
            "can_decide_change": sm.has_access("can_decide_change", name),
            "change_requests": requests,
            "transitions": engine.allowed_transitions(self.entity, item, g.user, session,
                                                      self._granted),
            "row_name": rules.row_name(self.entity, item),
            "history": events,
            "rounds": history.correction_rounds(session, self.entity, item.id, hidden),
            "documents": documents.offered(self.entity, item, g.user, sm),
            "locale": current_locale(),
            "favourite": {"on": item.id in favourites.starred(self.entity, [item.id], g.user),
                          "url": favourites.toggle_url(self.entity.qualified, item.id),
                          "next": url_for(".show", pk=item.id)}
            if self.entity.favourites else None,
        }

    # -- 变更: ask for a change of a submitted record; an approver decides ----------------
    @expose("/change/<int:pk>", methods=["GET", "POST"])
    @has_access
    def request_change(self, pk: int) -> Any:
        item = self.datamodel.get(pk, self._base_filters)
        flow = self.entity.workflow
        if item is None or flow is None or getattr(item, flow.field) not in flow.change_states:
            abort(404)
        session = self.datamodel.session
        if request.method == "POST":
            form = self.edit_form.refresh(request.form)
            form._id = pk
            hidden = self._apply_field_rights(form, item)
            if form.validate():
                proposed = changes.proposed_changes(self.entity, item, form)
                refused = (_("Nothing was changed.") if not proposed else
                           changes.request_change(session, self.entity, pk, proposed, g.user))
                if refused is None:
                    flash(_("The change is requested; the record stays as it is until it is "
                            "accepted."), "success")
                    return redirect(url_for(".show", pk=pk))
                flash(refused, "warning")  # the form comes back with what was typed
        else:
            if changes.pending(session, self.entity, pk):
                flash(changes.already_pending(), "warning")
                return redirect(url_for(".show", pk=pk))
            form = self.edit_form.refresh(obj=item)
            hidden = self._apply_field_rights(form, item)
        widgets = self._get_edit_widget(form=form, exclude_cols=hidden)
        return self.render_template(self.edit_template, title=_("Request a change"),
                                    widgets=widgets)

    @expose("/change/decide/<int:request_id>", methods=["POST"])
    @has_access
    def decide_change(self, request_id: int) -> Any:
        """Accept or reject a pending request of a record in the user's range; a request that
        is decided already, or of another record, answers like a missing one."""
        session = self.datamodel.session
        change = session.get(changes.ChangeRequest, request_id)
        if change is None or change.entity != self.entity.qualified:
            abort(404)
        item = self.datamodel.get(change.record_id, self._base_filters)
        if item is None or change.status != changes.PENDING:
            abort(404)
        accept = request.form.get("decision") == "accept"
        pk = item.id
        try:
            refused = changes.decide(session, self.entity, item, change, accept,
                                     request.form.get("reason"),
                                     generated().models, g.user)
        except changes.NotPending:
            abort(404)
        if refused is not None:
            flash(refused, "danger")
        else:
            flash(_("The change is accepted.") if accept else _("The change is rejected."),
                  "success")
        return redirect(url_for(".show", pk=pk))

    # -- 列表填报: inputs in the list, saved for the selected rows (list_edit) ---------------
    def extend_list_widget(self, widget: Any) -> None:
        """What the list FAB drew lacks (app/compat.py calls it): the inputs of list
        editing, each row's buttons (admin/list_widget.html) and the actions above it."""
        fields = list_edit.editable_fields(self.entity, self.list_columns)
        args = widget.template_args
        args["edit_cells"], args["edit_checked"] = {}, set()
        history = window_deadline.list_window() == "closed"  # 历史报量查询: read only
        sm, name = self.appbuilder.sm, self.class_permission_name
        session, model = self.datamodel.session, self.datamodel.obj
        rows = {pk: session.get(model, pk) for pk in args["pks"]}  # loaded by the list
        may_edit = bool(sm.has_access("can_edit", name))
        if fields and may_edit and not history:
            kept = g.get("list_edit_kept") or {}
            args["edit_cells"] = list_edit.cells(self.entity, rows, fields,
                                                 kept.get("typed", {}), kept.get("wrong", set()))
            args["edit_checked"] = kept.get("checked", set())
        args["row_buttons"] = buttons.rows_buttons(
            self.entity, rows, g.user, session, self._granted, may_edit,
            bool(sm.has_access("can_delete", name)), list(self.edit_columns))
        edit = self.entity.list_edit
        args["list_edit_label"] = (edit.label.get(current_locale())
                                   if edit is not None and may_edit and not history else None)
        if not args["edit_cells"]:
            args["list_edit_label"] = None  # no row of the page is the person's to fill
        args["actions"] = dict(args.get("actions") or {})  # the view's own stays whole
        args["batch_refusals"] = buttons.batch_offers(self.entity, args["row_buttons"],
                                                      args["actions"])
        args["all_buttons"] = [] if history else buttons.all_buttons(
            self.entity, self._all_transitions(), model, session, g.user, self._granted)
        args["list_url"] = request.full_path if request.query_string else request.path
        args["stars"] = favourites.starred(self.entity, args["pks"], g.user)
        args["favourites"] = self.entity.favourites
        args["entity_name"] = self.entity.qualified
        args["locale"] = current_locale()
        args["next_url"] = self._next_url(args, rows)
        if getattr(args.get("count"), "estimated", False):  # 「约 10 万条」 and 精确计数
            args["count_about"] = list_count.about(args["count"], args["locale"])
            query: dict[str, Any] = request.args.to_dict(flat=False)
            args["exact_count_url"] = url_for(".list", **{
                **query, list_count.EXACT_ARGUMENT: "exact"})
        if history:  # 历史报量查询: no row is ticked for a batch action either
            args["actions"] = {}

    def _next_url(self, args: dict[str, Any], rows: dict[Any, Any]) -> str | None:
        """下一页 seeking from this page's last row (app/list_seek.py), when it is full."""
        pks, page_size = args.get("pks") or [], args.get("page_size") or 0
        if not pks or len(pks) < page_size:
            return None
        name = type(self).__name__
        column = request.args.get(f"_oc_{name}")
        direction = request.args.get(f"_od_{name}", "asc")
        if not column:
            column, direction = self.base_order or ("id", "desc")
        value = list_seek.link_value(args.get("page") or 0, column, direction,
                                     rows.get(pks[-1]))
        if value is None:
            return None
        query: dict[str, Any] = request.args.to_dict(flat=False)
        return url_for(".list", **{**query, f"page_{name}": (args.get("page") or 0) + 1,
                                   list_seek.argument(name): value})

    @expose("/action_post", methods=["GET", "POST"])
    def action_post(self) -> Any:
        """FAB's list actions; a GET is a page or sort link of a list shown again after a
        refused save (its links keep this address): back to the list with the same query.

        An unknown action answers 404; the permission of a known one is checked as FAB does.
        The selected rows are read in the user's range in one query: a `rowid` missing or
        out of range is left out of `items` (the action reports it, see fire_batch)."""
        if request.method == "GET":
            query: dict[str, Any] = request.args.to_dict()
            return redirect(url_for(".list", **query))
        name = request.form.get("action", "")
        if name not in self.actions:
            abort(404)
        if not self.appbuilder.sm.has_access(self.get_action_permission_name(name),
                                             self.class_permission_name):
            flash(str(FLAMSG_ERR_SEC_ACCESS_DENIED), "danger")
            return redirect(".")
        g.action_rowids = ids = list(dict.fromkeys(
            int(v) for v in request.form.getlist("rowid") if v.isascii() and v.isdigit()))
        model, session = self.datamodel.obj, self.datamodel.session
        condition = scope_condition(self.entity, model, g.user)
        found: dict[int, Any] = {}
        for chunk in engine.chunks(ids):
            rows = select(model).where(model.id.in_(chunk))
            if condition is not None:
                rows = rows.where(condition)
            found.update((row.id, row) for row in session.execute(rows).scalars())
        return self.actions[name].func([found[pk] for pk in ids if pk in found])

    @expose("/action/<string:name>/<pk>", methods=["GET", "POST"])
    def action(self, name: str, pk: Any) -> Any:
        """FAB's one-row action: an unknown one answers 404 (not a server error)."""
        if name not in self.actions:
            abort(404)
        return super().action(name, pk)

    def save_list_edit(self, items: Any) -> Any:
        """FAB list action: save what was typed into the selected rows, all or nothing."""
        model, session = self.datamodel.obj, self.datamodel.session
        fields = list_edit.editable_fields(self.entity, self.list_columns)
        outcome = list_edit.save(self.entity, model, session, g.user, request.form, fields)
        for message in outcome.skipped[:20]:
            flash(message, "warning")
        if outcome.errors:
            for message in outcome.errors[:50]:
                flash(message, "danger")
            flash(_("Nothing was saved; correct the values and save again."), "danger")
            g.list_edit_kept = {"typed": list_edit.typed_values(request.form),
                                "wrong": outcome.wrong,
                                "checked": set(request.form.getlist("rowid"))}
            self._refuse_hidden_arguments()
            with list_count.estimating(list_count.limit()):
                widgets = self._list()
            return self.render_template(self.list_template, title=self.list_title,
                                        widgets=widgets)
        if outcome.saved:
            flash(_("Saved: %(count)s record(s).", count=len(outcome.saved)), "success")
        key = self.entity.list_edit.transition if self.entity.list_edit is not None else None
        if key and self.appbuilder.sm.has_access(f"can_{key}", self.class_permission_name):
            fired = list_edit.then_fire(self.entity, model, session, g.user, outcome.saved)
            label = self.entity.workflow.transition(key).label  # type: ignore[union-attr]
            for message in fired.messages(label.get(current_locale()))[:20] if fired else ():
                flash(message, "warning")
        query: dict[str, Any] = request.args.to_dict()  # the page the list was on
        return redirect(url_for(".list", **query))

    @expose("/list/")
    @has_access
    def list(self) -> Any:
        self._refuse_hidden_arguments()
        with list_count.estimating(list_count.limit()), list_seek.seeking(type(self).__name__):
            return super().list()  # 「约 10 万条」 on large lists, 下一页 by seeking

    def _refuse_hidden_arguments(self) -> None:
        """Filtering or sorting on a hidden field would reveal it row by row."""
        for key, value in request.args.items():  # sorting by what the list cannot sort by
            if key.startswith("_oc_") and value not in self.order_columns:
                abort(400)
        hidden = field_rights(self.entity).hidden
        if not hidden:
            return
        for key, value in request.args.items():
            match = re.match(r"_flt_\d+_(\w+)$", key)
            if (match and match.group(1) in hidden) or (
                    key.startswith("_oc_") and value in hidden):
                abort(400)

    def _apply_field_rights(self, form: Any, item: Any) -> builtins.list[str]:
        """Hidden fields leave the form; read-only ones show their value and keep it."""
        rights = field_rights(self.entity)
        hidden = set(rights.hidden)
        readonly = set(rights.readonly) | self._unfillable_fields(item)
        if self.entity.scope is not None and user_scope(self.entity, g.user) == "own":
            hidden.add("org")  # 本单位 only: the row is the user's own organisation's
        for name in hidden | readonly:
            if name in form:  # whatever was sent, the stored value (or default) stays
                field = form[name]
                stored = getattr(item, name) if item is not None else field.default
                field.process(None, data=stored)
                field.validators = ()
                if name in readonly:
                    field.render_kw = {**(field.render_kw or {}), "disabled": True}
        return sorted(hidden)

    def _unfillable_fields(self, item: Any) -> set[str]:
        """报量方式: the fields another level fills on this stored row show, read only."""
        rule = self.entity.filled_by
        if rule is None or item is None:
            return set()
        if item.id in fill.unfillable(self.entity, [item], g.user, self.datamodel.session):
            return set(rule.fields)
        return set()

    # -- after saving, back to the list (where the new or changed row is visible) ------------
    def post_add_redirect(self) -> Any:
        return redirect(url_for(f"{self.endpoint}.list"))

    def post_edit_redirect(self) -> Any:
        return redirect(url_for(f"{self.endpoint}.list"))

    def post_delete_redirect(self) -> Any:
        return redirect(url_for(f"{self.endpoint}.list"))

    # -- add and edit: the form comes back with everything typed when saving fails ----------
    def add_form_widgets(self) -> Any:
        """The add page: saved when the posted form passes (then None: FAB redirects), else
        the form again with everything typed (app/compat.py calls it for FAB's route)."""
        form = self.add_form.refresh()
        hidden = self._apply_field_rights(form, None)
        if request.method == "GET":  # the open batch, or the one the list's panel names
            needs_panel.preselect(self.entity, form, g.user, self.datamodel.session,
                                  request.args.get("batch"))
        if request.method == "POST" and form.validate():
            item = self.datamodel.obj()
            form.populate_obj(item)
            if self._save(item, self.datamodel.add, self.pre_add, self.post_add,
                          self.add_row_message):
                return None
        return self._get_add_widget(form=form, exclude_cols=hidden)

    def edit_form_widgets(self, pk: Any) -> Any:
        """The edit page, as add_form_widgets; a locked row is refused with its reason."""
        item = self.datamodel.get(pk, self._base_filters)
        if not item:
            abort(404)
        pk = self.datamodel.get_pk_value(item)
        locked = rules.change_refusal(self.entity, item, "edit", list(self.edit_columns),
                                      self._unfillable_fields(item))
        if locked:
            flash(locked, "danger")
            return None  # FAB redirects back
        if request.method == "POST":
            form = self.edit_form.refresh(request.form)
            form._id = pk
            hidden = self._apply_field_rights(form, item)
            sent = request.form.get("row_version", "")
            if sent.isdigit() and int(sent) != item.row_version:
                flash(_("Someone else changed this record after you opened it; nothing was "
                        "saved. Reload it to see their changes."), "danger")
                return self._get_edit_widget(form=form, exclude_cols=hidden)
            if form.validate():
                form.populate_obj(item)
                if self._save(item, self.datamodel.edit, self.pre_update, self.post_update,
                              self.edit_row_message):
                    return None
        else:
            form = self.edit_form.refresh(obj=item)
            hidden = self._apply_field_rights(form, item)
            self.prefill_form(form, pk)
        return self._get_edit_widget(form=form, exclude_cols=hidden)

    def _save(self, item: Any, write: Any, before: Any, after: Any, message: Any) -> bool:
        session = self.datamodel.session
        try:
            clear_hidden(self.entity, item)  # visible_if: app/row_rules.py
            runtime.before_save(self.entity, item, g.user, session)
            before(item)
            write(item)
            after(item)
        except runtime.Denied as exc:
            session.rollback()
            flash(_("Not saved: %(reason)s", reason=_(exc.reason, **exc.params)), "danger")
            return False
        except StaleDataError:
            session.rollback()
            flash(_("Someone else changed this record after you opened it; nothing was "
                    "saved. Reload it to see their changes."), "danger")
            return False
        except IntegrityError:
            session.rollback()
            flash(_("Not saved: the record conflicts with existing data (a duplicate value or a "
                    "record still in use)."), "danger")
            return False
        except (SQLAlchemyError, Exception) as exc:  # noqa: BLE001 - shown to the user, logged
            session.rollback()
            log.exception("saving %s failed", self.entity.qualified)
            flash(_("Not saved: %(reason)s", reason=_reason(exc)), "danger")
            return False
        flash(str(message), "success")
        return True

    def delete_row(self, pk: Any) -> None:
        """Delete one row in the user's range unless its state locks it; flash the outcome."""
        item = self.datamodel.get(pk, self._base_filters)
        if not item:
            abort(404)
        locked = engine.lock_reason(self.entity, item, "delete")
        if locked:
            flash(locked, "danger")
            return
        try:
            self.pre_delete(item)
            self.datamodel.delete(item)
            self.post_delete(item)
        except (SQLAlchemyError, Exception) as exc:  # noqa: BLE001
            self.datamodel.session.rollback()
            if is_integrity(exc):
                flash(_("Not deleted: other records still refer to this one."), "danger")
            else:
                log.exception("deleting %s failed", self.entity.qualified)
                flash(_("Not deleted: %(reason)s", reason=_reason(exc)), "danger")
            return
        flash(str(self.delete_row_message), "success")

    @expose("/delete/<pk>", methods=["POST"])  # never on GET: a link must not delete
    @has_access
    def delete(self, pk: Any) -> Any:
        self.delete_row(pk)
        return self.post_delete_redirect()

    # -- reference search: one page at a time, never the whole related table ----------------
    @expose("/choices/<field>")
    @has_access
    @permission_name("list")
    def choices(self, field: str) -> Any:
        """A page of the rows a reference field may point to (app/search.py)."""
        page = choices_page(self.entity, field, request.args, g.user)
        if page is None:
            abort(404)
        return jsonify(**page)

    # -- file download: the same row lookup (and so the same scope) as show ----------------
    @expose("/download/<field>/<int:pk>")
    @has_access
    @permission_name("show")
    def download(self, field: str, pk: int) -> Any:
        if not any(f.name == field and f.kind.uploads for f in self.entity.fields):
            abort(404)
        item = self.datamodel.get(pk, self._base_filters)
        key = getattr(item, field, None) if item is not None else None
        if not key:
            abort(404)
        storage = generated().storage
        try:
            stream = storage.open(key)
        except FileNotFoundError:
            abort(404)
        return send_attachment(stream, getattr(item, f"{field}_name") or key)


def is_integrity(exc: BaseException) -> bool:
    while exc is not None:
        if isinstance(exc, IntegrityError):
            return True
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
    return False


def _reason(exc: BaseException) -> str:
    text = str(exc).strip()
    # Database messages are for the log, not for the person in front of the screen.
    if isinstance(exc, SQLAlchemyError) or not text:
        return _("database error, please try again or contact the administrator")
    return text

