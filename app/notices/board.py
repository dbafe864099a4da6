"""Who reads, who manages and what a notice may contain.

- Readers see the published notices whose range contains their organisation: the range's
  path is one of the ancestors of theirs (an IN list of at most five paths, on an index).
  Anonymous visitors see every published notice when the board is `public`, none otherwise.
- Publishers (a role of `publishers:`: `can_publish`) manage the notices whose range lies in
  their jurisdiction — drafts and withdrawn ones included — and publish only there: the
  ranges offered are 全国 and the provinces inside their organisation's subtree.
- The body is cleaned by nh3 (Ammonia) when it is saved and again when it is shown, so no
  path writes or draws markup outside the short list below.
"""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import nh3
from sqlalchemy import and_, false, or_, select, true

from app.context import generated, security
from app.messages.workflow import ancestors
from app.notices.models import PUBLISHED, Notice
from app.security.models import Organisation
from app.security.scope import is_admin, within
from generator.permissions import PUBLISH, notices_view, right
from generator.spec import Notices

TAGS = {"p", "br", "strong", "b", "em", "i", "u", "s", "h2", "h3", "h4", "ul", "ol", "li",
        "blockquote", "a", "hr", "table", "thead", "tbody", "tr", "th", "td"}
ATTRIBUTES = {"a": {"href", "title"}, "td": {"colspan", "rowspan"},
              "th": {"colspan", "rowspan"}}
URL_SCHEMES = {"http", "https", "mailto"}
RANGE_LEVELS = ("national", "province")
_TAG = re.compile(r"<[^>]*>")


def board() -> Notices | None:
    return generated().spec.notices


def the_board() -> Notices:
    found = board()
    if found is None:
        raise LookupError("the schema has no notices")
    return found


def clean(html: str | None) -> str:
    """The body as it may be stored and shown."""
    return nh3.clean(html or "", tags=TAGS, attributes=ATTRIBUTES, url_schemes=URL_SCHEMES,
                     link_rel="noopener noreferrer")


def plain(html: str) -> str:
    """The text of a cleaned body (is anything written at all?)."""
    return unescape(_TAG.sub("", html)).replace("\xa0", " ").strip()


def org_path(user: Any) -> str | None:
    org = getattr(user, "org", None)
    return getattr(org, "path", None)


def may_read(user: Any) -> bool:
    """Signed in with a role that reads notices, or anybody on a public board."""
    found = board()
    if found is None:
        return False
    if user is None:
        return found.public
    return bool(security().has_access(right("list"), notices_view(found.module)))


def may_publish(user: Any) -> bool:
    found = board()
    return (found is not None and user is not None
            and bool(security().has_access(right(PUBLISH), notices_view(found.module))))


def readable(user: Any) -> Any:
    """The published notices the person reads (anonymous: None)."""
    published = Notice.state == PUBLISHED
    if user is None:
        found = board()
        return published if found is not None and found.public else false()
    path = org_path(user)
    if path is None:
        return published if is_admin(user) else false()
    return and_(published, Notice.range_path.in_(ancestors(path)))


def managed(user: Any) -> Any:
    """The notices the person writes and publishes (any state)."""
    if not may_publish(user):
        return false()
    if is_admin(user):
        return true()
    path = org_path(user)
    return within(Notice.range_path, path) if path else false()


def visible(user: Any) -> Any:
    return or_(readable(user), managed(user))


def ranges(session: Any, user: Any) -> list[Organisation]:
    """Where the person may publish: 全国 and the provinces within their jurisdiction."""
    query = select(Organisation).where(Organisation.level.in_(RANGE_LEVELS),
                                       Organisation.valid_to.is_(None))
    if not is_admin(user):
        path = org_path(user)
        if not path:
            return []
        query = query.where(within(Organisation.path, path))
    return list(session.execute(query.order_by(Organisation.path)).scalars())
