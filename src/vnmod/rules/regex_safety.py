"""Refuse rule patterns that can backtrack catastrophically (ReDoS) before they are compiled.

Python's ``re`` backtracks: a pattern such as ``(?:\\w+\\s?)+$`` tries every way of splitting a
run of letters into iterations, and a 47-character post takes seconds. Every pattern a
lexicon holds passes two checks when the lexicon is loaded (:func:`check_pattern`):

1. **Structure.** The pattern is parsed with Python's own regex parser (``re._parser``,
   ``sre_parse`` before 3.11). Inside a repeat that can iterate (at most 2 or more times):

   * a variable-length repeat ``X{m,n}`` (``n > m``: ``+``, ``*``, ``?``, ``{0,3}``) is refused
     when the text it gives back could be taken by what follows it: ``X`` can start with a
     character that can also come right after the repeat, the start of the enclosing repeat's
     next iteration included. ``(a+)+``, ``(?:\\w+\\s?)+``, ``(?:a?a)+``, ``(.*a){12}`` are
     refused; ``(?:\\S+\\s){0,3}?`` and ``(?:\\s*[❄🍬])+`` are not (a space ends each
     ``\\S+``, an emoji ends each ``\\s*``);
   * two alternatives that can start with the same character, or both match nothing, are
     refused: ``(a|a)*``, ``(a|aa)+``. Plain-string alternatives are compared exactly
     (``(?:x|xy)+`` passes: the ``y`` cannot start the next iteration), and the parser has
     already factored out a prefix all alternatives share (``(?:ab|a)+`` is ``a(?:b|)``).

   Nesting inside bounded repeats is let through when the number of ways to split stays
   small (``ways ** outer_max <= 1000``: ``(?:(?:là|thì)\\s){0,2}``). Character sets are
   compared on a representative alphabet: every literal of the pattern, every character of
   its ranges (up to 512 wide), and samples of letters, digits, spaces, punctuation,
   Vietnamese letters, emoji. The check errs on the side of refusing (a safe ``(?:a+b)+``
   passes, a safe ``(?:a+ab)+`` does not): rewrite such a pattern so that each iteration ends
   on something the repeat before it cannot match. Lookarounds are checked on their own;
   possessive repeats and atomic groups get no credit.
2. **Measurement**, for what the structure check misses. For every iterating repeat, the
   pattern is matched (``re.match``, one attempt from the start) against texts made to make
   it backtrack: the shortest text that leads up to the repeat, then the repeat's body pumped
   (its shortest and a fuller match), then an ending that fails (``\\x00``, ``!``). Lengths
   grow step by step (8, 12, 16, ... 5,000: an exponential pattern is stopped early) and the
   pattern is refused as soon as one attempt takes more than :data:`BUDGET_S` (50 ms):
   ``\\w+\\w+\\w+x`` (cubic) is refused.

   Not measured: the cost of an unanchored search retrying at every position. A pattern that
   starts with a repeat (``\\d+%``) is linear per attempt but quadratic over a long run of
   such characters in a search; anchor such a repeat (``(?<!\\d)\\d+%``) to keep it linear.

Verdicts are cached per pattern text, so each distinct pattern is analysed once per process.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

try:  # Python >= 3.11
    from re import _constants as _c
    from re import _parser as _sre_parse
except ImportError:  # pragma: no cover - Python 3.10
    import sre_constants as _c  # type: ignore[no-redef]
    import sre_parse as _sre_parse  # type: ignore[no-redef]

#: The longest one adversarial match attempt may take before a pattern is refused.
BUDGET_S = 0.05
#: The length of the longest adversarial string.
MAX_LENGTH = 5000
#: Steps of the adversarial lengths: fine at first, so an exponential pattern stops early.
LENGTHS = (8, 12, 16, 20, 24, 28, 32, 48, 64, 128, 256, 512, 1024, 2048, MAX_LENGTH)
#: Endings that make a pumped string fail to match.
ENDINGS = ("\x00", "!")
#: Most ways of splitting a text that bounded nested repeats may have.
MAX_BOUNDED_WAYS = 1000

_UNBOUNDED = _c.MAXREPEAT
_REPEATS = {_c.MAX_REPEAT, _c.MIN_REPEAT}
if hasattr(_c, "POSSESSIVE_REPEAT"):
    _REPEATS.add(_c.POSSESSIVE_REPEAT)
_ATOMIC = getattr(_c, "ATOMIC_GROUP", None)
_SIMPLE = {_c.LITERAL, _c.NOT_LITERAL, _c.ANY, _c.IN, _c.AT}
_SAMPLES = ("aAzZbx09_ \t\n\r\x0b\x0c\u00a0\u2003.,!?;:-'\"“”()/\\%$#@*^&<>[]{}|~`+=\x00\x7f"
            "éđĐệẠờ\u0663\u00b2中😀🔴❄\ufe0f\u200b")
_CATEGORIES = {
    _c.CATEGORY_DIGIT: r"\d", _c.CATEGORY_NOT_DIGIT: r"\D",
    _c.CATEGORY_SPACE: r"\s", _c.CATEGORY_NOT_SPACE: r"\S",
    _c.CATEGORY_WORD: r"\w", _c.CATEGORY_NOT_WORD: r"\W",
}


class UnsafePatternError(ValueError):
    """A rule pattern can backtrack catastrophically."""


def check_pattern(pattern: str, *, where: str = "pattern", ascii_variant: bool = False) -> None:
    """Raise :class:`UnsafePatternError` (naming ``where`` and the pattern) if ``pattern``
    can backtrack catastrophically. With ``ascii_variant``, also check the pattern with its
    diacritics stripped, which the rule engine compiles for posts typed without accents (its
    structure only: stripping changes letters, not how the pattern backtracks)."""
    variants = [pattern]
    if ascii_variant:
        from vnmod.text.vietnamese import strip_diacritics

        stripped = strip_diacritics(pattern)
        if stripped != pattern:
            variants.append(stripped)
    for variant in variants:
        reason = problem(variant, measure=variant == pattern)
        if reason is not None:
            which = "" if variant == pattern else f" (without diacritics: '{variant}')"
            raise UnsafePatternError(f"{where}: pattern '{pattern}'{which} can backtrack "
                                     f"catastrophically: {reason}")


@lru_cache(maxsize=4096)
def problem(pattern: str, measure: bool = True) -> str | None:
    """Why ``pattern`` can backtrack catastrophically, or None when it passes the structure
    check and (with ``measure``) the measurement."""
    try:
        parsed = _sre_parse.parse(pattern)
    except re.error as exc:
        return f"it does not compile ({exc})"
    analysis = _Analysis(pattern, parsed)
    analysis.walk(parsed, frozenset(), None, "")
    if analysis.problems:
        return analysis.problems[0]
    return _measure(re.compile(pattern), analysis.attacks) if measure else None


@dataclass(frozen=True)
class _Loop:
    """The iterating repeat(s) around the part being checked."""

    unbounded: bool
    most: int  # how many times it can iterate, at most (when bounded)


class _Analysis:
    def __init__(self, pattern: str, parsed: object) -> None:
        flags = int(parsed.state.flags)  # type: ignore[attr-defined]
        self.ignore_case = bool(flags & re.IGNORECASE)
        self.dotall = bool(flags & re.DOTALL)
        self.class_flags = flags & int(re.ASCII | re.IGNORECASE)
        self.alphabet = _alphabet(pattern, parsed)
        self.problems: list[str] = []
        self.attacks: list[tuple[str, tuple[str, ...]]] = []  # (prefix, pumps)
        self._members: dict[tuple[int, object], frozenset[str]] = {}
        self._first: dict[int, frozenset[str]] = {}
        self._short: dict[tuple[int, bool], str] = {}

    # -- character sets -------------------------------------------------------------------
    def _set(self, op: object, av: object) -> frozenset[str]:
        """The alphabet's characters that the one-character item ``(op, av)`` matches."""
        if op is _c.LITERAL and not self.ignore_case:
            return frozenset(chr(av))  # type: ignore[arg-type]
        key = (id(av), op) if isinstance(av, list) else (0, (op, av))
        if key not in self._members:
            self._members[key] = frozenset(ch for ch in self.alphabet if self._matches(op, av, ch))
        return self._members[key]

    def _matches(self, op: object, av: object, ch: str) -> bool:
        if op is _c.LITERAL or op is _c.NOT_LITERAL:
            same = ch == chr(av) or (self.ignore_case  # type: ignore[arg-type]
                                     and ch.lower() == chr(av).lower())  # type: ignore[arg-type]
            return same if op is _c.LITERAL else not same
        if op is _c.ANY:
            return ch != "\n" or self.dotall
        if op is _c.IN:
            items = list(av)  # type: ignore[call-overload]
            negate = bool(items) and items[0][0] is _c.NEGATE
            hit = any(self._in_item(i_op, i_av, ch)
                      for i_op, i_av in items if i_op is not _c.NEGATE)
            return hit != negate
        return True  # anything else: assume it can match (conservative)

    def _in_item(self, op: object, av: object, ch: str) -> bool:
        if op is _c.LITERAL:
            return self._matches(op, av, ch)
        if op is _c.RANGE:
            lo, hi = av  # type: ignore[misc]
            return lo <= ord(ch) <= hi or (self.ignore_case
                                           and (lo <= ord(ch.lower()[0]) <= hi
                                                or lo <= ord(ch.upper()[0]) <= hi))
        if op is _c.CATEGORY and av in _CATEGORIES:
            return re.fullmatch(_CATEGORIES[av], ch, self.class_flags) is not None
        return True

    # -- first sets and nullability ---------------------------------------------------------
    def first(self, seq: Iterable[tuple[object, object]]) -> frozenset[str]:
        """Characters a match of ``seq`` can start with (when it is not empty)."""
        out: frozenset[str] = frozenset()
        for op, av in seq:
            out |= self.first_item(op, av)
            if not self.nullable_item(op, av):
                break
        return out

    def first_item(self, op: object, av: object) -> frozenset[str]:
        if op in (_c.LITERAL, _c.NOT_LITERAL, _c.ANY, _c.IN):
            return self._set(op, av)
        if id(av) not in self._first:
            self._first[id(av)] = self._first_compound(op, av)
        return self._first[id(av)]

    def _first_compound(self, op: object, av: object) -> frozenset[str]:
        if op is _c.BRANCH:
            return frozenset().union(*(self.first(b) for b in av[1]))  # type: ignore[index]
        if op is _c.SUBPATTERN:
            return self.first(av[3])  # type: ignore[index]
        if op is _ATOMIC:
            return self.first(av)  # type: ignore[arg-type]
        if op in _REPEATS:
            return self.first(av[2]) if av[1] > 0 else frozenset()  # type: ignore[index]
        if op is _c.GROUPREF_EXISTS:
            return self.first(av[1]) | (self.first(av[2]) if av[2] else frozenset())  # type: ignore[index]
        if op is _c.GROUPREF:
            return frozenset(self.alphabet)
        return frozenset()  # anchors, lookarounds: match no character

    def nullable(self, seq: Iterable[tuple[object, object]]) -> bool:
        return all(self.nullable_item(op, av) for op, av in seq)

    def nullable_item(self, op: object, av: object) -> bool:
        if op in (_c.LITERAL, _c.NOT_LITERAL, _c.ANY, _c.IN):
            return False
        if op is _c.BRANCH:
            return any(self.nullable(b) for b in av[1])  # type: ignore[index]
        if op is _c.SUBPATTERN:
            return self.nullable(av[3])  # type: ignore[index]
        if op is _ATOMIC:
            return self.nullable(av)  # type: ignore[arg-type]
        if op in _REPEATS:
            return av[0] == 0 or self.nullable(av[2])  # type: ignore[index]
        if op is _c.GROUPREF_EXISTS:
            return self.nullable(av[1]) or not av[2] or self.nullable(av[2])  # type: ignore[index]
        return True

    # -- strings that match ------------------------------------------------------------------
    def shortest(self, seq: Iterable[tuple[object, object]], fuller: bool = False) -> str:
        """A short text that ``seq`` matches (ignoring lookarounds and back-references);
        ``fuller`` takes every variable repeat once more than it must."""
        return "".join(self._shortest_item(op, av, fuller) for op, av in seq)

    def _shortest_item(self, op: object, av: object, fuller: bool) -> str:
        if op is _c.LITERAL:
            return chr(av)  # type: ignore[arg-type]
        key = (id(av), fuller)
        if key not in self._short:
            self._short[key] = self._shortest_compound(op, av, fuller)
        return self._short[key]

    def _shortest_compound(self, op: object, av: object, fuller: bool) -> str:
        if op in (_c.NOT_LITERAL, _c.ANY, _c.IN):
            return _pick(self._set(op, av))
        if op is _c.BRANCH:
            return min((self.shortest(b, fuller) for b in av[1]), key=len)  # type: ignore[index]
        if op is _c.SUBPATTERN:
            return self.shortest(av[3], fuller)  # type: ignore[index]
        if op is _ATOMIC:
            return self.shortest(av, fuller)  # type: ignore[arg-type]
        if op in _REPEATS:
            lo, hi, body = av  # type: ignore[misc]
            times = min(lo + 1, hi) if fuller else lo
            return self.shortest(body, fuller) * times
        if op is _c.GROUPREF_EXISTS:
            return self.shortest(av[2], fuller) if av[2] else ""  # type: ignore[index]
        return ""

    # -- the structural walk -----------------------------------------------------------------
    def _check_alternatives(self, branches: list[list[tuple[object, object]]],
                            follow: frozenset[str]) -> None:
        """Alternatives inside a repeat: two that can start alike (or both match nothing),
        or one that matches nothing while the others start like what follows. (The parser
        has already factored out common prefixes: ``a|aa`` is ``a(?:|a)``.)"""
        firsts = [self.first(b) for b in branches]
        empty = [self.nullable(b) for b in branches]
        texts = [self._literal(b) for b in branches]
        for j in range(len(branches)):
            for k in range(j + 1, len(branches)):
                shared = firsts[j] & firsts[k]
                if texts[j] is not None and texts[k] is not None:
                    # Two plain strings: ambiguous only if one is the other, or the start
                    # of the other with the rest startable by what follows.
                    short, long = sorted((texts[j], texts[k]), key=len)
                    clash = long == short or (long.startswith(short)
                                              and long[len(short)] in follow)
                    shared = frozenset(long[:1]) if clash and long else frozenset()
                    if not clash:
                        continue
                if shared or (empty[j] and empty[k]):
                    what = f"start with {_pick(shared)!r}" if shared else "match nothing"
                    self.problems.append(
                        f"inside a repeat, two alternatives can both {what}, so a text can "
                        f"match in exponentially many ways; make the alternatives start "
                        f"differently")
                    return
        shared = frozenset().union(*firsts) & follow
        if any(empty) and shared:
            self.problems.append(
                f"inside a repeat, an alternative that can match nothing sits beside one "
                f"that starts like what follows it ({_pick(shared)!r}), so a text can match "
                f"in exponentially many ways; make the alternatives start differently")

    def walk(self, seq: list[tuple[object, object]], follow: frozenset[str],
             loop: _Loop | None, prefix: str) -> None:
        """Check ``seq``, which ``follow`` can come after, inside ``loop`` (or none);
        ``prefix`` is a text that leads up to it (for the measured check)."""
        items = list(seq)
        if all(op in _SIMPLE for op, _ in items):  # characters and anchors: nothing to check
            return
        after = [follow] * (len(items) + 1)
        for i in range(len(items) - 1, -1, -1):
            op, av = items[i]
            after[i] = self.first_item(op, av) | (after[i + 1] if self.nullable_item(op, av)
                                                  else frozenset())
        for i, (op, av) in enumerate(items):
            self._walk_item(op, av, after[i + 1], loop, prefix)
            prefix += self._shortest_item(op, av, False)

    def _literal(self, seq: list[tuple[object, object]]) -> str | None:
        """The text ``seq`` matches when it is a plain string (no classes, no repeats)."""
        if self.ignore_case or any(op is not _c.LITERAL for op, _ in seq):
            return None
        return "".join(chr(av) for _, av in seq)  # type: ignore[arg-type]

    def _walk_item(self, op: object, av: object, follow: frozenset[str], loop: _Loop | None,
                   prefix: str) -> None:
        if op in _REPEATS:
            lo, hi, body = av  # type: ignore[misc]
            body_first = self.first(body)
            if loop is not None and hi > lo:
                overlap = body_first & follow
                if overlap and (hi == _UNBOUNDED or _many(hi - lo + 1, loop)):
                    self.problems.append(
                        f"a repeat inside another repeat can give back text that what follows "
                        f"it also matches (both can take {_pick(overlap)!r}), so one text "
                        f"splits into iterations in exponentially many ways; make each "
                        f"iteration end on something the repeat cannot match, e.g. "
                        r"(?:\S+\s)+ rather than (?:\w+\s?)+")
            iterates = hi >= 2
            if iterates:
                inner = _Loop(unbounded=hi == _UNBOUNDED or (loop is not None and loop.unbounded),
                              most=min(hi * (loop.most if loop else 1), 1 << 30))
                pumps = tuple(dict.fromkeys(
                    p for p in (self.shortest(body) or _pick(body_first),
                                self.shortest(body, fuller=True)) if p))
                if pumps:
                    self.attacks.append((prefix, pumps))
                self.walk(body, body_first | follow, inner, prefix)
            else:
                self.walk(body, follow, loop, prefix)
        elif op is _c.BRANCH:
            branches = av[1]  # type: ignore[index]
            if loop is not None and _many(2, loop):
                self._check_alternatives(branches, follow)
            for branch in branches:
                self.walk(branch, follow, loop, prefix)
        elif op is _c.SUBPATTERN:
            self.walk(av[3], follow, loop, prefix)  # type: ignore[index]
        elif op is _ATOMIC:
            self.walk(av, follow, loop, prefix)  # type: ignore[arg-type]
        elif op in (_c.ASSERT, _c.ASSERT_NOT):
            self.walk(av[1], frozenset(), None, "")  # type: ignore[index]
        elif op is _c.GROUPREF_EXISTS:
            for part in av[1:]:  # type: ignore[index]
                if part:
                    self.walk(part, follow, loop, prefix)


def _many(ways: int, loop: _Loop) -> bool:
    """Whether ``ways`` choices per iteration of ``loop`` make too many ways in all."""
    return loop.unbounded or ways ** loop.most > MAX_BOUNDED_WAYS


def _alphabet(pattern: str, parsed: object) -> tuple[str, ...]:
    """Representative characters: the samples, every literal, every character of small
    ranges (the ends of larger ones)."""
    chars = dict.fromkeys(_SAMPLES)
    chars.update(dict.fromkeys(pattern))

    def visit(seq: object) -> None:
        for op, av in seq:  # type: ignore[attr-defined]
            if op in (_c.LITERAL, _c.NOT_LITERAL):
                chars[chr(av)] = None
            elif op is _c.RANGE:
                lo, hi = av
                span = range(lo, hi + 1) if hi - lo <= 512 else (lo, (lo + hi) // 2, hi)
                chars.update(dict.fromkeys(map(chr, span)))
            elif op is _c.IN:
                visit(av)
            elif op is _c.BRANCH:
                for b in av[1]:
                    visit(b)
            elif op is _c.SUBPATTERN:
                visit(av[3])
            elif op in _REPEATS:
                visit(av[2])
            elif op is _ATOMIC:
                visit(av)
            elif op in (_c.ASSERT, _c.ASSERT_NOT):
                visit(av[1])
            elif op is _c.GROUPREF_EXISTS:
                for part in av[1:]:
                    if part:
                        visit(part)

    visit(parsed)
    return tuple(chars)


def _pick(chars: Iterable[str]) -> str:
    """One character of ``chars``: a letter, digit or space if there is one."""
    pool = set(chars)
    for preferred in "a0 x":
        if preferred in pool:
            return preferred
    return min(pool) if pool else ""


def _measure(compiled: re.Pattern[str], attacks: list[tuple[str, tuple[str, ...]]]
             ) -> str | None:
    """Time ``compiled`` on pumped strings; why it is too slow, or None."""
    tried: set[tuple[str, str, str]] = set()
    for prefix, pumps in attacks:
        for pump in pumps:
            for ending in ENDINGS:
                if (prefix, pump, ending) in tried:
                    continue
                tried.add((prefix, pump, ending))
                for length in LENGTHS:
                    text = prefix + pump * max(1, length // len(pump)) + ending
                    took = _timed(compiled, text)
                    if took > BUDGET_S:  # once more, in case the machine was busy
                        took = min(took, _timed(compiled, text))
                    if took > BUDGET_S:
                        return (f"matching a {len(text)}-character text made to make it "
                                f"backtrack ({(prefix + pump * 3)[:40]!r}...) took "
                                f"{took * 1000:.0f} ms, over the {BUDGET_S * 1000:.0f} ms "
                                f"limit")
    return None


def _timed(compiled: re.Pattern[str], text: str) -> float:
    start = time.perf_counter()
    compiled.match(text)
    return time.perf_counter() - start
