"""Put the diacritics back on a post typed without them: 'may la thang ngu' -> 'mày là thằng
ngu'.

Each syllable typed without marks may stand for any syllable that strips to it ('la' is 'la',
'là', 'lá', 'lạ'...). The most likely sequence is chosen by a syllable bigram model (Viterbi)
counted on the accented posts of the public corpora's training splits
(``resources/syllable_bigrams.tsv``, built by ``data/diacritics/build_bigrams.py``), smoothed
towards each syllable's own frequency. A word that is no syllable, or that already carries a
mark, is left as it is and ends the context. Every rewrite is letter for letter (an accented
letter is one character, as its bare form), so offsets are unchanged.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable
from functools import lru_cache
from itertools import pairwise

from vnmod._resources import read_lines, read_tsv
from vnmod.text.vietnamese import has_diacritics, strip_diacritics

BIGRAM_WEIGHT = 0.8  # interpolation: bigram estimate vs the syllable's own frequency
MAX_CANDIDATES = 8  # accented forms kept per bare syllable, most frequent first


class _Model:
    """Costs (-log probabilities) of each syllable after another.

    The totals per syllable (``syllable_bigram_totals.tsv``, written with the pairs) are read
    at once; the pairs after a syllable are looked up in the sorted pair file the first time
    that syllable comes before another, so a process pays only for the contexts it meets.
    """

    def __init__(self) -> None:
        unigram: dict[str, int] = {}
        following: dict[str, int] = {}
        for word, second, first in read_tsv("syllable_bigram_totals.tsv"):
            unigram[word], following[word] = int(second), int(first)
        total = sum(unigram.values()) or 1
        forms: dict[str, list[str]] = defaultdict(list)
        for word in sorted(unigram, key=lambda w: -unigram[w]):
            forms[strip_diacritics(word)].append(word)
        self.forms = {k: v[:MAX_CANDIDATES] for k, v in forms.items()}
        self.p1 = {w: max(n / total, 0.5 / total) for w, n in unigram.items()}
        #: -log P(w) (no context), and -log of the interpolation with no pair seen.
        self.alone = {w: -math.log(p) for w, p in self.p1.items()}
        self.unseen = {w: -math.log((1 - BIGRAM_WEIGHT) * p) for w, p in self.p1.items()}
        self.index = {w: i for forms_of in self.forms.values() for i, w in enumerate(forms_of)}
        self.following = following
        self.has_followers = frozenset(a for a, n in following.items() if n)
        self._pairs = read_lines("syllable_bigrams.tsv")  # 'a\tb\tcount', sorted
        self._after: dict[str, dict[str, list[tuple[int, float]]]] = {}

    def after(self, a: str) -> dict[str, list[tuple[int, float]]]:
        """-log P(b | a) for each pair seen after ``a``, as ``{bare b: [(index of b among the
        forms of bare b, cost)]}`` (each cost below ``unseen[b]``); remembered."""
        found = self._after.get(a)
        if found is not None:
            return found
        found = {}
        key, lines = a + "\t", self._pairs
        # Tab sorts before every letter, so the lines of ``a`` are one block in sorted order.
        i = bisect_left(lines, key)
        while i < len(lines) and lines[i].startswith(key):
            _, b, count = lines[i].split("\t")
            i += 1
            if b in self.index:
                found.setdefault(strip_diacritics(b), []).append(
                    (self.index[b], -math.log(BIGRAM_WEIGHT * int(count) / self.following[a]
                                              + (1 - BIGRAM_WEIGHT) * self.p1[b])))
        self._after[a] = found
        return found

    def first(self, prev: str | None, bare: str) -> list[float]:
        """-log P(form | prev), interpolated with P(form), for each form of ``bare``."""
        forms = self.forms[bare]
        if prev is None or prev not in self.has_followers:
            return [self.alone[form] for form in forms]
        costs = [self.unseen[form] for form in forms]
        for j, c in self.after(prev).get(bare, ()):
            costs[j] = c
        return costs


def bigram_totals(pairs: Iterable[tuple[str, str, str | int]]) -> list[tuple[str, int, int]]:
    """``(syllable, count as the second of a pair, count as the first)`` for every syllable of
    ``pairs`` (rows of ``syllable_bigrams.tsv``), in the order each is first met (second
    before first in a row): the model's order among syllables of equal count."""
    second: dict[str, int] = {}
    first: dict[str, int] = {}
    for a, b, c in pairs:
        second[b] = second.get(b, 0) + int(c)
        second.setdefault(a, 0)
        first[a] = first.get(a, 0) + int(c)
    return [(w, n, first.get(w, 0)) for w, n in second.items()]


@lru_cache(maxsize=1)
def _model() -> _Model:
    return _Model()


def candidates(word: str) -> list[str]:
    """The accented syllables ``word`` may stand for, most frequent first ([] if none)."""
    return _model().forms.get(word, [])


def likeliest(forms: list[str], prev: str | None, *, seen: bool = False) -> str | None:
    """Of ``forms`` (accented syllables), the likeliest after the word ``prev`` (None: at the
    start of a context) under the bigram model; None if the model knows none of them (with
    ``seen``, none that the corpora write after ``prev``). Ties go to the earlier form."""
    model = _model()
    if seen and prev not in model.has_followers:
        return None  # no pair of the corpora starts with prev
    best, best_cost = None, math.inf
    for form in forms:
        bare = strip_diacritics(form)
        known = model.forms.get(bare, [])
        if form not in known:
            continue
        cost = model.first(prev, bare)[known.index(form)]
        # After a word with pairs, a pair seen costs less than one never seen.
        if seen and not cost < model.unseen[form]:
            continue
        if cost < best_cost:
            best, best_cost = form, cost
    return best


def restore(words: list[str]) -> list[str]:
    """``words`` (lower case, in order, one context) with marks put back where they were
    missing; a word that carries marks or is no known bare syllable stays and resets the
    context."""
    model = _model()
    out = list(words)
    i = 0
    while i < len(words):
        if has_diacritics(words[i]) or not model.forms.get(words[i]):
            i += 1
            continue
        j = i
        while j < len(words) and not has_diacritics(words[j]) and model.forms.get(words[j]):
            j += 1
        prev = words[i - 1] if i > 0 and has_diacritics(words[i - 1]) else None
        out[i:j] = _viterbi(model, words[i:j], prev)
        i = j
    return out


def _viterbi(model: _Model, words: list[str], prev: str | None) -> list[str]:
    """The cheapest accented reading of a run of bare syllables after ``prev``.

    A pair never seen costs the same whatever came before (``unseen``), so each form starts
    from the cheapest way in through an unseen pair and is then checked against the pairs seen.
    Ties go to the earlier form, as a plain scan of every pair would."""
    layer = model.first(prev, words[0])
    back: list[list[int]] = []
    unseen, alone = model.unseen, model.alone
    has_followers = model.has_followers
    for before, word in pairwise(words):
        lasts, targets = model.forms[before], model.forms[word]
        followed = [k for k, last in enumerate(lasts) if last in has_followers]
        if followed:
            k0 = min(followed, key=layer.__getitem__)
            best = [layer[k0] + unseen[form] for form in targets]
            ptr = [k0] * len(targets)
        else:
            best, ptr = [math.inf] * len(targets), [0] * len(targets)
        for k, (last, c) in enumerate(zip(lasts, layer, strict=True)):
            if last in has_followers:
                steps = model.after(last).get(word, ())
            else:
                steps = [(j, alone[form]) for j, form in enumerate(targets)]
            for j, step in steps:
                total = c + step
                if total < best[j] or (total == best[j] and k < ptr[j]):
                    best[j], ptr[j] = total, k
        layer = best
        back.append(ptr)
    k = layer.index(min(layer))
    path = [k]
    for ptr in reversed(back):
        k = ptr[k]
        path.append(k)
    return [model.forms[w][i] for w, i in zip(words, reversed(path), strict=True)]
