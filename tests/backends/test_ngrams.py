"""The fast n-gram counters count exactly what scikit-learn's CountVectorizer counts."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.feature_extraction.text import CountVectorizer

from vnmod.backends.ngrams import TOKEN_PATTERN, CharNgramCounter, WordNgramCounter

TEXTS = [
    "mày là thằng ngu",
    "a",                                   # shorter than most n-grams
    "",                                    # empty
    "   nhiều    khoảng\ttrắng\n\nxuống dòng  ",
    "lh <phone> hoặc <url> ngay",          # placeholders are one token
    "ok ok ok ok",                         # repeats
    "đụ má 😂😂 vãi!!! ...",                # emoji and punctuation
    "x" * 40,                              # one long word
    "ab cd ef gh ij kl",                   # two-letter words
    "Hoa Hòa HOÀ hoà",                     # case and diacritics kept as they are
]
UNSEEN = ["thằng ngu lắm", "hoàn toàn mới", "", "a b c", "<phone> 0912 😂"]


@pytest.mark.parametrize("ngram", [(1, 1), (1, 2), (2, 3), (1, 3), (2, 5), (3, 3), (1, 6)])
def test_char_counts_match_sklearn(ngram):
    fitted = CountVectorizer(analyzer="char_wb", ngram_range=ngram, lowercase=False).fit(TEXTS)
    vocab = sorted(fitted.vocabulary_, key=fitted.vocabulary_.get)
    reference = CountVectorizer(analyzer="char_wb", ngram_range=ngram, lowercase=False,
                                vocabulary=vocab)
    counter = CharNgramCounter(vocab, ngram, cache_size=3)  # tiny cache: evictions too
    for texts in (TEXTS, UNSEEN, TEXTS[::-1]):
        want, got = reference.transform(texts), counter.transform(texts)
        assert got.shape == want.shape and got.dtype == np.float32
        assert (got != want).nnz == 0
        assert got.has_sorted_indices


@pytest.mark.parametrize("ngram", [(1, 1), (1, 2), (2, 2), (1, 3), (2, 4)])
def test_word_counts_match_sklearn(ngram):
    kwargs = dict(analyzer="word", ngram_range=ngram, lowercase=False,
                  token_pattern=TOKEN_PATTERN)
    fitted = CountVectorizer(**kwargs).fit(TEXTS)
    vocab = sorted(fitted.vocabulary_, key=fitted.vocabulary_.get)
    reference = CountVectorizer(vocabulary=vocab, **kwargs)
    counter = WordNgramCounter(vocab, ngram)
    for texts in (TEXTS, UNSEEN):
        want, got = reference.transform(texts), counter.transform(texts)
        assert got.shape == want.shape
        assert (got != want).nnz == 0
    repeated = "ok" if ngram[0] == 1 else "ok ok"
    assert counter.transform(["ok ok ok ok"])[0, vocab.index(repeated)] == 5 - len(
        repeated.split())


def test_counters_accept_no_texts():
    assert CharNgramCounter(["ab"], (2, 2)).transform([]).shape == (0, 1)
    assert WordNgramCounter(["ab"], (1, 1)).transform([]).shape == (0, 1)
