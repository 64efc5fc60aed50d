"""Score a model on labelled data: per-category precision/recall/F1, macro-F1, ROC-AUC and
calibration (Brier score, expected calibration error).

``task="vihsd"`` scores the 3-class view papers report on ViHSD: HATE if ``insult``,
OFFENSIVE if ``offensive`` and not ``insult``, else CLEAN, at the model's cut-offs for ViHSD
(``Classifier.for_task("vihsd")``: fitted on ViHSD dev, where its flags follow the policy).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from vnmod.classifier import Classifier
from vnmod.prediction import Prediction
from vnmod.taxonomy import CATEGORIES

VIHSD_CLASSES = ("CLEAN", "OFFENSIVE", "HATE")
TASKS = ("categories", "vihsd")


def _prf(pred: np.ndarray, truth: np.ndarray) -> dict[str, float]:
    tp = int(np.sum(pred & truth))
    fp = int(np.sum(pred & ~truth))
    fn = int(np.sum(~pred & truth))
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f1, 4),
            "support": int(truth.sum()), "predicted": int(pred.sum())}


def calibration(p: np.ndarray, truth: np.ndarray, bins: int = 10) -> dict[str, float]:
    """How far probabilities are from observed rates: the Brier score (mean squared error)
    and the expected calibration error (ECE: over ``bins`` equal-width probability bins, the
    share-weighted gap between mean probability and rate of positives)."""
    p = np.asarray(p, dtype=float)
    truth = np.asarray(truth, dtype=float)
    which = np.minimum((p * bins).astype(int), bins - 1)
    share = np.bincount(which, minlength=bins) / max(len(p), 1)
    with np.errstate(invalid="ignore"):
        mean_p = np.bincount(which, weights=p, minlength=bins) / (share * len(p))
        rate = np.bincount(which, weights=truth, minlength=bins) / (share * len(p))
    ece = float(np.nansum(share * np.abs(mean_p - rate)))
    return {"brier": round(float(np.mean((p - truth) ** 2)), 4), "ece": round(ece, 4)}


def vihsd_classes(labels: np.ndarray) -> np.ndarray:
    """(n, 4) 0/1 labels -> 0 CLEAN, 1 OFFENSIVE, 2 HATE."""
    ins = labels[:, CATEGORIES.index("insult")] == 1
    off = labels[:, CATEGORIES.index("offensive")] == 1
    return np.where(ins, 2, np.where(off, 1, 0))


def evaluate(clf: Classifier, texts: Sequence[str], y: np.ndarray, *,
             task: str = "categories") -> dict[str, Any]:
    """Report on ``texts`` with gold labels ``y`` (``(n, 4)``, nan = not annotated)."""
    _checked(y, len(texts), task)  # before the model runs
    # The labels a user gets: past the threshold and backed by evidence (Classifier.predict);
    # a benchmark task at the cut-offs fitted for it on its dev split, where the model has them.
    if task != "categories":
        clf = clf.for_task(task)
    return evaluate_predictions(clf, clf.predict(list(texts)), y, task=task)


def _checked(y: np.ndarray, n: int, task: str) -> np.ndarray:
    """``y`` as floats, refused unless it labels ``n`` posts and ``task`` is known."""
    if task not in TASKS:
        raise ValueError(f"task must be one of {TASKS}; got {task!r}")
    y = np.asarray(y, dtype=float)
    if y.shape != (n, len(CATEGORIES)):
        raise ValueError(f"y must have shape ({n}, {len(CATEGORIES)}); got {y.shape}")
    return y


def evaluate_predictions(clf: Classifier, predictions: Sequence[Prediction], y: np.ndarray, *,
                         task: str = "categories") -> dict[str, Any]:
    """:func:`evaluate` of ``clf``'s ``predictions`` already made (one per row of ``y``)."""
    from sklearn.metrics import f1_score, roc_auc_score

    y = _checked(y, len(predictions), task)
    n_cats = len(CATEGORIES)
    proba = np.array([[p.scores[c] for c in CATEGORIES] for p in predictions]).reshape(-1, n_cats)
    pred = np.array([[c in p.labels for c in CATEGORIES] for p in predictions],
                    dtype=bool).reshape(-1, n_cats)
    report: dict[str, Any] = {"n": len(predictions), "task": task, "thresholds": clf.thresholds,
                              "components": clf.component_names, "categories": {}}
    f1s = []
    for k, cat in enumerate(CATEGORIES):
        known = ~np.isnan(y[:, k])
        truth = y[known, k] == 1
        if not known.any() or not truth.any():
            continue
        row = _prf(pred[known, k], truth)
        if not truth.all():
            row["roc_auc"] = round(float(roc_auc_score(truth, proba[known, k])), 4)
        row.update(calibration(proba[known, k], truth))
        report["categories"][cat] = row
        f1s.append(row["f1"])
    report["macro_f1"] = round(float(np.mean(f1s)), 4) if f1s else None
    if task == "vihsd":
        gold = vihsd_classes(np.nan_to_num(y))
        guess = vihsd_classes(pred.astype(int))
        per_class = f1_score(gold, guess, labels=[0, 1, 2], average=None, zero_division=0)
        report["vihsd"] = {
            "macro_f1": round(float(np.mean(per_class)), 4),
            "accuracy": round(float(np.mean(gold == guess)), 4),
            "f1": {c: round(float(f), 4) for c, f in zip(VIHSD_CLASSES, per_class,
                                                          strict=True)},
        }
    return report
