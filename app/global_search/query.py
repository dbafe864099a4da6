"""What the global search finds for one person: the rows of the entities that declare
`searchable` and the 通知公告, each within that person's range.

Matching is by substring (SQL LIKE / ILIKE, the user's wildcards escaped): Chinese is
written without spaces, so a word of the query is found wherever its characters stand
together in the title or a text field — the same as an index of character n-grams of every
length would find, without one to keep (docs/performance.md, 全局搜索: the numbers). Words
separated by spaces must all be found (in any of the fields). A word of Latin letters also
finds titles by their pinyin initials (「ypsc」 finds 药品生产…), from the `<title>_initials`
column every searchable title keeps.

Each source is asked with the doors' own rules: the entity's `list` right and module gate,
its scope condition (app/security/scope.py, hidden states included) and the person's field
rights (a hidden field is neither searched nor shown); notices by their audience
(app/notices/board.py `readable`: published, for a range that contains the person's).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from flask import url_for
from markupsafe import Markup, escape
from sqlalchemy import and_, case, func, or_, select

from app import gate
from app.context import db_session, generated, security
from app.forms import endpoint_for
from app.labels import current_locale, render
from app.search_filters import like_escape, text_condition
from app.security.fields import field_rights
from app.security.scope import scope_condition
from generator.pinyin import initials, initials_term
from generator.spec import Entity

NOTICES = "notices"  # the key of the 通知公告 among the sources
MAX_TERMS = 5
MAX_TERM = 50  # characters of one word
PER_GROUP = 5  # hits of each type on the first page of all types
PAGE = 20  # hits of one type a page
SNIPPET = 36  # characters shown on either side of the first hit in a text


@dataclass(frozen=True)
class Source:
    key: str  # the entity's qualified name, or NOTICES
    label: str
    entity: Entity | None = None


@dataclass
class Hit:
    title: Markup
    url: str
    tag: str = ""  # 许可事项, 重要通知 …
    snippet: Markup = Markup("")


@dataclass
class Group:
    key: str
    label: str
    count: int
    hits: list[Hit] = field(default_factory=list)


def terms(text: str | None) -> list[str]:
    """The words of the query (split at spaces), at most MAX_TERMS, each cut to MAX_TERM."""
    words = [w[:MAX_TERM] for w in re.split(r"\s+", (text or "").strip()) if w]
    return list(dict.fromkeys(words))[:MAX_TERMS]


def sources(user: Any) -> list[Source]:
    """What the person may search, in menu order; notices last."""
    from app.notices import board as notice_rules

    if user is None:
        return []
    spec, sm, locale = generated().spec, security(), current_locale()
    found = []
    for module in sorted(spec.modules, key=lambda m: (m.order, m.key)):
        for entity in module.entities:
            if (entity.searchable is not None
                    and sm.has_access("can_list", entity.permission_name)
                    and entity.searchable.title not in field_rights(entity, user).hidden
                    and gate.refusal(entity) is None):
                found.append(Source(entity.qualified, entity.label.get(locale), entity))
    board = notice_rules.board()
    if board is not None and notice_rules.may_read(user):
        found.append(Source(NOTICES, board.label.get(locale)))
    return found


_HAN = re.compile(r"^[\u4e00-\u9fff]{4,}$")


def loosened(words: list[str]) -> list[str]:
    """The words with each of four or more Chinese characters cut into pieces of two (most
    Chinese words are two characters long): 「药品许可证」 -> 药品 许可 证, which finds
    药品经营许可证 where the whole word does not stand; [] when no word is cut."""
    if not any(_HAN.match(w) for w in words):
        return []
    out: list[str] = []
    for word in words:
        out += [word[i:i + 2] for i in range(0, len(word), 2)] if _HAN.match(word) else [word]
    return list(dict.fromkeys(out))


def search(user: Any, text: str, only: str | None = None, page: int = 1) -> list[Group]:
    """The groups of hits, one per source with any: PER_GROUP hits each, or with `only`
    (a source's key) that source's page `page` of PAGE hits."""
    return found(user, terms(text), only, page)


def found(user: Any, words: list[str], only: str | None = None, page: int = 1
          ) -> list[Group]:
    if not words:
        return []
    groups = []
    for source in sources(user):
        if only is not None and source.key != only:
            continue
        size = PAGE if only is not None else PER_GROUP
        offset = (max(1, page) - 1) * size if only is not None else 0
        if source.entity is not None:
            group = _entity_group(source, user, words, offset, size)
        else:
            group = _notice_group(source, user, words, offset, size)
        if group.count:
            groups.append(group)
    return groups


# -- entities ---------------------------------------------------------------------------------
def contains(column: Any, word: str) -> Any:
    """The column holds the word: LIKE for a word without upper and lower case (Chinese,
    digits), which PostgreSQL matches several times faster than ILIKE; ILIKE otherwise."""
    pattern = f"%{like_escape(word)}%"
    if word.lower() == word.upper():
        return column.like(pattern, escape="\\")
    return column.ilike(pattern, escape="\\")


def _holds(model: Any, name: str, word: str, spelled: bool) -> Any:
    if word.lower() != word.upper():  # Latin letters: pinyin initials too (search_filters)
        return text_condition(model, name, word, spelled)
    return contains(getattr(model, name), word)


def _entity_group(source: Source, user: Any, words: list[str], offset: int, size: int
                  ) -> Group:
    entity = source.entity
    assert entity is not None and entity.searchable is not None
    model = generated().models[entity.qualified]
    hidden = field_rights(entity, user).hidden
    title = entity.searchable.title
    names = [n for n in entity.searchable.fields if n not in hidden]
    spelled = set(entity.initials_fields)
    matched = and_(*[or_(*[_holds(model, n, w, n in spelled) for n in names])
                     for w in words])
    scoped = scope_condition(entity, model, user)
    where = matched if scoped is None else and_(scoped, matched)
    session = db_session()
    count = session.execute(select(func.count()).select_from(model).where(where)).scalar_one()
    group = Group(source.key, source.label, int(count))
    if not count:
        return group
    in_title = and_(*[_holds(model, title, w, title in spelled) for w in words])
    rows = session.execute(
        select(model).where(where)
        .order_by(case((in_title, 0), else_=1), model.id).offset(offset).limit(size)
    ).scalars()
    tab = entity.field(entity.tabs) if entity.tabs and entity.tabs not in hidden else None
    for row in rows:
        texts = [(entity.field(n).label.get(current_locale()), getattr(row, n))
                 for n in names if n != title]
        group.hits.append(Hit(
            mark(str(getattr(row, title) or ""), words),
            url_for(f"{endpoint_for(entity)}.show", pk=row.id),
            tab.kind.display(tab, getattr(row, tab.name), render()) if tab else "",
            snippet(texts, words)))
    return group


# -- notices ----------------------------------------------------------------------------------
def _notice_group(source: Source, user: Any, words: list[str], offset: int, size: int
                  ) -> Group:
    from app.notices import board as notice_rules
    from app.notices.models import Notice
    from app.notices.views import category_label

    def found(word: str) -> Any:
        title = contains(Notice.title, word)
        if word.isascii():  # the body is HTML: Latin letters would find its tags
            return title
        return or_(title, contains(Notice.body, word))

    where = and_(notice_rules.readable(user), *[found(w) for w in words])
    session = db_session()
    count = session.execute(select(func.count()).select_from(Notice).where(where)).scalar_one()
    group = Group(source.key, source.label, int(count))
    rows: list[Any] = list(session.execute(select(Notice).where(where).order_by(
        Notice.published_at.desc(), Notice.id.desc()).offset(offset).limit(size)
    ).unique().scalars()) if count else []
    for notice in rows:
        day = notice.published_at.strftime("%Y-%m-%d") if notice.published_at else ""
        group.hits.append(Hit(
            mark(notice.title, words), url_for("NoticeView.show", pk=notice.id),
            category_label(notice.category),
            snippet([(day, notice_rules.plain(notice.body))], words)))
    return group


# -- showing the hits ------------------------------------------------------------------------
def _spans(text: str, words: list[str]) -> list[tuple[int, int]]:
    """Where the words stand in the text (case-insensitive), or, for a word of Latin letters
    not written out, the characters whose pinyin initials spell it."""
    lowered = text.lower()
    spans = []
    for word in words:
        at = lowered.find(word.lower())
        if at >= 0:
            while at >= 0:
                spans.append((at, at + len(word)))
                at = lowered.find(word.lower(), at + len(word))
            continue
        spelled = initials_term(word)
        if spelled is None:
            continue
        letters, places = [], []
        for index, char in enumerate(text):
            letter = initials(char) or ""
            if len(letter) == 1:
                letters.append(letter)
                places.append(index)
        at = "".join(letters).find(spelled)
        if at >= 0:
            spans.append((places[at], places[at + len(spelled) - 1] + 1))
    return sorted(spans)


def mark(text: str, words: list[str]) -> Markup:
    """The text with the words it contains in <mark>, escaped."""
    out, done = [], 0
    for start, end in _spans(text, words):
        if start < done:
            continue
        out.append(escape(text[done:start]))
        out.append(Markup("<mark>{}</mark>").format(text[start:end]))
        done = end
    out.append(escape(text[done:]))
    return Markup("").join(out)


def snippet(texts: list[tuple[str, Any]], words: list[str]) -> Markup:
    """「事项说明：…the words around the first hit…」 from the first text holding a word."""
    for label, value in texts:
        text = re.sub(r"\s+", " ", str(value or "")).strip()
        spans = [s for s in _spans(text, words) if text[s[0]:s[1]].lower()
                 in {w.lower() for w in words}]
        if not spans:
            continue
        start = max(0, spans[0][0] - SNIPPET)
        end = min(len(text), spans[0][1] + SNIPPET)
        piece = ("…" if start else "") + text[start:end] + ("…" if end < len(text) else "")
        prefix = Markup("{}：").format(label) if label else Markup("")
        return prefix + mark(piece, words)
    return Markup("")


def pages(count: int) -> int:
    return max(1, -(-count // PAGE))


__all__ = ["NOTICES", "Group", "Hit", "Source", "mark", "search", "snippet", "sources",
           "terms"]
