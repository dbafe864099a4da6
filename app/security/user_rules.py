"""Who may give whom which rights, for every door that creates or changes users.

- The built-in administrator (FAB's Admin role) may do anything.
- A system administrator of a jurisdiction (a role with duty `system`) places users in its
  own subtree and gives roles that live at or below its level, never administrator roles.
- A legal person (企业法人) places users only in its own enterprise and gives its agents
  (经办人) only agent roles, the agent user class and modules it holds itself (子用户授权).
- Nobody changes their own roles, user class, organisation or modules (the built-in
  administrator included: another administrator must, or FAB's own Security screens).
- A role that issues accounts (`issues:` in the YAML, 账号发放: the 省级 role its cities',
  counties' and institutions', the 国家联采办 the provinces') places users in its own subtree,
  gives only the roles it issues, their user classes and the modules it holds itself, and
  sees and manages only the accounts holding one of those roles.
- An administrator changes, deactivates, re-enables and resets the password of a user only
  when it may give every role the user holds (so nobody takes over an account that holds
  more than they may hand out, such as a peer's administrator role or an auditor's).

`check_user` collects every problem of a proposed change into a dict keyed by form field,
with messages that name the field; nothing may be saved unless it is empty.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from flask_appbuilder.security.sqla.models import Role as FabRole
from flask_babel import LazyString, lazy_gettext
from flask_babel import gettext as _
from sqlalchemy import and_, false

from app.context import generated
from app.labels import current_locale
from app.security.models import AppUser, Organisation
from app.security.scope import is_admin, within
from generator.spec import LEVELS, USER_CLASSES, Module, Role, Spec

USER_CLASS_LABELS = {
    "regulator": lazy_gettext("Regulator"),
    "legal_person": lazy_gettext("Legal person"),
    "agent": lazy_gettext("Agent"),
    "institution": lazy_gettext("Medical institution"),
    "admin": lazy_gettext("System administrator"),
    "citizen": lazy_gettext("Natural person"),
}

LEVEL_LABELS = {
    "national": lazy_gettext("national level"),
    "province": lazy_gettext("province level"),
    "city": lazy_gettext("city level"),
    "county": lazy_gettext("county level"),
    "unit": lazy_gettext("unit level"),
}

# The fields a change of rights touches, with the labels the messages name them by.
FIELD_LABELS = {
    "org": lazy_gettext("Organisation"),
    "user_class": lazy_gettext("User class"),
    "roles": lazy_gettext("Roles"),
    "modules": lazy_gettext("Modules"),
}


def spec() -> Spec:
    return generated().spec


def system_admin(user: Any) -> bool:
    """Administrators of a jurisdiction: the Admin role or a role with duty `system`."""
    if is_admin(user):
        return True
    held = {r.name for r in user.roles}
    return any(r.admin == "system" for r in spec().roles if r.key in held)


def issued_roles(user: Any) -> list[Role]:
    """Roles whose accounts the user issues (`issues:` of the roles it holds, 账号发放), for a
    user that is neither a system administrator nor a legal person."""
    if user is None or system_admin(user) or getattr(user, "user_class", None) == "legal_person":
        return []
    held = {r.name for r in user.roles}
    keys = {k for r in spec().roles if r.key in held for k in r.issues}
    return [r for r in spec().roles if r.key in keys]


def issuing(user: Any) -> bool:
    return bool(issued_roles(user))


def delegating(user: Any) -> bool:
    """A legal person delegating to its agents (and not also a system administrator)."""
    return getattr(user, "user_class", None) == "legal_person" and not system_admin(user)


def grantable_roles(user: Any) -> list[Role]:
    """Roles the user may hand out: at or below their own level, never administrator roles."""
    if user is None:
        return []
    if is_admin(user):
        return list(spec().roles)
    if system_admin(user):
        level = LEVELS.index(user.org.level) if user.org is not None else len(LEVELS)
        return [r for r in spec().roles
                if r.admin is None and max(LEVELS.index(lv) for lv in r.levels) >= level]
    if getattr(user, "user_class", None) == "legal_person":
        return [r for r in spec().roles if r.user_class == "agent" and r.admin is None]
    return issued_roles(user)


def grantable_classes(user: Any) -> list[str]:
    """User classes the user may give: a legal person only `agent`; a system administrator
    the classes of the roles it may give; the built-in administrator every class."""
    if user is None:
        return []
    if is_admin(user):
        return list(USER_CLASSES)
    if delegating(user):
        return ["agent"]
    classes = {r.user_class for r in grantable_roles(user) if r.user_class}
    return [c for c in USER_CLASSES if c in classes]


def held_modules(user: Any) -> list[Module]:
    """Modules the user reaches itself: those its roles have rights in, narrowed to the ones
    assigned (or delegated) to it, as `AppSecurityManager.has_access` narrows them."""
    if user is None:
        return []
    if is_admin(user):
        return list(spec().modules)
    held = {r.name for r in user.roles}
    out = []
    for module in spec().modules:
        reached = any(g.role in held for e in module.entities for g in e.grants) or any(
            held & set(s.roles) for e in module.entities for s in e.summaries)
        if reached and user.module_allowed(module.key):
            out.append(module)
    return out


def delegable_modules(user: Any) -> list[Module]:
    """Modules the user may give: a legal person, and a role issuing accounts, only those it
    holds; system administrators any."""
    return held_modules(user) if delegating(user) or issuing(user) else list(spec().modules)


def managed_orgs(user: Any) -> Any:
    """Condition on Organisation: where the user may place users (None: anywhere)."""
    if is_admin(user):
        return None
    if user.org is None:
        return false()
    if delegating(user):
        return Organisation.id == user.org.id
    return within(Organisation.path, user.org.path)


def managed_users(user: Any) -> Any:
    """Condition on AppUser: the users `user` manages (None: everyone). A legal person: the
    agents of its enterprise."""
    if user is None:
        return false()
    parts = []
    orgs = managed_orgs(user)
    if orgs is not None:
        parts.append(AppUser.org.has(orgs))
    if delegating(user):
        parts.append(AppUser.user_class == "agent")
    issued = [r.key for r in issued_roles(user)]
    if issued:  # the accounts it issued: those holding one of the roles it issues
        parts.append(AppUser.roles.any(FabRole.name.in_(issued)))
    return and_(*parts) if parts else None


def org_refused() -> str:
    """The message for an organisation outside the user's range (a missing one alike)."""
    from app.security.scope import current

    if delegating(current()):
        return _("Organisation: a user can only belong to your own enterprise.")
    return _("Organisation: choose an organisation within your jurisdiction.")


ORG_REFUSED = LazyString(org_refused)


def may_manage(actor: Any, target: Any) -> bool:
    """Whether `actor` may change, deactivate, re-enable or reset the password of `target`
    (who is already within the actor's range): the actor may give every role it holds."""
    if actor is None:
        return False
    if is_admin(actor):
        return True
    known = {r.key for r in spec().roles}
    allowed = {r.key for r in grantable_roles(actor)}
    held = {r.name for r in target.roles}
    return (held & known) <= allowed and not any(
        r.name == current_app.config["AUTH_ROLE_ADMIN"] for r in target.roles)


def role_label(key: str) -> str:
    if key == current_app.config["AUTH_ROLE_ADMIN"]:
        return _("Built-in administrator")
    role = next((r for r in spec().roles if r.key == key), None)
    return role.label.get(current_locale()) if role else key


def module_label(key: str) -> str:
    module = next((m for m in spec().modules if m.key == key), None)
    return module.label.get(current_locale()) if module else key


@dataclass
class Proposal:
    """What a form (or a hand-made request) asks for; `None`: the field was not sent."""

    org: Any = None
    user_class: str | None = None
    roles: list[str] | None = None
    modules: list[str] | None = None


@dataclass
class Outcome:
    """What would be saved, and every problem by field (empty: it may be saved)."""

    org: Any = None
    user_class: str | None = None
    roles: list[str] = field(default_factory=list)  # role keys, FAB's own roles included
    modules: list[str] = field(default_factory=list)
    errors: dict[str, list[str]] = field(default_factory=dict)

    def refuse(self, name: str, message: str) -> None:
        self.errors.setdefault(name, []).append(message)


def current_values(user: Any) -> Proposal:
    return Proposal(org=user.org, user_class=user.user_class,
                    roles=sorted(r.name for r in user.roles),
                    modules=[m for m in (user.modules or "").split(",") if m])


def check_user(actor: Any, target: Any, proposal: Proposal) -> Outcome:
    """The change `actor` asks for on `target` (None: a new user), checked by every rule."""
    before = current_values(target) if target is not None else Proposal(roles=[], modules=[])
    if target is not None and actor is not None and target.id == actor.id:
        return _check_self(before, proposal)
    outcome = Outcome()
    _check_org(actor, target, proposal, before, outcome)
    _check_roles(actor, proposal, before, outcome)
    _check_class(actor, proposal, outcome)
    _check_modules(actor, proposal, before, outcome)
    return outcome


def _check_self(before: Proposal, proposal: Proposal) -> Outcome:
    """Own account: only name, user name and e-mail change; the rest must stay as it is.
    A field that is not sent (the form does not offer them here) stays as it is."""
    outcome = Outcome(org=before.org, user_class=before.user_class,
                      roles=list(before.roles or []), modules=list(before.modules or []))
    changed = {
        "org": proposal.org is not None and proposal.org.id != getattr(before.org, "id", None),
        "user_class": proposal.user_class is not None
        and (proposal.user_class or None) != (before.user_class or None),
        "roles": bool(proposal.roles) and set(proposal.roles or []) != set(before.roles or []),
        "modules": bool(proposal.modules)
        and set(proposal.modules or []) != set(before.modules or []),
    }
    for name in (name for name, differs in changed.items() if differs):
        outcome.refuse(name, _("%(field)s: you cannot change your own; another administrator "
                               "must.", field=str(FIELD_LABELS[name])))
    return outcome


def _check_org(actor: Any, target: Any, proposal: Proposal, before: Proposal,
               outcome: Outcome) -> None:
    org = proposal.org
    if org is None and target is not None:
        org = before.org  # left empty: the user stays where it is
    if org is None and delegating(actor):
        org = actor.org  # a legal person's agents belong to its enterprise
    outcome.org = org
    if org is None and not is_admin(actor):
        outcome.refuse("org", _("Choose the organisation of the user."))


def _check_roles(actor: Any, proposal: Proposal, before: Proposal, outcome: Outcome) -> None:
    known = {r.key: r for r in spec().roles}
    allowed = {r.key for r in grantable_roles(actor)}
    asked = list(dict.fromkeys(proposal.roles or []))
    for key in asked:
        if key not in allowed:
            name = known[key].label.get(current_locale()) if key in known else key
            outcome.refuse("roles", _("You may not grant the role %(role)s.", role=name))
    # roles that are not the schema's (FAB's Admin) change only on FAB's own screens
    kept = [key for key in before.roles or [] if key not in known]
    outcome.roles = [key for key in asked if key in allowed] + kept
    if not asked:
        outcome.refuse("roles", _("Choose at least one role."))
    org = outcome.org
    if org is None:
        return
    for key in outcome.roles:
        role = known.get(key)
        if role is not None and org.level not in role.levels:
            outcome.refuse("roles", _("The role %(role)s is not for a %(level)s organisation.",
                                      role=role.label.get(current_locale()),
                                      level=str(LEVEL_LABELS[org.level])))


def _check_class(actor: Any, proposal: Proposal, outcome: Outcome) -> None:
    value = proposal.user_class or None
    known = {r.key: r for r in spec().roles}
    fitting = [c for c in USER_CLASSES
               if any(known[k].user_class == c for k in outcome.roles if k in known)]
    if value is None and len(fitting) == 1:
        value = fitting[0]  # the one class the roles go with
    outcome.user_class = value
    if is_admin(actor):
        if value is not None and value not in USER_CLASSES:
            outcome.refuse("user_class", _("User class: there is no class %(value)s.",
                                           value=value))
        return
    label = str(USER_CLASS_LABELS.get(value or "", value or ""))
    if value is not None and value not in grantable_classes(actor):
        outcome.refuse("user_class", _("User class: you may not give the class %(value)s.",
                                       value=label))
    elif value is None and fitting:
        outcome.refuse("user_class", _("User class: choose the class of the user."))
    elif value is not None and value not in fitting and "roles" not in outcome.errors:
        outcome.refuse("user_class", _("User class: %(value)s does not go with the chosen "
                                       "roles.", value=label))


def _check_modules(actor: Any, proposal: Proposal, before: Proposal, outcome: Outcome) -> None:
    asked = list(dict.fromkeys(proposal.modules or []))
    known = {m.key for m in spec().modules}
    allowed = {m.key for m in delegable_modules(actor)} | set(before.modules or [])
    for key in asked:
        if key not in known:
            outcome.refuse("modules", _("Modules: there is no module %(module)s.",
                                        module=key))
        elif key not in allowed:
            outcome.refuse("modules", _("Modules: you may not delegate %(module)s, which you "
                                        "do not hold yourself.", module=module_label(key)))
    outcome.modules = [key for key in asked if key in known and key in allowed]
