"""Train a model directory from a recipe (TOML): data, linear backend, stack, thresholds.

The recipe that built the shipped model is ``models/recipes/vnmod-base.toml``;
``vnmod train --config models/recipes/vnmod-base.toml`` rebuilds it. A recipe with no
``sources`` trains on the user's ``labelled_files`` alone (``vnmod train --labelled FILE``):
no public corpus is read, and a stratified dev split is carved from the files unless they
name dev rows or ``dev_files`` are given.
"""

from __future__ import annotations

import inspect
import logging
import time
import unicodedata
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from vnmod._resources import load_toml_file
from vnmod.backends.linear import LinearBackend
from vnmod.backends.rules import RulesBackend
from vnmod.classifier import Classifier, bounded, component_probas
from vnmod.combine import (
    GATE_MARGIN,
    THRESHOLD_GRID,
    apply_stack,
    best_learned_only,
    best_thresholds,
    f1_over_grid,
    fit_stack,
    stack_key,
)
from vnmod.data._common import label_matrix, require_pandas, stable_bucket
from vnmod.data.policy import POOL_GROUPS
from vnmod.reasons import rule_backed
from vnmod.taxonomy import CATEGORIES
from vnmod.text.normalize import Normalised, normalise
from vnmod.text.vietnamese import has_diacritics, strip_diacritics

log = logging.getLogger(__name__)
BOUNDS = "_bounds"  # key of the rules' score bounds among out-of-fold views
#: Component types of fine-tuned encoders (at most one per model; left out of the fallback
#: stack used when its weights cannot load).
ENCODERS = ("phobert", "transformer")
#: Fewest positive dev posts a category needs for its threshold to be chosen on dev; with
#: fewer it keeps DEFAULT_THRESHOLD (F1 over one or two posts is noise).
MIN_THRESHOLD_POSITIVES = 5
DEFAULT_THRESHOLD = 0.5


@dataclass
class Recipe:
    """What to train on and how; every field has a recipe-file key of the same name."""

    name: str = "vnmod-custom"
    output: str = "models/vnmod-custom"
    sources: list[str] = field(default_factory=lambda: ["vnmod_labelled", "vihsd"])
    dev_sources: list[str] = field(default_factory=lambda: ["vnmod_labelled", "vihsd"])
    labelled_files: list[str] = field(default_factory=list)
    unknown: dict[str, list[str]] = field(default_factory=dict)
    category_sources: dict[str, list[str]] = field(default_factory=dict)
    dev_from_train: dict[str, float] = field(default_factory=dict)
    vihsd_thresholds: bool = False
    vihsd_threshold_folds: int = 0
    source_weights: dict[str, float] = field(default_factory=dict)
    # Loss weights of the policy pools (data/policy), in place of their source's weight.
    pool_weights: dict[str, float] = field(default_factory=dict)
    neighbour_sources: list[str] = field(default_factory=list)
    hate_offensive_unknown: list[str] = field(default_factory=list)
    threshold_sources: dict[str, list[str]] = field(default_factory=dict)
    # Per category, the dev sources its stack weights are fitted on (default: every dev row).
    stack_sources: dict[str, list[str]] = field(default_factory=dict)
    # Per category, the views its stack may weigh (default: every view).
    stack_views: dict[str, list[str]] = field(default_factory=dict)
    category_weights: dict[str, dict[str, float]] = field(default_factory=dict)
    threshold_tolerance: dict[str, float] = field(default_factory=dict)
    # Per category, training sources whose posts, scored out of fold (each by a linear model
    # fitted without its fold of out_of_fold_folds), join the dev rows of stack_sources in
    # fitting the category's stack and those of threshold_sources in choosing its threshold.
    out_of_fold: dict[str, list[str]] = field(default_factory=dict)
    out_of_fold_folds: int = 5
    # Categories whose flags no rule backs (learned n-grams their only reasons) need a higher
    # score, chosen on dev (the rows of threshold_sources) with threshold_tolerance.
    learned_only: list[str] = field(default_factory=list)
    augment_unaccented: dict[str, list[str]] = field(default_factory=dict)
    # Targets that linear heads with a `target` learn, defined by sources: name -> {"positive":
    # [sources], "negative": [sources]} (1, 0; other posts unknown).
    targets: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    # Per category, a view that can only lower its stacked score: {"view": name, "weight": w,
    # "margin": m (optional, 0)} adds w * min(0, logit(view) + m) (vnmod.combine.gate_offset).
    gates: dict[str, dict[str, Any]] = field(default_factory=dict)
    linear: dict[str, Any] = field(default_factory=dict)
    # Options of the rules backend (vnmod.backends.rules.RulesBackend): family_views,
    # family_logit.
    rules: dict[str, Any] = field(default_factory=dict)
    # An encoder fine-tuned beside the linear model (vnmod train --backend ... overrides):
    # backend = "phobert" | "transformer", base_model, epochs, batch_size, lr, max_length,
    # freeze_embeddings.
    encoder: dict[str, Any] = field(default_factory=dict)
    stack_C: float = 1.0
    data_dir: str | None = None
    card: str = ""  # path of the model card (Markdown) copied into the model directory
    # Users' files: dev_files are dev data alone; when neither they nor a 'split' column give
    # dev rows, a stratified share dev_fraction of labelled_files is held out (seeded).
    dev_files: list[str] = field(default_factory=list)
    dev_fraction: float = 0.2
    seed: int = 13
    text_column: str | None = None  # text column of the users' files (guessed when None)

    @classmethod
    def from_file(cls, path: str | Path) -> Recipe:
        """Read a recipe; ``extends = "other.toml"`` (beside it) starts from another recipe,
        whose keys this one's replace."""
        raw = load_toml_file(path)
        seen = {Path(path).resolve()}
        while "extends" in raw:
            parent = (Path(path).parent / raw.pop("extends")).resolve()
            if parent in seen:
                raise ValueError(f"{path}: recipes extend each other in a loop ({parent})")
            seen.add(parent)
            raw = {**load_toml_file(parent), **raw}
            path = parent
        known = set(cls.__dataclass_fields__)
        extra = sorted(set(raw) - known)
        if extra:
            raise ValueError(f"{path}: unknown recipe keys {extra}; valid keys: {sorted(known)}")
        for key in ("category_sources", "threshold_sources", "stack_sources", "stack_views",
                    "threshold_tolerance", "category_weights", "learned_only", "gates",
                    "out_of_fold"):
            wrong = sorted(set(raw.get(key, {})) - set(CATEGORIES))
            if wrong:
                raise ValueError(f"{path}: {key} names {wrong}; categories are {CATEGORIES}")
        return cls(**raw)


def recipe_targets(frame, recipe: Recipe) -> np.ndarray:
    """Label matrix with nan where a source, or a pool of the policy labels, says nothing
    about a category (``recipe.unknown``, keyed by either name or by a group of pools of
    :data:`vnmod.data.policy.POOL_GROUPS`)."""
    y = label_matrix(frame)
    sources = frame["source"].to_numpy()
    pools = frame["pool"].fillna("").to_numpy() if "pool" in frame else np.full(len(frame), "")
    for name, cats in recipe.unknown.items():
        rows = (sources == name) | np.isin(pools, list(POOL_GROUPS.get(name, {name})))
        for cat in cats:
            y[rows, CATEGORIES.index(cat)] = np.nan
    for cat, only in recipe.category_sources.items():
        # This category is learned from these sources alone.
        y[~np.isin(sources, only), CATEGORIES.index(cat)] = np.nan
    ins, off = CATEGORIES.index("insult"), CATEGORIES.index("offensive")
    for source in recipe.hate_offensive_unknown:
        # ViHSD-style labels are exclusive (HATE or OFFENSIVE): a hateful post says nothing
        # about whether its wording is also vulgar.
        rows = (sources == source) & (y[:, ins] == 1)
        y[rows, off] = np.nan
    return y


def _is_number(value: object) -> bool:
    """An int or a float, not a bool (which Python counts as an int)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def _check_gates(recipe: Recipe, encoder: str | None) -> None:
    """Refuse, before any training, a gate that names no view the model will have."""
    views = [*LinearBackend(**recipe.linear).view_names, "rules", *([encoder] if encoder else [])]
    for cat, gate in recipe.gates.items():
        margin = gate.get("margin", GATE_MARGIN)
        if not {"view", "weight"} <= set(gate) <= {"view", "weight", "margin",
                                                   "learned_only_logit"} \
                or gate["view"] not in views \
                or not _is_number(margin) or margin < 0 \
                or not _is_number(gate.get("learned_only_logit", 0.0)):
            raise ValueError(f"recipe gates.{cat} = {gate!r}: expected {{view = one of "
                             f"{views}, weight = a number, margin = a number >= 0 (optional, "
                             f"default {GATE_MARGIN:g}), learned_only_logit = a number "
                             "(optional: a flag no rule backs needs the gate's logit at least "
                             "this)}")


def source_targets(frame, recipe: Recipe) -> dict[str, np.ndarray]:
    """The recipe's ``targets`` for the posts of ``frame``: 1 for a post of a positive
    source, 0 of a negative one, nan otherwise."""
    sources = frame["source"].to_numpy()
    out = {}
    for name, spec in recipe.targets.items():
        wrong = sorted(set(spec) - {"positive", "negative"})
        if wrong:
            raise ValueError(f"recipe targets.{name}: unknown keys {wrong}; expected "
                             "positive and negative (lists of sources)")
        target = np.full(len(frame), np.nan)
        target[np.isin(sources, spec.get("positive", []))] = 1.0
        target[np.isin(sources, spec.get("negative", []))] = 0.0
        out[name] = target
    return out


def _weights(sources: np.ndarray, recipe: Recipe, pools: np.ndarray | None = None
             ) -> np.ndarray:
    """Loss weight of each row for each category, ``(n, 4)``: its pool's weight
    (``pool_weights``) or else its source's, or the weight ``category_weights`` gives that
    source for that category."""
    base = np.array([recipe.source_weights.get(s, 1.0) for s in sources])
    if pools is not None:
        for pool, weight in recipe.pool_weights.items():
            base[pools == pool] = weight
    out = np.repeat(base[:, None], len(CATEGORIES), axis=1)
    for cat, per_source in recipe.category_weights.items():
        for source, weight in per_source.items():
            out[sources == source, CATEGORIES.index(cat)] = weight
    return out


def _hold_out(frame, fraction: float, salt: str):
    """Split rows by a stable hash of their group (or text) into (kept, held out)."""
    from vnmod.data import split_for_group

    keys = frame["group"].where(frame["group"].notna(), frame["text"]) if "group" in frame \
        else frame["text"]
    held = [split_for_group(f"{salt}:{k}", ratios=(1 - fraction, fraction, 0.0)) == "dev"
            for k in keys]
    held = np.array(held, dtype=bool)
    return frame.loc[~held], frame.loc[held]


def carve_dev(frame, fraction: float, seed: int):
    """Split a user's rows into ``(train, dev)``: a share ``fraction`` of each stratum (rows
    whose rarest positive category is the same; clean rows together) goes to dev, drawn with
    ``seed``. Rows with the same ``group`` (else the same text) stay on one side. The same
    file and seed give the same split whatever the order of its rows."""
    from vnmod.data import text_key

    keys = [f"group:{g}" if g is not None and g == g else "text:" + text_key(t)
            for g, t in zip(frame["group"] if "group" in frame else [None] * len(frame),
                            frame["text"], strict=True)]
    y = frame[list(CATEGORIES)].to_numpy(dtype=float) == 1
    rarity = np.argsort(y.sum(0), kind="stable")  # rarest category first
    unit_labels: dict[str, np.ndarray] = {}
    for key, row in zip(keys, y, strict=True):
        unit_labels[key] = unit_labels.get(key, np.zeros(len(CATEGORIES), bool)) | row
    strata: dict[str, list[str]] = {}
    for key, labels in unit_labels.items():
        stratum = next((CATEGORIES[k] for k in rarity if labels[k]), "clean")
        strata.setdefault(stratum, []).append(key)
    rng = np.random.default_rng(seed)
    held: set[str] = set()
    for stratum in sorted(strata):
        members = sorted(strata[stratum])
        rng.shuffle(members)
        n = len(members)
        k = min(max(round(n * fraction), 1), n - 1) if n >= 2 and fraction > 0 else 0
        held.update(members[:k])
    dev = np.array([k in held for k in keys], dtype=bool)
    return frame.loc[~dev], frame.loc[dev]


def _user_frames(recipe: Recipe):
    """The users' files as (training rows, dev rows, notes on where dev came from)."""
    from vnmod.data import load_labelled, text_key

    if not 0 <= recipe.dev_fraction < 1:
        raise ValueError(f"dev_fraction must be at least 0 and below 1; got "
                         f"{recipe.dev_fraction}")
    trains, devs, notes = [], [], []
    for path in recipe.dev_files:
        dev = load_labelled(path, source=Path(path).stem, text_column=recipe.text_column)
        devs.append(dev.loc[dev["split"] != "test"].assign(split="dev"))
        notes.append(f"dev posts from {Path(path).name}")
    for path in recipe.labelled_files:
        # A user's file: rows marked dev join the dev data, test rows are kept out of both.
        user = load_labelled(path, source=Path(path).stem, text_column=recipe.text_column)
        train, dev = user.loc[user["split"] == "train"], user.loc[user["split"] == "dev"]
        if len(dev):
            notes.append(f"dev posts from the rows of {Path(path).name} marked split=dev")
        elif not recipe.dev_files and recipe.dev_fraction > 0:
            train, dev = carve_dev(train, recipe.dev_fraction, recipe.seed)
            dev = dev.assign(split="dev")
            notes.append(f"dev split carved from {Path(path).name}: {len(dev)} of "
                         f"{len(dev) + len(train)} posts ({recipe.dev_fraction:.0%}, "
                         f"stratified by category, seed {recipe.seed})")
        trains.append(train)
        devs.append(dev)
    if recipe.labelled_files and recipe.dev_files:
        # A post in the dev files is not trained on.
        held = {text_key(t) for d in devs for t in d["text"]}
        trains = [t.loc[[text_key(x) not in held for x in t["text"]]] for t in trains]
    return trains, devs, notes


def _no_corpus_hint(exc: FileNotFoundError) -> FileNotFoundError:
    return FileNotFoundError(
        f"{exc} On the command line: vnmod train --data-dir DIR. To train on your own labels "
        "alone, give only --labelled FILE (no --config or --source).")


def load_frames(recipe: Recipe):
    """Training and dev frames as the recipe describes them."""
    import pandas as pd

    from vnmod.data import load_corpus, load_training_frame

    if not recipe.sources and not recipe.labelled_files:
        raise ValueError("nothing to train on: the recipe names no sources and no labelled "
                         "files (vnmod train --labelled FILE)")
    try:
        train = load_training_frame(recipe.sources, recipe.data_dir) if recipe.sources \
            else None
        devs = [load_corpus(name, split="dev", data_dir=None if name == "vnmod_labelled"
                            else recipe.data_dir) for name in recipe.dev_sources]
    except FileNotFoundError as exc:
        raise _no_corpus_hint(exc) from exc
    for name, fraction in recipe.dev_from_train.items() if train is not None else ():
        rows = train["source"] == name
        kept, held = _hold_out(train.loc[rows], fraction, name)
        train = pd.concat([train.loc[~rows], kept], ignore_index=True)
        devs.append(held.assign(split="dev"))
    user_trains, user_devs, notes = _user_frames(recipe)
    parts = ([train] if train is not None else []) + user_trains
    train = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
    devs += user_devs
    dev = pd.concat([d[["text", *CATEGORIES, "source", "split"]] for d in devs],
                    ignore_index=True) if devs else train.iloc[:0]
    if len(train) == 0 or len(dev) == 0:
        raise ValueError(f"need posts to train on and dev posts to choose thresholds on; got "
                         f"{len(train)} training and {len(dev)} dev posts. Label more posts, "
                         "or pass --dev FILE")
    dev.attrs["notes"] = notes
    return train, dev


def vihsd_thresholds(p: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """insult and offensive thresholds maximising ViHSD's 3-class macro-F1 on ``p`` (the
    first best pair in order of the insult, then the offensive threshold)."""
    from vnmod.evaluate import vihsd_classes

    gold = vihsd_classes(np.nan_to_num(y))
    ins, off = CATEGORIES.index("insult"), CATEGORIES.index("offensive")
    grid = THRESHOLD_GRID
    truth = [gold == k for k in range(3)]
    offensive = p[None, :, off] >= grid[:, None]  # (offensive threshold, post)
    best, best_f1 = (0.5, 0.5), -1.0
    for t1 in grid:
        hate = np.broadcast_to(p[:, ins] >= t1, offensive.shape)
        guesses = (~hate & ~offensive, ~hate & offensive, hate)  # CLEAN, OFFENSIVE, HATE
        f1 = sum(f1_over_grid(guess, gold_k) for guess, gold_k in zip(guesses, truth,
                                                                      strict=True))
        i = int(np.argmax(f1))
        if f1[i] / 3 > best_f1 + 1e-12:
            best, best_f1 = (float(t1), float(grid[i])), f1[i] / 3
    return best


def out_of_fold_views(recipe: Recipe, docs: Sequence[Normalised], y: np.ndarray,
                      weights: np.ndarray, neighbour_rows: np.ndarray | None,
                      rows: np.ndarray, folds: int,
                      targets: dict[str, np.ndarray] | None = None) -> dict[str, np.ndarray]:
    """Every view's probabilities for the training posts ``rows`` (bool), each from a linear
    backend fitted without that post's fold (folds by a stable hash of the text); plus the
    rules' probabilities. Threshold choice can then use far more posts than dev holds."""
    fold = np.array([int(stable_bucket(d.text, "vnmod-oof:") * folds) for d in docs])
    wanted = np.flatnonzero(rows)
    rules = RulesBackend(**recipe.rules).analyse([docs[i] for i in wanted])
    out: dict[str, np.ndarray] = {**rules.views, BOUNDS: rules.bounds}
    for f in range(folds):
        held = rows & (fold == f)
        keep = np.flatnonzero(~held)
        log.info("out-of-fold model %d/%d: %d posts held out", f + 1, folds, held.sum())
        model = LinearBackend(**recipe.linear).fit(
            [docs[i] for i in keep], y[keep], sample_weight=weights[keep],
            neighbour_rows=None if neighbour_rows is None else neighbour_rows[keep],
            targets={k: v[keep] for k, v in (targets or {}).items()})
        views = model.views([docs[i] for i in np.flatnonzero(held)])
        for name, p in views.items():
            out.setdefault(name, np.full((len(wanted), len(CATEGORIES)), np.nan))
            out[name][held[wanted]] = p
    return out


#: Out-of-fold views of some training posts (with their ``BOUNDS``) and their labels.
OutOfFold = tuple[dict[str, np.ndarray], np.ndarray]


def _out_of_fold(recipe: Recipe, train_df, docs: Sequence[Normalised], y: np.ndarray,
                 weights: np.ndarray, neighbour_rows: np.ndarray | None,
                 targets: dict[str, np.ndarray]
                 ) -> tuple[OutOfFold | None, dict[str, OutOfFold] | None]:
    """The training posts scored out of fold: ViHSD's (``vihsd_threshold_folds``; for the
    insult/offensive thresholds) and, per category of ``out_of_fold``, its sources'
    (``out_of_fold_folds``). Requests with the same number of folds share one set of fold
    models: each is fitted without its fold of every requested post."""
    source = train_df["source"].to_numpy()
    wants: list[tuple[str | None, np.ndarray, int]] = []  # (category, None: ViHSD), rows, folds
    if recipe.vihsd_thresholds and recipe.vihsd_threshold_folds > 1:
        wants.append((None, source == "vihsd", recipe.vihsd_threshold_folds))
    if recipe.out_of_fold_folds > 1:
        wants += [(cat, np.isin(source, names), recipe.out_of_fold_folds)
                  for cat, names in recipe.out_of_fold.items()]
    scored: dict[int, tuple[np.ndarray, dict[str, np.ndarray]]] = {}
    for folds in sorted({f for _, _, f in wants}):
        rows = np.logical_or.reduce([r for _, r, f in wants if f == folds])
        scored[folds] = rows, out_of_fold_views(recipe, docs, y, weights, neighbour_rows, rows,
                                                folds, targets)
    vihsd, per_category = None, {}
    for cat, wanted, folds in wants:
        rows, views = scored[folds]
        pick = wanted[rows]
        part = ({name: v[pick] for name, v in views.items()}, y[wanted])
        if cat is None:
            vihsd = part
        else:
            per_category[cat] = part
    return vihsd, per_category or None


def _stacks(dev_probas: dict[str, np.ndarray], y_dev: np.ndarray,
            dev_rows_vihsd: np.ndarray | None, C: float,
            oof: tuple[dict[str, np.ndarray], np.ndarray] | None = None, *,
            bounds: np.ndarray | None = None,
            ceilings: dict[str, float] | None = None,
            threshold_rows: dict[str, np.ndarray] | None = None,
            stack_rows: dict[str, np.ndarray] | None = None,
            tolerance: dict[str, float] | None = None,
            views: dict[str, list[str]] | None = None,
            backed: np.ndarray | None = None,
            learned_only: Sequence[str] = (),
            gates: dict[str, dict[str, Any]] | None = None,
            extra_rows: dict[str, OutOfFold] | None = None,
            rules_views: Sequence[str] = ("rules",)) -> dict[str, dict[str, Any]]:
    """A stack (with its thresholds) for every component set the model may be left with:
    all components, all but the encoder (PhoBERT or another transformer: when its weights
    cannot load), and the rules alone.

    Thresholds are chosen on the final scores (stack, then the rules' ``bounds`` of the dev
    posts) and never above ``ceilings`` (the lowest floor of each category), so a floored
    post is always flagged. ``threshold_rows`` (category -> bool mask of dev rows) chooses a
    category's threshold on those rows alone, ``stack_rows`` its stack weights; ``tolerance``
    is passed to :func:`~vnmod.combine.best_thresholds`, ``views`` to
    :func:`~vnmod.combine.fit_stack`. ``oof`` (views with their
    ``BOUNDS``, labels) of ViHSD training posts join the ViHSD dev rows in choosing the
    insult/offensive thresholds of every stack whose components all have such views.
    ``learned_only`` categories get, in every stack with a learned view, the score a flag no
    rule backs (``backed`` (n, 4): the dev posts' rule hits) must reach
    (:func:`~vnmod.combine.best_learned_only`, on their ``threshold_rows``). ``gates``
    (category -> view and weight) join every stack that has the view, before thresholds.
    ``extra_rows`` (category -> out-of-fold views with their ``BOUNDS``, labels) join that
    category's ``stack_rows`` in fitting its weights and its ``threshold_rows`` in choosing
    its threshold, in every stack whose components all have such views. ``rules_views`` are
    the rules component's views: the last stack is fitted on them alone. With
    ``dev_rows_vihsd``, each stack keeps the insult/offensive cut-offs that maximise ViHSD's
    3-class macro-F1 as ``task_thresholds["vihsd"]`` (:meth:`Classifier.for_task`); they are
    its flags' thresholds too, for the categories without ``threshold_rows``."""
    def capped(chosen: dict[str, float]) -> dict[str, float]:
        """``chosen`` never above ``ceilings``: a floored post is always flagged."""
        return {cat: min(t, (ceilings or {}).get(cat, t)) for cat, t in chosen.items()}

    names = sorted(dev_probas)
    rules_only = sorted(rules_views)
    subsets = [names, [n for n in names if n not in ENCODERS], rules_only]
    y_fit = y_dev.copy()
    for cat, rows in (stack_rows or {}).items():
        y_fit[~rows, CATEGORIES.index(cat)] = np.nan  # other rows say nothing of its weights
    stacks: dict[str, dict[str, Any]] = {}
    for subset in subsets:
        key = stack_key(subset)
        if key in stacks:
            continue
        probas = {n: dev_probas[n] for n in subset}
        stack = fit_stack(probas, y_fit, C=C, views=views)
        usable = {cat: rows for cat, rows in (extra_rows or {}).items()
                  if all(n in rows[0] for n in subset)}
        for cat, (more, y_more) in usable.items():
            _refit_category(stack, cat, probas, y_fit, more, y_more, C=C, views=views)
        kept = {cat: {"view": g["view"], "weight": float(g["weight"]),
                      **({"margin": float(g["margin"])} if g.get("margin") else {}),
                      **({"learned_only_logit": float(g["learned_only_logit"])}
                         if "learned_only_logit" in g else {})}
                for cat, g in (gates or {}).items() if g["view"] in subset}
        if kept:
            stack["gates"] = kept
        combined = bounded(apply_stack(stack, probas), bounds)
        thresholds = best_thresholds(combined, y_dev, tolerance=tolerance)
        for cat, rows in (threshold_rows or {}).items():
            if cat not in usable:  # those are chosen below, with their out-of-fold rows
                thresholds[cat] = best_thresholds(combined[rows], y_dev[rows],
                                                  tolerance=tolerance)[cat]
        for cat, (more, y_more) in usable.items():
            rows = (threshold_rows or {}).get(cat, np.ones(len(y_dev), bool))
            p = np.concatenate([combined[rows], bounded(
                apply_stack(stack, {n: more[n] for n in subset}), more.get(BOUNDS))])
            thresholds[cat] = best_thresholds(p, np.concatenate([y_dev[rows], y_more]),
                                              tolerance=tolerance)[cat]
        if dev_rows_vihsd is not None and dev_rows_vihsd.any():
            p, y = combined[dev_rows_vihsd], y_dev[dev_rows_vihsd]
            if oof is not None and all(n in oof[0] for n in subset):
                extra = apply_stack(stack, {n: oof[0][n] for n in subset})
                p = np.concatenate([p, bounded(extra, oof[0].get(BOUNDS))])
                y = np.concatenate([y, oof[1]])
            benchmark = capped(dict(zip(("insult", "offensive"), vihsd_thresholds(p, y),
                                        strict=True)))
            stack["task_thresholds"] = {"vihsd": benchmark}
            # The cut-offs of ViHSD's 3-class view are also the flags' thresholds of the
            # categories whose threshold has no rows of its own (threshold_rows).
            thresholds.update({cat: t for cat, t in benchmark.items()
                               if cat not in (threshold_rows or {})})
        stack["thresholds"] = capped(thresholds)
        if learned_only and backed is not None and subset != rules_only:
            stack["learned_only_thresholds"] = {}
            for cat in learned_only:
                rows = (threshold_rows or {}).get(cat, np.ones(len(y_dev), bool))
                stack["learned_only_thresholds"].update(best_learned_only(
                    combined[rows], y_dev[rows], backed[rows], thresholds, [cat],
                    tolerance=tolerance))
        stacks[key] = stack
    return stacks


def _refit_category(stack: dict[str, Any], cat: str, probas: dict[str, np.ndarray],
                    y_fit: np.ndarray, more: dict[str, np.ndarray], y_more: np.ndarray, *,
                    C: float, views: dict[str, list[str]] | None) -> None:
    """Refit ``cat``'s weights of ``stack`` on its dev rows (``y_fit``, nan elsewhere) plus
    the out-of-fold rows ``more`` / ``y_more``; the other categories keep theirs."""
    k = CATEGORIES.index(cat)
    known = ~np.isnan(y_fit[:, k])
    y = np.full((known.sum() + len(y_more), len(CATEGORIES)), np.nan)
    y[:, k] = np.concatenate([y_fit[known, k], y_more[:, k]])
    part = fit_stack({n: np.concatenate([p[known], more[n]]) for n, p in probas.items()}, y,
                     C=C, views=views)
    stack["coef"][k], stack["intercept"][k] = part["coef"][k], part["intercept"][k]


def unaccented_copies(frame, sources: dict[str, list[str]]):
    """``frame`` plus, for each of its posts from ``sources`` written with diacritics, a copy
    without them labelled for the source's listed categories alone (the others unknown), so
    that writing without diacritics says nothing about those categories. Training rows only:
    dev rows are never copied."""
    if not sources:
        return frame
    pd = require_pandas()
    texts = frame["text"].astype(str)
    parts = [frame]
    for source, categories in sources.items():
        pick = (frame["source"] == source) & texts.map(has_diacritics)
        copies = frame[pick].copy()
        copies["text"] = texts[pick].map(
            lambda t: strip_diacritics(unicodedata.normalize("NFC", t)))
        for cat in CATEGORIES:
            if cat not in categories:
                copies[cat] = np.nan
        log.info("unaccented copies: %d posts of %s for %s", len(copies), source, categories)
        parts.append(copies)
    return pd.concat(parts, ignore_index=True)


def train(recipe: Recipe, *, output: str | Path | None = None,
          phobert: dict[str, Any] | None = None,
          transformer: dict[str, Any] | None = None) -> Classifier:
    """Fit the linear backend (and PhoBERT when ``phobert`` holds its training options, or
    another encoder with a ``tokenizer.json`` when ``transformer`` does: component type
    ``transformer``, plain text, no word segmentation), the stacks over the components, and
    dev thresholds; save the model directory."""
    t0 = time.time()
    _check_gates(recipe, "phobert" if phobert is not None else
                 "transformer" if transformer is not None else None)
    options = [name for name, param in inspect.signature(RulesBackend).parameters.items()
               if param.kind is param.KEYWORD_ONLY]
    unknown = sorted(set(recipe.rules) - set(options))
    if unknown:  # before hours of work: a wrong option fails now
        raise ValueError(f"recipe [rules]: unknown options {unknown}; its options are {options}")
    rules = RulesBackend(**recipe.rules)
    out = Path(output or recipe.output)
    train_df, dev_df = load_frames(recipe)
    counts_before = label_counts(train_df, dev_df, recipe)
    train_df = unaccented_copies(train_df, recipe.augment_unaccented)
    log.info("training rows: %d, dev rows: %d", len(train_df), len(dev_df))
    y_train, y_dev = recipe_targets(train_df, recipe), recipe_targets(dev_df, recipe)
    docs = [normalise(t) for t in train_df["text"]]
    dev_docs = [normalise(t) for t in dev_df["text"]]
    targets = source_targets(train_df, recipe)

    pools = train_df["pool"].fillna("").to_numpy() if "pool" in train_df else None
    weights = _weights(train_df["source"].to_numpy(), recipe, pools)
    neighbour_rows = np.isin(train_df["source"], recipe.neighbour_sources) \
        if recipe.neighbour_sources else None
    components: dict[str, Any] = {
        "linear": LinearBackend(**recipe.linear).fit(docs, y_train, sample_weight=weights,
                                                     neighbour_rows=neighbour_rows,
                                                     targets=targets),
        "rules": rules,
    }
    if phobert is not None and transformer is not None:
        raise ValueError("train one encoder: phobert or transformer, not both")
    encoder_metrics = None
    encoder_name = "phobert" if phobert is not None else "transformer"
    encoder_options = phobert if phobert is not None else transformer
    if encoder_options is not None:
        from vnmod.backends.transformer import PhobertBackend, TransformerBackend
        from vnmod.backends.transformer.checkpoint import WEIGHTS_FILE
        from vnmod.backends.transformer.train import train_phobert, train_transformer

        options = dict(encoder_options)
        finetuned = options.pop("finetuned", None)
        folder = out / encoder_name
        if finetuned:  # an encoder fine-tuned by an earlier run: stacked again, not retrained
            encoder_metrics = reuse_encoder(Path(finetuned), folder)
        else:
            fine_tune = train_phobert if phobert is not None else train_transformer
            options.setdefault("log", log.info)  # epochs, resumes, early stops
            encoder_metrics = fine_tune(docs, y_train, dev_docs, y_dev, output_dir=folder,
                                        sample_weight=weights, **options)
        backend = PhobertBackend if phobert is not None else TransformerBackend
        serve_only = not (folder / WEIGHTS_FILE).is_file()  # kept by export-onnx --serve-only
        components[encoder_name] = backend.from_pretrained(
            folder, **({"runtime": "onnx", "quantize": "int8"} if serve_only else {}))
    dev_probas, dev_evidence, dev_bounds = component_probas(list(components.values()),
                                                            dev_docs)
    backed = np.array([[c in found for c in CATEGORIES]
                       for found in map(rule_backed, dev_evidence)],
                      dtype=bool).reshape(-1, len(CATEGORIES)) if recipe.learned_only else None
    vihsd_rows = (dev_df["source"] == "vihsd").to_numpy() if recipe.vihsd_thresholds else None
    oof, extra_rows = _out_of_fold(recipe, train_df, docs, y_train, weights, neighbour_rows,
                                   targets)
    threshold_rows, stack_rows = ({cat: dev_df["source"].isin(names).to_numpy()
                                   for cat, names in table.items()}
                                  for table in (recipe.threshold_sources, recipe.stack_sources))
    stacks = _stacks(dev_probas, y_dev, vihsd_rows, recipe.stack_C, oof, bounds=dev_bounds,
                     ceilings=components["rules"].least_floor, threshold_rows=threshold_rows,
                     stack_rows=stack_rows, tolerance=recipe.threshold_tolerance,
                     views=recipe.stack_views, backed=backed,
                     learned_only=recipe.learned_only, gates=recipe.gates,
                     extra_rows=extra_rows, rules_views=components["rules"].view_names)
    defaulted, notes = _too_few_positives(y_train, y_dev, threshold_rows)
    for stack in stacks.values():
        for cat in defaulted:
            # As a stack with no dev positive: the mean of the views' logits, cut at the
            # default (never above the rules' floor).
            k = CATEGORIES.index(cat)
            stack["coef"][k] = [round(1.0 / len(stack["components"]), 6)] * \
                len(stack["components"])
            stack["intercept"][k] = 0.0
            stack["thresholds"][cat] = min(DEFAULT_THRESHOLD, components["rules"].least_floor
                                           .get(cat, DEFAULT_THRESHOLD))
    for note in notes:
        warnings.warn(note, UserWarning, stacklevel=2)

    order = [n for n in (*ENCODERS, "linear", "rules") if n in components]
    clf = Classifier([(components[n], 1.0) for n in order],
                     thresholds=stacks[stack_key(list(dev_probas))]["thresholds"],
                     manifest={"combine": {"method": "stack", "stacks": stacks}})
    counts = {src: int(n) for src, n in train_df["source"].value_counts().items()}
    extra = {
        "name": recipe.name,
        "training_data": {"sources": counts, "dev_sources": recipe.dev_sources,
                          "rows": len(train_df), "dev_rows": len(dev_df),
                          "report": train_df.attrs.get("report", {})},
        "recipe": {k: v for k, v in recipe.__dict__.items() if k != "card"},
        "train_seconds": round(time.time() - t0, 1),
    }
    if encoder_metrics is not None:
        extra[f"{encoder_name}_metrics"] = encoder_metrics
    if recipe.card:
        card = Path(recipe.card).read_text(encoding="utf-8")
    else:
        # No written card: one generated from what this run measured on its dev posts.
        from vnmod.evaluate import evaluate
        from vnmod.modelcard import training_card

        dev_report = evaluate(clf, dev_df["text"].tolist(), y_dev)
        extra["training_data"].update(label_counts=counts_before,
                                      dev_from=dev_df.attrs.get("notes", []))
        extra["dev_metrics"] = dev_report
        extra["default_thresholds"] = defaulted
        card = training_card(recipe, out, counts=counts_before, report=dev_report,
                             thresholds=clf.thresholds, defaulted=defaulted, notes=notes,
                             dev_notes=dev_df.attrs.get("notes", []))
    clf.save(out, card=card, extra=extra)
    log.info("saved %s in %.0fs", out, time.time() - t0)
    return clf


def reuse_encoder(source: Path, target: Path) -> dict[str, Any]:
    """Copy an encoder directory fine-tuned by an earlier run (its ``transformer/`` folder)
    into ``target``; return its training metrics, marked as reused. A folder that
    ``export-onnx --int8 --serve-only`` left is served, and stacked, as its int8 file."""
    import shutil

    from vnmod.backends.transformer.checkpoint import read_metadata

    meta = read_metadata(source)  # refuses a folder that is no fine-tuned vnmod encoder
    if source.resolve() != target.resolve():
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(source, target)
    return {**meta.get("metrics", {}), "reused_from": str(source)}


def label_counts(train_df, dev_df, recipe: Recipe) -> dict[str, dict[str, int]]:
    """Posts per category (positives) and clean posts, in training and dev."""
    out: dict[str, dict[str, int]] = {}
    for split, frame in (("train", train_df), ("dev", dev_df)):
        y = recipe_targets(frame, recipe)
        row = {cat: int(np.nansum(y[:, k] == 1)) for k, cat in enumerate(CATEGORIES)}
        row["clean"] = int(np.sum(np.all(np.nan_to_num(y) == 0, axis=1)))
        row["posts"] = len(frame)
        out[split] = row
    return out


def _too_few_positives(y_train: np.ndarray, y_dev: np.ndarray,
                       threshold_rows: dict[str, np.ndarray]) -> tuple[list[str], list[str]]:
    """Categories with too few positive dev posts to choose a threshold on (they keep
    DEFAULT_THRESHOLD), and a warning for each, and for each category nothing trains."""
    defaulted, notes = [], []
    for k, cat in enumerate(CATEGORIES):
        rows = threshold_rows.get(cat, np.ones(len(y_dev), bool))
        n_dev = int(np.sum(y_dev[rows, k] == 1))
        n_train = int(np.sum(y_train[:, k] == 1))
        if n_train == 0:
            notes.append(f"{cat}: no positive post to learn from in the training data; the "
                         "model flags it from the rules alone")
        if n_dev < MIN_THRESHOLD_POSITIVES:
            defaulted.append(cat)
            notes.append(f"{cat}: only {n_dev} positive post(s) in the dev data ({n_train} in "
                         f"training); at least {MIN_THRESHOLD_POSITIVES} are needed to choose "
                         f"a threshold, so it keeps the default {DEFAULT_THRESHOLD}. Label "
                         f"more {cat} posts (or give a --dev file that has them) and retrain")
    return defaulted, notes
