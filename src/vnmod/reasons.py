"""What counts as a reason a person can read.

A flag must point at something in the post that a moderator can read and judge. An
:class:`~vnmod.prediction.Evidence` item is such a reason (:func:`readable`) when it has a
positive weight, its ``text`` is exactly ``original[start:end]``, and

- it comes from a lexicon rule (``source == "rules"``): the rule is named and documented, so
  even an emoji or a ``<phone>`` it matched says why; or
- it comes from a learned component (a linear n-gram ``linear:<n-gram>``) and both the n-gram
  and the quoted text hold at least one *word*: a run of word characters with two letters or
  more that is not a placeholder (``<phone>``, ``<url>``, ...) and not a unit of measurement
  after a number (``120 cm``, ``110cc``, ``2 kg``). A digit, a punctuation mark, a single
  letter, a bare link or phone number, or the ``cm`` of ``120 cm`` is not a reason.

:func:`short_reason` writes a prediction's reasons as one line (the ``reason`` column of
:meth:`~vnmod.Classifier.predict_frame`, the ``reason:`` line of ``vnmod classify``).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from vnmod.prediction import Evidence

#: Units of measurement: after a number they are a quantity, never slang or profanity
#: (``cm`` is also chat shorthand for a curse, ``cc`` for an obscenity).
UNITS = frozenset({
    "mm", "cm", "m", "km", "inch", "ft", "mét", "met",
    "mg", "g", "gr", "gram", "gam", "kg", "ký", "ki", "lạng", "tạ", "tấn", "yến",
    "ml", "l", "lít", "lit", "cc", "oz",
    "kb", "mb", "gb", "tb", "mah", "w", "kw", "kwh", "v", "hz", "khz", "mhz", "ghz",
})
_TOKEN = re.compile(r"<[a-z]+>|\w+")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_GLUED = re.compile(r"\d+(?:[.,]\d+)*(" + "|".join(sorted(UNITS, key=len, reverse=True)) + ")")


def _letters(token: str) -> int:
    return sum(ch.isalpha() for ch in token)


def _number_before(text: str, end: int) -> bool:
    """True if ``text[:end]`` ends in a digit, give or take whitespace (a unit may follow);
    read backwards from ``end``, not copied (a post may cite many spans)."""
    while end > 0 and text[end - 1].isspace():  # str.isspace and str.isdecimal are what \s
        end -= 1                                # and \d mean in re
    return end > 0 and text[end - 1].isdecimal()


@lru_cache(maxsize=65536)
def _feature_words(feature: str) -> bool:
    """True if a learned n-gram holds a word (the same n-grams recur from post to post)."""
    return bool(_words(feature))


@lru_cache(maxsize=65536)
def _span_words(text: str, after_number: bool) -> bool:
    """True if a quoted span holds a word (the same spans recur from post to post)."""
    return bool(_words(text, after_number))


def _words(text: str, after_number: bool = False) -> list[str]:
    """The words of ``text`` (see the module docstring); ``after_number``: the text before it
    ends in a number, so a unit at its start is a quantity, not a word."""
    out = []
    prev_number = after_number
    for tok in _TOKEN.findall(text):
        if tok.isalpha():  # no digit: neither a number nor an amount with its unit
            if len(tok) >= 2 and not (prev_number and tok.lower() in UNITS):
                out.append(tok)
            prev_number = False
            continue
        low = tok.lower()
        unit = (prev_number and low in UNITS) or _GLUED.fullmatch(low) is not None
        if not tok.startswith("<") and _letters(tok) >= 2 and not unit:
            out.append(tok)
        prev_number = _NUMBER.fullmatch(tok) is not None
    return out


def readable(evidence: Evidence, original: str | None) -> bool:
    """True if ``evidence`` is a reason a person can read in the post ``original``."""
    e = evidence
    if original is None or not e.weight > 0:
        return False
    if not 0 <= e.start < e.end <= len(original) or original[e.start:e.end] != e.text:
        return False
    if e.source == "rules":
        return True
    feature = e.rule.split(":", 1)[1] if ":" in e.rule else e.text
    return _feature_words(feature) and _span_words(e.text, _number_before(original, e.start))


def rule_backed(evidence: list[Evidence]) -> set[str]:
    """The categories a lexicon rule found a sign of (a rule hit with a positive weight): a
    flag of any other category rests on learned n-grams alone."""
    return {e.category for e in evidence if e.source == "rules" and e.weight > 0}


def _quote(text: str, limit: int = 40) -> str:
    text = " ".join(text.split())
    return '"' + (text if len(text) <= limit else text[:limit - 1] + "…") + '"'


def _source(e: Evidence) -> str:
    if e.source == "rules":
        return e.rule
    feature = e.rule.split(":", 1)[1] if ":" in e.rule else ""
    model = f"{e.source} model"
    return f"{model}, n-gram {feature!r}" if feature and feature != e.text else model


def short_reason(prediction: Any, per_label: int = 2) -> str:
    """A one-line reason for a prediction's flags, for people and tables.

    For each flagged category (highest score first), its strongest readable evidence spans
    (rules before learned n-grams, heavier first, at most ``per_label``, a span inside one
    already shown skipped) with the rule that matched, e.g.
    ``offensive: "ĐM" (offensive.profanity.du); insult: "thằng ngu" (insult.target...)``.
    ``""`` for a post without flags. Used by :meth:`Prediction.reason`,
    :meth:`~vnmod.Classifier.predict_frame` and ``vnmod classify``.
    """
    p = prediction
    parts = []
    for cat in sorted(p.labels, key=lambda c: -p.scores.get(c, 0.0)):
        found = [e for e in p.evidence if e.category == cat]
        found.sort(key=lambda e: (e.source != "rules", -e.weight, -(e.end - e.start)))
        shown: list[Evidence] = []
        for e in found:  # readable ones only, judged as far as they are needed
            if len(shown) == per_label:
                break
            if not readable(e, p.text) or any(s.start <= e.start and e.end <= s.end
                                               for s in shown):
                continue
            shown.append(e)
        parts.append(f"{cat}: " + ", ".join(f"{_quote(e.text)} ({_source(e)})" for e in shown))
    return "; ".join(parts)
