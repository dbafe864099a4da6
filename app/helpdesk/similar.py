"""Which entries read closest to a typed question (咨询, an entity's `similar:`): Okapi BM25
over Chinese character bigrams and single characters, Latin words and numbers.

Chinese has no spaces; a word segmenter needs a dictionary of the domain's words (药包材,
核对码, 统一身份认证 are in none) while overlapping character pairs need none and match a
question written in other words but the same terms. Single characters count a little (a
question of two characters still finds something); the pairs carry the ranking. The first
field (the entry's question) counts twice: a question matches questions first, answers next.
Measured on a labelled set of questions (tests/modules/helpdesk_questions.py, docs/schema.md
"similar"). Pure functions: no Flask, no database.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

K1, B = 1.2, 0.75
UNIGRAM_WEIGHT = 0.3  # a single character says little on its own
TITLE_BOOST = 2  # the first field's terms count this many times
# an entry scoring below this share of the best one shares only a stray character or two with
# the question: proposing it would only add noise under the answer
MIN_SHARE = 0.25
_RUN = re.compile(r"[\u3400-\u9fff]+|[a-z0-9]+")
# what questions are asked with, not about: 请问 如何 为什么 怎么办 …
STOP_CHARS = frozenset("的了吗呢吧啊是我你您在和与或及等要请问怎么什为何哪如样"
                       "这那个有没能会可以就都还也把被让")
STOP_PAIRS = frozenset({"请问", "如何", "什么", "怎么", "为什", "么办", "怎样", "可以", "能否",
                        "是否", "一下", "哪里", "需要", "我们", "我的", "您的", "这个", "那个",
                        "时候", "么时", "么要", "么不", "吗？"})


def terms(text: str | None) -> Counter[str]:
    """The weighted terms of a text: character pairs (1), single characters, Latin words."""
    found: Counter[str] = Counter()
    if not text:
        return found
    normal = unicodedata.normalize("NFKC", text).lower()
    for run in _RUN.findall(normal):
        if run.isascii():
            found[run] += 1
            continue
        for i, char in enumerate(run):
            if char not in STOP_CHARS:
                found["\x01" + char] += 1  # marked: a single character, weighed less
            pair = run[i:i + 2]
            if len(pair) == 2 and pair not in STOP_PAIRS:
                found[pair] += 1
    return found


def _weight(term: str) -> float:
    return UNIGRAM_WEIGHT if term.startswith("\x01") else 1.0


@dataclass(frozen=True)
class Entry:
    key: int  # the row's id
    texts: tuple[str | None, ...]  # the `similar` fields, the title first


def document(entry: Entry) -> Counter[str]:
    doc: Counter[str] = Counter()
    for number, text in enumerate(entry.texts):
        counted = terms(text)
        for term, count in counted.items():
            doc[term] += count * (TITLE_BOOST if number == 0 else 1)
    return doc


def rank(question: str, entries: Iterable[Entry], top: int) -> list[tuple[int, float]]:
    """The `top` entries closest to the question, best first, as (key, score); entries
    sharing no term with it, or scoring below MIN_SHARE of the best, are left out. Ties keep
    the entries' order."""
    asked = terms(question)
    if not asked:
        return []
    docs = [(e.key, document(e)) for e in entries]
    if not docs:
        return []
    lengths = [sum(d.values()) for _, d in docs]
    average = sum(lengths) / len(docs) or 1.0
    frequency: Counter[str] = Counter()
    for _, doc in docs:
        frequency.update(t for t in doc if t in asked)
    total = len(docs)
    scored: list[tuple[int, float]] = []
    for (key, doc), length in zip(docs, lengths, strict=True):
        score = 0.0
        for term, wanted in asked.items():
            have = doc.get(term, 0)
            if not have:
                continue
            idf = math.log(1 + (total - frequency[term] + 0.5) / (frequency[term] + 0.5))
            tf = have * (K1 + 1) / (have + K1 * (1 - B + B * length / average))
            score += _weight(term) * idf * tf * min(wanted, 2)
        if score > 0:
            scored.append((key, score))
    scored.sort(key=lambda pair: -pair[1])
    if scored:
        floor = scored[0][1] * MIN_SHARE
        scored = [pair for pair in scored if pair[1] >= floor]
    return scored[:top]


def hits(labelled: Sequence[tuple[str, int]], entries: Sequence[Entry], at: int) -> float:
    """The share of questions whose expected entry is among the first `at` (hit@k)."""
    if not labelled:
        return 0.0
    found = sum(1 for question, expected in labelled
                if expected in [key for key, _ in rank(question, entries, at)])
    return found / len(labelled)
