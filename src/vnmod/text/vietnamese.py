"""Vietnamese letters: diacritic stripping and tone-mark handling."""

from __future__ import annotations

import re
import unicodedata

# Combining tone marks (huyền, sắc, hỏi, ngã, nặng) in NFD.
TONE_MARKS = "\u0300\u0301\u0309\u0303\u0323"


def _build_strip_table() -> dict[int, str]:
    table: dict[int, str] = {ord("đ"): "d", ord("Đ"): "D"}
    for cp in range(0x00C0, 0x1EFA):
        ch = chr(cp)
        base = "".join(c for c in unicodedata.normalize("NFD", ch) if not unicodedata.combining(c))
        if len(base) == 1 and base != ch and base.isascii():
            table[cp] = base
    return table


_STRIP = _build_strip_table()


_ACCENTED = re.compile("[" + "".join(chr(c) for c in sorted(_STRIP)) + "]")


def strip_diacritics(text: str) -> str:
    """Remove Vietnamese diacritics, keeping the length (one character in, one out).

    >>> strip_diacritics("Đụ má, lồn")
    'Du ma, lon'
    """
    return text.translate(_STRIP)


def has_diacritics(word: str) -> bool:
    """True if ``word`` holds a Vietnamese letter with a diacritic (đ included)."""
    return _ACCENTED.search(word) is not None


def split_tone(ch: str) -> tuple[str, str]:
    """Split a letter into (letter without tone mark, tone mark or '')."""
    nfd = unicodedata.normalize("NFD", ch)
    tone = "".join(c for c in nfd if c in TONE_MARKS)
    rest = "".join(c for c in nfd if c not in TONE_MARKS)
    return unicodedata.normalize("NFC", rest), tone


def with_tone(ch: str, tone: str) -> str:
    """Put ``tone`` (a combining mark) on the letter ``ch``."""
    return unicodedata.normalize("NFC", ch + tone)
