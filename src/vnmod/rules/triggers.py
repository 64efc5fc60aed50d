"""Find what a regex match must start with, so most posts can skip most patterns.

A pattern like ``\\b(?:bán|cung cấp) (?:\\S+ ){0,3}ma túy`` can only match where a word starts
with ``bán`` or ``cung``; a post containing neither word cannot match and is not searched
(:func:`first_words`). A pattern whose matches may start with something other than a word
(``<phone>``, an emoji, ``!!!``) is searched only in posts that contain one of the literal
strings its matches start with (:func:`needles`). Patterns whose start is not known
(``\\d+``, ``[a-z]``) are searched in every post.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

try:  # Python 3.11+
    from re import _constants as C  # type: ignore[attr-defined]
    from re import _parser as parser  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - Python 3.10
    import sre_constants as C
    import sre_parse as parser

_SKIP = {C.AT, C.ASSERT_NOT}  # \b, ^ and negative lookarounds do not consume text
_WORD_START = re.compile(r"[^\W_]+")  # as the engine splits words
_REPEATS = {C.MAX_REPEAT, C.MIN_REPEAT, getattr(C, "POSSESSIVE_REPEAT", None)} - {None}


def _prefixes(items, wide: bool, limit: int = 64) -> tuple[list[str], bool]:
    """Literal prefixes one of which starts every match of ``items``, and whether every match
    is exactly one of them (so that what follows ``items`` may be appended). ``[""]`` when
    nothing is known.

    ``wide`` also looks through lookarounds, sets of single characters (``[abc]``, ``a|b``)
    and repeats (``x+``). The prefixes are then still literal text every match starts with,
    but no longer always whole words of it (``(?<=x)abc``, ``b[*#]``).
    """
    out = [""]
    for op, arg in items:
        if op in _SKIP or (wide and op == C.ASSERT):
            continue
        whole = True
        if op == C.LITERAL:
            sub = [chr(arg)]
        elif op == C.SUBPATTERN and not arg[1] & re.IGNORECASE:  # not (?i:...)
            sub, whole = _prefixes(arg[-1], wide, limit)
        elif op == C.BRANCH:
            sub = []
            for branch in arg[1]:
                got, got_whole = _prefixes(branch, wide, limit)
                sub.extend(got)
                whole = whole and got_whole
        elif wide and op == C.IN and all(o == C.LITERAL for o, _ in arg):
            sub = [chr(a) for _, a in arg]
        elif wide and op in _REPEATS and arg[0] >= 1:  # x+, x{2,}: a match starts with an x
            sub, whole = _prefixes(arg[2], wide, limit)[0], False
        else:
            return out, False
        if len(out) * len(sub) > limit:
            return out, False
        out = [p + s for p in out for s in sub]
        if not whole or all(" " in p for p in out):
            return out, False
    return out, True


@lru_cache(maxsize=4096)
def _parsed(pattern: str) -> tuple[Any, ...] | None:
    """The items of ``pattern`` as Python's regex parser sees them; None where it fails or
    the pattern ignores case (its literals would match either case). Each pattern is asked
    about up to four times while an engine is built: parsed once, not four times."""
    try:
        parsed = parser.parse(pattern)
    except Exception:  # pragma: no cover - the lexicon loader already compiled it
        return None
    return None if parsed.state.flags & re.IGNORECASE else tuple(parsed)


def _starts(pattern: str, wide: bool) -> list[str]:
    items = _parsed(pattern)
    return [""] if items is None else _prefixes(items, wide)[0]


def first_words(pattern: str) -> frozenset[str] | None:
    """Words (or word beginnings) one of which starts every match; None when unknown or when
    a match may start with something other than a word."""
    # The engine's words are runs of word characters: "100%" starts the word "100".
    words = [_WORD_START.match(p) for p in _starts(pattern, wide=False)]
    if any(w is None for w in words):
        return None
    return frozenset(w.group(0) for w in words if w is not None)


def starts_at_boundary(pattern: str) -> bool:
    """True when the pattern begins with ``\\b``: every match starts at a word boundary."""
    items = _parsed(pattern)
    return items is not None and len(items) > 0 and items[0] == (C.AT, C.AT_BOUNDARY)


def word_anchored(pattern: str) -> bool:
    """True when every match starts at a word boundary with one of :func:`first_words`: then
    a match can only start where a word of the post that begins with one of them begins."""
    return starts_at_boundary(pattern) and first_words(pattern) is not None


def needles(pattern: str) -> frozenset[str] | None:
    """Literal strings one of which every match starts with, so a text that contains none of
    them cannot match; None when a match may start with anything."""
    prefixes = _starts(pattern, wide=True)
    return None if "" in prefixes else frozenset(prefixes)


#: In a needle set: "the text has a digit" (``\d``, Unicode digits included), not a literal.
DIGIT = "\\d"
_DIGIT_RE = re.compile(r"\d")
_MAX_CHARS = 32  # a character set or range larger than this is no needle


def _set_chars(arg) -> frozenset[str] | None:
    """The needles of a character set ``[...]``: its characters, DIGIT for ``\\d``."""
    out: set[str] = set()
    for op, a in arg:
        if op == C.LITERAL:
            out.add(chr(a))
        elif op == C.RANGE and a[1] - a[0] < _MAX_CHARS:
            out.update(chr(c) for c in range(a[0], a[1] + 1))
        elif op == C.CATEGORY and a == C.CATEGORY_DIGIT:
            out.add(DIGIT)
        else:
            return None
    return frozenset(out) if len(out) <= _MAX_CHARS else None


def commonness(found: frozenset[str]) -> float:
    """How often a post holds one of ``found``, roughly: single letters are everywhere,
    digits in one post of ten, a punctuation mark or a longer string seldom."""
    def one(n: str) -> float:
        if n == DIGIT:
            return 0.3
        if len(n) > 1:
            return 0.02
        return 1.0 if n.isalnum() or n.isspace() else 0.1
    return sum(map(one, found))


def _required(items) -> frozenset[str] | None:
    """Needles one of which every match of ``items`` contains, or None."""
    best: frozenset[str] | None = None
    run = ""  # consecutive literals: one needle

    def consider(found: frozenset[str] | None) -> None:
        nonlocal best
        if found and (best is None or commonness(found) < commonness(best)):
            best = found

    for op, arg in items:
        if op == C.LITERAL:
            run += chr(arg)
            continue
        consider(frozenset([run]) if run else None)
        run = ""
        if op == C.SUBPATTERN and not arg[1] & re.IGNORECASE:
            consider(_required(arg[-1]))
        elif op == C.BRANCH:
            branches = [_required(b) for b in arg[1]]
            if all(branches):
                consider(frozenset().union(*[b for b in branches if b]))
        elif op == C.IN:
            consider(_set_chars(arg))
        elif op in _REPEATS and arg[0] >= 1:
            consider(_required(arg[2]))
    consider(frozenset([run]) if run else None)
    return best


def required(pattern: str) -> frozenset[str] | None:
    """Strings (or :data:`DIGIT`) one of which every match contains, so a text that contains
    none of them cannot match; None when nothing is known."""
    items = _parsed(pattern)
    return None if items is None else _required(items)


def contains_any(text: str, found: tuple[str, ...]) -> bool:
    """True if ``text`` holds one of ``found`` (:data:`DIGIT`: any digit)."""
    return any(_DIGIT_RE.search(text) is not None if n == DIGIT else n in text for n in found)
