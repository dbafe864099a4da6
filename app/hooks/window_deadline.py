"""window_deadline: edits and transitions only while the reporting window is open.

    Demand:
      hooks:
        window_deadline: {window: procurement_batch, batch_field: batch}

Windows are data (`hook_window`, managed on the 上报时间管理 screens, app/hooks/window_admin.py):
a series name (the hook's `window`), an optional batch, an optional region, opening and
closing times (Beijing time) and an open/closed switch. Which window holds for a row:

- the row's organisation (`obj.org`; a new row not yet assigned one, and an import as a
  whole, use the user's organisation); windows of the series whose region is that
  organisation or one above it, or the whole country (no region); the most specific region
  wins, then a window of the row's own batch over one for every batch;
- the batch is the `id` (as text) of the row the entity's `batch_field` refers to; a row
  without a batch, and an entity without `batch_field`, use the windows for every batch; an
  import as a whole (no row yet) passes if the window of any batch is open for the importer;
- an extension (`hook_window_extension`) for the row's own unit moves the closing time of
  that window for that unit only; it does not reopen a window switched off.

Outside the window (switched off, not yet open, closed) the write or transition is refused
with a Chinese message, through every door. With `user_classes` (e.g. `[institution]`) only
users of those classes are held to the window (and see its banner); others, e.g. reviewers,
are not. No window at all for the row: refused too, so a
forgotten set-up fails closed rather than open.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from flask import g, has_app_context, has_request_context, request
from flask_appbuilder.models.filters import BaseFilter
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import func, or_, select

from app.context import generated
from app.hooks import runtime
from app.hooks.base import Denied
from app.hooks.models import Window, WindowExtension, beijing_now
from app.security.models import Organisation
from generator.spec import Entity, HookRef


def __(msgid: str) -> str:
    """Marks a message id for extraction (babel.cfg keyword `__`); translated where shown."""
    return msgid


NO_WINDOW = __("Reporting is not open: no reporting time has been set.")
SWITCHED_OFF = __("Reporting is closed.")
OUTSIDE = __("Outside the reporting time: changes are possible from %(opens)s to %(closes)s "
             "(Beijing time).")
TIME_FORMAT = "%Y-%m-%d %H:%M"
ANY_BATCH = object()  # an import as a whole: whichever batch


@dataclass
class Applied:
    """The window that holds for one organisation (and batch), with its unit's extension."""

    window: Window
    closes_at: dt.datetime  # the window's, or the unit's extension when later
    extended: bool = False

    def status(self, now: dt.datetime) -> str:
        if not self.window.is_open:
            return "off"
        if now < self.window.opens_at:
            return "not_yet"
        if now >= self.closes_at:
            return "ended"
        return "open"

    def denial(self) -> Denied:
        if not self.window.is_open:
            return Denied(SWITCHED_OFF)
        return Denied(OUTSIDE, opens=self.window.opens_at.strftime(TIME_FORMAT),
                      closes=self.closes_at.strftime(TIME_FORMAT))


def ancestor_paths(path: str | None) -> list[str]:
    """'/CN/350000/350102/' -> ['/CN/', '/CN/350000/', '/CN/350000/350102/']."""
    if not path:
        return []
    parts = [p for p in path.split("/") if p]
    return ["/" + "/".join(parts[:i]) + "/" for i in range(1, len(parts) + 1)]


def _depth(window: Window) -> int:
    return len(window.region.path) if window.region is not None else 0


def windows_for(session: Any, name: str, org: Any) -> list[Window]:
    """Windows of the series that reach the organisation (None: national ones only)."""
    query = select(Window).where(Window.window == name)
    paths = ancestor_paths(getattr(org, "path", None))
    if paths:
        query = query.where(or_(Window.region_id.is_(None),
                                Window.region.has(Organisation.path.in_(paths))))
    else:
        query = query.where(Window.region_id.is_(None))
    return list(session.execute(query).unique().scalars())


def _best(windows: list[Window], batch: str | None) -> Window | None:
    fitting = [w for w in windows if w.batch is None or w.batch == batch]
    if not fitting:
        return None
    return max(fitting, key=lambda w: (_depth(w), w.batch is not None, w.id))


def _applied(session: Any, window: Window, org: Any) -> Applied:
    closes_at = window.closes_at
    if org is not None and getattr(org, "id", None) is not None:
        extended = session.execute(
            select(func.max(WindowExtension.closes_at)).where(
                WindowExtension.window_id == window.id, WindowExtension.unit_id == org.id)
        ).scalar()
        if extended is not None and extended > closes_at:
            return Applied(window, extended, True)
    return Applied(window, closes_at)


def resolve(session: Any, name: str, org: Any, batch: Any = None) -> list[Applied]:
    """The windows that hold: one, none, or (batch ANY_BATCH) one per batch."""
    windows = windows_for(session, name, org)
    if batch is ANY_BATCH:
        batches = sorted({w.batch for w in windows if w.batch is not None})
        chosen = [_best(windows, b) for b in [None, *batches]]
    else:
        chosen = [_best(windows, batch)]
    unique = {w.id: w for w in chosen if w is not None}
    return [_applied(session, w, org) for w in unique.values()]


def _resolved(session: Any, name: str, org: Any, batch: Any) -> list[Applied]:
    """`resolve`, once per (series, organisation, batch) within a `runtime.rows()` block."""
    memo = runtime.memo()
    org_id = getattr(org, "id", None)
    if memo is None or (org is not None and org_id is None):  # an unsaved organisation
        return resolve(session, name, org, batch)
    key = ("window_deadline", name, org_id, batch)
    if key not in memo:
        memo[key] = resolve(session, name, org, batch)
    return memo[key]  # type: ignore[no-any-return]


def _row_org(obj: Any, user: Any, session: Any) -> Any:
    org = getattr(obj, "org", None) if obj is not None else None
    if org is None and obj is not None and getattr(obj, "org_id", None) is not None:
        org = session.get(Organisation, obj.org_id)
    return org if org is not None else getattr(user, "org", None)


def batch_key(obj: Any, batch_field: str | None) -> str | None:
    """The row's batch: the id of the row its batch field refers to, as text."""
    if obj is None or not batch_field:
        return None
    target = getattr(obj, batch_field, None)
    if target is not None and getattr(target, "id", None) is not None:
        return str(target.id)
    raw = getattr(obj, f"{batch_field}_id", None)
    return str(raw) if raw is not None else None


def held(ref: HookRef, user: Any) -> bool:
    """Whether the user is held to the window: everyone, unless `user_classes` names some."""
    classes = ref.get("user_classes")
    return not classes or getattr(user, "user_class", None) in classes


def check(ref: HookRef, entity: Entity, obj: Any, user: Any, session: Any,
          transition: str | None = None) -> None:
    """Refuse (raise Denied) a write or transition outside the window."""
    if not held(ref, user):
        return
    name = ref.get("window")
    batch_field = ref.get("batch_field")
    org = _row_org(obj, user, session)
    batch = ANY_BATCH if obj is None and batch_field else batch_key(obj, batch_field)
    options = _resolved(session, name, org, batch)
    now = beijing_now()
    if any(option.status(now) == "open" for option in options):
        return
    if not options:
        raise Denied(NO_WINDOW)
    raise options[0].denial()


# -- what screens show ----------------------------------------------------------------------
def batch_label(name: str, batch: str | None) -> str:
    """How a window's batch reads: the referenced row's display text."""
    if batch is None:
        return _("Every batch")
    if not has_app_context():
        return batch
    admin = generated()
    for entity in admin.spec.entities:
        ref = entity.hook("window_deadline")
        if ref is None or ref.get("window") != name or not ref.get("batch_field"):
            continue
        field = ref.get("batch_field")
        target = entity.field(field).to if entity.has_field(field) else None
        if target and batch.isdigit():
            row = admin.session.get(admin.models[target], int(batch))
            if row is not None:
                return str(row)
    return batch


def _countdown(deadline: dt.datetime, now: dt.datetime, ended: str) -> Markup:
    """A span admin.js counts down every second; the text is right without script too."""
    with_days = _("{d} d {h} h {m} min {s} s")
    without_days = _("{h} h {m} min {s} s")
    left = int((deadline - now).total_seconds())
    if left <= 0:
        text = ended
    else:
        d, rest = divmod(left, 86400)
        h, rest = divmod(rest, 3600)
        m, s = divmod(rest, 60)
        text = (with_days if d else without_days).format(d=d, h=h, m=m, s=s)
    return Markup(
        '<span class="window-countdown" data-deadline="{}" data-format-days="{}" '
        'data-format="{}" data-ended="{}">{}</span>').format(
        deadline.strftime("%Y-%m-%dT%H:%M:%S") + "+08:00", with_days, without_days, ended, text)


def _line(option: Applied, now: dt.datetime, batch: str | None) -> tuple[str, Markup]:
    window = option.window
    status = option.status(now)
    switch = _("Switched on") if window.is_open else _("Switched off")
    span = _("%(opens)s to %(closes)s (Beijing time)",
             opens=window.opens_at.strftime(TIME_FORMAT),
             closes=window.closes_at.strftime(TIME_FORMAT))
    if option.extended:
        span += _("; extended for your unit to %(closes)s",
                  closes=option.closes_at.strftime(TIME_FORMAT))
    if status == "open":
        left: Markup | str = _countdown(option.closes_at, now, _("Deadline passed"))
    elif status == "not_yet":
        left = Markup("{} {}").format(_("Not open yet; opens in"),
                                      _countdown(window.opens_at, now,
                                                 _("Open now; reload the page")))
    elif status == "ended":
        left = _("Deadline passed")
    else:
        left = _("Reporting is switched off")
    parts = []
    if batch is not None:
        parts.append(Markup("<strong>{}</strong>{}").format(_("Batch: "),
                                                            batch_label(window.window, batch)))
    parts += [
        Markup("<strong>{}</strong>{}").format(_("Reporting switch: "), switch),
        Markup("<strong>{}</strong>{}").format(_("Time for changes: "), span),
        Markup("<strong>{}</strong>{}").format(_("Time left: "), left),
    ]
    css = {"open": "success", "not_yet": "warning"}.get(status, "danger")
    return css, Markup('<span class="window-sep"> ｜ </span>').join(parts)


def banner(ref: HookRef, entity: Entity, user: Any, session: Any) -> Any:
    """上报开关状态, 可操作时间范围, 剩余时间 for the user's window, or None."""
    if not held(ref, user):
        return None
    org = getattr(user, "org", None)
    batch = ANY_BATCH if ref.get("batch_field") else None
    options = resolve(session, ref.get("window"), org, batch)
    if not options:
        return Markup('<div class="alert alert-danger window-banner" role="status">'
                      '<strong>{}</strong>{}<span class="window-sep"> ｜ </span>{}</div>'
                      ).format(_("Reporting switch: "), _("Switched off"), _(NO_WINDOW))
    now = beijing_now()
    rows = []
    for option in options:
        css, line = _line(option, now, option.window.batch if batch is ANY_BATCH else None)
        rows.append(Markup('<div class="alert alert-{} window-banner" role="status">{}</div>'
                           ).format(css, line))
    return Markup("").join(rows)


# -- which batches are open: the lists of 新批次报量 / 历史报量查询 and the 待办 --------------
@dataclass
class Batches:
    """The batches of one series as they stand for one organisation right now."""

    named: set[str]  # batches a window of the series names
    opened: set[str]  # ... those of them whose window is open
    others_open: bool  # batches no window names (and rows without one): the every-batch window
    applied: dict[str | None, Applied]  # the window that holds per named batch (None: the others)


def batches(session: Any, name: str, org: Any) -> Batches:
    """Which windows hold for the organisation, per batch; memoized for the request."""
    memo = g.setdefault("window_batches", {}) if has_request_context() else {}
    key = (name, getattr(org, "id", None))
    if key in memo:
        return memo[key]  # type: ignore[no-any-return]
    windows = windows_for(session, name, org)
    now = beijing_now()
    named = sorted({w.batch for w in windows if w.batch is not None})
    applied: dict[str | None, Applied] = {}
    for batch in [None, *named]:
        best = _best(windows, batch)
        if best is not None:
            applied[batch] = _applied(session, best, org)
    opened = {b for b in named if b in applied and applied[b].status(now) == "open"}
    others = None in applied and applied[None].status(now) == "open"
    memo[key] = found = Batches(set(named), opened, others, applied)
    return found


def batch_condition(ref: HookRef, entity: Entity, model: Any, user: Any,
                    opened: bool) -> Any:
    """SQL: rows whose batch's window is open (opened) or not open, for the user's
    organisation (exact for users who see their own unit's rows only)."""
    session = generated().session
    found = batches(session, ref.get("window"), getattr(user, "org", None))
    column = getattr(model, entity.field(ref.get("batch_field")).column)
    ids = {b: int(b) for b in found.named if b.isdigit()}
    unnamed = or_(column.is_(None), column.not_in(list(ids.values())))
    if opened:
        chosen = [ids[b] for b in found.opened if b in ids]
        return or_(column.in_(chosen), unnamed) if found.others_open else column.in_(chosen)
    chosen = [i for b, i in ids.items() if b not in found.opened]
    return column.in_(chosen) if found.others_open else or_(column.in_(chosen), unnamed)


LIST_ARGUMENT = "window"  # ?window=open|closed: the rows of batches open now / over


def list_window() -> str | None:
    if not has_request_context():
        return None
    value = request.args.get(LIST_ARGUMENT)
    return value if value in ("open", "closed") else None


class WindowFilter(BaseFilter):
    """FAB base filter of lists and their exports of entities whose window goes by batch:
    ?window=open lists the rows of batches whose window is open for the user (新批次报量),
    ?window=closed the others (历史报量查询)."""

    name = "window"
    arg_name = "window"

    def apply(self, query: Any, entity: Entity) -> Any:
        wanted = list_window()
        ref = entity.hook("window_deadline")
        if wanted is None or ref is None or not ref.get("batch_field"):
            return query
        from app.security.scope import current

        return query.filter(batch_condition(ref, entity, self.model, current(),
                                            opened=wanted == "open"))
