"""May this person fire this transition on this row now, and if not, why.

The one answer shared by the buttons of the list rows and of the detail page (what is
offered) and by every door that fires (engine.fire: what is allowed), so that a button is
offered exactly when pressing it would move the row. A verdict is one of:

- not offered: the person's roles (or rights) do not include the transition, the row is not
  in one of its source states, the transition's `when` setting does not apply to the row
  (e.g. 审核方式 省级直审: no county review), or another level fills the row (报量方式,
  `filled_by`: app/workflow/fill.py);
- offered but refused, with the reason shown on the disabled button: a required field is
  empty, the `needs` record is missing (承诺函), a hook denies it (the reporting window);
- allowed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from app.context import generated
from app.hooks import runtime
from app.labels import current_locale, render
from app.security.fields import field_rights
from app.security.scope import is_admin, role_names
from app.validation import is_blank
from app.workflow import conditions, fill
from generator.spec import Entity, Needs, Transition

IN_CHUNK = 1000  # ids per IN list (the rows of a large 全部上报 are read a chunk at a time)
Granted = Callable[[Transition], bool]  # the person's rights on the transition (FAB's table)


def chunks(values: list[Any]) -> list[list[Any]]:
    return [values[i:i + IN_CHUNK] for i in range(0, len(values), IN_CHUNK)]


@dataclass(frozen=True)
class Verdict:
    transition: Transition
    refusal: str | None = None  # None: allowed
    offered: bool = True  # False: not a button on this row at all

    @property
    def allowed(self) -> bool:
        return self.refusal is None


def may_fire(transition: Transition, user: Any) -> bool:
    """The person's roles include the transition (the administrator's include every one)."""
    return is_admin(user) or bool(role_names(user) & set(transition.roles))


def verdicts(entity: Entity, transition: Transition, rows: Mapping[int, Any], user: Any,
             session: Any, granted: Granted | None = None) -> dict[int, Verdict]:
    """{row id: verdict} for rows read in the person's range (None: no such row there);
    the `needs` and `when` lookups are one query each for all the rows."""
    flow = entity.workflow
    assert flow is not None
    if not may_fire(transition, user) or (granted is not None and not granted(transition)):
        return {pk: Verdict(transition, _("You may not do this."), False) for pk in rows}
    present = list(filter(None, rows.values()))
    locale = current_locale()
    label = transition.label.get(locale)
    sources = [row for row in present if getattr(row, flow.field) in transition.sources]
    needed = _needed_rows(transition.needs, entity, sources, session)
    settings = (conditions.setting_values(transition.when, entity, sources, session)
                if transition.when is not None and sources else {})
    fills = _fills(entity, transition, user, sources, session)
    out: dict[int, Verdict] = {}
    with runtime.rows():  # what the hooks look up for one row serves the others
        for pk, row in rows.items():
            if row is None:
                out[pk] = Verdict(transition, _("The record does not exist."), False)
                continue
            state = getattr(row, flow.field)
            if state not in transition.sources:
                out[pk] = Verdict(transition, _(
                    "The record is %(state)s now; %(action)s is not possible.",
                    state=flow.state_label(state, locale), action=label), False)
                continue
            when = transition.when
            if when is not None and settings.get(pk) not in when.values:
                out[pk] = Verdict(transition, conditions.refusal(transition, settings.get(pk)),
                                  False)
                continue
            if fills is not None:  # 报量方式: the row is filled by another level here
                refused = _fill_refusal(entity, user, fills.get(pk))
                if refused is not None:
                    out[pk] = Verdict(transition, refused, False)
                    continue
            out[pk] = Verdict(transition, _refusal(entity, transition, row, needed, user,
                                                   session))
    return out


def offers(entity: Entity, rows: Iterable[Any], user: Any, session: Any,
           granted: Granted | None = None, leave_out: Iterable[str] = ()
           ) -> dict[int, list[Verdict]]:
    """{row id: the offered verdicts, in the workflow's order} for the buttons of rows."""
    flow = entity.workflow
    found = {row.id: row for row in rows if row is not None}
    out: dict[int, list[Verdict]] = {pk: [] for pk in found}
    if flow is None or user is None:
        return out
    skip = set(leave_out)
    states = {getattr(row, flow.field) for row in found.values()}
    with runtime.rows():  # the hooks' lookups (the window) serve every transition
        for transition in flow.transitions:
            if transition.key in skip or not states & set(transition.sources):
                continue  # no row on the page it could apply to: no lookups
            for pk, verdict in verdicts(entity, transition, found, user, session,
                                        granted).items():
                if verdict.offered:
                    out[pk].append(verdict)
    return out


def _fills(entity: Entity, transition: Transition, user: Any, rows: list[Any], session: Any
           ) -> dict[int, Any] | None:
    """The `filled_by` setting of each row when it governs the transition for this user."""
    rule = entity.filled_by
    if rule is None or transition.key not in rule.transitions or not fill.concerned(rule, user):
        return None
    return fill.values(entity, rows, session) if rows else {}


def _fill_refusal(entity: Entity, user: Any, value: Any) -> str | None:
    assert entity.filled_by is not None
    denied = fill.reason(entity, user, value, entity.filled_by.fields)
    return _(denied.reason, **denied.params) if denied is not None else None


def _refusal(entity: Entity, transition: Transition, row: Any, needed: set[tuple[Any, ...]],
             user: Any, session: Any) -> str | None:
    """Why a row in a source state may not move (None: it may)."""
    locale = current_locale()
    missing = [entity.field(n).label.get(locale) for n in transition.requires
               if is_blank(getattr(row, n))]
    if missing:
        return _("Fill in first: %(fields)s.", fields="、".join(missing))
    if transition.needs is not None and needs_key(transition.needs, entity, row) not in needed:
        return transition.needs.message.get(locale)
    try:
        runtime.before_transition(entity, row, transition.key, user, session)
    except runtime.Denied as exc:
        return _(exc.reason, **exc.params)
    return None


def needs_key(needs: Needs, entity: Entity, row: Any) -> tuple[Any, ...]:
    """What a row of the needed entity must equal: the organisation, then the match fields."""
    return (getattr(row, "org_id", None),
            *(getattr(row, entity.field(n).column) for n in needs.match))


def _needed_rows(needs: Needs | None, entity: Entity, rows: list[Any],
                 session: Any) -> set[tuple[Any, ...]]:
    """Keys (see needs_key) of the needed rows that exist, in one query per chunk of orgs."""
    if needs is None or not rows:
        return set()
    admin = generated()
    target = admin.spec.entity(needs.entity)
    other = admin.models[needs.entity]
    columns = [getattr(other, target.field(n).column) for n in needs.match]
    orgs = {org for org in (getattr(row, "org_id", None) for row in rows) if org is not None}
    filled = []
    for name in needs.filled:
        column = getattr(other, target.field(name).column)
        filled.append(column.is_not(None))
        if target.field(name).kind.blank_text:  # text may be stored blank as ""
            filled.append(column != "")
    found: set[tuple[Any, ...]] = set()
    for chunk in chunks(sorted(orgs)):
        query = select(other.org_id, *columns).where(other.org_id.in_(chunk), *filled)
        found.update(tuple(row) for row in session.execute(query) if None not in row)
    return found


# -- editing and deleting a row ---------------------------------------------------------------
def lock_reason(entity: Entity, row: Any, action: str) -> str | None:
    """Why the row's state forbids editing or deleting it (None: it does not)."""
    flow = entity.workflow
    if flow is None or row is None:
        return None
    state = flow.state(getattr(row, flow.field))
    if state is None:
        return None
    if (action == "edit" and state.edit) or (action == "delete" and state.delete):
        return None
    label = state.label.get(current_locale())
    if action == "edit":
        return _("A record in state %(state)s cannot be changed.", state=label)
    return _("A record in state %(state)s cannot be deleted.", state=label)


def change_refusal(entity: Entity, row: Any, action: str, editable: Iterable[str] = (),
                   filled_elsewhere: Iterable[str] = ()) -> str | None:
    """Why the person may not edit (`action` "edit") or delete ("delete") the row now: its
    state locks it, or (editing) none of the form's fields is the person's to change
    (`filled_elsewhere`: the fields another level fills on this row, 报量方式)."""
    locked = lock_reason(entity, row, action)
    if locked is not None or action != "edit":
        return locked
    rights = field_rights(entity)
    closed = rights.readonly | rights.hidden | frozenset(filled_elsewhere)
    fields = list(editable)
    if fields and all(name in closed for name in fields):
        return _("None of the fields of this record is yours to change.")
    return None


# -- naming rows in messages ------------------------------------------------------------------
def row_name(entity: Entity, row: Any) -> str:
    """The row as people know it: its display field's label and value (「品规编号 11-003」)."""
    locale = current_locale()
    if entity.display == "id" or not any(f.name == entity.display for f in entity.fields):
        return _("record %(pk)s", pk=row.id)
    field = entity.field(entity.display)
    value = getattr(row, field.name, None)
    shown = str(value) if field.kind.refers else field.kind.display(field, value, render())
    return f"{field.label.get(locale)} {shown or '—'}"


NAMES_SHOWN = 5  # rows named in one grouped message, then 等


def grouped(action: str, refused: list[tuple[int, str]], names: Mapping[int, str]
            ) -> list[str]:
    """One message per reason: 「品规编号 11-003：…」 for one row, 「18 条未上报：…（品规编号
    11-001、11-002 … 等）」 for many alike, most frequent first."""
    by_reason: dict[str, list[int]] = {}
    for pk, reason in refused:
        by_reason.setdefault(reason, []).append(pk)
    out = []
    for reason, pks in sorted(by_reason.items(), key=lambda item: -len(item[1])):
        # a row outside the person's range is named by its number only, as a missing one
        known = [names.get(pk) or _("record %(pk)s", pk=pk) for pk in pks]
        if len(pks) == 1:
            out.append(_("%(name)s: %(message)s", name=known[0], message=reason))
            continue
        shown = _names(known[:NAMES_SHOWN]) + (_(" etc.") if len(known) > NAMES_SHOWN else "")
        text = _("%(count)s record(s) not %(action)s: %(message)s", count=len(pks),
                 action=action, message=reason)
        out.append(_("%(text)s (%(names)s)", text=text, names=shown))
    return out


def _names(names: list[str]) -> str:
    """「品规编号 11-001、11-002」: a label the names share is said once."""
    label = names[0].split(" ", 1)[0] + " " if names and " " in names[0] else ""
    if not label or not all(n.startswith(label) for n in names):
        return "、".join(names)
    return label + "、".join(n[len(label):] for n in names)
