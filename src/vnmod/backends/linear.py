"""TF-IDF over words and characters with one logistic regression per category.

Saved without pickle: vocabularies as JSON, idf and weights as ``.npz``. Transforming uses a
fixed-vocabulary ``CountVectorizer`` plus our own sublinear tf-idf, so a saved model loads
the same under any scikit-learn version.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from vnmod.backends.base import Backend, BackendUnavailable, NotFittedError, register
from vnmod.backends.neighbours import Neighbours, unit_rows
from vnmod.backends.ngrams import TOKEN_PATTERN, CharNgramCounter, WordNgramCounter
from vnmod.combine import sigmoid
from vnmod.prediction import Evidence
from vnmod.reasons import readable
from vnmod.taxonomy import CATEGORIES
from vnmod.text.normalize import Normalised

WEIGHTS_NAME = "weights.npz"
VOCAB_NAME = "vocab_{}.json"
def _vectorizer(kind: str, ngram: tuple[int, int], min_df: int, max_features: int | None):
    """The scikit-learn vectorizer that learns a vocabulary (fitting only)."""
    from sklearn.feature_extraction.text import CountVectorizer

    if kind == "word":
        return CountVectorizer(analyzer="word", ngram_range=ngram, token_pattern=TOKEN_PATTERN,
                               lowercase=False, min_df=min_df, max_features=max_features,
                               dtype=np.float32)
    return CountVectorizer(analyzer="char_wb", ngram_range=ngram, lowercase=False,
                           min_df=min_df, max_features=max_features, dtype=np.float32)


def _counter(kind: str, ngram: tuple[int, int], vocabulary: Sequence[str]):
    """The fast counter of a learned vocabulary (same counts as the vectorizer's)."""
    if kind == "word":
        return WordNgramCounter(vocabulary, ngram)
    return CharNgramCounter(vocabulary, ngram)


def _tfidf(counts: sp.csr_matrix, idf: np.ndarray) -> sp.csr_matrix:
    """Sublinear tf times idf, each row scaled to unit length (as scikit-learn's)."""
    x = counts.tocsr().astype(np.float32)
    np.log(x.data, out=x.data)
    x.data += 1.0
    x.data *= idf[x.indices]
    return unit_rows(x)


@register("linear")
class LinearBackend(Backend):
    """Word + character TF-IDF and a logistic regression per category.

    Parameters
    ----------
    word_ngram, char_ngram : (int, int)
        n-gram ranges; ``char_ngram=None`` turns characters off.
    min_df : int
        Drop n-grams seen in fewer posts.
    max_features : int or None
        Keep at most this many n-grams of each kind (most frequent first).
    C : float
        Inverse regularisation strength of the logistic regressions.
    class_weight : "balanced", "none" or None
    char_ascii : bool
        Character n-grams over the text without diacritics, so that posts written with and
        without diacritics share features.
    word_ascii : bool
        The same for word n-grams: 'bán' and 'ban' are one feature.
    neighbours_k : int
        If > 0, also keep the training posts given as ``neighbour_rows`` to ``fit`` and score
        ``neighbours_categories`` by their ``k`` nearest neighbours (a second view, see
        :meth:`views`); ``neighbours_max_df`` keeps only features rarer than that.
    """

    @property
    def view_names(self) -> list[str]:
        """Names of the probability views :meth:`views` returns."""
        return [self.name, "linear_nn"] if self.neighbours_k > 0 else [self.name]

    def __init__(self, *, word_ngram: tuple[int, int] = (1, 2),
                 char_ngram: tuple[int, int] | None = (2, 5), min_df: int = 2,
                 max_features: int | None = 300_000, C: float = 4.0,
                 class_weight: str | None = "balanced", char_ascii: bool = False,
                 word_ascii: bool = False,
                 neighbours_k: int = 0, neighbours_max_df: int = 200,
                 neighbours_categories: Sequence[str] = ("insult", "offensive")) -> None:
        self.word_ngram = tuple(word_ngram)
        self.char_ngram = tuple(char_ngram) if char_ngram else None
        self.min_df = min_df
        self.max_features = max_features
        self.C = C
        self.class_weight = class_weight
        self.char_ascii = char_ascii
        self.word_ascii = word_ascii
        self.neighbours_k = neighbours_k
        self.neighbours_max_df = neighbours_max_df
        self.neighbours_categories = tuple(neighbours_categories)

    # -- features -----------------------------------------------------------------------
    def _kinds(self) -> list[tuple[str, tuple[int, int]]]:
        kinds = [("word", self.word_ngram)]
        if self.char_ngram:
            kinds.append(("char", self.char_ngram))
        return kinds

    def _check_fitted(self) -> None:
        if not hasattr(self, "idf_"):
            raise NotFittedError("this LinearBackend is not fitted yet; call fit first "
                                 "or load a saved model")

    def transform(self, docs: Sequence[Normalised]) -> sp.csr_matrix:
        """TF-IDF features of normalised posts."""
        self._check_fitted()
        blocks = [_tfidf(self.counters_[k].transform(self._texts(docs, k)), self.idf_[k])
                  for k, _ in self._kinds()]
        return sp.hstack(blocks, format="csr")

    def _texts(self, docs: Sequence[Normalised], kind: str) -> list[str]:
        if (kind == "char" and self.char_ascii) or (kind == "word" and self.word_ascii):
            return [d.ascii for d in docs]
        return [d.text for d in docs]

    # -- learning -----------------------------------------------------------------------
    def fit(self, docs: Sequence[Normalised], y: np.ndarray,
            sample_weight: np.ndarray | None = None,
            neighbour_rows: np.ndarray | None = None) -> LinearBackend:
        """Learn vocabularies, idf and one classifier per category.

        ``y`` is ``(n, 4)`` with 1/0 labels and ``nan`` where a post's source says nothing
        about a category; those cells are left out of that category's training.
        ``sample_weight`` (n,) scales each post's loss (e.g. to weigh hard negatives up);
        ``(n, 4)`` gives each category its own weights.
        ``neighbour_rows`` (n,) bool: the posts the neighbour view may return (default all).
        """
        from sklearn.linear_model import LogisticRegression

        y = np.asarray(y, dtype=float)
        if y.shape != (len(docs), len(CATEGORIES)):
            raise ValueError(f"y must have shape ({len(docs)}, {len(CATEGORIES)}) "
                             f"(one column per category); got {y.shape}")
        self.counters_, self.idf_, self.vocab_ = {}, {}, {}
        blocks = []
        for kind, ngram in self._kinds():
            vec = _vectorizer(kind, ngram, self.min_df, self.max_features)
            counts = vec.fit_transform(self._texts(docs, kind))
            counts.sort_indices()
            df = np.bincount(counts.indices, minlength=counts.shape[1])
            idf = np.log((1 + len(docs)) / (1 + df)) + 1.0
            vocab = sorted(vec.vocabulary_, key=vec.vocabulary_.get)
            self.vocab_[kind] = vocab
            self.idf_[kind] = idf.astype(np.float32)
            self.counters_[kind] = _counter(kind, ngram, vocab)
            blocks.append(_tfidf(counts, self.idf_[kind]))
        x = sp.hstack(blocks, format="csr")  # as self.transform(docs), without counting again
        class_weight = None if self.class_weight in (None, "none") else self.class_weight
        self.coef_ = np.zeros((len(CATEGORIES), x.shape[1]), dtype=np.float32)
        self.intercept_ = np.full(len(CATEGORIES), np.nan, dtype=np.float32)
        for k in range(len(CATEGORIES)):
            known = ~np.isnan(y[:, k])
            labels = y[known, k]
            if len(np.unique(labels)) < 2:
                continue  # no signal for this category: the column stays nan
            model = LogisticRegression(C=self.C, class_weight=class_weight,
                                       max_iter=2000, solver="liblinear")
            weight = None if sample_weight is None else np.asarray(sample_weight)
            if weight is not None:
                weight = (weight[:, k] if weight.ndim == 2 else weight)[known]
            model.fit(x[known], labels, sample_weight=weight)
            self.coef_[k] = model.coef_[0]
            self.intercept_[k] = model.intercept_[0]
        self.coef_t_ = np.ascontiguousarray(self.coef_.T)
        if self.neighbours_k > 0:
            rows = np.ones(len(docs), bool) if neighbour_rows is None else neighbour_rows
            labels = np.full_like(y, np.nan)
            for cat in self.neighbours_categories:
                labels[:, CATEGORIES.index(cat)] = y[:, CATEGORIES.index(cat)]
            self.neighbours_ = Neighbours(k=self.neighbours_k, max_df=self.neighbours_max_df
                                          ).fit(x[rows], labels[rows])
        return self

    # -- scoring ------------------------------------------------------------------------
    def _logits(self, x: sp.csr_matrix) -> np.ndarray:
        # coef_t_ is C-contiguous: scipy would copy the transposed view on every call.
        return np.asarray(x @ self.coef_t_) + self.intercept_

    def decision_function(self, docs: Sequence[Normalised]) -> np.ndarray:
        return self._logits(self.transform(docs))

    def predict_proba(self, docs: Sequence[Normalised]) -> np.ndarray:
        return sigmoid(self._logits(self.transform(docs)))

    def views(self, docs: Sequence[Normalised]) -> dict[str, np.ndarray]:
        """``{name: (n, 4)}``, plus ``"linear_nn"`` (neighbour scores) when kept; one
        transform serves both."""
        x = self.transform(docs)
        out = {self.name: sigmoid(self._logits(x))}
        if self.neighbours_k > 0:
            out["linear_nn"] = self.neighbours_.scores(x)
        return out

    def explain(self, docs: Sequence[Normalised], categories: Sequence[Sequence[str]],
                top: int = 3) -> list[list[Evidence]]:
        """For each doc, the word n-grams that pushed each of its ``categories`` up most,
        skipping those that are no reason a person can read (digits, symbols, single letters,
        placeholders, a unit after a number: :func:`vnmod.reasons.readable`)."""
        self._check_fitted()
        out: list[list[Evidence]] = [[] for _ in docs]
        wanted = [i for i, cats in enumerate(categories) if cats]
        if not wanted:
            return out
        rows = _tfidf(self.counters_["word"].transform([docs[i].text for i in wanted]),
                      self.idf_["word"])
        vocab = self.vocab_["word"]
        for r, i in enumerate(wanted):
            lo, hi = rows.indptr[r], rows.indptr[r + 1]
            idx, val = rows.indices[lo:hi], rows.data[lo:hi]
            for cat in categories[i]:
                contrib = val * self.coef_[CATEGORIES.index(cat), idx]
                found = 0
                for j in np.argsort(-contrib):
                    if contrib[j] <= 0 or found == top:
                        break
                    pos = _find_words(docs[i].text, vocab[idx[j]])
                    if pos is None:
                        continue
                    s, e = docs[i].to_original(*pos)
                    item = Evidence(s, e, docs[i].original[s:e], cat,
                                    f"{self.name}:{vocab[idx[j]]}", round(float(contrib[j]), 3),
                                    source=self.name)
                    if readable(item, docs[i].original):
                        out[i].append(item)
                        found += 1
        return out

    # -- persistence --------------------------------------------------------------------
    def save(self, directory: Path) -> dict[str, Any]:
        self._check_fitted()
        directory.mkdir(parents=True, exist_ok=True)
        arrays = {f"idf_{k}": v for k, v in self.idf_.items()}
        if self.neighbours_k > 0:
            arrays.update(self.neighbours_.arrays())
        np.savez_compressed(directory / WEIGHTS_NAME, coef=self.coef_.astype(np.float16),
                            intercept=self.intercept_, **arrays)
        for kind, vocab in self.vocab_.items():
            (directory / VOCAB_NAME.format(kind)).write_text(
                json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
        return {"word_ngram": list(self.word_ngram),
                "char_ngram": list(self.char_ngram) if self.char_ngram else None,
                "min_df": self.min_df, "max_features": self.max_features, "C": self.C,
                "class_weight": self.class_weight, "char_ascii": self.char_ascii,
                "word_ascii": self.word_ascii,
                "neighbours_k": self.neighbours_k, "neighbours_max_df": self.neighbours_max_df,
                "neighbours_categories": list(self.neighbours_categories),
                "n_features": int(self.coef_.shape[1])}

    @classmethod
    def load(cls, directory: Path, config: dict[str, Any]) -> LinearBackend:
        params = {k: config[k] for k in ("word_ngram", "char_ngram", "min_df", "max_features",
                                         "C", "class_weight", "char_ascii", "word_ascii",
                                         "neighbours_k",
                                         "neighbours_max_df", "neighbours_categories")
                  if k in config}
        self = cls(**params)
        try:
            with np.load(directory / WEIGHTS_NAME, allow_pickle=False) as data:
                self.coef_ = data["coef"].astype(np.float32)
                self.intercept_ = data["intercept"].astype(np.float32)
                self.coef_t_ = np.ascontiguousarray(self.coef_.T)
                self.idf_ = {k: data[f"idf_{k}"] for k, _ in self._kinds()}
                if self.neighbours_k > 0:
                    self.neighbours_ = Neighbours.from_arrays(data, self.neighbours_k,
                                                              self.neighbours_max_df)
            self.vocab_, self.counters_ = {}, {}
            for kind, ngram in self._kinds():
                vocab = json.loads((directory / VOCAB_NAME.format(kind)).read_text("utf-8"))
                self.vocab_[kind] = vocab
                self.counters_[kind] = _counter(kind, ngram, vocab)
        except (OSError, KeyError, ValueError) as exc:
            raise BackendUnavailable(f"linear model files in {directory} cannot be read: "
                                     f"{exc}") from exc
        return self


def _is_word_char(ch: str) -> bool:
    return ch.isalnum() or ch == "_"  # what \w means in a str pattern


def _find_words(text: str, term: str) -> tuple[int, int] | None:
    r"""Where ``term``'s words first stand in ``text`` as whole words, whitespace between them
    (the first match of ``(?<!\w)w1\s+w2(?!\w)``, found without compiling a pattern per
    term: the terms are many)."""
    first, *rest = term.split()
    at = text.find(first)
    while at != -1:
        end = at + len(first)
        if not (at and _is_word_char(text[at - 1])):
            for word in rest:
                gap = end
                while gap < len(text) and text[gap].isspace():
                    gap += 1
                if gap == end or not text.startswith(word, gap):
                    break
                end = gap + len(word)
            else:
                if not (end < len(text) and _is_word_char(text[end])):
                    return at, end
        at = text.find(first, at + 1)
    return None


@register("linear_news")
class NewsLinearBackend(LinearBackend):
    """A second linear view for ``fake_news`` alone: word 1-2-grams and no character n-grams
    (C = 1 by default). Character n-grams carry each outlet's style, and a fake-news model
    fitted on them transfers badly from one news source to another; the shared linear view
    keeps them for the other categories. The other categories' scores are nan (no view)."""

    def __init__(self, *, word_ngram: tuple[int, int] = (1, 2),
                 char_ngram: tuple[int, int] | None = None, min_df: int = 2,
                 max_features: int | None = 300_000, C: float = 1.0,
                 class_weight: str | None = "none", char_ascii: bool = False,
                 word_ascii: bool = False, **_: Any) -> None:
        super().__init__(word_ngram=word_ngram, char_ngram=char_ngram, min_df=min_df,
                         max_features=max_features, C=C, class_weight=class_weight,
                         char_ascii=char_ascii, word_ascii=word_ascii, neighbours_k=0)

    def fit(self, docs: Sequence[Normalised], y: np.ndarray,
            sample_weight: np.ndarray | None = None,
            neighbour_rows: np.ndarray | None = None) -> NewsLinearBackend:
        """As :meth:`LinearBackend.fit`, learning ``fake_news`` alone."""
        y = np.array(y, dtype=float)
        if y.ndim == 2 and y.shape[1] == len(CATEGORIES):
            y[:, [k for k, c in enumerate(CATEGORIES) if c != "fake_news"]] = np.nan
        super().fit(docs, y, sample_weight=sample_weight)
        return self
