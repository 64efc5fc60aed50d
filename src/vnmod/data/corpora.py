"""One loader per corpus, registered in :data:`CORPORA`, behind :func:`load_corpus`.

Every loader returns the standard frame: ``text``, the four category columns (int 0/1),
``source``, ``split``, optionally ``group``, then corpus-specific extras. Files are read in
place; nothing is copied.
"""

from __future__ import annotations

import json
import logging
import os
import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from vnmod.data._common import (
    CATEGORIES,
    CORE_COLUMNS,
    SPLITS,
    make_frame,
    read_csv,
    require_pandas,
    resolve_data_dir,
    resolve_labelled_dir,
    split_for_group,
    stable_bucket,
    text_key,
)
from vnmod.data.labels import parse_labels
from vnmod.data.policy import _load_policy

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

log = logging.getLogger(__name__)

#: Marks rows whose source label does not determine vnmod's labels; load_corpus drops them.
_UNMAPPED = "_unmapped"
_HSD_LEVELS = {"2": "insult", "1": "offensive"}  # ViHSD / VLSP 2019 label_id
_VITHSD_TARGETS = {
    "individual": "individual",
    "groups": "groups",
    "religion/creed": "religion",
    "race/ethnicity": "race",
    "politics": "politics",
}
# UIT-VSFC replaced some strings by letter-only tokens (its _README, section D); undo that.
_VSFC_TOKENS = {
    "colonsmile": ":)", "colonsad": ":(", "colonsurprise": "@@", "colonlove": "<3",
    "colonsmilesmile": ":d", "coloncontemn": ":3", "colonbigsmile": ":v", "coloncc": ":_",
    "colonsmallsmile": ":p", "coloncolon": ">>", "colonlovelove": ':">', "colonhihi": "^^",
    "doubledot": ":", "colonsadcolon": ":'(", "colondoublesurprise": ":@", "vdotv": "v.v",
    "dotdotdot": "...", "fraction": "/", "csharp": "c#",
}  # fmt: skip

Loader = Callable[[Path, str], "pd.DataFrame"]


@dataclass(frozen=True)
class CorpusSpec:
    """How to read one corpus.

    ``files`` maps a split to a path under the corpus folder; the key ``"*"`` means one file
    whose loader assigns the split itself. ``benchmark``: its dev/test texts are held out of
    :func:`~vnmod.data.load_training_frame` when it is a source.
    """

    name: str
    folder: str
    files: Mapping[str, str]
    loader: Loader
    benchmark: bool = True
    dedupe: bool = False
    licence: str = ""
    splits: tuple[str, ...] = field(default=SPLITS)


def _hsd_frame(texts: pd.Series, label_id: pd.Series, source: str, split: str) -> pd.DataFrame:
    ids = label_id.str.strip()
    labels = {cat: (ids == lvl).astype(int) for lvl, cat in _HSD_LEVELS.items()}
    return make_frame(texts, labels, source, split)


def _load_vihsd(path: Path, split: str) -> pd.DataFrame:
    """ViHSD: ``label_id`` 2 HATE -> insult, 1 OFFENSIVE -> offensive, 0 CLEAN -> none."""
    raw = read_csv(path)
    return _hsd_frame(raw["free_text"], raw["label_id"], "vihsd", split)


def _load_vlsp2019(path: Path, split: str) -> pd.DataFrame:
    """VLSP 2019 HSD: as ViHSD, from ``label_id`` (its one-hot columns say CLEAN for every row).

    There is no official split: every row is ``"train"``.
    """
    raw = read_csv(path)
    frame = _hsd_frame(raw["free_text"], raw["label_id"], "vlsp2019", "train")
    frame["id"] = raw["id"].to_numpy()
    return frame


def _load_vithsd(path: Path, split: str) -> pd.DataFrame:
    """ViTHSD: five targets, each 0 not targeted, 1 clean, 2 offensive, 3 hate.

    Rule: any target at level 3 -> ``insult``; otherwise any target at level 2 -> ``offensive``;
    otherwise (some target at 1) clean. Level 2 is not promoted to ``insult`` when the target is
    an individual: on the 10,001 texts that are also in ViHSD, level-2-individual rows are
    ViHSD OFFENSIVE 44%, HATE 34%, CLEAN 22%, so "aimed at someone" does not make a level 2
    an insult, while level 3 rows are 76% HATE. Rows with every target at 0 say only that the
    comment has no target, not that it is clean (ViHSD calls 54% of them OFFENSIVE or HATE):
    they are dropped as unmapped. The levels are kept as ``individual``, ``groups``,
    ``religion``, ``race``, ``politics``.
    """
    pd = require_pandas()
    raw = read_csv(path)
    levels = pd.DataFrame(
        {new: pd.to_numeric(raw[old]).astype(int) for old, new in _VITHSD_TARGETS.items()}
    )
    top = levels.max(axis=1)
    frame = make_frame(
        raw["content"],
        {"insult": (top == 3).astype(int), "offensive": (top == 2).astype(int)},
        "vithsd",
        split,
        extra=levels.to_dict("series"),
    )
    frame[_UNMAPPED] = (top == 0).to_numpy()
    return frame


def _index_spans(indices: list[int]) -> list[tuple[int, int]]:
    """Character indices -> ``(start, end)`` runs, ``end`` exclusive."""
    runs: list[tuple[int, int]] = []
    for i in sorted(set(indices)):
        if runs and runs[-1][1] == i:
            runs[-1] = (runs[-1][0], i + 1)
        else:
            runs.append((i, i + 1))
    return runs


def _load_vihos(path: Path, split: str) -> pd.DataFrame:
    """ViHOS: a row with any hate/offensive span -> ``offensive``; no span -> clean.

    ViHOS does not tell hate from offensive, so a span only proves offensive language. (Of the
    span rows, ViHSD calls 61% HATE and 37% OFFENSIVE: where both corpora are loaded, ViHSD's
    own label wins, see :func:`~vnmod.data.load_training_frame`.) ``spans`` holds
    ``(start, end)`` character ranges into ``text``, ``end`` exclusive.
    """
    raw = read_csv(path)
    spans = [_index_spans(json.loads(cell)) for cell in raw["index_spans"]]
    return make_frame(
        raw["content"],
        {"offensive": [int(bool(s)) for s in spans]},
        "vihos",
        split,
        extra={"spans": spans},
    )


def _load_reintel(path: Path, split: str) -> pd.DataFrame:
    """ReINTEL (VLSP 2020): unreliable (1) -> ``fake_news``.

    The text is word-segmented; ``_`` is replaced by a space (offsets are unchanged). Keeps
    ``id``, the like/comment/share counts and ``user_name_freq``; ``group`` is the hashed user.
    """
    pd = require_pandas()
    raw = read_csv(path)
    numeric = ("id", "num_like_post", "num_comment_post", "num_share_post", "user_name_freq")
    extra: dict[str, object] = {"group": raw["user_name"].to_numpy()}
    for col in numeric:
        extra[col] = pd.to_numeric(raw[col].replace("", None), errors="coerce").to_numpy()
    return make_frame(
        raw["post_message"].str.replace("_", " ", regex=False),
        {"fake_news": raw["label"].astype(int)},
        "reintel",
        split,
        extra=extra,
    )


def _load_vifn_v2(path: Path, split: str) -> pd.DataFrame:
    """ViFN v2: fake (1) -> ``fake_news``. ``val_data.csv`` is the test split. Deduplicated."""
    raw = read_csv(path)
    return make_frame(raw["content"], {"fake_news": raw["label"].astype(int)}, "vifn_v2", split)


def _hash_split(texts: Iterable[str], salt: str, test_share: float = 0.2) -> list[str]:
    """``"test"`` for a text whose SHA-256 (of its text key, salted) falls in the top
    ``test_share``, else ``"train"``: identical texts always share a split."""
    return ["train" if stable_bucket(text_key(t), salt) < 1 - test_share else "test"
            for t in texts]


def _load_vifn_v3(path: Path, split: str) -> pd.DataFrame:
    """ViFN v3 fake articles (every row fake -> ``fake_news``): title and summary as the text.

    No split is given: a row is ``"test"`` when SHA-256 of its text key falls in the top 20%.
    Keeps ``domain``.
    """
    raw = read_csv(path)
    texts = [f"{t.strip()}. {s.strip()}".strip(". ") for t, s in
             zip(raw["title"], raw["summary"], strict=True)]
    return make_frame(texts, {"fake_news": [1] * len(texts)}, "vifn_v3",
                      _hash_split(texts, "vnmod-vifn3:"),
                      extra={"domain": raw["domain"]})


def _load_vi_smishing(path: Path, split: str) -> pd.DataFrame:
    """Vietnamese smishing SMS: scam (1) -> ``illegal_ads``; legitimate (0) -> clean.

    Legitimate carrier/brand promotions are legal advertising (hard negatives). No split is
    given: a row is ``"test"`` when SHA-256 of its text key falls in the top 20%, else
    ``"train"``, so identical texts always share a split. Keeps ``has_url``,
    ``has_phone_number``, ``sender_type``.
    """
    raw = read_csv(path)
    splits = _hash_split(raw["content"], "vnmod-smishing:")
    return make_frame(
        raw["content"],
        {"illegal_ads": raw["label"].astype(int)},
        "vi_smishing",
        splits,
        extra={
            "has_url": raw["has_url"].astype(int).to_numpy(),
            "has_phone_number": raw["has_phone_number"].astype(int).to_numpy(),
            "sender_type": raw["sender_type"].to_numpy(),
        },
    )


def _load_vispam(path: Path, split: str) -> pd.DataFrame:
    """ViSpamReviews: e-commerce reviews, clean negatives.

    ``SpamLabel`` 0 (not spam), 1 (fake review) and 2 (brand-only review) are not vnmod
    violations: all four columns 0. Type 3 "irrelevant" mixes keyboard noise with promotions of
    unknown legality, so it is dropped as unmapped rather than called clean or illegal_ads.
    Keeps ``spam_type`` and ``rating``.
    """
    raw = read_csv(path)
    spam_type = raw["SpamLabel"].astype(int)
    frame = make_frame(
        raw["Comment"],
        {},
        "vispam",
        split,
        extra={"spam_type": spam_type.to_numpy(), "rating": raw["Rating"].astype(int).to_numpy()},
    )
    frame[_UNMAPPED] = (spam_type == 3).to_numpy()
    return frame


def _load_vilexnorm(path: Path, split: str) -> pd.DataFrame:
    """ViLexNorm: social-media comments paired with a normalised form; the comments as
    written (``original``), with no vnmod labels: every row is unmapped, read through the
    policy labels of its pools (``vilexnorm_*`` in ``vnmod.data.policy.HELD_OUT_POOLS``).
    Keeps ``normalized``."""
    raw = read_csv(path)
    frame = make_frame(raw["original"], {}, "vilexnorm", split,
                       extra={"normalized": raw["normalized"]})
    frame[_UNMAPPED] = True
    return frame


def _load_uit_vsfc(path: Path, split: str) -> pd.DataFrame:
    """UIT-VSFC student feedback: formal and clean, all four columns 0.

    The corpus' placeholder tokens (``doubledot``, ``colonsmile``...) are turned back into the
    characters they replaced. Keeps ``sentiment`` (0 neg, 1 neu, 2 pos) and ``topic``.
    """

    def lines(name: str) -> list[str]:
        text = (path / name).read_text(encoding="utf-8-sig").splitlines()
        while text and not text[-1].strip():
            text.pop()
        return text

    sents, sentiment, topic = lines("sents.txt"), lines("sentiments.txt"), lines("topics.txt")
    if not len(sents) == len(sentiment) == len(topic):
        raise ValueError(f"{path}: sents/sentiments/topics have different line counts")
    texts = [" ".join(_VSFC_TOKENS.get(tok, tok) for tok in s.split(" ")) for s in sents]
    return make_frame(
        texts,
        {},
        "uit_vsfc",
        split,
        extra={"sentiment": [int(x) for x in sentiment], "topic": [int(x) for x in topic]},
    )


def _load_vnmod_labelled(root: Path, split: str) -> pd.DataFrame:
    """The project's own JSONL files (``<root>/**/*.jsonl``, one ``{"text", "labels", "topic",
    "family"}`` per line).

    ``labels`` are category keys or Vietnamese names (see :func:`~vnmod.data.parse_labels`).
    ``group`` is the family (the text key where a row has none); the split is drawn per family
    by :func:`~vnmod.data.split_for_group` (~70/15/15), so a family never straddles two splits.
    Keeps ``topic`` and ``file`` (path relative to ``root``).
    """
    rows: list[dict[str, object]] = []
    files = sorted(root.rglob("*.jsonl")) if root.is_dir() else []
    if not files:
        warnings.warn(f"No *.jsonl files under {root}: vnmod_labelled is empty.", stacklevel=3)
    for file in files:
        with file.open(encoding="utf-8-sig") as fh:
            for lineno, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    obj = json.loads(line)
                    cats = parse_labels(obj.get("labels", obj.get("label")))
                    text = obj["text"]
                except (json.JSONDecodeError, KeyError, ValueError, AttributeError) as exc:
                    raise ValueError(f"{file}:{lineno}: {exc}") from exc
                family = obj.get("family") or ""
                rows.append(
                    {
                        "text": text,
                        **{cat: int(cat in cats) for cat in CATEGORIES},
                        "group": family or f"text:{text_key(text)}",
                        "topic": obj.get("topic"),
                        "file": file.relative_to(root).as_posix(),
                    }
                )
    texts = [r["text"] for r in rows]
    groups = [str(r["group"]) for r in rows]
    return make_frame(
        texts,
        {cat: [r[cat] for r in rows] for cat in CATEGORIES},
        "vnmod_labelled",
        [split_for_group(g) for g in groups],
        extra={
            "group": groups,
            "topic": [r["topic"] for r in rows],
            "file": [r["file"] for r in rows],
        },
    )


def _per_split(pattern: str, names: tuple[str, ...] = SPLITS) -> dict[str, str]:
    return {s: pattern.format(split=s) for s in names}


CORPORA: dict[str, CorpusSpec] = {
    spec.name: spec
    for spec in (
        CorpusSpec("vihsd", "vihsd", _per_split("{split}.csv"), _load_vihsd,
                   licence="research purposes only"),
        CorpusSpec("vlsp2019", "vlsp2019_hsd", {"*": "Train_original.csv"}, _load_vlsp2019,
                   benchmark=False, licence="none stated", splits=("train",)),
        CorpusSpec("vithsd", "vithsd", _per_split("{split}.csv"), _load_vithsd,
                   benchmark=False, licence="cite the paper"),
        CorpusSpec("vihos", "vihos", _per_split("{split}.csv"), _load_vihos,
                   benchmark=False, licence="MIT"),
        CorpusSpec("reintel", "reintel", {"train": "train_tokenized.csv",
                   "test": "test_tokenized.csv"}, _load_reintel,
                   licence="VLSP shared-task data", splits=("train", "test")),
        CorpusSpec("vifn_v2", "vifn_v2", {"train": "train_data.csv", "test": "val_data.csv"},
                   _load_vifn_v2, dedupe=True, licence="none stated", splits=("train", "test")),
        CorpusSpec("vifn_v3", "vifn_v3", {"*": "deduplicated_articles_fake.csv"},
                   _load_vifn_v3, dedupe=True, licence="MIT", splits=("train", "test")),
        CorpusSpec("vi_smishing", "vi_smishing", {"*": "train.csv"}, _load_vi_smishing,
                   licence="none stated", splits=("train", "test")),
        CorpusSpec("vispam", "vispam", _per_split("dataset/{split}.csv"), _load_vispam,
                   licence="research purposes only"),
        CorpusSpec("vilexnorm", "vilexnorm", _per_split("{split}.csv"), _load_vilexnorm,
                   benchmark=False, licence="CC BY-NC-SA 4.0"),
        CorpusSpec("uit_vsfc", "uit_vsfc", _per_split("{split}"), _load_uit_vsfc,
                   licence="belongs to The UIT NLP Group"),
        CorpusSpec("vnmod_labelled", "", {"*": ""}, _load_vnmod_labelled,
                   licence="vnmod project"),
        CorpusSpec("policy", "", {"*": ""}, _load_policy,
                   licence="vnmod labels of the public corpora's rows (their licences apply)"),
    )
}  # fmt: skip


def _corpus_root(spec: CorpusSpec, data_dir: str | os.PathLike[str] | None) -> Path:
    if spec.name == "vnmod_labelled":
        return resolve_labelled_dir(data_dir)
    root = resolve_data_dir(data_dir) / spec.folder
    if not root.is_dir():
        raise FileNotFoundError(f"Corpus {spec.name!r}: folder {root} does not exist.")
    return root


def _dedupe_within(frame: pd.DataFrame) -> pd.DataFrame:
    """Keep the first row per text key; a category is 1 if any copy has it (max)."""
    if frame.empty:
        return frame
    pd = require_pandas()
    keys = pd.Series([text_key(t) for t in frame["text"]], index=frame.index, dtype=object)
    cats = list(CATEGORIES)
    merged = frame.groupby(keys, sort=False)[cats].max()
    first = frame.loc[~keys.duplicated()].copy()
    first[cats] = merged.loc[keys[first.index]].to_numpy()
    return first


def load_corpus(
    name: str,
    split: str | None = None,
    data_dir: str | os.PathLike[str] | None = None,
    *,
    keep_unmapped: bool = False,
) -> pd.DataFrame:
    """Load one corpus in the standard shape.

    Parameters
    ----------
    name : str
        A key of :data:`CORPORA`: ``vihsd``, ``vlsp2019``, ``vithsd``, ``vihos``, ``reintel``,
        ``vifn_v2``, ``vifn_v3``, ``vi_smishing``, ``vispam``, ``vilexnorm``, ``uit_vsfc``,
        ``vnmod_labelled`` or ``policy`` (real posts labelled under ANNOTATION.md, see
        :mod:`vnmod.data.policy`).
    split : {"train", "dev", "test"}, optional
        One split; all splits when None.
    data_dir : path, optional
        The public-corpora folder (see :func:`~vnmod.data.resolve_data_dir`). For
        ``vnmod_labelled`` it is the labelled folder instead (default ``<repo>/data/labelled``
        or ``$VNMOD_LABELLED_DIR``).
    keep_unmapped : bool
        Keep the rows whose label does not map to vnmod's categories (all four columns 0 for
        them): the policy labels read such rows (ViSpam's promotions) by key.

    Returns
    -------
    pandas.DataFrame
        ``text``, ``insult``, ``offensive``, ``fake_news``, ``illegal_ads``, ``source``,
        ``split`` [, ``group``] and corpus extras. Empty texts, rows whose label does not map
        (see each loader) and, for deduplicated corpora, repeated texts are dropped;
        ``frame.attrs["dropped"]`` counts them.
    """
    pd = require_pandas()
    if name not in CORPORA:
        raise ValueError(f"Unknown corpus {name!r}. Known corpora: {', '.join(CORPORA)}.")
    spec = CORPORA[name]
    if split is not None and split not in spec.splits:
        raise ValueError(
            f"Corpus {name!r} has no split {split!r}; its splits are {', '.join(spec.splits)}."
        )
    root = _corpus_root(spec, data_dir)
    if "*" in spec.files:
        frames = [spec.loader(root / spec.files["*"], "*")]
    else:
        wanted = [split] if split is not None else list(spec.files)
        frames = [spec.loader(root / spec.files[s], s) for s in wanted]
    dropped = {"empty": 0, "unmapped": 0, "duplicate": 0}
    kept = []
    for frame in frames:
        if split is not None:
            frame = frame[frame["split"] == split]
        empty = frame["text"].str.strip() == ""
        unmapped = frame[_UNMAPPED] if _UNMAPPED in frame and not keep_unmapped \
            else pd.Series(False, frame.index)
        dropped["empty"] += int(empty.sum())
        dropped["unmapped"] += int((unmapped & ~empty).sum())
        frame = frame.loc[~empty & ~unmapped].drop(columns=[_UNMAPPED], errors="ignore")
        if spec.dedupe:
            before = len(frame)
            frame = _dedupe_within(frame)
            dropped["duplicate"] += before - len(frame)
        kept.append(frame)
    out = pd.concat(kept, ignore_index=True) if len(kept) > 1 else kept[0].reset_index(drop=True)
    order = [*CORE_COLUMNS, *(["group"] if "group" in out else [])]
    out = out[order + [c for c in out.columns if c not in order]]
    out.attrs["dropped"] = dropped
    log.debug("load_corpus(%r, split=%r): %d rows, dropped %s", name, split, len(out), dropped)
    return out
