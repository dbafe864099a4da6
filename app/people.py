"""`user` fields (承办人): which accounts a person may choose, and their names.

A `user` field holds an account's id. The accounts that may be chosen are the active ones
holding one of the field's `roles` whose organisation lies within the chooser's
jurisdiction (the built-in administrator: every one). Every door that writes the field asks
`refusal` (forms, the REST API, imports: app/validation.py `field_errors`), and imports and
the REST API may name the person by user name or name (`resolve`).
"""

from __future__ import annotations

from typing import Any

from flask import g, has_app_context
from flask_appbuilder.security.sqla.models import Role
from flask_babel import gettext as _
from sqlalchemy import false, or_, select

from app.context import db_session
from app.security.models import AppUser, Organisation
from app.security.scope import current, is_admin, within
from generator.spec import Field
from generator.types.user import Named

CHOICES_LIMIT = 500  # a select of more accounts than this is no help to anyone


def candidates(field: Field, user: Any) -> Any:
    """SELECT of the accounts `user` may put into `field` (none without a user)."""
    query = (select(AppUser).where(AppUser.active.is_(True), AppUser.roles.any(
        Role.name.in_(field.roles))))
    if user is None:
        return query.where(false())
    if is_admin(user):
        return query
    org = getattr(user, "org", None)
    if org is None:
        return query.where(false())
    return query.join(Organisation, Organisation.id == AppUser.org_id).where(
        within(Organisation.path, org.path))


def label(person: Any) -> str:
    """How an account reads in a picker: 姓名（单位）."""
    name = person_text(person)
    return f"{name}（{person.org}）" if person.org is not None else name


def person_text(person: Any) -> str:
    full = " ".join(p for p in (person.first_name, person.last_name) if p).strip()
    return full or str(person.username)


def choices(field: Field, user: Any = None, keep: Any = None) -> list[tuple[str, str]]:
    """(id as text, 姓名（单位）) of the accounts `user` may choose, by name; `keep`: the
    account a row holds, offered too."""
    user = user if user is not None else current()
    rows = list(db_session().execute(candidates(field, user).order_by(
        AppUser.first_name, AppUser.id).limit(CHOICES_LIMIT)).unique().scalars())
    out = [(str(p.id), label(p)) for p in rows]
    if isinstance(keep, int) and str(keep) not in {k for k, _l in out}:
        out.insert(0, (str(keep), name_of(keep)))
    return out


def allowed(field: Field, person_id: int, user: Any) -> bool:
    query = candidates(field, user).where(AppUser.id == person_id)
    return db_session().execute(query.limit(1)).first() is not None


def refusal(field: Field, value: Any, user: Any = None) -> str | None:
    """Why `value` cannot be put into the field by the signed-in person (None: it can);
    outside a request (the demo, schedules) nobody is asking and nothing is refused."""
    user = user if user is not None else current()
    if isinstance(value, Named):
        return _("No person %(name)s who may be chosen here.", name=str(value))
    if user is None or not isinstance(value, int):
        return None
    if not allowed(field, value, user):
        return _("The selected person may not be chosen here.")
    return None


def resolve(field: Field, value: Any, user: Any = None) -> Any:
    """A value as the type parsed it -> the account's id; a person named by user name or
    name becomes the one account of that name the user may choose (else stays Named, and
    `refusal` names it)."""
    if not isinstance(value, Named):
        return value
    user = user if user is not None else current()
    text = str(value)
    query = candidates(field, user).where(or_(AppUser.username == text,
                                              AppUser.first_name == text))
    found = list(db_session().execute(query.limit(2)).unique().scalars())
    return found[0].id if len(found) == 1 else value


def name_of(person_id: int) -> str:
    """The person's name, looked up once per request."""
    if not has_app_context():
        return ""
    names: dict[int, str] = g.setdefault("person_names", {})
    if person_id not in names:
        person = db_session().get(AppUser, person_id)
        names[person_id] = person_text(person) if person is not None else _("(deleted account)")
    return names[person_id]

