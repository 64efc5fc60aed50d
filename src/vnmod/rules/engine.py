"""Match lexicon rules on normalised posts; every hit becomes located :class:`Evidence`."""

from __future__ import annotations

import math
import re
import unicodedata
from bisect import bisect_right
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import accumulate

import numpy as np

from vnmod.prediction import Evidence
from vnmod.rules import term_keys
from vnmod.rules.lexicon import Lexicon, Rule, load_lexicon
from vnmod.rules.triggers import (
    DIGIT,
    commonness,
    contains_any,
    first_words,
    needles,
    required,
    word_anchored,
)
from vnmod.taxonomy import CATEGORIES
from vnmod.text.money import money_value
from vnmod.text.normalize import Normalised
from vnmod.text.vietnamese import strip_diacritics

_MONEY = re.compile(r"<money>")
_words = term_keys.words
#: Categories whose counter-rules say what a word means here (a literal animal, a unit after
#: a number, 'vl' = vật lý): such a counter-rule caps its category even where no positive
#: rule hit, because the learned components read the same word. The counter-rules of the
#: other categories are hints about the context (a question, a scam warning, 'chính hãng')
#: and cap only where they span every positive rule hit (see RuleEngine.ceilings).
SENSE_COUNTERS = frozenset({"insult", "offensive"})
#: Evidence items listed per rule and post, in text order: enough to read and to highlight,
#: where a 100,000-character post can repeat one word 20,000 times (a spreadsheet cell holds
#: 32,767 characters).
SPANS_PER_RULE = 100
WORD_MEMO_SIZE = 200_000  # words whose candidate patterns are remembered (then forgotten)
#: A pattern's required strings are tested before it is searched when a post holds one of
#: them this seldom or less (:func:`~vnmod.rules.triggers.commonness`: a digit 0.3).
RARE_ENOUGH = 0.3


@dataclass(frozen=True)
class Hit:
    """A rule matched at ``[start, end)`` of the normalised text."""

    rule: Rule
    start: int
    end: int


def _symbols(found: frozenset[str]) -> bool:
    """True if ``found`` are single symbols or :data:`~vnmod.rules.triggers.DIGIT`."""
    return all(n == DIGIT or (len(n) == 1 and not n.isalnum() and not n.isspace())
               for n in found)


def _matches_at(pattern: re.Pattern[str], text: str, words: list[str]) -> list[re.Match[str]]:
    """What ``pattern.finditer(text)`` gives, for a word-anchored pattern whose matches can
    only start where one of ``words`` (the post's words it is looked up by) begins: the pattern
    is tried at each place one of them occurs, in order, instead of at every character."""
    starts: set[int] = set()
    for word in words:
        at = text.find(word)
        while at != -1:
            starts.add(at)
            at = text.find(word, at + 1)
    out: list[re.Match[str]] = []
    end = 0
    for at in sorted(starts):
        if at >= end:
            m = pattern.match(text, at)
            if m is not None:
                out.append(m)
                end = max(m.end(), at + 1)
    return out


class _Triggers:
    """Which patterns could match a post, judged from the words they must start with or, for
    patterns that need not start with a word, the literal text they must start with."""

    def __init__(self, patterns: list[str | None]) -> None:
        self.always: list[int] = []
        self.by_prefix: dict[str, list[int]] = {}
        self.by_needle: list[tuple[int, tuple[str, ...]]] = []
        #: Per pattern, strings (or DIGIT) one of which every match contains, where a post
        #: holds one seldom (a digit, a punctuation mark, a longer string): a candidate whose
        #: post holds none of them is not searched (a substring test instead of a scan).
        self.requires: list[tuple[str, ...] | None] = [None] * len(patterns)
        #: Per pattern, whether its matches start only at the words it is looked up by (see
        #: :func:`~vnmod.rules.triggers.word_anchored`): it is then tried only where they are.
        self.anchored: list[bool] = [False] * len(patterns)
        for k, pattern in enumerate(patterns):
            if pattern is None:
                continue
            needs = required(pattern)
            if needs and commonness(needs) <= RARE_ENOUGH:
                self.requires[k] = tuple(sorted(needs))
            # The words a match starts with (looked up once per distinct word), unless the
            # match must hold a symbol or digit (a few cheap searches, and rare); else the
            # text a match starts with or must contain, whichever a post holds less often.
            words = first_words(pattern)
            found = min((f for f in (needles(pattern), needs) if f),
                        key=commonness, default=None)
            if words is not None and not (found and _symbols(found)):
                for w in words:
                    self.by_prefix.setdefault(w, []).append(k)
                self.anchored[k] = word_anchored(pattern)
            elif found is not None:
                self.by_needle.append((k, tuple(sorted(found))))
            else:
                self.always.append(k)
        self.lengths = sorted({len(w) for w in self.by_prefix})

        self._by_word: dict[str, tuple[int, ...]] = {}  # memo of _word_patterns

    def _word_patterns(self, word: str) -> tuple[int, ...]:
        """Patterns that may start at ``word`` (memoised: words recur from post to post)."""
        hits = self._by_word.get(word)
        if hits is None:
            found: set[int] = set()
            for n in self.lengths:
                if n > len(word):
                    break
                found.update(self.by_prefix.get(word[:n], ()))
            hits = tuple(found)
            if len(self._by_word) >= WORD_MEMO_SIZE:
                self._by_word.clear()
            self._by_word[word] = hits
        return hits

    def candidates(self, words: list[str], text: str,
                   starting: dict[int, list[str]] | None = None) -> list[int]:
        """Patterns that may match ``text``, whose words are ``words``; ``starting``, if
        given, receives the words each pattern looked up by its words may start at."""
        found = set(self.always)
        digit: bool | None = None  # whether text holds a digit, looked up once if needed
        for k, ns in self.by_needle:  # contains_any, inlined: a dozen patterns per post
            for n in ns:
                if n == DIGIT:
                    if digit is None:
                        digit = contains_any(text, (DIGIT,))
                    if digit:
                        found.add(k)
                        break
                elif n in text:
                    found.add(k)
                    break
        memo = self._by_word
        for word in set(words):
            hits = memo.get(word)
            if hits is None:
                hits = self._word_patterns(word)
            if hits:
                found.update(hits)
                if starting is not None:
                    for k in hits:
                        starting.setdefault(k, []).append(word)
        return sorted(found)

    def searched(self, words: list[str], text: str,
                 starting: dict[int, list[str]] | None = None) -> Iterator[int]:
        """The :meth:`candidates` whose required strings ``text`` holds."""
        requires = self.requires
        digit: bool | None = None
        for k in self.candidates(words, text, starting):
            needs = requires[k]
            if needs is not None:
                for n in needs:
                    if n == DIGIT:
                        if digit is None:
                            digit = contains_any(text, (DIGIT,))
                        if digit:
                            break
                    elif n in text:
                        break
                else:
                    continue
            yield k


class _TermTrie:
    """Term keys (tuples of words) in a trie of dicts, so that the terms starting at a word are
    found by walking forward from it, one lookup per word, whatever the terms' lengths.

    A node is ``[children, exact rules, rules matched without diacritics]``.
    """

    def __init__(self) -> None:
        self.root: dict[str, list] = {}

    def add(self, key: tuple[str, ...], rule: Rule, *, loose: bool) -> None:
        children = self.root
        node: list = []
        for word in key:
            node = children.setdefault(word, [{}, [], []])
            children = node[0]
        node[2 if loose else 1].append(rule)

    def matches(self, words: list[str]) -> Iterator[tuple[int, int, list[Rule], list[Rule]]]:
        """``(i, n, exact, loose)`` for each key ``words[i:i + n]`` with rules."""
        root = self.root
        for i, word in enumerate(words):
            node = root.get(word)  # most words start no term: one lookup
            j = i
            while node is not None:
                if node[1] or node[2]:
                    yield i, j - i + 1, node[1], node[2]
                j += 1
                if j == len(words):
                    break
                node = node[0].get(words[j])


class RuleEngine:
    """Find rule hits and turn them into per-category scores.

    A category's score is ``sigmoid(bias + sum of the weights of the rules that hit)``, each
    rule counted once however often it matches. Cue rules (contact details, selling words)
    count only when a non-cue rule of the same category hit; negative weights are
    counter-evidence (news of a crackdown, a warning about a scam).
    """

    def __init__(self, lexicon: Lexicon | None = None) -> None:
        self.lexicon = lexicon if lexicon is not None else load_lexicon()
        self._stored_keys = term_keys.shipped()
        self._exact: dict[tuple[str, ...], list[Rule]] = {}
        self._ascii: dict[tuple[str, ...], list[Rule]] = {}
        self._patterns: list[tuple[Rule, re.Pattern[str], re.Pattern[str] | None]] = []
        self._unless: dict[str, tuple[frozenset[str], frozenset[str]]] = {}
        self.max_words = 1
        for rule in self.lexicon.rules:
            self._index(rule)
        self._terms = _TermTrie()
        for table, loose in ((self._exact, False), (self._ascii, True)):
            for key, rules in table.items():
                for rule in rules:
                    self._terms.add(key, rule, loose=loose)
        self._exact_triggers = _Triggers([p.pattern for _, p, _ in self._patterns])
        self._ascii_triggers = _Triggers([s.pattern if s is not None else None
                                          for _, _, s in self._patterns])

    def _term_key(self, term: str) -> tuple[str, ...]:
        key = self._stored_keys.get(term)
        return key if key is not None else term_keys.compute(term)

    def _index(self, rule: Rule) -> None:
        def words(items: tuple[str, ...]) -> frozenset[str]:
            out: set[str] = set()
            for item in items:
                for w in self._term_key(item):
                    out.update((w, strip_diacritics(w)))
            return frozenset(out)

        if rule.unless_next or rule.unless_prev:
            self._unless[rule.id] = (words(rule.unless_prev), words(rule.unless_next))
        if rule.kind == "pattern":
            pat: str = rule.pattern or ""
            exact = re.compile(pat)
            ascii_re: re.Pattern[str] | None = None
            if rule.ascii != "never":
                ascii_re = re.compile(strip_diacritics(pat))
            self._patterns.append((rule, exact, ascii_re))
            return
        for term in rule.terms:
            key = self._term_key(term)
            if not key:
                continue
            self.max_words = max(self.max_words, len(key))
            self._exact.setdefault(key, []).append(rule)
            stripped = tuple(strip_diacritics(w) for w in key)
            # A term without diacritics is its own ascii form; the exact entry covers it.
            if rule.ascii != "never" and stripped != key:
                self._ascii.setdefault(stripped, []).append(rule)

    def _blocked(self, rule: Rule, words: list[str], i: int, j: int) -> bool:
        unless = self._unless.get(rule.id)
        if unless is None:
            return False
        prev, nxt = unless
        if i > 0 and words[i - 1] in prev:
            return True
        return j < len(words) and words[j] in nxt

    def _blocked_at(self, rule: Rule, text: str, a: int, b: int) -> bool:
        """:meth:`_blocked` for a pattern's match ``text[a:b]``: the words just before and
        after it (looked at within a few dozen characters)."""
        before, after = _words(text[max(0, a - 64):a])[-1:], _words(text[b:b + 64])[:1]
        return self._blocked(rule, before + after, len(before), len(before))

    def hits(self, doc: Normalised) -> list[Hit]:
        """Every rule hit in ``doc``, in text order."""
        words = _words(doc.text)  # located (spans) only where a term hits
        spans: list[tuple[int, int]] = []
        found: dict[tuple[str, int, int], Hit] = {}
        walks = [(words, False)]
        if doc.unaccented:
            # The diacritics put back on a post typed without them may be wrong ('ban stk'
            # -> 'bạn số tài khoản'): terms allowed without diacritics are also looked up in
            # the words as typed, stripped.
            stripped = [strip_diacritics(w) for w in words]
            if stripped != words:
                walks.append((stripped, True))
        blocked, unless, unaccented = self._blocked, self._unless, doc.unaccented
        for walk, stripped_walk in walks:
            for i, n, exact, loose in self._terms.matches(walk):
                if not spans:  # terms hit few posts: words are located only then
                    spans = term_keys.spans(doc.text)
                a, b = spans[i][0], spans[i + n - 1][1]
                for rules, via_ascii in ((exact, stripped_walk), (loose, True)):
                    for rule in rules:
                        key = (rule.id, a, b)
                        if key in found:
                            continue
                        if via_ascii:  # matched without diacritics: does the rule allow it?
                            # 'auto': a term of several words always, one word only in a
                            # post typed without diacritics or in a disguised span.
                            mode = rule.ascii
                            if mode == "auto":
                                mode = "always" if n > 1 else "unaccented"
                            if mode != "always" and not (mode == "unaccented" and (
                                    unaccented or doc.is_obfuscated(a, b))):
                                continue
                        if rule.id in unless and blocked(rule, walk, i, i + n):
                            continue
                        found[key] = Hit(rule, a, b)
        text = doc.text
        # A '<' may open a run of letters that the words hide ('<abc>' is one word), so
        # anchored patterns are tried at their words (gathered in ``starting``) only in a text
        # without one.
        starting: dict[int, list[str]] | None = {} if "<" not in text else None
        anchored = self._exact_triggers.anchored
        for k in self._exact_triggers.searched(words, text, starting):
            rule, exact_re, _ = self._patterns[k]
            matches = (_matches_at(exact_re, text, starting[k])
                       if starting is not None and anchored[k] else exact_re.finditer(text))
            for m in matches:
                if m.end() > m.start() and not (
                        rule.id in unless and self._blocked_at(rule, text, *m.span())):
                    found.setdefault((rule.id, *m.span()), Hit(rule, *m.span()))
        if doc.unaccented:
            for k in self._ascii_triggers.searched([strip_diacritics(w) for w in words],
                                                   doc.ascii):
                rule, _, ascii_re = self._patterns[k]
                assert ascii_re is not None
                for m in ascii_re.finditer(doc.ascii):
                    if m.end() > m.start() and not (
                            rule.id in unless and self._blocked_at(rule, doc.ascii, *m.span())):
                        found.setdefault((rule.id, *m.span()), Hit(rule, *m.span()))
        if any(h.rule.max_price is not None for h in found.values()):
            found = _priced(doc, found)
        return sorted(found.values(), key=lambda h: (h.start, h.end, h.rule.id))

    def score(self, hits: Sequence[Hit]) -> tuple[np.ndarray, list[Hit]]:
        """Per-category scores (``CATEGORIES`` order) and the hits that counted towards them.

        Hits of rules that another hit's rule ``cancels`` are dropped first, then cue hits
        without a non-cue positive hit in their category.
        """
        cancelled = {target for h in hits for target in h.rule.cancels}
        if cancelled:
            hits = [h for h in hits if h.rule.id not in cancelled]
        anchored = {h.rule.category for h in hits if h.rule.weight > 0 and not h.rule.cue}
        counted = [h for h in hits if not h.rule.cue or h.rule.category in anchored]
        totals = dict.fromkeys(CATEGORIES, 0.0)
        for rule in {h.rule.id: h.rule for h in counted}.values():
            totals[rule.category] += rule.weight
        scores = np.array([1.0 / (1.0 + math.exp(-(self.lexicon.bias[c] + totals[c])))
                           for c in CATEGORIES])
        return scores, counted

    def floors(self, doc: Normalised, hits: Sequence[Hit], scores: np.ndarray) -> np.ndarray:
        """Per category, the least final score the counted ``hits`` guarantee.

        A rule with a ``floor`` (strong profanity) keeps its category at or above that score,
        so no learned component can overrule it, but only where the rules' own score for the
        category is at least 0.5 (a counter-rule that hit lifts the floor). A hit whose
        original span differs from the matched text (an abbreviation or teencode expanded
        during normalisation) gets the category's lower ``abbreviated_floor``.
        """
        out = np.zeros(len(CATEGORIES))
        for h in hits:
            k = CATEGORIES.index(h.rule.category)
            if h.rule.floor <= out[k] or scores[k] < 0.5:  # nothing to raise
                continue
            floor = h.rule.floor
            s, e = doc.to_original(h.start, h.end, marks=False)  # the letters as written
            if unicodedata.normalize("NFC", doc.original[s:e].lower()) != doc.text[h.start:h.end]:
                floor = min(floor, self.lexicon.abbreviated_floor.get(h.rule.category, floor))
            out[k] = max(out[k], floor)
        return out

    def ceilings(self, doc: Normalised, hits: Sequence[Hit] = ()) -> np.ndarray:
        """Per category, the most a final score may be (1 where nothing limits it).

        0 for a category whose ``min_letters`` the post does not reach. Where a counter-rule
        (negative weight) of a category is among the counted ``hits`` and explains the post
        away, the ceiling is the rules' score of the counter-evidence alone,
        ``sigmoid(bias + counter weights)``: below any threshold, so no learned component can
        flag what the rules have explained. A counter-rule explains the post away when every
        positive non-cue hit of its category lies inside the span of one of the category's
        counter-rules ('thi vl' = vật lý, 'xe 110 cc'), and, in the categories of
        :data:`SENSE_COUNTERS`, also when there is no positive hit at all ('con bò nhà bác').
        A positive hit outside every counter span ('con bò nhà bác ... thằng con bác ngu như
        bò') leaves the category uncapped.
        """
        out = np.ones(len(CATEGORIES))
        self._counter_ceilings(hits, out)
        if self.lexicon.min_letters:
            need, letters = max(self.lexicon.min_letters.values()), 0
            for ch in doc.original:  # stops as soon as every minimum is met
                if ch.isalpha():
                    letters += 1
                    if letters >= need:
                        break
            for cat, least in self.lexicon.min_letters.items():
                if letters < least:
                    out[CATEGORIES.index(cat)] = 0.0
        return out

    def _counter_ceilings(self, hits: Sequence[Hit], out: np.ndarray) -> None:
        counters: dict[str, list[Hit]] = {}
        for h in hits:
            if h.rule.weight < 0:
                counters.setdefault(h.rule.category, []).append(h)
        for cat, against in counters.items():
            positive = [h for h in hits
                        if h.rule.category == cat and h.rule.weight > 0 and not h.rule.cue]
            if not positive and cat not in SENSE_COUNTERS:
                continue
            if not _all_covered([(h.start, h.end) for h in positive],
                                [(c.start, c.end) for c in against]):
                continue
            total = sum({h.rule.id: h.rule.weight for h in against}.values())
            k = CATEGORIES.index(cat)
            out[k] = min(out[k], 1.0 / (1.0 + math.exp(-(self.lexicon.bias[cat] + total))))

    def evidence(self, doc: Normalised, hits: Sequence[Hit]) -> list[Evidence]:
        """Hits as :class:`Evidence` located in the original text: the first
        :data:`SPANS_PER_RULE` of each rule (a long post may repeat a word thousands of times;
        the scores count every hit)."""
        out = []
        per_rule: dict[str, int] = {}
        for h in hits:
            rule = h.rule
            shown = per_rule.get(rule.id, 0)
            if shown == SPANS_PER_RULE:
                continue
            per_rule[rule.id] = shown + 1
            s, e = doc.to_original(h.start, h.end)
            out.append(Evidence(s, e, doc.original[s:e], rule.category, rule.id, rule.weight))
        return out


def _priced(doc: Normalised, found: dict[tuple[str, int, int], Hit]
            ) -> dict[tuple[str, int, int], Hit]:
    """Keep a ``max_price`` rule's hits only where the post names a price at or under it, and
    add the nearest such price as a hit of the same rule (the evidence of 'at a fraction of
    the price')."""
    prices = []
    for m in _MONEY.finditer(doc.text):
        s, e = doc.to_original(*m.span(), marks=False)
        value = money_value(doc.original[s:e])
        if value is not None:
            prices.append((m.start(), m.end(), value))
    cheap_by_cap: dict[float, list[tuple[int, int]]] = {}  # in text order
    out: dict[tuple[str, int, int], Hit] = {}
    for key, h in found.items():
        cap = h.rule.max_price
        if cap is None:
            out.setdefault(key, h)
            continue
        cheap = cheap_by_cap.get(cap)
        if cheap is None:
            cheap = cheap_by_cap[cap] = [(a, b) for a, b, v in prices if v <= cap]
        if not cheap:
            continue
        out.setdefault(key, h)
        # The nearest cheap price: the last one starting before the hit or the first after.
        k = bisect_right(cheap, (h.start, h.end))
        near = [cheap[j] for j in (k - 1, k) if 0 <= j < len(cheap)]
        a, b = min(near, key=lambda span: max(span[0] - h.end, h.start - span[1], 0))
        out.setdefault((h.rule.id, a, b), Hit(h.rule, a, b))
    return out


def _all_covered(spans: list[tuple[int, int]], covers: list[tuple[int, int]]) -> bool:
    """True if each span lies inside some cover: one sort and a running maximum of the ends,
    O((n + m) log m), where a pairwise check is quadratic on long posts."""
    if not spans:
        return True
    covers = sorted(covers)
    starts = [a for a, _ in covers]
    reach = list(accumulate((b for _, b in covers), max))
    for a, b in spans:
        k = bisect_right(starts, a)
        if not k or reach[k - 1] < b:
            return False
    return True
