"""User management by administrators of a jurisdiction (seed 000 §4), delegation of modules by
an enterprise's legal person to its agents (seed 001 §2.3), and changing one's own password.

The rules live in plain functions (`grantable_roles`, `check_assignment`) so that every door
that creates or changes users goes through the same ones.
"""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, flash, g, jsonify, redirect, request, url_for
from flask_appbuilder import ModelView, expose, has_access
from flask_appbuilder.actions import action
from flask_appbuilder.fieldwidgets import (
    BS3PasswordFieldWidget,
    BS3TextFieldWidget,
    Select2Widget,
)
from flask_appbuilder.forms import DynamicForm
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.views import ResetMyPasswordView
from flask_babel import LazyString, lazy_gettext
from flask_babel import gettext as _
from sqlalchemy import false, select
from werkzeug.security import check_password_hash
from wtforms import PasswordField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, EqualTo, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from app.audit import trail
from app.fields import ReferenceField
from app.labels import current_locale
from app.security.models import AppUser, Organisation
from app.security.scope import current, is_admin, within
from generator.spec import LEVELS, Role, Spec

USER_CLASS_LABELS = {
    "regulator": lazy_gettext("Regulator"),
    "legal_person": lazy_gettext("Legal person"),
    "agent": lazy_gettext("Agent"),
    "institution": lazy_gettext("Medical institution"),
    "admin": lazy_gettext("System administrator"),
}

LEVEL_LABELS = {
    "national": lazy_gettext("national level"),
    "province": lazy_gettext("province level"),
    "city": lazy_gettext("city level"),
    "county": lazy_gettext("county level"),
    "unit": lazy_gettext("unit level"),
}


def spec() -> Spec:
    return current_app.extensions["admin"].spec


def system_admin(user: Any) -> bool:
    """Administrators of a jurisdiction: the Admin role or a role with duty `system`."""
    if is_admin(user):
        return True
    held = {r.name for r in user.roles}
    return any(r.admin == "system" for r in spec().roles if r.key in held)


def grantable_roles(user: Any) -> list[Role]:
    """Roles the user may hand out: at or below their own level, never administrator roles."""
    if user is None:
        return []
    if system_admin(user) and not is_admin(user):
        level = LEVELS.index(user.org.level) if user.org is not None else len(LEVELS)
        return [r for r in spec().roles
                if r.admin is None and max(LEVELS.index(lv) for lv in r.levels) >= level]
    if is_admin(user):
        return list(spec().roles)
    if getattr(user, "user_class", None) == "legal_person":
        return [r for r in spec().roles if r.user_class == "agent" and r.admin is None]
    return []


def managed_orgs(user: Any) -> Any:
    """Condition on Organisation: where the user may place users."""
    if is_admin(user):
        return None
    if user.org is None:
        return false()
    if getattr(user, "user_class", None) == "legal_person" and not system_admin(user):
        return Organisation.id == user.org.id
    return within(Organisation.path, user.org.path)


def check_assignment(actor: Any, org: Any, roles: list[str]) -> list[str]:
    """Why `actor` may not give these roles to a user of `org` (empty: allowed)."""
    problems = []
    allowed = {r.key: r for r in grantable_roles(actor)}
    for key in roles:
        role = allowed.get(key)
        if role is None:
            known = next((r for r in spec().roles if r.key == key), None)
            name = known.label.get(current_locale()) if known else key
            problems.append(_("You may not grant the role %(role)s.", role=name))
        elif org is not None and org.level not in role.levels:
            problems.append(_("The role %(role)s is not for a %(level)s organisation.",
                              role=role.label.get(current_locale()),
                              level=str(LEVEL_LABELS[org.level])))
    if org is None and not is_admin(actor):
        problems.append(_("Choose the organisation of the user."))
    return problems


class ManagedUsersFilter(BaseFilter):
    """Users an administrator sees: those of their jurisdiction (a legal person: own agents)."""

    name = "managed users"
    arg_name = "managed"

    def apply(self, query: Any, value: Any) -> Any:
        user = current()
        if user is None:
            return query.filter(false())
        condition = managed_orgs(user)
        if condition is not None:
            query = query.filter(AppUser.org.has(condition))
        if getattr(user, "user_class", None) == "legal_person" and not system_admin(user):
            query = query.filter(AppUser.user_class == "agent")
        return query


def _load_org(_model: type, pk: int) -> Any:
    user = current()
    query = select(Organisation).where(Organisation.id == pk)
    condition = managed_orgs(user) if user is not None else false()
    if condition is not None:
        query = query.where(condition)
    return current_app.appbuilder.session.execute(query).scalar_one_or_none()


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def __call__(self, **kwargs: Any) -> Any:
        kwargs.setdefault("class", "list-unstyled")
        return super().__call__(**kwargs)


def _role_choices() -> list[tuple[str, str]]:
    return [(r.key, r.label.get(current_locale())) for r in grantable_roles(current())]


def _module_choices() -> list[tuple[str, str]]:
    return [(m.key, m.label.get(current_locale())) for m in spec().modules]


class UserForm(DynamicForm):
    username = StringField(lazy_gettext("User Name"), validators=[DataRequired()],
                           widget=BS3TextFieldWidget())
    first_name = StringField(lazy_gettext("Full name"), validators=[DataRequired()],
                             widget=BS3TextFieldWidget())
    email = StringField(lazy_gettext("Email"), widget=BS3TextFieldWidget())
    org = ReferenceField(lazy_gettext("Organisation"), target=Organisation,
                         view_endpoint="UserManagementView", load=_load_org)
    user_class = SelectField(lazy_gettext("User class"), choices=[("", "")] + list(
        USER_CLASS_LABELS.items()), widget=Select2Widget())
    # every choice is checked by check_assignment, with a message that says why
    roles = MultiCheckboxField(lazy_gettext("Roles"), validate_choice=False)
    modules = MultiCheckboxField(lazy_gettext("Modules"),
                                 description=lazy_gettext("Leave empty for every module of "
                                                          "the roles (agents: none)."))
    password = PasswordField(lazy_gettext("Password"), widget=BS3PasswordFieldWidget())
    conf_password = PasswordField(
        lazy_gettext("Confirm Password"), widget=BS3PasswordFieldWidget(),
        validators=[EqualTo("password", message=lazy_gettext("Passwords must match"))])

    def __init__(self, *args: Any, **kwargs: Any):
        obj = kwargs.get("obj")
        super().__init__(*args, **kwargs)
        self.roles.choices = _role_choices()
        self.modules.choices = _module_choices()
        self.password.description = current_app.appbuilder.sm.password_rules_text()
        if obj is not None and request.method == "GET":
            self.roles.data = [r.name for r in obj.roles]
            self.modules.data = [m for m in (obj.modules or "").split(",") if m]


class UserManagementView(ModelView):
    """监管用户管理: administrators manage the users of their own jurisdiction."""

    route_base = "/system/users"
    class_permission_name = "system:users"
    # `delete` keeps FAB's own can_delete, which nobody is given: users are deactivated.
    method_permission_name = {"list": "list", "show": "list", "add": "add", "edit": "edit",
                              "deactivate": "edit", "deactivate_selected": "edit",
                              "choices": "add", "action": "edit",
                              "action_post": "edit", "download": "list"}
    datamodel = SQLAInterface(AppUser)
    base_filters = [["id", ManagedUsersFilter, None]]
    list_title = LazyString(lambda: screen_title())
    show_title = lazy_gettext("User")
    add_title = lazy_gettext("Add user")
    edit_title = lazy_gettext("Edit user")
    list_columns = ["username", "first_name", "org", "user_class", "roles", "active"]
    show_columns = ["username", "first_name", "email", "org", "user_class", "roles", "modules",
                    "active", "last_login", "login_count"]
    add_columns = ["username", "first_name", "email", "org", "user_class", "roles", "modules",
                   "password", "conf_password"]
    edit_columns = ["username", "first_name", "email", "org", "user_class", "roles", "modules"]
    search_columns = ["username", "first_name", "active"]
    label_columns = {
        "username": lazy_gettext("User Name"), "first_name": lazy_gettext("Full name"),
        "email": lazy_gettext("Email"), "org": lazy_gettext("Organisation"),
        "user_class": lazy_gettext("User class"), "roles": lazy_gettext("Roles"),
        "modules": lazy_gettext("Modules"), "active": lazy_gettext("Active"),
        "last_login": lazy_gettext("Last login"), "login_count": lazy_gettext("Login count"),
        "password": lazy_gettext("Password"), "conf_password": lazy_gettext("Confirm Password"),
    }
    formatters_columns = {
        "user_class": lambda v: USER_CLASS_LABELS.get(v, "") if v else "",
        "active": lambda v: _("Yes") if v else _("No (deactivated)"),
        "roles": lambda roles: "、".join(_role_label(r.name) for r in roles or []),
        "modules": lambda v: "、".join(_module_label(m) for m in (v or "").split(",") if m)
        or _("Every module of the roles"),
        "org": lambda v: "" if v is None else str(v),
    }
    add_form = UserForm
    edit_form = UserForm

    @expose("/add", methods=["GET", "POST"])
    @has_access
    def add(self) -> Any:
        form = self.add_form.refresh()
        if request.method == "POST" and form.validate() and self._save(form, None):
            return redirect(url_for(".list"))
        return self.render_template(self.add_template, title=self.add_title,
                                    widgets=self._get_add_widget(form=form))

    @expose("/edit/<pk>", methods=["GET", "POST"])
    @has_access
    def edit(self, pk: Any) -> Any:
        item = self.datamodel.get(pk, self._base_filters)
        if item is None:
            abort(404)
        if request.method == "POST":
            form = self.edit_form.refresh(request.form)
            if form.validate() and self._save(form, item):
                return redirect(url_for(".list"))
        else:
            form = self.edit_form.refresh(obj=item)
        return self.render_template(self.edit_template, title=self.edit_title,
                                    widgets=self._get_edit_widget(form=form))

    def _save(self, form: Any, item: Any) -> bool:
        sm = self.appbuilder.sm
        actor = current()
        org = form.org.data
        if org is None and item is not None:
            org = item.org
        problems = check_assignment(actor, org, form.roles.data or [])
        if not form.roles.data:
            problems.append(_("Choose at least one role."))
        existing = sm.find_user(username=form.username.data)
        if existing is not None and (item is None or existing.id != item.id):
            form.username.errors = [_("This value is already used by another record.")]
            return False
        if item is None and not form.password.data:
            form.password.errors = [_("This field is required.")]
            return False
        password_problems = []
        if item is None:  # the password policy, with every rule the password breaks
            password_problems = sm.password_problems(form.password.data,
                                                     username=form.username.data.strip())
        if problems or password_problems:
            if problems:
                form.roles.errors = problems
            if password_problems:
                form.password.errors = password_problems
            return False
        user = item or AppUser()
        user.username = form.username.data.strip()
        user.first_name = form.first_name.data.strip()
        user.last_name = ""
        user.email = (form.email.data or "").strip() or f"{user.username}@localhost"
        user.org = org
        user.user_class = form.user_class.data or None
        before = ([sorted(r.name for r in item.roles), item.modules or ""] if item is not None
                  else [[], ""])
        user.modules = ",".join(form.modules.data or []) or None
        user.roles = [sm.find_role(key) for key in form.roles.data]
        if item is None:
            sm.set_password(user, form.password.data, by_owner=False, check=False)
            user.active = True
            self.datamodel.session.add(user)
        after = [sorted(form.roles.data), user.modules or ""]
        if after != before:  # a change of rights is audited (who gave whom which roles)
            trail.record(self.datamodel.session, "permissions", changes={
                "user": [user.username, user.username], "roles": [before[0], after[0]],
                "modules": [before[1], after[1]]})
        self.datamodel.session.commit()
        flash(_("Saved."), "success")
        return True

    @expose("/deactivate/<pk>", methods=["POST"])
    @has_access
    def deactivate(self, pk: Any) -> Any:
        """注销: the account can no longer sign in; everything it entered stays."""
        item = self.datamodel.get(pk, self._base_filters)
        if item is None:
            abort(404)
        self._deactivate([item])
        return redirect(url_for(".list"))

    @action("deactivate", lazy_gettext("Deactivate"),
            lazy_gettext("Deactivate the selected users? They will no longer be able to sign "
                         "in; what they entered stays."), "fa-ban", single=False)
    def deactivate_selected(self, items: Any) -> Any:
        # FAB fetches action rows without the view's filters: look each one up again.
        items = items if isinstance(items, list) else [items]
        reachable = [self.datamodel.get(item.id, self._base_filters) for item in items]
        self._deactivate([item for item in reachable if item is not None])
        return redirect(url_for(".list"))

    def _deactivate(self, items: list[Any]) -> None:
        for item in items:
            if item.id == g.user.id:
                flash(_("You cannot deactivate your own account."), "danger")
                continue
            item.active = False
            flash(_("The user %(name)s is deactivated.", name=item.username), "success")
        self.datamodel.session.commit()

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


def _role_label(key: str) -> str:
    role = next((r for r in spec().roles if r.key == key), None)
    return role.label.get(current_locale()) if role else key


def _module_label(key: str) -> str:
    module = next((m for m in spec().modules if m.key == key), None)
    return module.label.get(current_locale()) if module else key


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
        self.password.description = current_app.appbuilder.sm.password_rules_text()

    def validate_old_password(self, field: Any) -> None:
        if not check_password_hash(g.user.password, field.data or ""):
            raise ValidationError(_("The old password is wrong."))

    def validate_password(self, field: Any) -> None:
        """The policy, the history included (the current password always counts)."""
        problems = current_app.appbuilder.sm.password_problems(field.data or "", user=g.user)
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
    user = current()
    if getattr(user, "user_class", None) == "legal_person":
        return _("Delegation to agents")
    return _("User management")


def init_app(appbuilder: Any) -> None:
    appbuilder.add_view(UserManagementView, "user_management", icon="fa-users",
                        label=LazyString(lambda: screen_title()), category="system_admin",
                        category_label=lazy_gettext("System administration"),
                        category_icon="fa-cogs")
