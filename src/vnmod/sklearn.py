"""A scikit-learn estimator that trains a vnmod model: :class:`VnmodClassifier`.

It fits what ``vnmod train`` fits (the linear backend: word and character TF-IDF with one
logistic regression per category; the shipped rules; a stack over both and per-category
thresholds, here chosen on out-of-fold scores of the training posts) and so drops into
``Pipeline``, ``clone``, ``GridSearchCV`` and ``cross_val_score``::

    from sklearn.metrics import f1_score, make_scorer
    from sklearn.model_selection import cross_val_score
    from vnmod.sklearn import VnmodClassifier, label_matrix

    y = label_matrix([["insult"], [], ["illegal_ads", "offensive"], ...])  # (n, 4) 0/1
    cross_val_score(VnmodClassifier(C=2.0), texts, y,
                    scoring=make_scorer(f1_score, average="micro"), cv=3)

``predict`` returns an ``(n, 4)`` 0/1 array (columns in :data:`vnmod.CATEGORIES` order),
``predict_proba`` the scores. The fitted :class:`vnmod.Classifier` is ``model_``:
``est.model_.predict(texts)`` gives predictions with evidence, ``est.save(path)`` writes a
model directory that ``vnmod.load(path)`` and ``vnmod classify --model path`` read.
To only *use* the shipped model, ``vnmod.load()`` is all you need.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin

from vnmod.backends.linear import LinearBackend
from vnmod.backends.rules import RulesBackend
from vnmod.classifier import Classifier, _items, bounded, component_probas
from vnmod.combine import apply_stack, best_thresholds, fit_stack, stack_key, weighted_mean
from vnmod.data._common import stable_bucket
from vnmod.taxonomy import CATEGORIES
from vnmod.text.normalize import normalise

__all__ = ["VnmodClassifier", "label_matrix"]

_LINEAR_PARAMS = ("word_ngram", "char_ngram", "min_df", "max_features", "C", "class_weight",
                  "char_ascii", "word_ascii")
_EXPECTED_Y = ("expected an (n, 4) array of 0/1 (columns in vnmod.CATEGORIES order: "
               f"{list(CATEGORIES)}) or one list of category names per post, e.g. "
               "[['insult'], [], ['illegal_ads', 'offensive']]")


def label_matrix(y: Any, n: int | None = None) -> np.ndarray:
    """``y`` as an ``(n, 4)`` float array of 0/1 (``nan``: unknown), columns in
    :data:`vnmod.CATEGORIES` order.

    ``y`` may be such an array (or nested list, or a DataFrame with the category columns),
    one list (tuple, set) of category names per post, or one name per post (a category or
    ``"clean"``)."""
    if hasattr(y, "columns") and all(c in list(y.columns) for c in CATEGORIES):
        y = y[list(CATEGORIES)].to_numpy(dtype=float)
    rows = list(y.tolist() if hasattr(y, "tolist") else y) if not isinstance(y, str) else None
    if rows is None or isinstance(y, Mapping):
        raise TypeError(f"y: got {type(y).__name__}; {_EXPECTED_Y}")
    if rows and all(isinstance(r, (str, list, tuple, set, frozenset)) for r in rows) and all(
            isinstance(x, str) for r in rows for x in ([r] if isinstance(r, str) else r)):
        out = np.zeros((len(rows), len(CATEGORIES)))
        for i, r in enumerate(rows):
            for name in [r] if isinstance(r, str) else r:
                if name == "clean" and isinstance(r, str):
                    continue
                if name not in CATEGORIES:
                    raise ValueError(f"y[{i}]: unknown category {name!r}; categories are "
                                     f"{list(CATEGORIES)} (or 'clean' for a post without any)")
                out[i, CATEGORIES.index(name)] = 1.0
    else:
        try:
            out = np.asarray(rows, dtype=float)
        except (TypeError, ValueError):
            raise TypeError(f"y: got {type(y).__name__} that is neither numbers nor category "
                            f"names; {_EXPECTED_Y}") from None
        if out.ndim != 2 or out.shape[1] != len(CATEGORIES):
            raise ValueError(f"y: got shape {out.shape}; {_EXPECTED_Y}")
        if not np.isin(out[~np.isnan(out)], (0.0, 1.0)).all():
            raise ValueError(f"y: got values other than 0 and 1; {_EXPECTED_Y}")
    if n is not None and len(out) != n:
        raise ValueError(f"y has {len(out)} rows but there are {n} posts")
    return out


def _texts(X: Any, text_column: str | None) -> list[str]:
    items = _items(X, text_column)[0]
    for i, item in enumerate(items):
        if not isinstance(item, str):
            raise TypeError(f"X[{i}]: got {type(item).__name__} {item!r}; expected the text "
                            "of a post (str). Drop or fill missing posts before fitting")
    return items  # type: ignore[return-value]


def _folds(texts: list[str], cv: int) -> np.ndarray:
    """Fold of each post: balanced, and the same for the same posts on every run."""
    order = np.argsort([stable_bucket(t, "vnmod-sklearn:") for t in texts], kind="stable")
    fold = np.empty(len(texts), dtype=int)
    fold[order] = np.arange(len(texts)) % cv
    return fold


class VnmodClassifier(ClassifierMixin, BaseEstimator):
    """vnmod's linear backend + rules, stacked and thresholded, as a scikit-learn estimator.

    Multilabel: ``fit(X, y)`` takes posts (list, tuple, numpy array of str, pandas Series,
    or a DataFrame with ``text_column``) and ``y`` as an ``(n, 4)`` 0/1 array or one list of
    category names per post (see :func:`label_matrix`); ``predict`` returns an ``(n, 4)``
    0/1 array, columns in ``classes_`` (:data:`vnmod.CATEGORIES`) order.

    Parameters
    ----------
    word_ngram, char_ngram, min_df, max_features, C, class_weight, char_ascii, word_ascii
        Those of :class:`vnmod.backends.linear.LinearBackend` (TF-IDF n-grams and the
        logistic regressions' inverse regularisation ``C``).
    rules : bool
        Combine with the shipped rules (floors for strong profanity, evidence for flags).
    combine : "stack" or "mean"
        A logistic stack over the components' out-of-fold scores, or their plain mean.
    stack_C : float
        Inverse regularisation of the stack.
    cv : int
        Folds for the out-of-fold scores the stack and thresholds are fitted on.
    thresholds : "fit", float or dict
        "fit": per category, the threshold maximising F1 on out-of-fold scores; a number for
        every category; or a ``{category: threshold}`` mapping (others 0.5).
    text_column : str or None
        The column of a DataFrame ``X`` that holds the posts.
    """

    def __init__(self, *, word_ngram: tuple[int, int] = (1, 2),
                 char_ngram: tuple[int, int] | None = (2, 5), min_df: int = 2,
                 max_features: int | None = 300_000, C: float = 4.0,
                 class_weight: str | None = "balanced", char_ascii: bool = False,
                 word_ascii: bool = False, rules: bool = True, combine: str = "stack",
                 stack_C: float = 1.0, cv: int = 3, thresholds: Any = "fit",
                 text_column: str | None = None) -> None:
        self.word_ngram = word_ngram
        self.char_ngram = char_ngram
        self.min_df = min_df
        self.max_features = max_features
        self.C = C
        self.class_weight = class_weight
        self.char_ascii = char_ascii
        self.word_ascii = word_ascii
        self.rules = rules
        self.combine = combine
        self.stack_C = stack_C
        self.cv = cv
        self.thresholds = thresholds
        self.text_column = text_column

    # -- scikit-learn conventions -------------------------------------------------------
    def __sklearn_tags__(self):  # scikit-learn >= 1.6
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        tags.input_tags.string = True
        tags.input_tags.two_d_array = False
        tags.target_tags.two_d_labels = True
        return tags

    def _more_tags(self) -> dict[str, Any]:  # scikit-learn < 1.6
        return {"multilabel": True, "X_types": ["string"], "requires_y": True}

    def _check_params(self) -> None:
        if self.combine not in ("stack", "mean"):
            raise ValueError(f"combine must be 'stack' or 'mean'; got {self.combine!r}")
        if not isinstance(self.cv, int) or isinstance(self.cv, bool) or self.cv < 2:
            raise ValueError(f"cv must be an int >= 2 (folds for out-of-fold scores); got "
                             f"{self.cv!r}")
        t = self.thresholds
        if not (t == "fit" or isinstance(t, Mapping) or (isinstance(t, (int, float))
                                                          and not isinstance(t, bool))):
            raise TypeError(f"thresholds must be 'fit', a number in [0, 1] or a mapping "
                            f"{{category: number}}; got {type(t).__name__} {t!r}")

    # -- fitting ------------------------------------------------------------------------
    def fit(self, X: Any, y: Any) -> VnmodClassifier:
        """Train on posts ``X`` and labels ``y`` (``(n, 4)`` 0/1, or label lists)."""
        self._check_params()
        texts = _texts(X, self.text_column)
        Y = label_matrix(y, len(texts))
        if len(texts) < 2 * self.cv:
            raise ValueError(f"fit needs at least {2 * self.cv} posts for cv={self.cv}; got "
                             f"{len(texts)}")
        docs = [normalise(t) for t in texts]
        linear_params = {k: getattr(self, k) for k in _LINEAR_PARAMS}
        backends: list[Any] = [LinearBackend(**linear_params).fit(docs, Y)]
        if self.rules:
            backends.append(RulesBackend())

        stack = thresholds = None
        if self.combine == "stack" or self.thresholds == "fit":
            # Out-of-fold scores of the training posts: each from a linear backend fitted
            # without that post's fold (the rules need no fitting).
            fold = _folds(texts, self.cv)
            oof = np.full((len(docs), len(CATEGORIES)), np.nan)
            for f in range(self.cv):
                held, keep = np.flatnonzero(fold == f), np.flatnonzero(fold != f)
                model = LinearBackend(**linear_params).fit([docs[i] for i in keep], Y[keep])
                oof[held] = model.predict_proba([docs[i] for i in held])
            probas, _, bounds = component_probas(backends[1:], docs)
            probas["linear"] = oof
            if self.combine == "stack":
                stack = fit_stack(probas, Y, C=self.stack_C)
                combined = apply_stack(stack, probas)
            else:
                combined = weighted_mean(probas, {})
            if self.thresholds == "fit":
                thresholds = best_thresholds(bounded(combined, bounds), Y)
                if self.rules:  # a post the rules floor is always flagged (as vnmod train)
                    for cat, ceiling in backends[1].least_floor.items():
                        thresholds[cat] = min(thresholds[cat], ceiling)
        if thresholds is None:
            t = self.thresholds
            thresholds = dict(t) if isinstance(t, Mapping) else dict.fromkeys(CATEGORIES, t)
        manifest: dict[str, Any] = {"name": type(self).__name__}
        if stack is not None:
            stack["thresholds"] = thresholds
            views = [v for b in backends for v in getattr(b, "view_names", [b.name])]
            manifest["combine"] = {"method": "stack", "stacks": {stack_key(views): stack}}
        self.model_ = Classifier([(b, 1.0) for b in backends], thresholds=thresholds,
                                 manifest=manifest)
        self.classes_ = np.array(CATEGORIES)
        self.thresholds_ = self.model_.thresholds
        return self

    # -- predicting ---------------------------------------------------------------------
    def _model(self) -> Classifier:
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self, "model_")
        return self.model_

    def predict_proba(self, X: Any) -> np.ndarray:
        """Scores, ``(n, 4)``, columns in ``classes_`` order."""
        return self._model().predict_proba(X, text_column=self.text_column)

    def predict(self, X: Any) -> np.ndarray:
        """Flags, an ``(n, 4)`` 0/1 int array, columns in ``classes_`` order (the labels of
        :meth:`vnmod.Classifier.predict`: past the threshold, with readable evidence)."""
        preds = self._model().predict(X, text_column=self.text_column)
        if not isinstance(preds, list):
            preds = [preds]
        out = np.zeros((len(preds), len(CATEGORIES)), dtype=int)
        for i, p in enumerate(preds):
            for cat in p.labels:
                out[i, CATEGORIES.index(cat)] = 1
        return out

    def predict_frame(self, X: Any):
        """A DataFrame of labels, scores and reasons (:meth:`vnmod.Classifier.predict_frame`)."""
        return self._model().predict_frame(X, text_column=self.text_column)

    def save(self, path: str | os.PathLike) -> Path:
        """Write the fitted model as a model directory (``vnmod.load(path)`` reads it)."""
        return self._model().save(path)
