"""Module gates: e.g. enterprises complete 企业信息 before they may use a module.

    module: annual_report
    gate:
      entity: basic.EnterpriseInfo
      fields: [name, uscc, legal_person]
      where: {kind: overseas_agent}
      message: {zh: 请先完善企业信息后再办理业务。}

Every screen and REST endpoint of the module's entities (not the gate entity itself, nor its
lines) asks `refusal` before the view runs: users of the gate's `user_classes` (never
administrators) pass only when their organisation has a row of the gate entity with the
fields filled and matching `where`. One query per request, only for users the gate holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import url_for
from flask_babel import lazy_gettext
from sqlalchemy import select

from app.choices import attribute_of, matches
from app.context import generated, security
from app.forms import endpoint_for
from app.labels import current_locale
from app.security.scope import current, is_admin
from app.validation import is_blank
from generator.spec import Entity, Gate

ROWS = 50  # rows of one organisation looked at (one complete row is enough)
OTHERS_COMPLETE = lazy_gettext(
    " %(entity)s is completed by those of your organisation who may edit it (such as the "
    "legal person); please ask them to complete it.")


@dataclass(frozen=True)
class Refusal:
    message: str
    url: str | None  # where the person completes what is missing; None: someone else must


def gate_of(entity: Entity) -> Gate | None:
    """The gate in front of the entity's screens and API, if any."""
    spec = generated().spec
    gate: Gate | None = spec.module(entity.module).gate
    if gate is None:
        return None
    target = spec.entity(gate.entity)
    exempt = {gate.entity} | {f.entity for f in target.fields if f.kind.lines}
    return None if entity.qualified in exempt else gate


def held(gate: Gate, user: Any) -> bool:
    return (user is not None and not is_admin(user)
            and getattr(user, "user_class", None) in gate.user_classes)


def refusal(entity: Entity) -> Refusal | None:
    """Why the signed-in user may not use the entity yet (None: they may)."""
    gate = gate_of(entity)
    user = current()
    if gate is None or not held(gate, user):
        return None
    admin = generated()
    target = admin.spec.entity(gate.entity)
    model = admin.models[gate.entity]
    rows: list[Any] = []
    org_id = getattr(user, "org_id", None)
    if org_id is not None:
        names = list(dict.fromkeys([*gate.fields, *(c.field for c in gate.where)]))
        columns = [getattr(model, attribute_of(target, n)) for n in names]
        query = select(*columns).where(model.org_id == org_id).limit(ROWS)
        rows = [dict(zip(names, row, strict=True))
                for row in admin.session.execute(query)]
    if any(matches(row, gate.where) and not any(is_blank(row[n]) for n in gate.fields)
           for row in rows):
        return None
    message = gate.message.get(current_locale())
    # To the list where a row is to complete, to the form where none exists yet; a person
    # who may do neither (an agent, when only the legal person fills 企业信息) is told who can.
    right, view = ("can_list", "list") if rows else ("can_add", "add")
    if security().has_access(right, target.permission_name):
        return Refusal(message, url_for(f"{endpoint_for(target)}.{view}"))
    return Refusal(f"{message}{OTHERS_COMPLETE % {'entity': target.label.get(current_locale())}}",
                   None)
