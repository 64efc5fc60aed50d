"""The classifier: normalise once, ask every backend, combine, threshold, explain."""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from vnmod import modeldir
from vnmod.backends.base import BackendUnavailable
from vnmod.backends.rules import RulesBackend
from vnmod.combine import apply_stack, stack_key, weighted_mean
from vnmod.prediction import Evidence, Prediction
from vnmod.reasons import readable
from vnmod.taxonomy import CATEGORIES
from vnmod.text.normalize import Normalised, normalise

MAX_CHARS = 100_000


def _status(item: object) -> str:
    if item is None:
        return "missing"
    if isinstance(item, float) and math.isnan(item):
        return "missing"
    if not isinstance(item, str):
        if type(item).__name__ in {"NAType", "NaTType"}:
            return "missing"
        return f"invalid: expected text, got {type(item).__name__}"
    if not item.strip():
        return "empty"
    if len(item) > MAX_CHARS:
        return "truncated"
    return "ok"


def _as_list(texts: object) -> list[object]:
    if isinstance(texts, (bytes, bytearray)):
        raise TypeError("texts must be str or an iterable of str; got bytes. "
                        "Decode it first, e.g. data.decode('utf-8').")
    if isinstance(texts, Mapping) or not isinstance(texts, Iterable):
        raise TypeError(f"texts must be str or an iterable of str (list, tuple, pandas "
                        f"Series, numpy array); got {type(texts).__name__}")
    if hasattr(texts, "tolist") and getattr(texts, "ndim", 1) != 1:
        raise ValueError(f"texts must be one-dimensional; got shape {texts.shape}. "
                         "Pass one column, e.g. df['text'].")
    return list(texts.tolist() if hasattr(texts, "tolist") else texts)


def _view_names(backend: Any) -> list[str]:
    """The probability views a backend contributes to the stack (usually just its name)."""
    return list(getattr(backend, "view_names", [backend.name]))


def component_probas(backends: Sequence[Any], docs: Sequence[Normalised]
                     ) -> tuple[dict[str, np.ndarray], list[list[Evidence]], np.ndarray]:
    """Every backend's probability views of ``docs`` (``{view name: (n, 4)}``), the evidence
    the backends that analyse (the rules) found, and the bounds ``(n, 4, 2)`` (floor,
    ceiling) they set on the final scores: strong profanity cannot be combined away, and a
    post of punctuation is not news."""
    probas: dict[str, np.ndarray] = {}
    evidence: list[list[Evidence]] = [[] for _ in docs]
    bounds = np.zeros((len(docs), len(CATEGORIES), 2))
    bounds[:, :, 1] = 1.0
    for backend in backends:
        if hasattr(backend, "views"):
            probas.update(backend.views(docs))
        elif hasattr(backend, "analyse"):
            probas[backend.name], found, bound = backend.analyse(docs)
            bounds[:, :, 0] = np.maximum(bounds[:, :, 0], bound[:, :, 0])
            bounds[:, :, 1] = np.minimum(bounds[:, :, 1], bound[:, :, 1])
            for i, items in enumerate(found):
                evidence[i].extend(items)
        else:
            probas[backend.name] = backend.predict_proba(docs)
    return probas, evidence, bounds


def bounded(scores: np.ndarray, bounds: np.ndarray | None) -> np.ndarray:
    """``scores`` raised to their floors and cut to their ceilings (unchanged without
    ``bounds``)."""
    if bounds is None:
        return scores
    return np.minimum(np.maximum(scores, bounds[..., 0]), bounds[..., 1])


class Classifier:
    """Components (rules, linear, PhoBERT) combined with weights, thresholded per category.

    Build one with :func:`vnmod.load`. ``predict`` takes a str (returns one
    :class:`Prediction`) or an iterable of str (returns a list); ``predict_proba`` always
    returns an ``(n, 4)`` array, columns in ``vnmod.CATEGORIES`` order.
    """

    def __init__(self, components: list[tuple[Any, float]], *,
                 thresholds: Mapping[str, float] | None = None,
                 manifest: dict[str, Any] | None = None, path: Path | None = None,
                 degraded: Sequence[str] = ()) -> None:
        if not components:
            raise ValueError("a Classifier needs at least one component")
        self.components = components
        self.manifest = manifest or {}
        self.path = path
        #: What a model loaded with ``allow_degraded=True`` runs without ("linear missing");
        #: every prediction's status says so.
        self.degraded = list(degraded)
        views = [name for b, _ in components for name in _view_names(b)]
        # The stack fitted on exactly these components, if the manifest has one; else a
        # weighted mean of their probabilities.
        self._stack = self.manifest.get("combine", {}).get("stacks", {}).get(stack_key(views))
        self._weights = {name: w for b, w in components for name in _view_names(b)}
        self._thresholds = dict.fromkeys(CATEGORIES, 0.5)
        if thresholds:
            self.thresholds = thresholds

    # -- thresholds ---------------------------------------------------------------------
    @property
    def thresholds(self) -> dict[str, float]:
        """Per-category decision thresholds; assign a (partial) mapping to change them."""
        return dict(self._thresholds)

    @thresholds.setter
    def thresholds(self, values: Mapping[str, float]) -> None:
        for key, value in values.items():
            if key not in CATEGORIES:
                raise ValueError(f"unknown category {key!r} in thresholds; "
                                 f"valid keys: {list(CATEGORIES)}")
            if not 0.0 <= float(value) <= 1.0:
                raise ValueError(f"threshold for {key!r} must lie in [0, 1]; got {value!r}")
            self._thresholds[key] = float(value)

    @property
    def component_names(self) -> list[str]:
        return [c.name for c, _ in self.components]

    # -- scoring ------------------------------------------------------------------------
    def _score(self, docs: list[Normalised]) -> tuple[np.ndarray, list[list[Evidence]]]:
        if not docs:
            return np.zeros((0, len(CATEGORIES))), []
        probas, evidence, bounds = component_probas([b for b, _ in self.components], docs)
        if self._stack is not None:
            combined = apply_stack(self._stack, probas)
        else:
            combined = weighted_mean(probas, self._weights)
        return bounded(combined, bounds), evidence

    def _explain(self, docs: list[Normalised | None], labels: list[list[str]],
                 evidence: list[list[Evidence]]) -> None:
        """Add the learned components' top n-grams for each post's flagged categories."""
        live = [i for i, d in enumerate(docs) if d is not None and labels[i]]
        if not live:
            return
        for backend, _ in self.components:
            if hasattr(backend, "explain"):
                extra = backend.explain([docs[i] for i in live], [labels[i] for i in live])
                for i, items in zip(live, extra, strict=True):
                    evidence[i].extend(items)

    def _run(self, items: list[object]) -> tuple[np.ndarray, list[list[Evidence]], list[str],
                                                  list[Normalised | None]]:
        statuses = [_status(x) for x in items]
        docs: list[Normalised | None] = [None] * len(items)
        live = []
        for i, (x, st) in enumerate(zip(items, statuses, strict=True)):
            if st in ("ok", "truncated"):
                docs[i] = normalise(x[:MAX_CHARS])  # type: ignore[index]
                live.append(i)
        scores = np.zeros((len(items), len(CATEGORIES)))
        evidence: list[list[Evidence]] = [[] for _ in items]
        if live:
            sub_scores, sub_ev = self._score([docs[i] for i in live])  # type: ignore[misc]
            scores[live] = sub_scores
            for j, i in enumerate(live):
                evidence[i] = sub_ev[j]
        if self.degraded:
            note = "degraded model: " + ", ".join(self.degraded)
            statuses = [f"{st}; {note}" for st in statuses]
        return scores, evidence, statuses, docs

    def predict_proba(self, texts: str | Iterable[str]) -> np.ndarray:
        """Combined probabilities, shape ``(n, 4)``; rows of missing/empty texts are 0."""
        items = [texts] if isinstance(texts, str) else _as_list(texts)
        return self._run(items)[0]

    def predict(self, texts: str | Iterable[str]) -> Prediction | list[Prediction]:
        """Labels, scores and evidence: one :class:`Prediction` for a str, else a list."""
        single = isinstance(texts, str)
        items = [texts] if single else _as_list(texts)
        scores, evidence, statuses, docs = self._run(items)
        names = self.component_names
        ok = [doc is not None for doc in docs]  # the status was "ok" or "truncated"
        labels = [[c for k, c in enumerate(CATEGORIES) if ok[i] and scores[i, k] >=
                   self._thresholds[c]] for i in range(len(items))]
        self._explain(docs, labels, evidence)
        # A flag must say why: a category whose score passed its threshold but for which no
        # component can point at a part of the text a person can read (a rule that hit, or
        # an n-gram of real words: see vnmod.reasons) is not flagged.
        labels = [[c for c in cats if any(e.category == c and readable(e, items[i])
                                          for e in evidence[i])]
                  for i, cats in enumerate(labels)]
        out = [Prediction(text=item if isinstance(item, str) else None, labels=labels[i],
                          scores={c: float(scores[i, k]) for k, c in enumerate(CATEGORIES)},
                          evidence=evidence[i], status=statuses[i],
                          components=names if ok[i] else [])
               for i, item in enumerate(items)]
        return out[0] if single else out

    # -- persistence --------------------------------------------------------------------
    def save(self, path: str | os.PathLike, *, card: str | None = None,
             extra: dict[str, Any] | None = None) -> Path:
        """Write a model directory: manifest, one subfolder per component, model card."""
        root = Path(path)
        root.mkdir(parents=True, exist_ok=True)
        entries = []
        for backend, w in self.components:
            sub = root / backend.name
            config = backend.save(sub)
            entries.append({"type": backend.name, "path": backend.name, "weight": w,
                            "config": config})
        if card is not None:
            (root / modeldir.MODEL_CARD_NAME).write_text(card, encoding="utf-8")
        keep = {k: v for k, v in self.manifest.items()
                if k not in {"components", "thresholds", "files"}}
        self.manifest = modeldir.write_manifest(
            root, {**keep, **(extra or {}), "components": entries,
                   "thresholds": self.thresholds})
        self.path = root
        return root

    @classmethod
    def load(cls, name_or_path: str | os.PathLike | None = None, *,
             allow_degraded: bool = False) -> Classifier:
        """Load a model directory, exactly as it was saved or not at all.

        Every file is checked against the manifest's ``files`` table
        (:func:`vnmod.modeldir.verify_model`); a missing, changed or unlisted file, or a
        component that cannot load here (a missing optional dependency), raises
        :class:`~vnmod.modeldir.ModelDirError` naming it. With ``allow_degraded=True`` the
        components whose files verify and that load are used instead, each loss is warned
        about, and every prediction's status ends in ``degraded model: ...``.
        """
        root = modeldir.resolve(name_or_path)
        manifest = modeldir.read_manifest(root)
        problems = modeldir.verify_model(root, manifest)
        if problems and not allow_degraded:
            raise modeldir.ModelDirError(
                f"model {root} is not as saved: {modeldir.describe(problems)}. Copy the model "
                f"directory again or re-save it; allow_degraded=True (CLI: --allow-degraded) "
                f"runs on the parts that verify")
        components: list[tuple[Any, float]] = []
        degraded: list[str] = []
        for entry in manifest.get("components", []):
            kind = entry.get("type")
            backend_cls = modeldir.component_class(kind)
            sub = modeldir.inside(root, entry.get("path", kind))
            folder = sub.relative_to(root.resolve()).as_posix()
            bad = {rel: why for rel, why in problems.items()
                   if folder == "." or rel.startswith(folder + "/")}
            for rel in bad:
                problems.pop(rel)
            # The files were hashed once above: PhoBERT need not hash its weights again.
            config = {**entry.get("config", {}), **({"verify": False} if kind == "phobert"
                                                    else {})}
            try:
                if bad:
                    raise BackendUnavailable(modeldir.describe(bad))
                backend = backend_cls.load(sub, config)
            except BackendUnavailable as exc:
                if not allow_degraded:
                    raise modeldir.ModelDirError(
                        f"component {kind!r} of model {root} cannot load here ({exc}); "
                        f"allow_degraded=True (CLI: --allow-degraded) runs without it") from exc
                state = ("unavailable" if not bad else "missing"
                         if all(why == "missing" for why in bad.values()) else "changed")
                degraded.append(f"{kind} {state}")
                warnings.warn(f"vnmod: component {kind!r} of model {root.name!r} is not "
                              f"available ({exc}); predicting without it (allow_degraded).",
                              RuntimeWarning, stacklevel=2)
                continue
            components.append((backend, float(entry.get("weight", 1.0))))
        if problems:  # outside every component folder: read by nothing, but not as saved
            degraded.extend(f"{rel} {why}" for rel, why in problems.items())
            warnings.warn(f"vnmod: model {root.name!r} is not as saved "
                          f"({modeldir.describe(problems)}); loading anyway (allow_degraded).",
                          RuntimeWarning, stacklevel=2)
        if not any(isinstance(b, RulesBackend) for b, _ in components):
            components.append((RulesBackend(), 1.0))
        clf = cls(components, thresholds=manifest.get("thresholds"), manifest=manifest,
                  path=root, degraded=degraded)
        if clf._stack is not None and "thresholds" in clf._stack:
            clf.thresholds = clf._stack["thresholds"]  # fitted for the components that loaded
        return clf
