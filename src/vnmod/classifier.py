"""The classifier: normalise once, ask every backend, combine, threshold, explain."""

from __future__ import annotations

import copy
import math
import os
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from vnmod import modeldir
from vnmod.backends.base import Backend, BackendUnavailable, default_types
from vnmod.combine import apply_stack, learned_only_allowed, stack_key, weighted_mean
from vnmod.prediction import Evidence, Prediction
from vnmod.reasons import readable, rule_backed
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
        raise TypeError(f"texts must be str or an iterable of str (list, tuple, generator, "
                        f"pandas Series or DataFrame with text_column=, numpy array); got "
                        f"{type(texts).__name__}")
    if hasattr(texts, "tolist") and getattr(texts, "ndim", 1) != 1:
        raise ValueError(f"texts must be one-dimensional; got an array of shape "
                         f"{texts.shape}. Pass one column, e.g. df['text'], or a DataFrame "
                         "with text_column='text'.")
    return list(texts.tolist() if hasattr(texts, "tolist") else texts)


#: Column names taken as the text of a DataFrame passed without ``text_column=``.
TEXT_COLUMN_NAMES = ("text", "content", "free_text", "post_message", "message", "comment",
                     "post", "body", "noi_dung", "nội dung", "nội_dung", "caption")


def _is_frame(obj: object) -> bool:
    """A pandas (or pandas-like) DataFrame: two-dimensional, with named columns."""
    return (not isinstance(obj, (str, Mapping)) and hasattr(obj, "columns")
            and getattr(obj, "ndim", 2) == 2)


def _frame_column(frame: Any, text_column: object) -> Any:
    """The column of ``frame`` that holds the posts: ``text_column``, else its only column,
    else its only column with a usual name (``text``, ``content``, ``comment``...)."""
    columns = list(frame.columns)
    if text_column is None:
        usual = [c for c in columns if str(c).strip().lower() in TEXT_COLUMN_NAMES]
        if len(columns) == 1:
            text_column = columns[0]
        elif len(usual) == 1:
            text_column = usual[0]
        else:
            example = (usual or columns or ["text"])[0]
            why = (f"several columns could hold the text ({usual})" if usual else
                   "none of its columns has a usual text name "
                   f"({', '.join(TEXT_COLUMN_NAMES[:4])}...)")
            raise ValueError(f"got a DataFrame with columns {columns} and no text_column=; "
                             f"{why}. Expected text_column= naming the column that holds "
                             f"the posts, e.g. clf.predict(df, text_column={example!r}), or "
                             f"pass that column itself: clf.predict(df[{example!r}])")
    if text_column not in columns:
        raise ValueError(f"text_column={text_column!r} is not a column of this DataFrame; "
                         f"its columns are {columns}")
    column = frame[text_column]
    if _is_frame(column):
        raise ValueError(f"text_column={text_column!r} names {column.shape[1]} columns of "
                         "this DataFrame (duplicate names); rename them first")
    return column


def _items(texts: object, text_column: object = None) -> tuple[list[object], bool, Any]:
    """The posts of any accepted input, whether it was a single str, and the index of a
    pandas Series/DataFrame input (else None)."""
    if isinstance(texts, str):
        if text_column is not None:
            raise TypeError("text_column= picks a column of a DataFrame; got a str. "
                            "Pass the DataFrame, or the text alone without text_column=")
        return [texts], True, None
    if _is_frame(texts):
        column = _frame_column(texts, text_column)
        return _as_list(column), False, getattr(texts, "index", None)
    if text_column is not None:
        raise TypeError(f"text_column= picks a column of a DataFrame; got "
                        f"{type(texts).__name__}. Pass the DataFrame, or this input without "
                        f"text_column=")
    index = getattr(texts, "index", None)  # a pandas Series' (list.index is a method)
    return _as_list(texts), False, None if callable(index) else index


def _distinct(items: list[object]) -> tuple[list[object], list[int]]:
    """The distinct texts of ``items`` (other items each kept) and where each item is among
    them: a post shared or copied many times is scored once."""
    seen: dict[str, int] = {}
    unique: list[object] = []
    where: list[int] = []
    for item in items:
        if isinstance(item, str):
            j = seen.setdefault(item, len(unique))
            if j == len(unique):
                unique.append(item)
        else:
            j = len(unique)
            unique.append(item)
        where.append(j)
    return unique, where


def component_probas(backends: Sequence[Backend], docs: Sequence[Normalised]
                     ) -> tuple[dict[str, np.ndarray], list[list[Evidence]], np.ndarray]:
    """Every backend's probability views of ``docs`` (``{view name: (n, 4)}``), the evidence
    they found (the rules' located hits), and the bounds ``(n, 4, 2)`` (floor, ceiling) they
    set on the final scores: strong profanity cannot be combined away, and a post of
    punctuation is not news."""
    probas: dict[str, np.ndarray] = {}
    evidence: list[list[Evidence]] = [[] for _ in docs]
    bounds = np.zeros((len(docs), len(CATEGORIES), 2))
    bounds[:, :, 1] = 1.0
    for backend in backends:
        found = backend.analyse(docs)
        probas.update(found.views)
        if found.bounds is not None:
            bounds[:, :, 0] = np.maximum(bounds[:, :, 0], found.bounds[:, :, 0])
            bounds[:, :, 1] = np.minimum(bounds[:, :, 1], found.bounds[:, :, 1])
        for i, items in enumerate(found.evidence):
            evidence[i].extend(items)
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
    :class:`Prediction`) or many posts (returns a list): a list, tuple, generator, numpy
    array of str, pandas Series, or a pandas DataFrame with ``text_column=``.
    ``predict_proba`` always returns an ``(n, 4)`` array, columns in :attr:`classes_`
    (``vnmod.CATEGORIES``) order; :meth:`predict_frame` returns a pandas DataFrame of scores,
    labels and reasons.

    Pass many posts in one call: ``clf.predict(df["text"])`` or ``clf.predict_frame(df,
    text_column="text")`` is several times faster than ``df["text"].apply(clf.predict)``
    (posts are normalised and scored together). For a scikit-learn estimator that trains,
    see :class:`vnmod.sklearn.VnmodClassifier`.
    """

    def __init__(self, components: list[tuple[Backend, float]], *,
                 thresholds: Mapping[str, float] | None = None,
                 manifest: dict[str, Any] | None = None, path: Path | None = None,
                 degraded: Sequence[str] = ()) -> None:
        if not components:
            raise ValueError("a Classifier needs at least one component")
        self.components = components
        self.manifest = manifest or {}
        self.path = path
        #: SHA-256 of the manifest file this model was loaded from or saved to, else None.
        self.manifest_sha256 = modeldir.manifest_sha256(path) if path is not None else None
        #: What a model loaded with ``allow_degraded=True`` runs without ("linear missing");
        #: every prediction's status says so.
        self.degraded = list(degraded)
        views = [name for b, _ in components for name in b.view_names]
        # The stack fitted on exactly these components, if the manifest has one; else a
        # weighted mean of their probabilities.
        self._stack = self.manifest.get("combine", {}).get("stacks", {}).get(stack_key(views))
        self._weights = {name: w for b, w in components for name in b.view_names}
        self._thresholds = dict.fromkeys(CATEGORIES, 0.5)
        # The one place thresholds are decided: those given, else those fitted with the stack
        # of exactly these components, else the manifest's, else 0.5.
        chosen = thresholds or (self._stack or {}).get("thresholds") or \
            self.manifest.get("thresholds")
        if chosen:
            self.thresholds = chosen
        # What the thresholds were before anyone set them: for_task replaces only these.
        self._fitted_thresholds = {} if thresholds else dict(self._thresholds)
        #: Per category, the least score at which a post no rule of it backs (its reasons
        #: only learned n-grams) is flagged, on top of its threshold; fitted on dev with the
        #: stack (:func:`vnmod.combine.best_learned_only`).
        self.learned_only_thresholds: dict[str, float] = dict(
            (self._stack or {}).get("learned_only_thresholds", {}))
        #: Per benchmark task (``"vihsd"``), the cut-offs its own labels were fitted with, on
        #: its dev split; used by :meth:`for_task`, never by :meth:`predict`.
        self.task_thresholds: dict[str, dict[str, float]] = {
            task: dict(values)
            for task, values in (self._stack or {}).get("task_thresholds", {}).items()}

    # -- thresholds ---------------------------------------------------------------------
    @property
    def thresholds(self) -> dict[str, float]:
        """Per-category decision thresholds; assign a (partial) mapping to change them."""
        return dict(self._thresholds)

    @thresholds.setter
    def thresholds(self, values: Mapping[str, float]) -> None:
        if not isinstance(values, Mapping):
            hint = (f" To give every category the same threshold: "
                    f"clf.thresholds = dict.fromkeys(vnmod.CATEGORIES, {values!r})"
                    if isinstance(values, (int, float)) and not isinstance(values, bool)
                    else "")
            raise TypeError(f"thresholds must be a mapping of category to a number in [0, 1], "
                            f"e.g. {{'insult': 0.6}}; got {type(values).__name__} "
                            f"{values!r}.{hint}")
        checked = {}
        for key, value in values.items():
            if key not in CATEGORIES:
                raise ValueError(f"unknown category {key!r} in thresholds; "
                                 f"valid keys: {list(CATEGORIES)}")
            try:
                number = float(value)
            except (TypeError, ValueError):
                raise TypeError(f"threshold for {key!r} must be a number in [0, 1]; got "
                                f"{type(value).__name__} {value!r}") from None
            if isinstance(value, bool) or not 0.0 <= number <= 1.0:
                raise ValueError(f"threshold for {key!r} must lie in [0, 1]; got {value!r}")
            checked[key] = number
        self._thresholds.update(checked)  # all or nothing

    def for_task(self, task: str) -> Classifier:
        """A copy of this classifier (sharing its components) at the cut-offs fitted for the
        benchmark ``task`` on its dev split (``clf.task_thresholds``), or this classifier where
        the model has none. The flags of :meth:`predict` follow the label policy; a corpus
        whose annotators draw the line elsewhere (ViHSD calls much profanity CLEAN) is scored
        at its own cut-offs. A threshold set by hand (``clf.thresholds = ...``, ``vnmod
        evaluate --threshold``) is kept. The cut-offs were fitted on the stacked scores alone,
        so a category at its task cut-off drops its ``learned_only_thresholds`` (fitted for the
        flags' threshold)."""
        chosen = {cat: t for cat, t in self.task_thresholds.get(task, {}).items()
                  if self._thresholds[cat] == self._fitted_thresholds.get(cat)}
        if not chosen:
            return self
        twin = copy.copy(self)
        twin._thresholds = {**self._thresholds, **chosen}
        twin.learned_only_thresholds = {cat: t for cat, t in self.learned_only_thresholds.items()
                                        if cat not in chosen}
        return twin

    @property
    def classes_(self) -> tuple[str, ...]:
        """The categories, in the order of :meth:`predict_proba`'s columns
        (``vnmod.CATEGORIES``)."""
        return CATEGORIES

    def __repr__(self) -> str:
        name = self.manifest.get("name") or (self.path.name if self.path else None)
        parts = [repr(name) if name else "unsaved"]
        if self.path is not None:
            parts.append(f"path={str(self.path)!r}")
        combine = "stacked" if self._stack is not None else "weighted mean"
        comps = ", ".join(f"{b.name}" if w == 1.0 else f"{b.name}*{w:g}"
                          for b, w in self.components)
        parts.append(f"components=[{comps}] ({combine})")
        parts.append("thresholds={" + ", ".join(f"{c}: {t:.2f}"
                                                for c, t in self._thresholds.items()) + "}")
        if self.degraded:
            parts.append(f"degraded={self.degraded}")
        return f"vnmod.Classifier({', '.join(parts)})"

    @property
    def model_id(self) -> dict[str, Any]:
        """Which model this is: its ``name``, the ``path`` it was loaded from and the SHA-256
        of its manifest (``manifest_sha256``, which lists every file's checksum: the same
        hash means the same model); None for a model that was never saved or loaded."""
        name = self.manifest.get("name") or (self.path.name if self.path else None)
        return {"name": name, "path": str(self.path) if self.path else None,
                "manifest_sha256": self.manifest_sha256}

    @property
    def model_ref(self) -> str | None:
        """``name@`` and the manifest hash's first 12 hex digits (what each Prediction's
        ``model`` says); None for a model that was never saved or loaded."""
        if self.manifest_sha256 is None:
            return None
        return f"{self.model_id['name']}@{self.manifest_sha256[:12]}"

    @property
    def component_names(self) -> list[str]:
        return [c.name for c, _ in self.components]

    # -- scoring ------------------------------------------------------------------------
    def _score(self, docs: list[Normalised]
               ) -> tuple[np.ndarray, list[list[Evidence]], np.ndarray]:
        """Scores, evidence, and where a flag no rule backs may stand
        (:func:`~vnmod.combine.learned_only_allowed`)."""
        if not docs:
            return np.zeros((0, len(CATEGORIES))), [], np.ones((0, len(CATEGORIES)), bool)
        probas, evidence, bounds = component_probas([b for b, _ in self.components], docs)
        if self._stack is not None:
            combined = apply_stack(self._stack, probas)
        else:
            combined = weighted_mean(probas, self._weights)
        return (bounded(combined, bounds), evidence,
                learned_only_allowed(self._stack, probas, len(docs)))

    def _explain(self, docs: list[Normalised | None], labels: list[list[str]],
                 evidence: list[list[Evidence]]) -> None:
        """Add the learned components' top n-grams for each post's flagged categories."""
        live = [i for i, d in enumerate(docs) if d is not None and labels[i]]
        if not live:
            return
        for backend, _ in self.components:
            weighs = self._weighs(backend)  # no reason from a view the stack gives no weight
            asked = [[c for c in labels[i] if c in weighs] for i in live]
            extra = backend.explain([docs[i] for i in live], asked)
            for i, items in zip(live, extra, strict=True):
                evidence[i].extend(items)

    def _weighs(self, backend: Backend) -> set[str]:
        """The categories whose final score ``backend``'s views weigh in (all of them when
        the components are averaged rather than stacked)."""
        if self._stack is None:
            return set(CATEGORIES)
        names = self._stack["components"]
        coef = self._stack["coef"]
        return {cat for k, cat in enumerate(CATEGORIES)
                if any(coef[k][j] != 0 for j, n in enumerate(names) if n in backend.view_names)}

    def _run(self, items: list[object]) -> tuple[np.ndarray, list[list[Evidence]], list[str],
                                                  list[Normalised | None], np.ndarray]:
        statuses = [_status(x) for x in items]
        docs: list[Normalised | None] = [None] * len(items)
        live = []
        for i, (x, st) in enumerate(zip(items, statuses, strict=True)):
            if st in ("ok", "truncated"):
                docs[i] = normalise(x[:MAX_CHARS])  # type: ignore[index]
                live.append(i)
        scores = np.zeros((len(items), len(CATEGORIES)))
        allowed = np.ones((len(items), len(CATEGORIES)), dtype=bool)
        evidence: list[list[Evidence]] = [[] for _ in items]
        if live:
            sub_scores, sub_ev, sub_allowed = self._score(
                [docs[i] for i in live])  # type: ignore[misc]
            scores[live] = sub_scores
            allowed[live] = sub_allowed
            for j, i in enumerate(live):
                evidence[i] = sub_ev[j]
        if self.degraded:
            note = "degraded model: " + ", ".join(self.degraded)
            statuses = [f"{st}; {note}" for st in statuses]
        return scores, evidence, statuses, docs, allowed

    def predict_proba(self, texts: Any, *, text_column: str | None = None) -> np.ndarray:
        """Combined probabilities, shape ``(n, 4)``, columns in :attr:`classes_` order; rows
        of missing/empty texts are 0. ``texts`` as for :meth:`predict`."""
        unique, where = _distinct(_items(texts, text_column)[0])
        return self._run(unique)[0][where]

    def predict(self, texts: Any, *, text_column: str | None = None
                ) -> Prediction | list[Prediction]:
        """Labels, scores and evidence: one :class:`Prediction` for a str, else a list (one
        per post, in order).

        ``texts``: a str; or many posts as a list, tuple, generator, numpy array of str or
        pandas Series; or a pandas DataFrame, whose posts are in ``text_column`` (which may
        be omitted when the frame has one column, or one column named ``text``, ``content``,
        ``comment``... ). Missing and empty posts get a prediction with a ``status`` saying
        so. Classify many posts in one call rather than one at a time (``.apply``): it is
        several times faster.
        """
        items, single, _ = _items(texts, text_column)
        return self._predict_items(items, single)

    def predict_frame(self, texts: Any, text_column: str | None = None):
        """A pandas DataFrame with one row per post (the index of a DataFrame or Series
        input is kept) and the columns ``label`` (top flagged category or ``"clean"``),
        ``labels`` (list), ``score_<category>`` for each of :attr:`classes_`, ``reason``
        (:func:`vnmod.reasons.short_reason`) and ``status``.

        ``texts`` as for :meth:`predict`. Join the results to your data with
        ``df.join(clf.predict_frame(df, text_column="text"))``.
        """
        try:
            import pandas as pd
        except ImportError as exc:  # pragma: no cover - pandas is a dependency
            raise ImportError("predict_frame needs pandas (pip install pandas); predict "
                              "returns a list of Predictions without it") from exc

        items, _, index = _items(texts, text_column)
        preds = self._predict_items(items, False)
        rows = [{"label": p.label, "labels": list(p.labels),
                 **{f"score_{c}": p.scores[c] for c in CATEGORIES},
                 "reason": p.reason, "status": p.status} for p in preds]
        columns = ["label", "labels", *[f"score_{c}" for c in CATEGORIES], "reason", "status"]
        return pd.DataFrame(rows, columns=columns,
                            index=index if index is not None and len(index) == len(rows)
                            else None)

    def _predict_items(self, items: list[object], single: bool
                       ) -> Prediction | list[Prediction]:
        posts, where = _distinct(items)  # each distinct text is scored once
        out = self._predict_distinct(posts)
        if len(posts) == len(items):
            return out[0] if single else out
        # A text's first post gets its prediction, each repeat a copy of its own.
        first = [True] * len(out)
        preds = []
        for j in where:
            p = out[j]
            if not first[j]:
                p = replace(p, labels=list(p.labels), scores=dict(p.scores),
                            evidence=list(p.evidence), components=list(p.components))
            first[j] = False
            preds.append(p)
        return preds

    def _predict_distinct(self, items: list[object]) -> list[Prediction]:
        scores, evidence, statuses, docs, allowed = self._run(items)
        names = self.component_names
        ok = [doc is not None for doc in docs]  # the status was "ok" or "truncated"
        labels = [[c for k, c in enumerate(CATEGORIES) if ok[i] and scores[i, k] >=
                   self._thresholds[c]] for i in range(len(items))]
        self._explain(docs, labels, evidence)
        # A flag must say why: a category whose score passed its threshold but for which no
        # component can point at a part of the text a person can read (a rule that hit, or
        # an n-gram of real words: see vnmod.reasons) is not flagged; one whose reasons are
        # learned n-grams alone (no rule of it hit) needs its learned_only_thresholds too, and
        # its gate's consent (a fake_news flag on a post that does not read like news).
        strict = self.learned_only_thresholds
        labels = [[c for c in cats if any(e.category == c and readable(e, items[i])
                                          for e in evidence[i])
                   and (c in rule_backed(evidence[i])
                        or ((c not in strict or scores[i, CATEGORIES.index(c)] >= strict[c])
                            and allowed[i, CATEGORIES.index(c)]))]
                  for i, cats in enumerate(labels)]
        rows = scores.tolist()
        out = [Prediction(text=item if isinstance(item, str) else None, labels=labels[i],
                          scores=dict(zip(CATEGORIES, rows[i], strict=True)),
                          evidence=evidence[i], status=statuses[i],
                          components=names if ok[i] else [], model=self.model_ref)
               for i, item in enumerate(items)]
        return out

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
        self.manifest_sha256 = modeldir.manifest_sha256(root)
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
        if name_or_path is not None and not isinstance(name_or_path, (str, os.PathLike)):
            raise TypeError(f"load() takes the path of a model directory (str or "
                            f"os.PathLike), the name of a shipped model such as "
                            f"{modeldir.DEFAULT_MODEL!r}, or nothing for the default; got "
                            f"{type(name_or_path).__name__} {name_or_path!r}")
        root = modeldir.resolve(name_or_path)
        manifest = modeldir.read_manifest(root)
        problems = modeldir.verify_model(root, manifest)
        if problems and not allow_degraded:
            raise modeldir.ModelDirError(
                f"model {root} is not as saved: {modeldir.describe(problems)}. Copy the model "
                f"directory again or re-save it; allow_degraded=True (CLI: --allow-degraded) "
                f"runs on the parts that verify")
        components: list[tuple[Backend, float]] = []
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
            try:
                if bad:
                    raise BackendUnavailable(modeldir.describe(bad))
                # Every file was hashed once above; a backend's load hashes none again.
                backend = backend_cls.load(sub, entry.get("config", {}))
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
        for kind in default_types():  # the rules: always there, even if their files are not
            if kind not in {b.name for b, _ in components}:
                components.append((modeldir.component_class(kind)(), 1.0))
        return cls(components, manifest=manifest, path=root, degraded=degraded)
