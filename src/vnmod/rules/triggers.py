"""Find the words a regex match must start with, so most posts can skip most patterns.

A pattern like ``\\b(?:bán|cung cấp) (?:\\S+ ){0,3}ma túy`` can only match where a word starts
with ``bán`` or ``cung``; a post containing neither word cannot match and is not searched.
Patterns whose start is not a set of literal words get ``None`` (always searched).
"""

from __future__ import annotations

try:  # Python 3.11+
    from re import _constants as C  # type: ignore[attr-defined]
    from re import _parser as parser  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - Python 3.10
    import sre_constants as C
    import sre_parse as parser

_SKIP = {C.AT, C.ASSERT_NOT}  # \b, ^ and negative lookarounds do not consume text


def _prefixes(items, limit: int = 64) -> list[str] | None:
    """Literal prefixes every match of ``items`` starts with, or None if unknown."""
    out = [""]
    for op, arg in items:
        if op in _SKIP:
            continue
        if op == C.LITERAL:
            out = [p + chr(arg) for p in out]
            continue
        if op == C.SUBPATTERN:
            sub = _prefixes(arg[-1], limit)
        elif op == C.BRANCH:
            sub = []
            for branch in arg[1]:
                got = _prefixes(branch, limit)
                if got is None:
                    return _finish(out)
                sub.extend(got)
        else:
            return _finish(out)
        if sub is None or len(out) * len(sub) > limit:
            return _finish(out)
        out = [p + s for p in out for s in sub]
        if all(" " in p for p in out):
            break
    return _finish(out)


def _finish(prefixes: list[str]) -> list[str] | None:
    words = [p.split(" ")[0] for p in prefixes]
    if any(not w or not w[0].isalnum() for w in words):
        return None
    return words


def first_words(pattern: str) -> frozenset[str] | None:
    """Words (or word beginnings) one of which starts every match; None when unknown."""
    try:
        parsed = parser.parse(pattern)
    except Exception:  # pragma: no cover - the lexicon loader already compiled it
        return None
    words = _prefixes(list(parsed))
    return frozenset(words) if words else None
