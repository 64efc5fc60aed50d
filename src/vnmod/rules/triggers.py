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


def _starts(pattern: str, wide: bool) -> list[str]:
    try:
        parsed = parser.parse(pattern)
    except Exception:  # pragma: no cover - the lexicon loader already compiled it
        return [""]
    if parsed.state.flags & re.IGNORECASE:  # literals would match either case
        return [""]
    return _prefixes(list(parsed), wide)[0]


def first_words(pattern: str) -> frozenset[str] | None:
    """Words (or word beginnings) one of which starts every match; None when unknown or when
    a match may start with something other than a word."""
    # The engine's words are runs of word characters: "100%" starts the word "100".
    words = [_WORD_START.match(p) for p in _starts(pattern, wide=False)]
    if any(w is None for w in words):
        return None
    return frozenset(w.group(0) for w in words)


def needles(pattern: str) -> frozenset[str] | None:
    """Literal strings one of which every match starts with, so a text that contains none of
    them cannot match; None when a match may start with anything."""
    prefixes = _starts(pattern, wide=True)
    return None if "" in prefixes else frozenset(prefixes)
