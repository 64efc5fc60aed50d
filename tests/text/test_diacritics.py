"""Putting the marks back on posts typed without them (vnmod.text.diacritics)."""

from __future__ import annotations

import re
import unicodedata

import pytest

from vnmod._resources import read_lines, read_tsv
from vnmod.text.diacritics import _model, bigram_totals, candidates, restore
from vnmod.text.normalize import normalise
from vnmod.text.vietnamese import has_diacritics, strip_diacritics


@pytest.mark.parametrize(("bare", "expected"), [
    ("may la thang ngu", "mày là thằng ngu"),
    ("hom nay troi dep qua", "hôm nay trời đẹp quá"),
    ("con cho nay", "con chó này"),
    ("mua he nay ca nha di du lich da lat", "mùa hè này cả nhà đi du lịch đà lạt"),
])
def test_common_phrases_come_back(bare, expected):
    assert " ".join(restore(bare.split())) == expected


def test_words_with_marks_or_no_syllable_stay_and_every_word_keeps_its_length():
    words = ["facebook", "đẹp", "qua", "123", "xyzw", "la"]
    out = restore(words)
    assert out[0] == "facebook" and out[1] == "đẹp" and out[3] == "123" and out[4] == "xyzw"
    assert [len(w) for w in out] == [len(w) for w in words]
    assert all(strip_diacritics(a) == strip_diacritics(b) for a, b in zip(out, words, strict=True))
    assert "là" in candidates("la") and candidates("xyzw") == []


def test_normalise_restores_an_unaccented_post_with_offsets_intact():
    text = "May la thang ngu, ib 0905123456 nhe"
    n = normalise(text)
    assert n.text == "mày là thằng ngu, inbox <phone> nhé" and n.unaccented
    start = n.text.index("thằng")
    s, e = n.to_original(start, start + len("thằng"))
    assert text[s:e] == "thang"
    accented = "Mày là thằng ngu"  # an accented post is left as it was
    assert normalise(accented).text == "mày là thằng ngu"


def test_restored_marks_sit_where_accented_posts_put_them():
    # the counts hold both placements ('hoá', 'hóa'); an accented 'hoá' becomes 'hóa'
    assert normalise("xuat hoa don").text == normalise("xuất hoá đơn").text == "xuất hóa đơn"


def test_most_syllables_come_back_on_held_out_posts():
    """Syllable accuracy on the ViHSD dev split (never counted in the bigrams, which come from
    training splits): a floor that catches a broken model, not a tuned number."""
    from vnmod.data import load_corpus

    try:
        frame = load_corpus("vihsd", split="dev")
    except (FileNotFoundError, OSError, ValueError) as exc:
        pytest.skip(f"needs the public corpora: {exc}")
    right = total = 0
    for text in frame["text"][:1500]:
        text = unicodedata.normalize("NFC", str(text)).lower()
        for run in re.findall(r"[^\W\d_]+(?: [^\W\d_]+)*", " ".join(text.split())):
            words = run.split(" ")
            if sum(map(has_diacritics, words)) < len(words) / 2:
                continue
            got = restore([strip_diacritics(w) for w in words])
            right += sum(g == w for g, w in zip(got, words, strict=True))
            total += len(words)
    assert total > 5000
    assert right / total > 0.8, right / total


def test_the_shipped_totals_are_those_of_the_shipped_pairs():
    # The model reads the totals at load and looks pairs up in the pair file by bisection: a
    # pair file rebuilt without the totals, or out of order, would give other readings.
    pairs = read_tsv("syllable_bigrams.tsv")
    shipped = [(w, int(n), int(m)) for w, n, m in read_tsv("syllable_bigram_totals.tsv")]
    assert shipped == bigram_totals(pairs), \
        "run python data/diacritics/build_bigrams.py --totals"
    lines = read_lines("syllable_bigrams.tsv")
    assert list(lines) == sorted(lines) and len(lines) == len(pairs)


def test_pairs_after_a_syllable_are_found_and_costed_below_an_unseen_pair():
    model = _model()
    pairs = [(b, int(c)) for a, b, c in read_tsv("syllable_bigrams.tsv")
             if a == "thằng" and b in model.index]
    after = model.after("thằng")
    assert sum(len(v) for v in after.values()) == len(pairs) > 10
    assert model.after("xyzw") == {}
    for b, _ in pairs:
        cost = next(c for j, c in after[strip_diacritics(b)]
                    if model.forms[strip_diacritics(b)][j] == b)
        assert cost < model.unseen[b]
