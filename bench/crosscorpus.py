"""Cross-corpus yardstick: per category, train without a corpus and test on it.

    python bench/crosscorpus.py [--out bench/results/crosscorpus.json] [--max-train 40000]

What it measures: how well what the linear model learns from some corpora carries over to a
corpus it has never seen (other annotators, other label schemes, other platforms). Three
blocks, each with three corpora; a fold fits one ``LinearBackend`` (the vnmod-base settings,
no neighbour view, no stack, no thresholds; for fake_news, those of vnmod-base's fake-news view,
``NEWS_LINEAR``) on the train splits of two corpora of a block and scores the third one's test
rows:

* insult / offensive: ViHSD (test split), VLSP 2019 (the policy-labelled VLSP posts of every
  split, policy labels; with VLSP held out every VLSP text is kept out of training), ViTHSD
  (test split). ViHSD-style labels are exclusive, so as in the recipe a HATE post's
  ``offensive`` cell is unknown, in training and in scoring ViHSD and ViTHSD.
* fake_news: ReINTEL, ViFN v2 (test splits) and ViFN v3 (every post fake: its test split is
  scored against the real posts of the ViFN v2 test split as negatives). Each fold also fits
  vnmod-base's news-like gate (the fold's news training posts against ViHSD and VLSP 2019
  training comments, as the recipe's ``gates`` define it) and reports the ROC-AUC with it
  ("with the gate").
* illegal_ads: the project's own posts (vnmod_labelled), the policy-labelled real posts and
  vi_smishing (test splits).

Each fold reports the test posts, the positives, the linear model's ROC-AUC and average
precision, the ROC-AUC of the shipped rules alone on the same posts, and that of the two
together with no weights fitted (the sum of their logits: the components the shipped model
stacks, without the stack, which is fitted on dev data). Any text (by
``text_key``) of the scored posts is removed from training; a text repeated across training
corpora keeps the first corpus's labels. An "in-corpus" reference per corpus fits on all three
train splits of its block (its own first, so that its labels win) and scores that corpus's
test split. Training sets over ``--max-train`` posts are subsampled with a fixed seed.

Every ViTHSD text is also a ViHSD text: the ViTHSD fold tests another labelling of the same
comments, and "without ViHSD" still trains on ViHSD train texts under ViTHSD's labels.

``--encoder DIR`` (a base encoder folder, e.g. made by ``vnmod convert-e5``) also fine-tunes
that encoder on every fold's training posts (``--encoder-epochs``, no dev split: the last
epoch; at most ``--encoder-max-train`` posts) and adds its ROC-AUC and that of the mean of the
linear model's and the encoder's logits (no weights fitted) to each row; ``--blocks`` picks
blocks by name; ``--settings '{"C": 2}'`` changes linear settings in every block run, to see
how a choice carries across corpora (``--no-in-corpus`` skips the reference fits).

A yardstick, not a selector: choices are made on dev data and this table, never on a test set
alone. Prints a Markdown table and writes bench/results/crosscorpus.json. Corpora are read
in place from $VNMOD_DATA_DIR (default ../shared/data).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from vnmod.backends.linear import LinearBackend
from vnmod.backends.rules import RulesBackend
from vnmod.combine import gate_offset, logit
from vnmod.data import label_matrix, load_corpus, text_key
from vnmod.data.policy import without_held_out
from vnmod.taxonomy import CATEGORIES
from vnmod.text.normalize import Normalised, normalise
from vnmod.train import Recipe, recipe_targets

OUT = Path(__file__).parent / "results" / "crosscorpus.json"
SEED = 20240601
RECIPE = Path(__file__).resolve().parents[1] / "models" / "recipes" / "vnmod-base.toml"
BASE = Recipe.from_file(RECIPE)
#: models/recipes/vnmod-base.toml [linear], without the neighbour view and the heads.
LINEAR = {k: v for k, v in BASE.linear.items()
          if k in ("word_ngram", "char_ngram", "min_df", "max_features", "C", "class_weight",
                   "char_ascii")}
#: vnmod-base's fake_news view (recipe table ``linear.heads.linear_news``: the shared word
#: n-grams without character n-grams, with the head's C), as a model of its own.
NEWS_LINEAR = {**LINEAR, "char_ngram": None,
               "C": float(BASE.linear["heads"]["linear_news"]["C"])}


def _gate_settings() -> tuple[dict, tuple[str, ...], float, float]:
    """vnmod-base's news-like gate of fake_news as its recipe defines it (``gates``, the head
    of the gate's view, that head's target): the news view's settings with the head's C and
    class weights, learning whether a post is one of the fold's news training posts (1) or a
    comment of the target's negative sources' train splits (0); ``weight * min(0, its logit +
    margin)`` is added to the news view's logit."""
    recipe = BASE
    gate = recipe.gates["fake_news"]
    head = recipe.linear["heads"][gate["view"]]
    linear = {**NEWS_LINEAR, "C": head["C"], "class_weight": head["class_weight"]}
    return (linear, tuple(recipe.targets[head["target"]]["negative"]), float(gate["weight"]),
            float(gate.get("margin", 0.0)))


GATE_LINEAR, GATE_COMMENTS, GATE_WEIGHT, GATE_MARGIN = _gate_settings()
INS, OFF = CATEGORIES.index("insult"), CATEGORIES.index("offensive")


@dataclass
class Part:
    """Rows of one corpus: training rows or a scored set."""

    name: str
    frame: pd.DataFrame
    exclusive: bool = False  # ViHSD-style labels: offensive unknown where insult
    note: str = ""

    def keys(self) -> set[str]:
        return {text_key(t) for t in self.frame["text"]}


@dataclass
class Corpus:
    """One corpus of a block: how it trains, what is scored when held out, and in-corpus."""

    name: str
    train: Callable[[], list[Part]]
    cross_test: Callable[[], Part]
    own_test: Callable[[], Part]
    # texts kept out of training whenever this corpus is held out (beyond its scored texts)
    banned: Callable[[], set[str]] = field(default=lambda: set())


@dataclass
class Block:
    name: str
    categories: tuple[str, ...]
    corpora: list[Corpus]
    linear: dict = field(default_factory=lambda: dict(LINEAR))
    gated: bool = False  # also score with the news-like gate (fake_news)


class Data:
    """Corpora loaded once; normalised posts and rule scores cached by text."""

    def __init__(self) -> None:
        self._frames: dict[str, pd.DataFrame] = {}
        self._docs: dict[str, Normalised] = {}
        self._rules: dict[str, np.ndarray] = {}
        self._keyed: dict[tuple[str, str], list[tuple[str, str]]] = {}
        self.rules = RulesBackend()

    def __call__(self, name: str) -> pd.DataFrame:
        if name not in self._frames:
            self._frames[name] = load_corpus(name)
        return self._frames[name]

    def keyed(self, name: str, split: str) -> list[tuple[str, str]]:
        """``(text, text_key)`` of each post of a corpus's split, in order (computed once)."""
        if (name, split) not in self._keyed:
            self._keyed[name, split] = [(t, text_key(t))
                                        for t in _split(self(name), split)["text"].tolist()]
        return self._keyed[name, split]

    def docs(self, texts: list[str]) -> list[Normalised]:
        for t in texts:
            if t not in self._docs:
                self._docs[t] = normalise(t)
        return [self._docs[t] for t in texts]

    def rule_scores(self, texts: list[str]) -> np.ndarray:
        todo = list(dict.fromkeys(t for t in texts if t not in self._rules))
        if todo:
            for t, row in zip(todo, self.rules.predict_proba(self.docs(todo)), strict=True):
                self._rules[t] = row
        return np.array([self._rules[t] for t in texts])


def _split(frame: pd.DataFrame, *splits: str) -> pd.DataFrame:
    return frame.loc[frame["split"].isin(splits)]


def build_blocks(data: Data) -> list[Block]:
    def policy_real() -> pd.DataFrame:
        # The held-out pools (posts no model trains on) are reported by bench/quality.py; the
        # posts the recipe leaves out of illegal_ads (its [unknown]) are left out here too.
        p = without_held_out(data("policy"))
        return p.loc[~np.isnan(recipe_targets(p, BASE)[:, CATEGORIES.index("illegal_ads")])]

    def policy_vlsp() -> pd.DataFrame:
        p = data("policy")
        return p.loc[p["corpus"] == "vlsp2019"]

    def vlsp_scored() -> pd.DataFrame:
        p = policy_vlsp()
        return p.loc[p["pool"] != "policy_examples"]

    def vlsp_train() -> list[Part]:
        # Policy labels where a VLSP post has them, VLSP's label_id labels otherwise.
        policy = policy_vlsp()
        keys = {text_key(t) for t in policy["text"]}
        raw = data("vlsp2019")
        raw = raw.loc[[text_key(t) not in keys for t in raw["text"]]]
        return [Part("vlsp2019 (policy labels)", _split(policy, "train")),
                Part("vlsp2019 (label_id)", _split(raw, "train"), exclusive=True)]

    def vlsp_all_keys() -> set[str]:
        return ({text_key(t) for t in data("vlsp2019")["text"]}
                | {text_key(t) for t in policy_vlsp()["text"]})

    def v3_test() -> Part:
        v2 = _split(data("vifn_v2"), "test")
        frame = pd.concat([_split(data("vifn_v3"), "test"), v2.loc[v2["fake_news"] == 0]],
                          ignore_index=True)
        return Part("vifn_v3", frame, note="v3 test (all fake) + ViFN v2 test reals as negatives")

    def simple(name: str, exclusive: bool = False, test: tuple[str, ...] = ("test",),
               note: str = "") -> Corpus:
        return Corpus(name,
                      train=lambda: [Part(name, _split(data(name), "train"), exclusive)],
                      cross_test=lambda: Part(name, _split(data(name), *test), exclusive, note),
                      own_test=lambda: Part(name, _split(data(name), *test), exclusive, note))

    vlsp = Corpus("vlsp2019", train=vlsp_train,
                  cross_test=lambda: Part("vlsp2019", vlsp_scored(),
                                          note="policy-labelled VLSP posts, all splits"),
                  own_test=lambda: Part("vlsp2019", _split(vlsp_scored(), "test"),
                                        note="policy-labelled VLSP posts, test split"),
                  banned=vlsp_all_keys)
    policy = Corpus("policy",
                    train=lambda: [Part("policy", _split(policy_real(), "train"))],
                    cross_test=lambda: Part("policy", _split(policy_real(), "test"),
                                            note="policy real posts, test split"),
                    own_test=lambda: Part("policy", _split(policy_real(), "test"),
                                          note="policy real posts, test split"))
    v3 = Corpus("vifn_v3", train=lambda: [Part("vifn_v3", _split(data("vifn_v3"), "train"))],
                cross_test=v3_test, own_test=v3_test)
    return [
        Block("insult/offensive", ("insult", "offensive"),
              [simple("vihsd", exclusive=True), vlsp, simple("vithsd", exclusive=True)]),
        Block("fake_news", ("fake_news",), [simple("reintel"), simple("vifn_v2"), v3],
              linear=dict(NEWS_LINEAR), gated=True),
        Block("illegal_ads", ("illegal_ads",),
              [simple("vnmod_labelled"), policy, simple("vi_smishing")]),
    ]


def _targets(part: Part, categories: tuple[str, ...]) -> np.ndarray:
    """Label matrix; nan outside ``categories`` and, for exclusive labels, offensive of
    insult posts."""
    y = label_matrix(part.frame)
    for k, cat in enumerate(CATEGORIES):
        if cat not in categories:
            y[:, k] = np.nan
    if part.exclusive:
        y[y[:, INS] == 1, OFF] = np.nan
    return y


def training_set(parts: list[Part], categories: tuple[str, ...], banned: set[str],
                 max_train: int, rng_seed: int) -> tuple[list[str], np.ndarray, dict]:
    """Concatenate ``parts`` (earlier parts win a repeated text), drop ``banned`` texts and
    subsample to ``max_train`` posts."""
    texts: list[str] = []
    ys = []
    seen: set[str] = set()
    info = {"sources": {}, "removed_scored": 0, "duplicates": 0}
    for part in parts:
        y = _targets(part, categories)
        kept = 0
        for t, row in zip(part.frame["text"].tolist(), y, strict=True):
            key = text_key(t)
            if key in banned:
                info["removed_scored"] += 1
            elif key in seen:
                info["duplicates"] += 1
            else:
                seen.add(key)
                texts.append(t)
                ys.append(row)
                kept += 1
        info["sources"][part.name] = kept
    y = np.array(ys)
    info["rows"] = len(texts)
    if max_train and len(texts) > max_train:
        keep = np.sort(np.random.default_rng(rng_seed).choice(len(texts), max_train,
                                                              replace=False))
        texts = [texts[i] for i in keep]
        y = y[keep]
        info["subsampled_to"] = max_train
    info["positives"] = {c: int(np.nansum(y[:, CATEGORIES.index(c)])) for c in categories}
    return texts, y, info


def _score(y: np.ndarray, p: np.ndarray) -> tuple[float | None, float | None]:
    from sklearn.metrics import average_precision_score, roc_auc_score

    if len(np.unique(y)) < 2:
        return None, None
    return (round(float(roc_auc_score(y, p)), 4),
            round(float(average_precision_score(y, p)), 4))


def score_part(model: Fitted, data: Data, part: Part,
               categories: tuple[str, ...]) -> dict[str, dict]:
    texts = part.frame["text"].tolist()
    docs = data.docs(texts)
    p = model.linear.predict_proba(docs)
    e = model.encoder.predict_proba(docs) if model.encoder is not None else None
    r = data.rule_scores(texts)
    g = model.gate.predict_proba(docs) if model.gate is not None else None
    y = _targets(part, categories)
    out = {}
    for cat in categories:
        k = CATEGORIES.index(cat)
        known = ~np.isnan(y[:, k])
        auc, ap = _score(y[known, k], p[known, k])
        rules_auc, _ = _score(y[known, k], r[known, k])
        # The two components the shipped model stacks, with no weights fitted: the sum of
        # their logits (a floor-setting rule hit dominates it, as it does the stack).
        both = logit(p[known, k], eps=1e-6) + logit(r[known, k], eps=1e-6)
        out[cat] = {"n": int(known.sum()), "positives": int(y[known, k].sum()),
                    "roc_auc": auc, "average_precision": ap, "rules_roc_auc": rules_auc,
                    "linear_rules_roc_auc": _score(y[known, k], both)[0]}
        if g is not None:
            gated = logit(p[known, k], eps=1e-6) + gate_offset(g[known, k], GATE_WEIGHT,
                                                               GATE_MARGIN)
            out[cat]["gated_roc_auc"] = _score(y[known, k], gated)[0]
        if e is not None:
            out[cat]["encoder_roc_auc"] = _score(y[known, k], e[known, k])[0]
            blend = logit(p[known, k], eps=1e-6) + logit(e[known, k], eps=1e-6)
            out[cat]["blend_roc_auc"] = _score(y[known, k], blend)[0]
    return out


@dataclass
class Fitted:
    linear: LinearBackend
    encoder: object | None = None
    gate: LinearBackend | None = None


@dataclass
class EncoderSpec:
    """A base encoder fine-tuned per fold (``--encoder``)."""

    base: Path
    epochs: int = 3
    max_train: int = 8_000
    lr: float = 5e-5

    def fit(self, texts: list[str], y: np.ndarray, seed: int) -> object:
        import tempfile

        from vnmod.backends.transformer import TransformerBackend
        from vnmod.backends.transformer.train import train_transformer

        if len(texts) > self.max_train:
            keep = np.sort(np.random.default_rng(seed).choice(len(texts), self.max_train,
                                                              replace=False))
            texts, y = [texts[i] for i in keep], y[keep]
        out = Path(tempfile.mkdtemp(prefix="vnmod-cc-"))
        train_transformer(texts, y, base_model=self.base, output_dir=out, epochs=self.epochs,
                          lr=self.lr, freeze_embeddings=True, tokenizer_kind="json", seed=seed)
        return TransformerBackend.from_pretrained(out)


def fit(texts: list[str], y: np.ndarray, data: Data,
        encoder: EncoderSpec | None = None, seed: int = SEED,
        settings: dict | None = None) -> tuple[Fitted, float]:
    start = time.perf_counter()
    model = Fitted(LinearBackend(**(settings or LINEAR)).fit(data.docs(texts), y))
    if encoder is not None:
        model.encoder = encoder.fit(texts, y, seed)
    return model, round(time.perf_counter() - start, 1)


def fit_gate(news: list[str], banned: set[str], data: Data, max_train: int,
             seed: int) -> LinearBackend:
    """The news-like gate of one fold: ``news`` (its news training posts) against the train
    splits' comments of ``GATE_COMMENTS``, none of them a ``banned`` text."""
    k = CATEGORIES.index("fake_news")
    seen = {text_key(t) for t in news} | banned
    comments = list(dict.fromkeys(t for name in GATE_COMMENTS
                                  for t, key in data.keyed(name, "train") if key not in seen))
    if max_train and len(comments) > max_train:
        keep = np.random.default_rng(seed).choice(len(comments), max_train, replace=False)
        comments = [comments[i] for i in np.sort(keep)]
    y = np.full((len(news) + len(comments), len(CATEGORIES)), np.nan)
    y[:, k] = [1.0] * len(news) + [0.0] * len(comments)
    return LinearBackend(**GATE_LINEAR).fit(data.docs(news + comments), y)


def run_block(block: Block, data: Data, max_train: int, in_corpus: bool,
              encoder: EncoderSpec | None = None) -> list[dict]:
    rows = []
    for i, held in enumerate(block.corpora):
        test = held.cross_test()
        own = held.own_test()
        parts = [p for c in block.corpora if c is not held for p in c.train()]
        banned = test.keys() | own.keys() | held.banned()
        texts, y, info = training_set(parts, block.categories, banned, max_train, SEED + i)
        model, seconds = fit(texts, y, data, encoder, SEED + i, block.linear)
        if block.gated:
            model.gate = fit_gate(texts, banned, data, max_train, SEED + i)
        print(f"[{block.name}] without {held.name}: {len(texts)} training posts, "
              f"fit {seconds} s", file=sys.stderr)
        fitted = (model, info, seconds)
        rows.append(_row(block, "cross-corpus", held.name, test, fitted, data))
        if len(own.frame) != len(test.frame) or own.note != test.note:
            # the same posts the in-corpus reference scores, for a like-for-like comparison
            rows.append(_row(block, "cross-corpus", held.name, own, fitted, data))
    for i, corpus in enumerate(block.corpora if in_corpus else []):
        # Its own train split first, so that its labels win where a text repeats elsewhere.
        parts = corpus.train() + [p for c in block.corpora if c is not corpus for p in c.train()]
        own = corpus.own_test()
        texts, y, info = training_set(parts, block.categories, own.keys(), max_train,
                                      SEED + 10 + i)
        model, seconds = fit(texts, y, data, encoder, SEED + 10 + i, block.linear)
        if block.gated:
            model.gate = fit_gate(texts, own.keys(), data, max_train, SEED + 10 + i)
        print(f"[{block.name}] in-corpus {corpus.name}: {len(texts)} training posts, "
              f"fit {seconds} s", file=sys.stderr)
        rows.append(_row(block, "in-corpus", corpus.name, own, (model, info, seconds), data))
    return rows


def _row(block: Block, setting: str, corpus: str, part, fitted: tuple, data: Data) -> dict:
    """One table row: ``fitted`` (model, training info, fit seconds) scored on ``part``."""
    model, info, seconds = fitted
    return {"block": block.name, "setting": setting, "held_out": corpus,
            "test": part.note or f"{corpus} test split", "train": info, "fit_s": seconds,
            "scores": score_part(model, data, part, block.categories)}


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--max-train", type=int, default=40_000,
                    help="subsample larger training sets to this many posts (0: no cap)")
    ap.add_argument("--no-in-corpus", action="store_true",
                    help="skip the in-corpus reference fits")
    ap.add_argument("--blocks", nargs="+", help="only these blocks (insult/offensive, "
                                                "fake_news, illegal_ads)")
    ap.add_argument("--settings", type=json.loads, default={}, metavar="JSON",
                    help="linear settings to change in every block, e.g. '{\"C\": 2}' "
                         "(to compare a choice across corpora)")
    ap.add_argument("--encoder", type=Path, help="also fine-tune this base encoder per fold")
    ap.add_argument("--encoder-epochs", type=int, default=3)
    ap.add_argument("--encoder-max-train", type=int, default=8_000)
    args = ap.parse_args(argv)
    encoder = (EncoderSpec(args.encoder, args.encoder_epochs, args.encoder_max_train)
               if args.encoder else None)
    start = time.perf_counter()
    data = Data()
    rows: list[dict] = []
    for block in build_blocks(data):
        if args.blocks and block.name not in args.blocks:
            continue
        block.linear.update(args.settings)
        rows.extend(run_block(block, data, args.max_train, not args.no_in_corpus, encoder))
    runtime = round(time.perf_counter() - start, 1)

    print("Linear model (vnmod-base [linear] settings) fitted per fold; rules = the shipped "
          "rules alone.\n")
    extra = " encoder ROC-AUC | linear+encoder ROC-AUC |" if encoder else ""
    print("| block | setting | held-out corpus | test posts | category | train posts | n "
          "| positives | linear ROC-AUC | linear AP | rules ROC-AUC | linear+rules ROC-AUC "
          "| with the gate |" + extra)
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|" + "---|" * (2 if encoder else 0))
    for row in rows:
        train = row["train"]
        n_train = str(train.get("subsampled_to", train["rows"]))
        if "subsampled_to" in train:
            n_train += f" (of {train['rows']})"
        for cat, s in row["scores"].items():
            print(f"| {row['block']} | {row['setting']} | {row['held_out']} | {row['test']} "
                  f"| {cat} | {n_train} | {s['n']} | {s['positives']} | {_fmt(s['roc_auc'])} "
                  f"| {_fmt(s['average_precision'])} | {_fmt(s['rules_roc_auc'])} "
                  f"| {_fmt(s['linear_rules_roc_auc'])} | {_fmt(s.get('gated_roc_auc'))} |"
                  + (f" {_fmt(s['encoder_roc_auc'])} | {_fmt(s['blend_roc_auc'])} |"
                     if encoder else ""))
    subsampled = sorted({f"{r['block']} without {r['held_out']}" if r["setting"] ==
                         "cross-corpus" else f"{r['block']} in-corpus {r['held_out']}"
                         for r in rows if "subsampled_to" in r["train"]})
    print()
    if subsampled:
        print(f"Training sets over {args.max_train} posts subsampled (seed {SEED}+fold): "
              f"{'; '.join(subsampled)}.")
    print("offensive on ViHSD/ViTHSD leaves out HATE posts (exclusive labels: unknown). "
          "ViFN v3 is all fake: scored against ViFN v2 test reals. "
          "Every ViTHSD text is also a ViHSD text (ViTHSD = another labelling). "
          "Texts of the scored posts are removed from training.")
    print(f"runtime: {runtime} s")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"linear": LINEAR, "news_linear": NEWS_LINEAR,
                                    "settings_changed": args.settings,
                                    "max_train": args.max_train,
                                    "encoder": None if encoder is None else {
                                        "base": str(encoder.base), "epochs": encoder.epochs,
                                        "max_train": encoder.max_train, "lr": encoder.lr},
                                    "gate": {"linear": GATE_LINEAR, "comments": GATE_COMMENTS,
                                             "weight": GATE_WEIGHT, "margin": GATE_MARGIN},
                                    "seed": SEED, "runtime_s": runtime, "folds": rows},
                                   indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
