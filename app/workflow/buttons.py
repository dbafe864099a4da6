"""What a list shows of the workflow: each row's transition buttons (rules.offers), its edit
and delete icons where the row allows them, the batch buttons for the ticked rows and the
全部上报 buttons that say first how many rows they will move and how many they will leave.
The messages after firing name the rows and group many alike (rules.grouped)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import flash
from flask_babel import gettext as _
from sqlalchemy import func, select

from app.labels import current_locale
from app.security.scope import scope_condition
from app.workflow import fill, rules
from generator.spec import Entity, Transition


@dataclass
class RowButtons:
    offers: list[rules.Verdict] = field(default_factory=list)
    name: str = ""
    edit: bool = False
    delete: bool = False


@dataclass(frozen=True)
class AllButton:
    """全部上报: fires on every row of the person's range that is in a source state."""

    key: str
    label: str
    count: int  # rows it will try to move
    confirm: str  # 将上报 18 条；32 条未填报，不会上报
    refusal: str | None  # why the button is disabled (nothing to move)


def rows_buttons(entity: Entity, rows: Mapping[int, Any], user: Any, session: Any,
                 granted: rules.Granted, can_edit: bool, can_delete: bool,
                 form_columns: list[str]) -> dict[int, RowButtons]:
    """{row id: its buttons} for the rows of a list page (one lookup per transition)."""
    found = {pk: row for pk, row in rows.items() if row is not None}
    keep = entity.list_edit.transition if entity.list_edit is not None else None
    # the list_edit transition is the 保存 of the typed values, not a button of its own
    offers = rules.offers(entity, found.values(), user, session, granted,
                          leave_out=[keep] if keep else [])
    others = fill.unfillable(entity, found.values(), user, session)  # 报量方式
    governed = list(entity.filled_by.fields) if entity.filled_by is not None else []
    return {pk: RowButtons(
        offers=offers.get(pk, []), name=rules.row_name(entity, row),
        edit=can_edit and rules.change_refusal(
            entity, row, "edit", form_columns, governed if pk in others else ()) is None,
        delete=can_delete and rules.change_refusal(entity, row, "delete") is None)
        for pk, row in found.items()}


def batch_offers(entity: Entity, rows: Mapping[int, RowButtons], actions: dict[str, Any]
                 ) -> dict[str, str]:
    """The buttons for the ticked rows that the page offers: an action of a transition no
    row of the page offers leaves `actions`; one every row refuses is returned with the
    reason (shown disabled). Other actions (list editing, users') are left as they are."""
    flow = entity.workflow
    if flow is None:
        return {}
    keys = {t.key for t in flow.transitions}
    allowed: set[str] = set()
    refused: dict[str, str] = {}
    for buttons in rows.values():
        for verdict in buttons.offers:
            key = verdict.transition.key
            if verdict.allowed:
                allowed.add(key)
            elif verdict.refusal:
                refused.setdefault(key, verdict.refusal)
    for name in [n for n in actions if n in keys and n not in allowed and n not in refused]:
        del actions[name]
    return {key: reason for key, reason in refused.items() if key not in allowed}


def state_counts(entity: Entity, model: Any, session: Any, user: Any) -> dict[str, int]:
    """Rows of the person's range by state (one GROUP BY)."""
    flow = entity.workflow
    assert flow is not None
    column = getattr(model, flow.field)
    query = select(column, func.count()).group_by(column)
    condition = scope_condition(entity, model, user)
    if condition is not None:
        query = query.where(condition)
    return {state: count for state, count in session.execute(query)}


def left_alone(entity: Entity, transition: Transition, counts: Mapping[str, int]) -> str:
    """「32 条未填报、3 条已上报」: the rows of the range not in a source state ("" if none)."""
    flow = entity.workflow
    assert flow is not None
    locale = current_locale()
    parts = [_("%(count)s record(s) %(state)s", count=count,
               state=flow.state_label(state, locale))
             for state, count in sorted(counts.items(), key=lambda item: -item[1])
             if state not in transition.sources and count]
    return "、".join(parts)


def _refused(entity: Entity, t: Transition, model: Any, session: Any, user: Any,
             granted: rules.Granted | None) -> list[tuple[int, str]]:
    """[(rows, reason)] of the rows in a source state the rules refuse, commonest first:
    read when the range holds at most one chunk of them (an institution's batch); a larger
    range (a province's review) is left to the message after firing."""
    flow = entity.workflow
    assert flow is not None
    query = select(model).where(getattr(model, flow.field).in_(t.sources))
    condition = scope_condition(entity, model, user)
    if condition is not None:
        query = query.where(condition)
    rows = list(session.execute(query.limit(rules.IN_CHUNK + 1)).scalars())
    if not rows or len(rows) > rules.IN_CHUNK:
        return []
    reasons = Counter(v.refusal for v in rules.verdicts(
        entity, t, {r.id: r for r in rows}, user, session, granted).values()
        if v.refusal is not None)
    return [(count, reason) for reason, count in reasons.most_common()]


def all_buttons(entity: Entity, transitions: list[Transition], model: Any, session: Any,
                user: Any, granted: rules.Granted | None = None) -> list[AllButton]:
    if not transitions:
        return []
    counts = state_counts(entity, model, session, user)
    locale = current_locale()
    out = []
    for t in transitions:
        label = t.label.get(locale)
        waiting = sum(counts.get(s, 0) for s in t.sources)
        refused = _refused(entity, t, model, session, user, granted) if waiting else []
        count = waiting - sum(n for n, _reason in refused)
        reason = refused[0][1] if refused else None
        confirm = _("%(action)s %(count)s record(s)", action=label, count=count)
        others = "、".join(filter(None, [left_alone(entity, t, counts), *(
            _("%(count)s record(s) refused: %(reason)s", count=n, reason=why.rstrip("。."))
            for n, why in refused)]))
        if others:
            confirm = _("%(first)s; %(others)s will not be %(action)s", first=confirm,
                        others=others, action=label)
        refusal = None if count else (reason or _("No record can be handled by %(action)s now.",
                                                   action=label))
        out.append(AllButton(t.key, label, count, _("%(summary)s. Go on?", summary=confirm),
                             refusal))
    return out


def flash_fired(entity: Entity, fired: Any, key: str) -> None:
    """How many rows moved; the others grouped by reason, named by their display field."""
    flow = entity.workflow
    transition = flow.transition(key) if flow is not None else None
    label = transition.label.get(current_locale()) if transition else key
    if fired.done:
        flash(_("%(action)s: %(count)s record(s) done.", action=label,
                count=len(fired.done)), "success")
    for message in fired.messages(label)[:20]:
        flash(message, "danger" if not fired.done else "warning")
