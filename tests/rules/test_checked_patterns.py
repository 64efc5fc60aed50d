"""The stored safety verdicts of the shipped patterns: current, used, and never trusted stale."""

import json

import pytest

from vnmod.rules import checked_patterns, load_lexicon, regex_safety
from vnmod.text.vietnamese import strip_diacritics


def test_every_shipped_pattern_is_stored_as_checked_by_this_checker():
    content = json.loads(checked_patterns._file().read_text(encoding="utf-8"))
    assert content["checker"] == checked_patterns.checker_hash(), (
        "src/vnmod/resources/safe_patterns.json is stale (vnmod/rules/regex_safety.py or the "
        "Python version changed): run python data/rules/build_safe_patterns.py")
    safe = checked_patterns.stored_safe()
    for rule in load_lexicon().rules:
        if rule.kind == "pattern":
            assert rule.pattern in safe, f"{rule.id}: run data/rules/build_safe_patterns.py"
            if rule.ascii != "never":
                assert strip_diacritics(rule.pattern) in safe, rule.id
    assert all(regex_safety.problem(p) is None for p in sorted(safe)[:20])


def test_a_stored_pattern_is_not_checked_again(monkeypatch):
    def refuse(pattern, **kwargs):
        raise AssertionError(f"checked again: {pattern}")

    monkeypatch.setattr(regex_safety, "check_pattern", refuse)
    assert load_lexicon().rules  # every shipped pattern is stored: none is checked
    with pytest.raises(AssertionError, match="checked again"):
        checked_patterns.check("(?:gà|vịt)+ con", where="test", ascii_variant=False)


def test_a_verdict_from_another_checker_is_ignored(monkeypatch, tmp_path):
    unsafe = r"(?:\w+\s?)+$"
    stale = tmp_path / "safe_patterns.json"
    stale.write_text(json.dumps({"checker": "0" * 64, "patterns": [unsafe]}), encoding="utf-8")
    monkeypatch.setattr(checked_patterns, "_file", lambda: stale)
    checked_patterns.stored_safe.cache_clear()
    try:
        assert checked_patterns.stored_safe() == frozenset()
        with pytest.raises(regex_safety.UnsafePatternError):
            checked_patterns.check(unsafe, where="test", ascii_variant=False)
    finally:
        checked_patterns.stored_safe.cache_clear()
