import glob
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vnmod.rules.engine import RuleEngine, _matches_at, _words
from vnmod.rules.triggers import contains_any, first_words, required, word_anchored
from vnmod.text.normalize import normalise

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(("pattern", "expected"), [
    (r"\b(?:bán|cung cấp)\s(?:\S+\s){0,3}?ma túy", {"bán", "cung"}),
    (r"(?<!vé )\btàu\s(?:nhanh|chậm)", {"tàu"}),
    (r"\bvay\s<money>", {"vay"}),
    (r"<phone>", None),
    (r"\b(?:chỉ\s)?\d+\s?%", None),
    (r"(?:!{3,}|‼)", None),
    # Words are runs of letters and digits: "100%" is found through the word "100".
    (r"\b(?:uy tín|100%)\s(?:không|ko)\slừa", {"uy", "100"}),
    (r"\ba_b", {"a"}),
])
def test_first_words(pattern, expected):
    got = first_words(pattern)
    assert (None if got is None else set(got)) == expected


@pytest.mark.parametrize(("pattern", "expected"), [
    (r"\b(?:bán|cung cấp)\s(?:\S+\s){0,3}?ma túy", True),
    (r"\bvay\s<money>", True),
    (r"(?<!vé )\btàu\s(?:nhanh|chậm)", False),  # starts with a lookbehind, not a boundary
    (r"(?:bán|mua)\s", False),  # may start inside a word ('xbán')
    (r"\b(?:chỉ\s)?\d+\s?%", False),  # no first words
    (r"\b<phone>", False),
])
def test_word_anchored(pattern, expected):
    assert word_anchored(pattern) is expected


_ENGINE = RuleEngine()
_ANCHORED = [k for k, a in enumerate(_ENGINE._exact_triggers.anchored) if a]
# The words anchored patterns start with, glued to letters and digits on either side too.
_STARTS = sorted({w for k in _ANCHORED for w in first_words(_ENGINE._patterns[k][1].pattern)})
_PIECE = st.one_of(st.sampled_from(_STARTS), st.sampled_from(["x", "1", "_", "đ", "ông"]),
                   st.text(alphabet="aăâbcdđeêghiklmnoôơpqrstuưvxy àáạếộ.,!?-_'/", max_size=4))


# Matches of the anchored patterns themselves (hypothesis writes them from the regexes), so
# that texts hold matches, overlapping and repeated ones too.
_MATCH = st.sampled_from(_ANCHORED).flatmap(
    lambda k: st.from_regex(_ENGINE._patterns[k][1], fullmatch=True).filter(
        lambda t: "<" not in t))
_TEXT = st.lists(st.tuples(st.one_of(_PIECE, _MATCH),
                           st.sampled_from(["", " ", "  ", ", ", "_", "-", "\n"])),
                 max_size=12).map(lambda parts: "".join(a + b for a, b in parts))


@settings(max_examples=300, deadline=None)
@given(st.one_of(_TEXT, _TEXT.map(lambda t: f"{t} {t}")))  # every word twice, or more
def test_anchored_patterns_tried_at_their_words_find_what_finditer_finds(text):
    assert len(_ANCHORED) > 50
    words = _words(text)
    starting: dict[int, list[str]] = {}
    _ENGINE._exact_triggers.candidates(words, text, starting)
    for k in _ANCHORED:
        pattern = _ENGINE._patterns[k][1]
        expected = [m.span() for m in pattern.finditer(text)]
        assert [m.span() for m in _matches_at(pattern, text, starting.get(k, []))] == expected


def test_trigger_filter_finds_exactly_what_searching_every_pattern_finds():
    engine = RuleEngine()
    files = glob.glob(str(ROOT / "data" / "labelled" / "*" / "*.jsonl"))
    texts = [json.loads(line)["text"] for f in files
             for line in Path(f).read_text(encoding="utf-8").splitlines()]
    assert len(texts) > 1000
    pattern_ids = {r.id for r, _, _ in engine._patterns}
    for text in texts:
        doc = normalise(text)
        brute = set()
        for rule, exact, stripped in engine._patterns:
            brute.update((rule.id, *m.span()) for m in exact.finditer(doc.text) if m.group())
            if stripped is not None and doc.unaccented:
                brute.update((rule.id, *m.span()) for m in stripped.finditer(doc.ascii)
                             if m.group())
        got = {(h.rule.id, h.start, h.end) for h in engine.hits(doc) if h.rule.id in pattern_ids}
        assert got == brute, text


def test_a_pattern_starting_with_a_percentage_is_searched():
    engine = RuleEngine()
    doc = normalise("100% không lừa đảo, inbox ngay")
    hit_ids = {h.rule.id for h in engine.hits(doc)}
    assert "illegal_ads.cue.no_scam_claim" in hit_ids


@pytest.mark.parametrize(("pattern", "expected"), [
    (r"\d+\s?%", {"%"}),                        # a literal is rarer than any digit
    (r"(?<![\w.,])\d+(?:[.,]\d+)?\s?(?:mm|cm)(?!\w)", {"mm", "cm"}),
    (r"\d+(?:k|tr)", {"\\d"}),                  # 'k' and 'tr' are commoner than a digit
    (r"(?:l|đ)[*^#]{2,4}", {"*", "^", "#"}),
    (r"[a-z0-9]{1,10}(?:88|bet|club)\b", {"88", "bet", "club"}),
    (r"(?:có nên|\d+%)", {"có nên", "%"}),      # every branch must give needles
    (r"(?:có nên|\w+)", None),
    (r"x?y*", None),                            # nothing is sure to be in a match
    (r"(?i)abc", None),                         # literals would match either case
])
def test_required_needles(pattern, expected):
    got = required(pattern)
    assert (None if got is None else set(got)) == expected


def test_term_trie_finds_what_looking_up_every_word_sequence_finds():
    """The trie walk gives the same term hits as looking up every window of words."""
    engine = RuleEngine()
    files = glob.glob(str(ROOT / "data" / "labelled" / "*" / "*.jsonl"))
    texts = [json.loads(line)["text"] for f in files
             for line in Path(f).read_text(encoding="utf-8").splitlines()]
    longest = max(len(k) for k in (*engine._exact, *engine._ascii))
    for text in texts:
        words = _words(normalise(text).text)
        brute = set()
        for i in range(len(words)):
            for n in range(1, min(longest, len(words) - i) + 1):
                key = tuple(words[i:i + n])
                for table, loose in ((engine._exact, False), (engine._ascii, True)):
                    brute.update((i, n, r.id, loose) for r in table.get(key, ()))
        got = {(i, n, r.id, loose) for i, n, exact, stripped in engine._terms.matches(words)
               for rules, loose in ((exact, False), (stripped, True)) for r in rules}
        assert got == brute, text


def test_needles_of_digits_and_symbols():
    assert contains_any("giá 5 cm", ("\\d",))
    assert contains_any("٣ cm", ("\\d",))  # \d is every decimal digit, as in the regex
    assert not contains_any("không số", ("\\d", "%"))
    assert contains_any("lãi 5%", ("%",))


def test_a_candidate_whose_post_lacks_every_required_string_is_not_searched():
    """'ma túy' must be in a match of 'bán ... ma túy': a post with 'bán' alone is a
    candidate (it starts with the word) but is not searched."""
    from vnmod.rules.engine import _Triggers

    triggers = _Triggers([r"\b(?:bán|cung cấp)\s(?:\S+\s){0,3}?ma túy", r"\bbán\s\w+"])
    assert triggers.requires[0] == ("ma túy",)
    words = _words("bán rau sạch")
    assert triggers.candidates(words, "bán rau sạch") == [0, 1]
    assert list(triggers.searched(words, "bán rau sạch")) == [1]
    words = _words("bán ít ma túy")
    assert list(triggers.searched(words, "bán ít ma túy")) == [0, 1]
