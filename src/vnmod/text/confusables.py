"""Fold look-alike letters of other scripts ('Cyrillic о', 'Greek ο') to the Latin letter.

The table is Unicode's TR39 confusables data as packaged by ``confusable_homoglyphs`` (MIT):
a letter folds when TR39 lists a single ASCII letter it can be confused with, or a Latin
small capital ('т' -> 'ᴛ' -> 't'); a small letter folds as its capital does ('м', whose
capital 'М' is confusable with 'M', reads 'm'). Vietnamese
letters and ASCII are never folded.
"""

from __future__ import annotations

import json
import re
import unicodedata
from functools import lru_cache
from importlib import resources

from vnmod.text.vietnamese import strip_diacritics


@lru_cache(maxsize=1)
def fold_table() -> dict[str, str]:
    """Look-alike letter -> the ASCII letter it imitates."""
    data = json.loads(resources.files("confusable_homoglyphs").joinpath("confusables.json")
                      .read_text(encoding="utf-8"))
    table: dict[str, str] = {}
    for char, entries in data.items():
        if _foldable(char):
            target = _first_ascii(entries)
            if target:
                table[char] = target
    # A small letter whose capital is confusable: 'м' (capital 'М' ~ 'M') reads as 'm'.
    for char, entries in data.items():
        small = char.lower()
        if len(small) == 1 and small != char and small not in table and _foldable(small):
            target = _first_ascii(entries)
            if target:
                table[small] = target.lower()
    return table


def _foldable(char: str) -> bool:
    return (len(char) == 1 and not char.isascii() and strip_diacritics(char) == char
            and unicodedata.category(char).startswith("L"))


def _first_ascii(entries: list[dict[str, str]]) -> str | None:
    for entry in entries:
        target = _ascii_letter(entry["c"])
        if target:
            return target
    return None


def _ascii_letter(target: str) -> str | None:
    """The ASCII letter ``target`` is, or names as a small capital ('ᴛ' -> 't')."""
    if len(target) != 1:
        return None
    if target.isascii():
        return target if target.isalpha() else None
    name = unicodedata.name(target, "")
    prefix = "LATIN LETTER SMALL CAPITAL "
    if name.startswith(prefix) and len(name) == len(prefix) + 1:
        return name[-1].lower()
    return None


@lru_cache(maxsize=1)
def letters() -> frozenset[str]:
    """Every foldable letter: ``letters().isdisjoint(text)`` is the fast test."""
    return frozenset(fold_table())


@lru_cache(maxsize=1)
def pattern() -> re.Pattern[str]:
    """One character class of every foldable letter, as ranges of code points."""
    ranges: list[list[int]] = []
    for code in sorted(map(ord, fold_table())):
        if ranges and ranges[-1][1] == code - 1:
            ranges[-1][1] = code
        else:
            ranges.append([code, code])
    return re.compile("[" + "".join(re.escape(chr(a)) + ("-" + re.escape(chr(b)) if b > a else "")
                                    for a, b in ranges) + "]")
