"""Combine component probabilities into one score per category.

Two methods, both stored as plain numbers in the manifest:

- ``stack``: per category, ``sigmoid(b + sum_i a_i * logit(p_i))`` with ``a``, ``b`` fitted on
  dev data, plus for a category with a gate ``w * min(0, logit(g) + m)``, ``g`` the
  probability of the gate's view (for fake_news: that the post reads like news) and ``m`` its
  margin (default 0: only posts the view calls unlike news by more than ``m`` are lowered),
  so a gate only lowers.
  A stack is stored for each set of components it was fitted on, so a model whose PhoBERT
  part cannot load falls back to the stack fitted without it.
- ``mean``: a weighted mean of the components' probabilities (the fallback when no stack fits
  the components that loaded).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from vnmod.taxonomy import CATEGORIES

EPS = 1e-4
THRESHOLD_GRID = np.round(np.arange(0.05, 0.951, 0.01), 2)  # thresholds tried on dev data


def stack_key(names: Sequence[str]) -> str:
    return "+".join(sorted(names))


def sigmoid(z: np.ndarray) -> np.ndarray:
    """Logistic function (nan stays nan; no overflow warning for very negative ``z``)."""
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-z))


def logit(p: np.ndarray, eps: float = EPS) -> np.ndarray:
    """Log-odds of ``p``, clipped to ``[eps, 1 - eps]`` first."""
    p = np.clip(p, eps, 1 - eps)
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


#: A gate's margin when its recipe or saved stack names none: every post reading unlike news
#: is lowered.
GATE_MARGIN = 0.0


def gate_offset(gate_proba: np.ndarray, weight: float, margin: float = GATE_MARGIN
                ) -> np.ndarray:
    """What a gate adds to its category's stacked logit: ``weight * min(0, logit(g) +
    margin)``, 0 where the gate's probability ``g`` is unknown (nan)."""
    return weight * np.minimum(0.0, np.nan_to_num(logit(gate_proba)) + margin)


def learned_only_allowed(stack: Mapping[str, Any] | None, probas: Mapping[str, np.ndarray],
                         n: int) -> np.ndarray:
    """``(n, 4)``: where a flag that no rule backs may stand. False only in a category whose
    gate sets ``learned_only_logit`` L, for posts whose gate logit is below L (a comment that
    does not read like news: its learned fake_news score alone flags nothing). Scores are
    untouched; True where the gate's view is absent or its probability unknown (nan)."""
    allowed = np.ones((n, len(CATEGORIES)), dtype=bool)
    for cat, gate in (stack or {}).get("gates", {}).items():
        if "learned_only_logit" in gate and gate["view"] in probas:
            k = CATEGORIES.index(cat)
            g = logit(probas[gate["view"]][:, k])
            allowed[:, k] = np.isnan(g) | (g >= gate["learned_only_logit"])
    return allowed


def apply_stack(stack: Mapping[str, Any], probas: Mapping[str, np.ndarray]) -> np.ndarray:
    """Apply one fitted stack (``components``, ``coef`` (4, k), ``intercept`` (4,), and
    ``gates``: category -> ``{"view": name, "weight": w, "margin": m}`` (``m`` optional, 0),
    applied where the view is among ``probas``; a gate's ``learned_only_logit`` acts on flags,
    not scores: :func:`learned_only_allowed`)."""
    coef = np.asarray(stack["coef"], dtype=float)
    z = np.tile(np.asarray(stack["intercept"], dtype=float), (len(next(iter(probas.values()))),
                                                              1))
    for j, name in enumerate(stack["components"]):
        z += np.nan_to_num(logit(probas[name])) * coef[:, j]
    for cat, gate in stack.get("gates", {}).items():
        if gate["view"] in probas:
            k = CATEGORIES.index(cat)
            z[:, k] += gate_offset(probas[gate["view"]][:, k], gate["weight"],
                                   gate.get("margin", GATE_MARGIN))
    return sigmoid(z)


def fit_stack(probas: Mapping[str, np.ndarray], y: np.ndarray, *, C: float = 1.0,
              views: Mapping[str, Sequence[str]] | None = None) -> dict[str, Any]:
    """Fit per-category logistic weights over component logits on dev data.

    ``y`` is ``(n, 4)`` with nan for unknown cells. A category without both classes in dev
    gets weights that reproduce the mean of its components' logits. ``views`` (category ->
    view names) limits a category's stack to those of its views that are present (the others
    weigh 0); a category it does not name, or whose named views are all absent, uses all.
    """
    from sklearn.linear_model import LogisticRegression

    names = sorted(probas)
    x_all = np.stack([np.nan_to_num(logit(probas[n])) for n in names], axis=-1)  # (n, 4, k)
    coef = np.zeros((len(CATEGORIES), len(names)))
    intercept = np.zeros(len(CATEGORIES))
    for k, cat in enumerate(CATEGORIES):
        use = [j for j, n in enumerate(names) if n in (views or {}).get(cat, names)] \
            or list(range(len(names)))
        known = ~np.isnan(y[:, k])
        labels = y[known, k]
        if len(np.unique(labels)) < 2:
            coef[k, use] = 1.0 / len(use)
            continue
        model = LogisticRegression(C=C, max_iter=1000)
        model.fit(x_all[known][:, k, use], labels)
        coef[k, use], intercept[k] = model.coef_[0], model.intercept_[0]
    return {"components": names, "coef": coef.round(6).tolist(),
            "intercept": intercept.round(6).tolist()}


def best_learned_only(p: np.ndarray, y: np.ndarray, backed: np.ndarray,
                      thresholds: Mapping[str, float], categories: Sequence[str], *,
                      tolerance: Mapping[str, float] | None = None) -> dict[str, float]:
    """Per category of ``categories``, the least score at which a post no rule backs is
    flagged (``backed`` (n, 4) bool: a rule of the category hit): the threshold itself (no
    extra demand) or a higher one of the grid, maximising dev F1 of ``p >= threshold and
    (backed or p >= it)``; with a ``tolerance``, the highest within it of the best F1 (where
    F1 is flat, fewer flags resting on n-grams alone). Categories without dev positives are
    left out."""
    out = {}
    for cat in categories:
        j = CATEGORIES.index(cat)
        seen = ~np.isnan(y[:, j]) & ~np.isnan(p[:, j])
        truth, scores, rule = y[seen, j] == 1, p[seen, j], backed[seen, j]
        if not truth.any():
            continue
        above = THRESHOLD_GRID[np.greater(THRESHOLD_GRID, thresholds[cat])]
        grid = np.concatenate([[thresholds[cat]], above])
        flagged = scores >= thresholds[cat]
        pred = flagged[None, :] & (rule[None, :] | (scores[None, :] >= grid[:, None]))
        f1 = f1_over_grid(pred, truth)
        slack = (tolerance or {}).get(cat, 0.0)
        out[cat] = float(grid[f1 >= f1.max() - slack].max() if slack else
                         grid[np.argmax(f1)])
    return out


def f1_over_grid(pred: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """F1 of each row of ``pred`` (one bool row per threshold) against ``truth``."""
    tp = (pred & truth).sum(1)
    return 2 * tp / np.maximum(pred.sum(1) + truth.sum(), 1)


def best_thresholds(p: np.ndarray, y: np.ndarray, *, default: float = 0.5,
                    tolerance: Mapping[str, float] | None = None) -> dict[str, float]:
    """Per category, the threshold in 0.05..0.95 maximising F1 on dev (``default`` where dev
    has no positive).

    Among the thresholds with the best F1, the one farthest from any dev probability is
    taken (then the one closest to 0.5), so small numeric changes (int8, ONNX) do not flip
    dev decisions and the cut sits in the middle of the gap between classes. With a
    ``tolerance`` for a category, the highest threshold whose F1 is within it of the best is
    taken instead: where F1 is flat, fewer flags (fewer false alarms for a reviewer).
    """
    grid = THRESHOLD_GRID
    out = {}
    for j, cat in enumerate(CATEGORIES):
        seen = ~np.isnan(y[:, j]) & ~np.isnan(p[:, j])
        truth, scores = y[seen, j] == 1, p[seen, j]
        if not truth.any():
            out[cat] = default
            continue
        f1 = f1_over_grid(scores[None, :] >= grid[:, None], truth)
        if tolerance and cat in tolerance:
            out[cat] = float(grid[f1 >= f1.max() - tolerance[cat]].max())
            continue
        best = grid[f1 == f1.max()]
        margin = np.abs(scores[None, :] - best[:, None]).min(1)
        order = np.lexsort((np.abs(best - 0.5), -np.round(margin, 6)))
        out[cat] = float(best[order[0]])
    return out
