"""User management by administrators of a jurisdiction (seed 000 §4), delegation of modules by
an enterprise's legal person to its agents (seed 001 §2.3), and changing one's own password.

The rules are in `user_rules` (who may give whom what) and every door here goes through
them: the add and edit forms, 注销 and 启用 (row buttons and list actions), and an
administrator's password reset. Every change is written to the audit trail (`user_audit`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import abort, flash, g, jsonify, redirect, request, url_for
from flask_appbuilder import ModelView, expose, has_access
from flask_appbuilder.actions import action
from flask_appbuilder.const import FLAMSG_ERR_SEC_ACCESS_DENIED
from flask_appbuilder.fieldwidgets import (
    BS3PasswordFieldWidget,
    BS3TextFieldWidget,
    Select2Widget,
)
from flask_appbuilder.forms import DynamicForm
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.views import ResetMyPasswordView
from flask_appbuilder.widgets import FormWidget, ListWidget
from flask_babel import LazyString, lazy_gettext
from flask_babel import gettext as _
from sqlalchemy import false, select
from sqlalchemy.orm import selectinload
from werkzeug.security import check_password_hash
from wtforms import PasswordField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, EqualTo, ValidationError
from wtforms.widgets import CheckboxInput
from wtforms.widgets import ListWidget as CheckboxListWidget

from app.context import db_session, security
from app.fields import ReferenceField
from app.labels import current_locale
from app.security import user_audit, user_display
from app.security.models import AppUser, Organisation
from app.security.scope import current
from app.security.user_rules import (
    ORG_REFUSED,
    USER_CLASS_LABELS,
    Proposal,
    check_user,
    delegable_modules,
    delegating,
    grantable_classes,
    grantable_roles,
    managed_orgs,
    managed_users,
    may_manage,
    spec,
)
from generator.identifiers import MSG_ID_CARD, is_id_card, normalize_code

RIGHT_FIELDS = ["org", "user_class", "roles", "modules"]


class ManagedUsersFilter(BaseFilter):
    """Users an administrator sees: those of their jurisdiction (a legal person: own agents)."""

    name = "managed users"
    arg_name = "managed"

    def apply(self, query: Any, value: Any) -> Any:
        condition = managed_users(current())
        return query if condition is None else query.filter(condition)


def _load_org(_model: type, pk: int) -> Any:
    user = current()
    query = select(Organisation).where(Organisation.id == pk)
    condition = managed_orgs(user) if user is not None else false()
    if condition is not None:
        query = query.where(condition)
    return db_session().execute(query).scalar_one_or_none()


class MultiCheckboxField(SelectMultipleField):
    widget = CheckboxListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def __call__(self, **kwargs: Any) -> Any:
        kwargs.setdefault("class", "list-unstyled")
        return super().__call__(**kwargs)


def _role_choices() -> list[tuple[str, str]]:
    return [(r.key, r.label.get(current_locale())) for r in grantable_roles(current())]


def _class_choices() -> list[tuple[str, str]]:
    user = current()
    classes = [(c, str(USER_CLASS_LABELS[c])) for c in grantable_classes(user)]
    return classes if delegating(user) else [("", "")] + classes


def _module_choices(held: list[str] | None = None) -> list[tuple[str, str]]:
    """What the user may give, and what the edited user holds already (it may be taken)."""
    offered = {m.key for m in delegable_modules(current())} | set(held or [])
    return [(m.key, m.label.get(current_locale())) for m in spec().modules if m.key in offered]


class UserForm(DynamicForm):
    username = StringField(lazy_gettext("User Name"), validators=[DataRequired()],
                           widget=BS3TextFieldWidget())
    first_name = StringField(lazy_gettext("Full name"), validators=[DataRequired()],
                             widget=BS3TextFieldWidget())
    email = StringField(lazy_gettext("Email"), widget=BS3TextFieldWidget())
    # 身份证号 of the person behind the account (seed 003 ch. 10.2: business needs it)
    id_no = StringField(lazy_gettext("ID card number"), widget=BS3TextFieldWidget())
    org = ReferenceField(lazy_gettext("Organisation"), target=Organisation,
                         view_endpoint="UserManagementView", load=_load_org,
                         refused=ORG_REFUSED)
    # every choice of these is checked by user_rules.check_user, with a message naming it
    user_class = SelectField(lazy_gettext("User class"), validate_choice=False,
                             widget=Select2Widget())
    roles = MultiCheckboxField(lazy_gettext("Roles"), validate_choice=False)
    modules = MultiCheckboxField(lazy_gettext("Modules"), validate_choice=False,
                                 description=lazy_gettext("Leave empty for every module of "
                                                          "the roles (agents: none)."))
    password = PasswordField(lazy_gettext("Password"), widget=BS3PasswordFieldWidget())
    conf_password = PasswordField(
        lazy_gettext("Confirm Password"), widget=BS3PasswordFieldWidget(),
        validators=[EqualTo("password", message=lazy_gettext("Passwords must match"))])

    def validate_id_no(self, field: Any) -> None:
        field.data = normalize_code(field.data or "")
        if field.data and not is_id_card(field.data):
            raise ValidationError(_(MSG_ID_CARD))

    def __init__(self, *args: Any, **kwargs: Any):
        obj = kwargs.get("obj")
        super().__init__(*args, **kwargs)
        self.roles.choices = _role_choices()
        self.user_class.choices = _class_choices()
        self.modules.choices = _module_choices()
        self.password.description = security().password_rules_text()
        if obj is not None and request.method == "GET":
            self.roles.data = [r.name for r in obj.roles]
            self.modules.data = [m for m in (obj.modules or "").split(",") if m]
        elif obj is None and request.method == "GET" and delegating(current()):
            self.org.data = current().org  # a legal person's agents: its own enterprise


class AdminPasswordForm(DynamicForm):
    """重置密码: an administrator sets a user's password (the user must change it)."""

    password = PasswordField(lazy_gettext("New password"), validators=[DataRequired()],
                             widget=BS3PasswordFieldWidget())
    conf_password = PasswordField(
        lazy_gettext("Confirm new password"), widget=BS3PasswordFieldWidget(),
        validators=[EqualTo("password", message=lazy_gettext("Passwords must match"))])

    def __init__(self, *args: Any, target: Any = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.target = target
        self.password.description = security().password_rules_text()

    def validate_password(self, field: Any) -> None:
        """The policy, the user name and the user's password history included."""
        problems = security().password_problems(field.data or "",
                                                               user=self.target)
        if problems:
            field.errors.extend(problems[:-1])
            raise ValidationError(problems[-1])


class UserListWidget(ListWidget):
    """FAB's list with 注销 / 启用 and 重置密码 buttons on each row the viewer may manage."""

    template = "admin/users_list_widget.html"


class UserManagementView(ModelView):
    """监管用户管理: administrators manage the users of their own jurisdiction."""

    route_base = "/system/users"
    class_permission_name = "system:users"
    # `delete` keeps FAB's own can_delete, which nobody is given: users are deactivated.
    method_permission_name = {"list": "list", "show": "list", "add": "add", "edit": "edit",
                              "deactivate": "edit", "activate": "edit",
                              "deactivate_selected": "edit", "activate_selected": "edit",
                              "reset_password": "edit", "choices": "add", "action": "edit",
                              "action_post": "edit", "download": "list"}
    datamodel = SQLAInterface(AppUser)
    base_filters = [["id", ManagedUsersFilter, None]]
    list_title = LazyString(lambda: screen_title())
    show_title = lazy_gettext("User")
    add_title = lazy_gettext("Add user")
    edit_title = lazy_gettext("Edit user")
    list_widget = UserListWidget
    list_columns = ["username", "first_name", "org", "user_class", "roles", "active"]
    show_columns = ["username", "first_name", "email", "id_no", "org", "user_class", "roles",
                    "modules", "active", "last_login", "login_count"]
    add_columns = ["username", "first_name", "email", "id_no", "org", "user_class", "roles",
                   "modules", "password", "conf_password"]
    edit_columns = ["username", "first_name", "email", "id_no", "org", "user_class", "roles",
                    "modules"]
    search_columns = ["username", "first_name", "active"]
    label_columns = {
        **user_display.LABELS,
        "password": lazy_gettext("Password"), "conf_password": lazy_gettext("Confirm Password"),
    }
    formatters_columns = user_display.FORMATTERS
    add_form = UserForm
    edit_form = UserForm

    # --- reaching one user ------------------------------------------------------------

    def _managed(self, pk: Any) -> Any:
        """The user `pk` within the viewer's range; outside it answers like a missing one."""
        if not str(pk).isascii() or not str(pk).isdigit():
            abort(404)
        item = self.datamodel.get(int(pk), self._base_filters)
        if item is None:
            abort(404)
        return item

    def _refuse_unmanageable(self, item: Any) -> Any:
        """A user holding a role the viewer may not give: shown, but not changed."""
        if item.id == g.user.id or may_manage(g.user, item):
            return None
        flash(_("You may not change the user %(name)s: they hold a role you may not grant.",
                name=item.username), "danger")
        return redirect(url_for(".list"))

    # --- add and edit ------------------------------------------------------------------

    @expose("/add", methods=["GET", "POST"])
    @has_access
    def add(self) -> Any:
        form = self.add_form.refresh()
        if request.method == "POST" and self._save(form, None):
            return redirect(url_for(".list"))
        return self.render_template(self.add_template, title=self.add_title,
                                    widgets=self._get_add_widget(form=form))

    @expose("/edit/<pk>", methods=["GET", "POST"])
    @has_access
    def edit(self, pk: Any) -> Any:
        item = self._managed(pk)
        refused = self._refuse_unmanageable(item)
        if refused is not None:
            return refused
        if request.method == "POST":
            form = self.edit_form.refresh(request.form)
            self._offer_held(form, item)
            if self._save(form, item):
                return redirect(url_for(".list"))
        else:
            form = self.edit_form.refresh(obj=item)
            self._offer_held(form, item)
        own = item.id == g.user.id
        if own:  # these fields are not on the form: their refusals are said above it
            for name in RIGHT_FIELDS:
                for message in getattr(form, name).errors or []:
                    flash(message, "danger")
        if own and request.method == "GET":
            flash(_("On your own account you can change only the user name, full name and "
                    "e-mail: roles, user class, organisation and modules are changed by "
                    "another administrator."), "info")
        widgets = self._get_edit_widget(form=form, exclude_cols=RIGHT_FIELDS if own else [])
        return self.render_template(self.edit_template, title=self.edit_title,
                                    widgets=widgets)

    @staticmethod
    def _offer_held(form: Any, item: Any) -> None:
        """The edited user's modules are offered too (a legal person may take them away)."""
        form.modules.choices = _module_choices([m for m in (item.modules or "").split(",")
                                                if m])

    def _proposal(self, form: Any) -> Proposal:
        """What was sent; a field missing from the request is None (not asked to change)."""
        sent = request.form
        return Proposal(
            org=form.org.data if sent.get("org") else None,
            user_class=(form.user_class.data or "") if "user_class" in sent else None,
            roles=list(form.roles.data or []) if "roles" in sent else None,
            modules=list(form.modules.data or []) if "modules" in sent else None)

    def _save(self, form: Any, item: Any) -> bool:
        """Check everything (the form and every rule), then save and audit, or nothing."""
        sm = self.appbuilder.sm
        session = self.datamodel.session
        valid = form.validate()
        outcome = check_user(g.user, item, self._proposal(form))
        for name, messages in outcome.errors.items():
            field = getattr(form, name)
            if name == "org" and field.errors:
                continue  # already refused by the field (outside the range)
            field.errors = list(field.errors or []) + messages
        username = (form.username.data or "").strip()
        existing = sm.find_user(username=username) if username else None
        if existing is not None and (item is None or existing.id != item.id):
            form.username.errors = list(form.username.errors or []) + [
                _("This value is already used by another record.")]
        if item is None:
            if not form.password.data:
                form.password.errors = [_("This field is required.")]
            else:  # the password policy, with every rule the password breaks
                form.password.errors = list(form.password.errors or []) + \
                    sm.password_problems(form.password.data, username=username)
        if not valid or any(f.errors for f in form):
            return False
        before = user_audit.snapshot(item) if item is not None else None
        user = item or AppUser()
        user.username = username
        user.first_name = form.first_name.data.strip()
        user.last_name = user.last_name or ""
        user.email = (form.email.data or "").strip() or f"{user.username}@localhost"
        if "id_no" in request.form:  # a form without the field keeps the number
            user.id_no = form.id_no.data or None
        user.org = outcome.org
        user.user_class = outcome.user_class
        user.modules = ",".join(outcome.modules) or None
        user.roles = [sm.find_role(key) for key in outcome.roles]
        if item is None:
            sm.set_password(user, form.password.data, by_owner=False, check=False)
            user.active = True
            session.add(user)
            user_audit.record_created(session, user)
        else:
            user_audit.record_changed(session, before or {}, user)
        session.commit()
        flash(_("Saved."), "success")
        return True

    # --- 注销 and 启用 ------------------------------------------------------------------

    @expose("/deactivate/<pk>", methods=["POST"])
    @has_access
    def deactivate(self, pk: Any) -> Any:
        """注销: the account can no longer sign in; everything it entered stays."""
        self._set_active([self._managed(pk)], False)
        return redirect(url_for(".list"))

    @expose("/activate/<pk>", methods=["POST"])
    @has_access
    def activate(self, pk: Any) -> Any:
        """启用: a deactivated account may sign in again."""
        self._set_active([self._managed(pk)], True)
        return redirect(url_for(".list"))

    @action("deactivate", lazy_gettext("Deactivate"),
            lazy_gettext("Deactivate the selected users? They will no longer be able to sign "
                         "in; what they entered stays."), "fa-ban", single=False)
    def deactivate_selected(self, items: list[Any]) -> Any:
        self._set_active(items, False)
        return redirect(url_for(".list"))

    @action("activate", lazy_gettext("Re-enable"),
            lazy_gettext("Re-enable the selected users? They will be able to sign in again."),
            "fa-check", single=False)
    def activate_selected(self, items: list[Any]) -> Any:
        self._set_active(items, True)
        return redirect(url_for(".list"))

    @expose("/action_post", methods=["POST"])
    def action_post(self) -> Any:
        """The list actions, on the selected users within the viewer's range only (FAB
        fetches them without the view's filter); an unknown action answers 404."""
        name = request.form.get("action", "")
        if name not in self.actions:
            abort(404)
        if not self.appbuilder.sm.has_access(self.get_action_permission_name(name),
                                             self.class_permission_name):
            flash(str(FLAMSG_ERR_SEC_ACCESS_DENIED), "danger")
            return redirect(url_for(".list"))
        ids = list(dict.fromkeys(int(v) for v in request.form.getlist("rowid")
                                 if v.isascii() and v.isdigit()))[:1000]
        query = select(AppUser).where(AppUser.id.in_(ids)).order_by(AppUser.username)
        condition = managed_users(g.user)
        if condition is not None:
            query = query.where(condition)
        items = self.datamodel.session.execute(query).unique().scalars().all()
        return self.actions[name].func(list(items))

    @expose("/action/<string:name>/<pk>", methods=["GET", "POST"])
    def action(self, name: str, pk: Any) -> Any:
        abort(404)  # no single-row actions: the row buttons post to their own addresses

    def _set_active(self, items: list[Any], active: bool) -> None:
        """注销 (False) or 启用 (True) each user the viewer may manage; audited one by one."""
        session = self.datamodel.session
        for item in items:
            if not active and item.id == g.user.id:
                flash(_("You cannot deactivate your own account."), "danger")
                continue
            if item.id != g.user.id and not may_manage(g.user, item):
                flash(_("You may not change the user %(name)s: they hold a role you may not "
                        "grant.", name=item.username), "danger")
                continue
            if bool(item.active) == active:
                flash(_("The user %(name)s is already re-enabled.", name=item.username)
                      if active else _("The user %(name)s is already deactivated.",
                                       name=item.username), "info")
                continue
            item.active = active
            if active:  # the unused clock of `accounts sweep` starts again
                item.activated_at = dt.datetime.now()
            user_audit.record_active(session, item, active)
            flash(_("The user %(name)s is re-enabled.", name=item.username) if active
                  else _("The user %(name)s is deactivated.", name=item.username), "success")
        session.commit()

    # --- 重置密码 -----------------------------------------------------------------------

    @expose("/password/<pk>", methods=["GET", "POST"])
    @has_access
    def reset_password(self, pk: Any) -> Any:
        """An administrator sets a new password: the policy applies, the user must change it
        at the next sign-in, and a lock is lifted (`set_password(by_owner=False)`)."""
        item = self._managed(pk)
        if item.id == g.user.id:
            flash(_("Change your own password under Change password, with the old one."),
                  "danger")
            return redirect(url_for(".list"))
        refused = self._refuse_unmanageable(item)
        if refused is not None:
            return refused
        form = AdminPasswordForm(target=item)  # the posted values, on a POST
        if request.method == "POST" and form.validate():
            self.appbuilder.sm.set_password(item, form.password.data, by_owner=False)
            user_audit.record_password_reset(self.datamodel.session, item)
            self.datamodel.session.commit()
            flash(_("The password of %(name)s is reset; they must change it at their next "
                    "sign-in.", name=item.username), "success")
            return redirect(url_for(".list"))
        widget = FormWidget(form=form, include_cols=["password", "conf_password"],
                            exclude_cols=[])
        return self.render_template(self.edit_template,
                                    title=_("Reset the password of %(name)s",
                                            name=item.username),
                                    widgets={"edit": widget})

    # --- the list ------------------------------------------------------------------------

    def _get_list_widget(self, *args: Any, **kwargs: Any) -> Any:
        """Which row gets which button: 注销 or 启用 by its state, none on rows the viewer
        may not manage, no 注销 on the viewer's own row."""
        widgets = super()._get_list_widget(*args, **kwargs)
        widget = widgets["list"]
        pks = list(widget.template_args.get("pks", []))
        # the page's users with their roles in one statement (the column and the buttons
        # need them; one query per row otherwise)
        users = self.datamodel.session.execute(
            select(AppUser).where(AppUser.id.in_(pks)).options(selectinload(AppUser.roles))
        ).unique().scalars()
        by_id = {u.id: u for u in users}
        buttons = {}
        for pk in pks:
            user = by_id.get(pk)
            if user is None:
                continue
            own = user.id == g.user.id
            buttons[pk] = {"name": user.username, "active": bool(user.active), "own": own,
                           "manage": not own and may_manage(g.user, user)}
        widget.template_args["row_buttons"] = buttons
        widget.template_args["bulk_import"] = self.appbuilder.sm.has_access(
            "can_add", self.class_permission_name)
        return widgets

    @expose("/delete/<pk>", methods=["POST"])
    @has_access
    def delete(self, pk: Any) -> Any:
        abort(404)  # users are deactivated, never deleted: their records keep their author

    @expose("/choices/<field>")
    @has_access
    def choices(self, field: str) -> Any:
        if field != "org":
            abort(404)
        term = (request.args.get("q") or "").strip()[:100]
        query = select(Organisation).order_by(Organisation.path).limit(21)
        condition = managed_orgs(current())
        if condition is not None:
            query = query.where(condition)
        if term:
            query = query.where(Organisation.name.contains(term, autoescape=True))
        rows = self.datamodel.session.execute(query).scalars().all()
        return jsonify(results=[{"id": r.id, "text": r.name} for r in rows[:20]],
                       pagination={"more": len(rows) > 20})


class ChangePasswordForm(DynamicForm):
    old_password = PasswordField(lazy_gettext("Old password"), validators=[DataRequired()],
                                 widget=BS3PasswordFieldWidget())
    password = PasswordField(lazy_gettext("New password"), validators=[DataRequired()],
                             widget=BS3PasswordFieldWidget())
    conf_password = PasswordField(
        lazy_gettext("Confirm new password"), widget=BS3PasswordFieldWidget(),
        validators=[EqualTo("password", message=lazy_gettext("Passwords must match"))])

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.password.description = security().password_rules_text()

    def validate_old_password(self, field: Any) -> None:
        if not check_password_hash(g.user.password, field.data or ""):
            raise ValidationError(_("The old password is wrong."))

    def validate_password(self, field: Any) -> None:
        """The policy, the history included (the current password always counts)."""
        problems = security().password_problems(field.data or "", user=g.user)
        if problems:
            field.errors.extend(problems[:-1])
            raise ValidationError(problems[-1])


class ChangeMyPasswordView(ResetMyPasswordView):
    """修改密码: old password, then the new one twice (FAB's asks only for the new one)."""

    class_permission_name = "ResetMyPasswordView"
    form = ChangePasswordForm
    form_title = lazy_gettext("Change password")
    message = lazy_gettext("Password changed.")

    def form_post(self, form: Any) -> None:
        self.appbuilder.sm.change_own_password(g.user, form.password.data)
        flash(str(self.message), "info")


def screen_title() -> str:
    """The seeds' names: 子用户授权 for a legal person (seed 001), 用户管理 for administrators
    (seed 000)."""
    if delegating(current()):
        return _("Delegation to agents")
    return _("User management")


def init_app(appbuilder: Any) -> None:
    from app.security import bulk_view

    bulk_view.init_app(appbuilder)
    appbuilder.add_view(UserManagementView, "user_management", icon="fa-users",
                        label=LazyString(lambda: screen_title()), category="system_admin",
                        category_label=lazy_gettext("System administration"),
                        category_icon="fa-cogs")
