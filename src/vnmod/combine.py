"""Combine component probabilities into one score per category.

Two methods, both stored as plain numbers in the manifest:

- ``stack``: per category, ``sigmoid(b + sum_i a_i * logit(p_i))`` with ``a``, ``b`` fitted on
  dev data. A stack is stored for each set of components it was fitted on, so a model whose
  PhoBERT part cannot load falls back to the stack fitted without it.
- ``mean``: a weighted mean of the components' probabilities (the fallback when no stack fits
  the components that loaded).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from vnmod.taxonomy import CATEGORIES

EPS = 1e-4


def stack_key(names: Sequence[str]) -> str:
    return "+".join(sorted(names))


def logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, EPS, 1 - EPS)
    return np.log(p / (1 - p))


def weighted_mean(probas: Mapping[str, np.ndarray], weights: Mapping[str, float]) -> np.ndarray:
    """Mean of the known (non-nan) probabilities, weighted per component."""
    first = next(iter(probas.values()))
    total = np.zeros_like(first, dtype=float)
    weight = np.zeros_like(first, dtype=float)
    for name, p in probas.items():
        known = ~np.isnan(p)
        total += np.where(known, p, 0.0) * weights.get(name, 1.0)
        weight += known * weights.get(name, 1.0)
    return np.where(weight > 0, total / np.maximum(weight, 1e-12), 0.0)


def apply_stack(stack: Mapping[str, Any], probas: Mapping[str, np.ndarray]) -> np.ndarray:
    """Apply one fitted stack (``components``, ``coef`` (4, k), ``intercept`` (4,))."""
    coef = np.asarray(stack["coef"], dtype=float)
    z = np.tile(np.asarray(stack["intercept"], dtype=float), (len(next(iter(probas.values()))),
                                                              1))
    for j, name in enumerate(stack["components"]):
        z += np.nan_to_num(logit(probas[name])) * coef[:, j]
    return 1.0 / (1.0 + np.exp(-z))


def fit_stack(probas: Mapping[str, np.ndarray], y: np.ndarray, *, C: float = 1.0
              ) -> dict[str, Any]:
    """Fit per-category logistic weights over component logits on dev data.

    ``y`` is ``(n, 4)`` with nan for unknown cells. A category without both classes in dev
    gets weights that reproduce the mean of its components' logits.
    """
    from sklearn.linear_model import LogisticRegression

    names = sorted(probas)
    x_all = np.stack([np.nan_to_num(logit(probas[n])) for n in names], axis=-1)  # (n, 4, k)
    coef = np.zeros((len(CATEGORIES), len(names)))
    intercept = np.zeros(len(CATEGORIES))
    for k in range(len(CATEGORIES)):
        known = ~np.isnan(y[:, k])
        labels = y[known, k]
        if len(np.unique(labels)) < 2:
            coef[k] = 1.0 / len(names)
            continue
        model = LogisticRegression(C=C, max_iter=1000)
        model.fit(x_all[known, k, :], labels)
        coef[k], intercept[k] = model.coef_[0], model.intercept_[0]
    return {"components": names, "coef": coef.round(6).tolist(),
            "intercept": intercept.round(6).tolist()}


def best_thresholds(p: np.ndarray, y: np.ndarray, *, default: float = 0.5,
                    grid: np.ndarray | None = None) -> dict[str, float]:
    """Per-category thresholds that maximise F1 on dev (``default`` where dev says nothing)."""
    grid = np.round(np.arange(0.05, 0.951, 0.01), 2) if grid is None else grid
    out = {}
    for k, cat in enumerate(CATEGORIES):
        known = ~np.isnan(y[:, k])
        truth = y[known, k] == 1
        if truth.sum() == 0 or truth.all():
            out[cat] = default
            continue
        scores = p[known, k]
        best, best_f1 = default, -1.0
        for t in grid:
            pred = scores >= t
            tp = np.sum(pred & truth)
            f1 = 2 * tp / max(pred.sum() + truth.sum(), 1)
            if f1 > best_f1:
                best, best_f1 = float(t), f1
        out[cat] = best
    return out
