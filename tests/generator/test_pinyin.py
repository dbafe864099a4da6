"""Pinyin initials: Chinese by pypinyin's phrase dictionary, other text as it is (letters and
digits, lower case) without asking pypinyin, which gives the same."""

from __future__ import annotations

import random
import string

from pypinyin import Style, lazy_pinyin

from generator.pinyin import _KEPT, initials


def test_chinese_text_reads_by_phrase() -> None:
    assert initials("重庆市") == "cqs"
    assert initials(" 他汀 A-1 ") == "tta1"
    assert initials("") is None and initials(None) is None


def test_text_without_chinese_is_what_pypinyin_would_give() -> None:
    rng = random.Random(7)
    samples = ["M0000001", "ab-C 12", "D3/x.y", "  Q  "]
    samples += ["".join(rng.choice(string.printable) for _ in range(rng.randint(1, 20)))
                for _ in range(2000)]
    for text in samples:
        text = text.strip()
        if not text:
            continue
        parts = lazy_pinyin(text, style=Style.FIRST_LETTER, errors="default")
        assert initials(text) == "".join(_KEPT.findall("".join(parts).lower())), text
