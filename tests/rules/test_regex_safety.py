"""Rule patterns that can backtrack catastrophically are refused when a lexicon is loaded
(issue #9, item 2)."""

from __future__ import annotations

import time

import pytest

from vnmod.rules.lexicon import load_lexicon
from vnmod.rules.regex_safety import UnsafePatternError, check_pattern, problem


@pytest.mark.parametrize("pattern", [
    r"(?:\w+\s?)+$",  # the tester's: a 47-character post took 7.6 s
    r"(a+)+",
    r"(a+)+$",
    r"(a*)*b",
    r"(?:a?a)+$",
    r"(.*a){12}",
    r"(?:\w+){0,2}$",
    r"(a|a)*$",
    r"(a|aa)+$",
    r"(?:\d+|x)+$",
    r"\b(?:nghe nói)\s(?:\w+\s?)+$",
])
def test_nested_ambiguous_repeats_are_refused(pattern):
    start = time.perf_counter()
    assert problem(pattern) is not None
    assert time.perf_counter() - start < 2


def test_slow_pattern_without_nesting_is_refused_by_measurement():
    reason = problem(r"\w+\w+\w+x")  # cubic: no nested repeat, caught by the timing
    assert reason is not None and "ms" in reason


@pytest.mark.parametrize("pattern", [
    r"(?:\S+\s){0,3}?",
    r"\b(?:thằng|con)\s(?:\S+\s){0,3}?(?:ngu|đần)\b",
    r"(?:\s\S+){0,6}?\s(?:là|sẽ)",
    r"(?:\s*(?:❄|🍬|🌿)\ufe0f?)+",
    r"(?:(?:là|thật là|thì)\s){0,2}ngu",
    r"(?:x|xy|xyz)+$",
    r"(?:ab|a)+$",
    r"(?:a+b)+$",
    r"(\d|\w)+$",
    r"!{3,}",
])
def test_safe_patterns_pass(pattern):
    assert problem(pattern) is None


def test_every_shipped_pattern_passes():
    lexicon = load_lexicon()  # raises if any shipped pattern is refused
    patterns = [r.pattern for r in lexicon.rules if r.kind == "pattern"]
    assert patterns
    assert [p for p in patterns if problem(p) is not None] == []


def test_refusal_names_the_file_rule_and_pattern(tmp_path):
    (tmp_path / "insult.toml").write_text(
        'category = "insult"\n\n[[rule]]\nid = "insult.test.evil"\nkind = "pattern"\n'
        "pattern = '(?:\\w+\\s?)+$'\nweight = 3.0\n", encoding="utf-8")
    with pytest.raises(UnsafePatternError) as caught:
        load_lexicon(tmp_path)
    message = str(caught.value)
    assert str(tmp_path / "insult.toml") in message
    assert "'insult.test.evil'" in message
    assert r"pattern '(?:\w+\s?)+$'" in message
    assert isinstance(caught.value, ValueError)


def test_the_pattern_without_diacritics_is_checked_too():
    # 'à' and 'a' are different characters; stripped, the alternatives are the same.
    pattern = r"(?:à|a)+$"
    check_pattern(pattern)
    with pytest.raises(UnsafePatternError, match="without diacritics"):
        check_pattern(pattern, ascii_variant=True)
