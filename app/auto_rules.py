"""Automatic actions (`rules:` on an entity, generator/checks/auto_rules.py): a row created,
or moved by a transition, creates a row of another entity with values mapped from it — a
failed 日常检查 item opens a 扣分记录 in 待审核 with the standard points of its 扣分标准.

The new row is added to the session of the write that fired the rule, so it is stored in the
same transaction (and its rollups, organisation and audit entry follow through the flush, as
for any created row). It belongs to the organisation of the row that fired it, which the
person acting reached through their data range (or, when that row has none, to the person's
own), or with `org: <reference>` to the organisation of the row that reference points to
(which the person could pick only within their range). Its audit entry names the person and
says the rule did it on their behalf.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import event

from app.security.scope import current
from generator.expr import Expr, compile_expr
from generator.spec import AutoRule, Entity, Spec
from generator.types import Invalid

RULES = "__auto_rules__"  # attribute of an entity's class: its Bound rules
AUDIT_REASON = "_audit_reason"  # read by app/audit/trail.py for the created row's entry


class RuleFailed(Exception):
    """A rule could not make a valid row (a value its field refuses): nothing is stored."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Bound:
    rule: AutoRule
    source: Entity
    target: Entity
    model: Any  # the target's mapped class
    expressions: tuple[tuple[str, str, Expr | None], ...]  # field, source, compiled
    where: Expr | None = None  # the rule's `where`: rows on which it does not hold fire nothing


def install(session: Any, spec: Spec, models: dict[str, type]) -> None:
    """Bind each entity's rules to the classes; create rows on `on: create` at every flush.
    Installed before the organisation and audit listeners, which then treat the new rows
    like any other."""
    for entity in spec.entities:
        bound = []
        readable = sorted(f.name for f in entity.fields if f.is_column
                          and f.kind.in_expressions)
        for rule in entity.rules:
            target = spec.entity(rule.target)
            compiled = tuple((name, source, _compiled(entity, target, name, source, readable))
                             for name, source in rule.values)
            where = compile_expr(rule.where, readable) if rule.where is not None else None
            bound.append(Bound(rule, entity, target, models[target.qualified], compiled,
                               where))
        setattr(models[entity.qualified], RULES, tuple(bound))

    def before_flush(sess: Any, _context: Any, _instances: Any) -> None:
        waiting = [o for o in sess.new if getattr(type(o), RULES, ())]
        while waiting:  # created rows may fire `on: create` rules of their own (no circle)
            row = waiting.pop()
            for bound in getattr(type(row), RULES, ()):
                if bound.rule.on == "create":
                    made = create(sess, bound, row, current())
                    if made is not None and bound.rule.update is None and bool(
                            getattr(type(made), RULES, ())):
                        waiting.append(made)

    event.listen(session, "before_flush", before_flush)


def _compiled(entity: Entity, target: Entity, name: str, source: str,
              readable: list[str]) -> Expr | None:
    """None for what is read, not computed: a reference copied, `reference.field`."""
    refs = {f.name for f in entity.fields if f.kind.refers}
    text = source.strip()
    if target.field(name).kind.refers or ("." in text and text.split(".")[0] in refs):
        return None
    return compile_expr(source, readable)


def after_transition(session: Any, model: Any, key: str, rows: list[Any], user: Any) -> None:
    """The rules `on: {transition: key}` of the rows a transition has just moved."""
    for bound in getattr(model, RULES, ()):
        if bound.rule.on == key:
            for row in rows:
                create(session, bound, row, user)


def rows_imported(session: Any, model: Any, ids: list[int], user: Any) -> None:
    """The `on: create` rules of rows an import inserted in bulk (no flush saw them)."""
    from sqlalchemy import select

    from app.workflow.rules import chunks

    bound = [b for b in getattr(model, RULES, ()) if b.rule.on == "create"]
    if not bound or not ids:
        return
    for chunk in chunks(ids):
        for row in session.execute(select(model).where(model.id.in_(chunk))).unique().scalars():
            for each in bound:
                create(session, each, row, user)
    session.flush()  # the new rows: organisation, audit, rollups, their own rules


def create(session: Any, bound: Bound, row: Any, user: Any) -> Any:
    """One row of the rule's target from `row`, added to the session (with `update`: the
    row its reference points to, changed; None when it points nowhere); RuleFailed when a
    value does not fit its field."""
    if bound.where is not None and not bound.where.evaluate(
            {n: getattr(row, n) for n in bound.where.names}):
        return None  # `where` does not hold on this row (None counts as not)
    made = bound.model() if bound.rule.update is None else getattr(row, bound.rule.update)
    if made is None:
        return None
    for name, source, expression in bound.expressions:
        field = bound.target.field(name)
        value = _value(row, source, expression)
        if not field.kind.refers:
            try:
                value = field.kind.parse(field, value)
            except Invalid as exc:
                raise RuleFailed(_("The rule “%(rule)s” cannot fill “%(field)s”: %(why)s",
                                   rule=bound.rule.label.zh, field=field.label.zh,
                                   why=_(exc.message.msgid, **exc.message.params))) from None
        setattr(made, name, value)
    if bound.rule.update is None and bound.target.org_scoped and not \
            bound.target.parent_scoped:
        made.org = getattr(row, "org", None) if bound.source.org_scoped else getattr(
            user, "org", None)
        if bound.rule.org is not None:  # 转办: the referenced row's organisation
            other = getattr(row, bound.rule.org)
            if other is not None and getattr(other, "org", None) is not None:
                made.org = other.org
    name = ((getattr(user, "first_name", "") or "") + (getattr(user, "last_name", "") or "")
            ).strip() or getattr(user, "username", "") or ""
    made._audit_user = user  # an import job has no signed-in user to read
    setattr(made, AUDIT_REASON, _("By the rule “%(rule)s” on behalf of %(name)s",
                                  rule=bound.rule.label.zh, name=name))
    if bound.rule.update is None:
        session.add(made)
    return made


def _value(row: Any, source: str, expression: Expr | None) -> Any:
    if expression is not None:
        return expression.evaluate({n: getattr(row, n) for n in expression.names})
    text = source.strip()
    if "." in text:
        ref, read = text.split(".", 1)
        other = getattr(row, ref)
        return None if other is None else getattr(other, read)
    return getattr(row, text)
