"""TF-IDF over words and characters with one logistic regression per category.

Saved without pickle: vocabularies as JSON, idf and weights as ``.npz``. Transforming uses a
fixed-vocabulary ``CountVectorizer`` plus our own sublinear tf-idf, so a saved model loads
the same under any scikit-learn version.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
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


HEAD_OPTIONS = ("categories", "C", "class_weight", "target")


def _checked_heads(heads: Mapping[str, Mapping[str, Any]], reserved: Sequence[str]
                   ) -> dict[str, dict[str, Any]]:
    """Heads with their defaults filled in (C 1, no class weights), checked."""
    out = {}
    for name, options in heads.items():
        unknown = sorted(set(options) - set(HEAD_OPTIONS))
        if name in reserved or unknown:
            raise ValueError(f"linear head {name!r}: " + (
                f"the name is taken by a view ({list(reserved)})" if name in reserved else
                f"unknown options {unknown}; valid: {', '.join(HEAD_OPTIONS)}"))
        cats = tuple(options.get("categories", ()))
        wrong = sorted(set(cats) - set(CATEGORIES))
        if not cats or wrong:
            raise ValueError(f"linear head {name!r} must name categories among {CATEGORIES}; "
                             f"got {list(cats)}")
        out[name] = {"categories": cats, "C": float(options.get("C", 1.0)),
                     "class_weight": options.get("class_weight", "none")}
        if options.get("target"):
            out[name]["target"] = str(options["target"])
    return out


def _head_labels(name: str, head: Mapping[str, Any], y: np.ndarray,
                 targets: Mapping[str, np.ndarray] | None) -> np.ndarray:
    """The labels a head learns: ``y``, or for a head with a ``target`` that target in each
    of its categories' columns."""
    if "target" not in head:
        return y
    target = (targets or {}).get(head["target"])
    if target is None:
        raise ValueError(f"linear head {name!r} learns the target {head['target']!r}; pass "
                         f"it to fit (targets={{{head['target']!r}: array}})")
    out = y.copy()
    for cat in head["categories"]:
        out[:, CATEGORIES.index(cat)] = np.asarray(target, dtype=float)
    return out


def _fit_categories(x: sp.csr_matrix, y: np.ndarray, sample_weight: np.ndarray | None,
                    C: float, class_weight: str | None, categories: Sequence[str]
                    ) -> tuple[np.ndarray, np.ndarray]:
    """One logistic regression per category in ``categories`` (its posts with a label):
    coefficients ``(4, features)``, zero for the others, and intercepts, nan for the others
    and for a category without both classes."""
    from sklearn.linear_model import LogisticRegression

    class_weight = None if class_weight in (None, "none") else class_weight
    coef = np.zeros((len(CATEGORIES), x.shape[1]), dtype=np.float32)
    intercept = np.full(len(CATEGORIES), np.nan, dtype=np.float32)
    for cat in categories:
        k = CATEGORIES.index(cat)
        known = ~np.isnan(y[:, k])
        labels = y[known, k]
        if len(np.unique(labels)) < 2:
            continue  # no signal for this category: the column stays nan
        model = LogisticRegression(C=C, class_weight=class_weight, max_iter=2000,
                                   solver="liblinear")
        weight = None if sample_weight is None else np.asarray(sample_weight)
        if weight is not None:
            weight = (weight[:, k] if weight.ndim == 2 else weight)[known]
        model.fit(x[known], labels, sample_weight=weight)
        coef[k] = model.coef_[0]
        intercept[k] = model.intercept_[0]
    return coef, intercept


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
    heads : mapping of view name to options, optional
        Further views over the word n-grams alone, sharing their counts and vocabulary: each
        a logistic regression per category it names, e.g. ``{"linear_news": {"categories":
        ["fake_news"], "C": 1.0, "class_weight": "none"}}`` (character n-grams carry each
        news outlet's style and transfer badly to a new one). A head's other categories are
        nan. The evidence for a category a head learns comes from that head, unless the
        head has a ``"target"``: then it learns, in its categories' columns, the target of
        that name given to :meth:`fit` (e.g. whether a post reads like news), a view for the
        stack to gate with (:func:`~vnmod.combine.apply_stack`), never a reason.
    """

    @property
    def view_names(self) -> list[str]:
        """Names of the probability views :meth:`views` returns."""
        names = [self.name, "linear_nn"] if self.neighbours_k > 0 else [self.name]
        return names + list(self.heads)

    def __init__(self, *, word_ngram: tuple[int, int] = (1, 2),
                 char_ngram: tuple[int, int] | None = (2, 5), min_df: int = 2,
                 max_features: int | None = 300_000, C: float = 4.0,
                 class_weight: str | None = "balanced", char_ascii: bool = False,
                 word_ascii: bool = False,
                 neighbours_k: int = 0, neighbours_max_df: int = 200,
                 neighbours_categories: Sequence[str] = ("insult", "offensive"),
                 heads: Mapping[str, Mapping[str, Any]] | None = None) -> None:
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
        self.heads = _checked_heads(heads or {}, reserved=(self.name, "linear_nn"))

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
        return sp.hstack(self._blocks(docs), format="csr")

    def _blocks(self, docs: Sequence[Normalised]) -> list[sp.csr_matrix]:
        """The TF-IDF blocks of :meth:`transform`, words first, each of unit-length rows."""
        self._check_fitted()
        return [_tfidf(self.counters_[k].transform(self._texts(docs, k)), self.idf_[k])
                for k, _ in self._kinds()]

    def _texts(self, docs: Sequence[Normalised], kind: str) -> list[str]:
        if (kind == "char" and self.char_ascii) or (kind == "word" and self.word_ascii):
            return [d.ascii for d in docs]
        return [d.text for d in docs]

    # -- learning -----------------------------------------------------------------------
    def fit(self, docs: Sequence[Normalised], y: np.ndarray,
            sample_weight: np.ndarray | None = None,
            neighbour_rows: np.ndarray | None = None,
            targets: Mapping[str, np.ndarray] | None = None) -> LinearBackend:
        """Learn vocabularies, idf and one classifier per category.

        ``y`` is ``(n, 4)`` with 1/0 labels and ``nan`` where a post's source says nothing
        about a category; those cells are left out of that category's training.
        ``sample_weight`` (n,) scales each post's loss (e.g. to weigh hard negatives up);
        ``(n, 4)`` gives each category its own weights.
        ``neighbour_rows`` (n,) bool: the posts the neighbour view may return (default all).
        ``targets`` (name -> (n,) of 1/0/nan): what the heads with a ``target`` learn.
        """
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
        self.coef_, self.intercept_ = _fit_categories(x, y, sample_weight, self.C,
                                                      self.class_weight, CATEGORIES)
        self.head_coef_, self.head_intercept_ = {}, {}
        for name, head in self.heads.items():
            self.head_coef_[name], self.head_intercept_[name] = _fit_categories(
                blocks[0], _head_labels(name, head, y, targets), sample_weight, head["C"],
                head["class_weight"], head["categories"])
        self._transposed()
        if self.neighbours_k > 0:
            rows = np.ones(len(docs), bool) if neighbour_rows is None else neighbour_rows
            labels = np.full_like(y, np.nan)
            for cat in self.neighbours_categories:
                labels[:, CATEGORIES.index(cat)] = y[:, CATEGORIES.index(cat)]
            self.neighbours_ = Neighbours(k=self.neighbours_k, max_df=self.neighbours_max_df
                                          ).fit(x[rows], labels[rows])
        return self

    def _transposed(self) -> None:
        # C-contiguous (features, 4) copies: scipy would copy a transposed view on every call.
        self.coef_t_ = np.ascontiguousarray(self.coef_.T)
        self.head_coef_t_ = {n: np.ascontiguousarray(c.T) for n, c in self.head_coef_.items()}

    # -- scoring ------------------------------------------------------------------------
    def _logits(self, x: sp.csr_matrix) -> np.ndarray:
        return np.asarray(x @ self.coef_t_) + self.intercept_

    def decision_function(self, docs: Sequence[Normalised]) -> np.ndarray:
        return self._logits(self.transform(docs))

    def predict_proba(self, docs: Sequence[Normalised]) -> np.ndarray:
        return sigmoid(self._logits(self.transform(docs)))

    def views(self, docs: Sequence[Normalised]) -> dict[str, np.ndarray]:
        """``{name: (n, 4)}``, plus ``"linear_nn"`` (neighbour scores) when kept and one view
        per head; one transform serves them all."""
        blocks = self._blocks(docs)
        if not self.word_ascii:  # explain reads these posts' word rows again
            self._recent_words = (list(docs), blocks[0])
        x = sp.hstack(blocks, format="csr")
        out = {self.name: sigmoid(self._logits(x))}
        if self.neighbours_k > 0:
            out["linear_nn"] = self.neighbours_.scores(x)
        for name in self.heads:
            out[name] = sigmoid(np.asarray(blocks[0] @ self.head_coef_t_[name])
                                + self.head_intercept_[name])
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
        rows = self._word_rows([docs[i] for i in wanted])
        vocab = self.vocab_["word"]
        source = {cat: self.name for cat in CATEGORIES}  # the view each category's reason is from
        coef = {cat: self.coef_[k] for k, cat in enumerate(CATEGORIES)}
        for name, head in self.heads.items():
            for cat in head["categories"] if "target" not in head else ():
                source[cat], coef[cat] = name, self.head_coef_[name][CATEGORIES.index(cat)]
        views = [self.name, *self.heads]  # the main view's reasons first, then each head's
        for r, i in enumerate(wanted):
            lo, hi = rows.indptr[r], rows.indptr[r + 1]
            idx, val = rows.indices[lo:hi], rows.data[lo:hi]
            for cat in sorted(categories[i], key=lambda c: views.index(source[c])):
                contrib = val * coef[cat][idx]
                found = 0
                for j in np.argsort(-contrib):
                    if contrib[j] <= 0 or found == top:
                        break
                    pos = _find_words(docs[i].text, vocab[idx[j]])
                    if pos is None:
                        continue
                    s, e = docs[i].to_original(*pos)
                    item = Evidence(s, e, docs[i].original[s:e], cat,
                                    f"{source[cat]}:{vocab[idx[j]]}",
                                    round(float(contrib[j]), 3), source=source[cat])
                    if readable(item, docs[i].original):
                        out[i].append(item)
                        found += 1
        return out

    def _word_rows(self, docs: Sequence[Normalised]) -> sp.csr_matrix:
        """The word TF-IDF rows of ``docs`` over their text: taken from the last :meth:`views`
        call where it scored these very posts (a row depends on its post alone), else
        counted."""
        recent = getattr(self, "_recent_words", None)
        if recent is not None:
            seen, block = recent
            where = {id(d): k for k, d in enumerate(seen)}
            rows = [where.get(id(d), -1) for d in docs]
            if all(k >= 0 and seen[k] is d for k, d in zip(rows, docs, strict=True)):
                return block[rows]
        return _tfidf(self.counters_["word"].transform([d.text for d in docs]),
                      self.idf_["word"])

    # -- persistence --------------------------------------------------------------------
    def save(self, directory: Path) -> dict[str, Any]:
        self._check_fitted()
        directory.mkdir(parents=True, exist_ok=True)
        arrays = {f"idf_{k}": v for k, v in self.idf_.items()}
        if self.neighbours_k > 0:
            arrays.update(self.neighbours_.arrays())
        for name in self.heads:
            arrays[f"head_{name}_coef"] = self.head_coef_[name].astype(np.float16)
            arrays[f"head_{name}_intercept"] = self.head_intercept_[name]
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
                "heads": {n: {**h, "categories": list(h["categories"])}
                          for n, h in self.heads.items()},
                "n_features": int(self.coef_.shape[1])}

    @classmethod
    def load(cls, directory: Path, config: dict[str, Any]) -> LinearBackend:
        params = {k: config[k] for k in ("word_ngram", "char_ngram", "min_df", "max_features",
                                         "C", "class_weight", "char_ascii", "word_ascii",
                                         "neighbours_k",
                                         "neighbours_max_df", "neighbours_categories", "heads")
                  if k in config}
        self = cls(**params)
        try:
            with np.load(directory / WEIGHTS_NAME, allow_pickle=False) as data:
                self.coef_ = data["coef"].astype(np.float32)
                self.intercept_ = data["intercept"].astype(np.float32)
                self.head_coef_ = {n: data[f"head_{n}_coef"].astype(np.float32)
                                   for n in self.heads}
                self.head_intercept_ = {n: data[f"head_{n}_intercept"] for n in self.heads}
                self._transposed()
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
