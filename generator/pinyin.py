"""Pinyin initials of Chinese text: 「他汀」 → "tt", 「重庆市」 → "cqs".

Searched text fields keep their initials in a column beside them (`<name>_initials`, see
generator/models.py), so 「cq」 finds 重庆 with the same LIKE as the text itself, on SQLite
and PostgreSQL alike and without reading every row into Python. pypinyin reads words with
its phrase dictionary, so 重庆 is "cq", not "zq". Letters and digits that are not Chinese are
kept as they are (lower case); spaces and punctuation are dropped.

pypinyin is imported on the first text to read: its dictionaries take longer to load than the
rest of the start-up's imports, and a start needs no initials.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

_KEPT = re.compile(r"[0-9a-z]+")
_QUERY = re.compile(r"^[0-9A-Za-z]+$")


@lru_cache(maxsize=4096)
def _initials(text: str) -> str:
    if text.isascii():  # no Chinese: what pypinyin would give, without asking it (codes)
        return "".join(_KEPT.findall(text.lower()))
    from pypinyin import Style, lazy_pinyin

    parts = lazy_pinyin(text, style=Style.FIRST_LETTER, errors="default")
    return "".join(_KEPT.findall("".join(parts).lower()))


def initials(value: Any) -> str | None:
    """The initials of a stored value (None for a blank one)."""
    if value is None:
        return None
    text = str(value).strip()
    return _initials(text) if text else None


def initials_term(term: str) -> str | None:
    """A search term that may be initials (Latin letters and digits only), lower case."""
    return term.lower() if _QUERY.match(term) else None


def initials_column(name: str) -> str:
    return f"{name}_initials"


__all__ = ["initials", "initials_column", "initials_term"]
