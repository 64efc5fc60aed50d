"""Real posts labelled under the vnmod label policy (``ANNOTATION.md``), by row key.

The labels live in the repository (``data/policy/labels.csv``: corpus, split, id, the four
categories, borderline, note); the texts stay in the public corpora and are looked up by key at
load time. A row's ``id`` is the corpus's own id where that is unique (VLSP 2019) and otherwise
:func:`row_hash` of the text (ViHSD, ReINTEL: 460 ReINTEL training ids name two posts each).

The policy split is drawn per *cluster*: posts that share a seller contact (phone number, Zalo
or web handle, the Facebook account that posted) or are near-copies of each other (character
4-gram Jaccard >= 0.5) form one cluster, and a whole cluster goes to train, dev or test
(55/20/25 by a stable hash), so the test split measures sellers and templates never trained on.
"""

from __future__ import annotations

import hashlib
import os
import re
import warnings
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from vnmod.data._common import (
    CATEGORIES,
    make_frame,
    read_csv,
    require_pandas,
    resolve_repo_data,
    split_for_group,
    text_key,
)

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

POLICY_ENV = "VNMOD_POLICY_LABELS"
#: train/dev/test shares of the clusters.
POLICY_RATIOS = (0.55, 0.20, 0.25)
#: The ViLexNorm comments read in the ninth to fourteenth sessions (8,302 comments, held out
#: until the sixteenth session of 2026-12-06; the recipe lets them teach insult and offensive
#: alone). The three later pools stay held out (:data:`HELD_OUT_POOLS`).
LEXNORM_TRAIN_POOLS = frozenset({"vilexnorm_comments", "vilexnorm_fresh",
                                 *(f"vilexnorm_fresh{i}" for i in range(2, 10))})
#: Rows of these pools (and the clusters they join) are always train, never reported as test:
#: the policy's worked examples, ViHSD training comments (held out of training as policy
#: dev/test rows, they would take their ViHSD labels out of the ViHSD training data too) and
#: the earlier ViLexNorm pools.
TRAIN_ONLY_POOLS = frozenset({"policy_examples", "vihsd_sales", "vlsp_goods", "vlsp_scored",
                              *LEXNORM_TRAIN_POOLS})
#: Rows of these pools (and the clusters they join, unless a train-only pool is in them) are
#: always test: real posts no vnmod model trains on, ViSpam's promotions and reviews (a source
#: no model trains on), the last three ViLexNorm pools (comments read after the earlier
#: pools) and a sample of ViHSD's test comments (never trained on: training leaves out every
#: ViHSD dev and test text), so their scores measure posts from the field. Benchmarks report
#: them apart from the rest of the split.
HELD_OUT_POOLS = frozenset({"vispam_promotions", "vispam_reviews", "vispam_reviews2",
                            "vilexnorm_fresh10", "vilexnorm_fresh11", "vilexnorm_fresh12",
                            "vihsd_test_sample"})
#: Names a recipe may give a set of pools by (``[unknown]``), beside a source's or a pool's.
POOL_GROUPS = {"vilexnorm_train_pools": LEXNORM_TRAIN_POOLS}
NEAR_COPY_JACCARD = 0.5
#: Corpora whose own ids key their policy rows (each id names one post); others use row_hash.
ID_KEYED = frozenset({"vlsp2019"})

_PHONE = re.compile(r"(?<!\d)(?:\+?84|0)(?:[\s.\-]?\d){8,10}(?!\d)")
_HANDLE = re.compile(r"(?:zalo\.me|fb\.com|facebook\.com|m\.me|t\.me|shopee\.vn|instagram\.com)"
                     r"/([\w\-]+(?:\.[\w\-]+)*)", re.I)
# The Facebook account a scraped post names as its author ("Photos from NAME's post",
# "NAME shared a post", "NAME added 3 new photos", "NAME posted in GROUP").
_POSTER = re.compile(
    r"photos from ([^<>\n]{2,40}?)\s?'s post"
    r"|^([^<>\n.!?]{2,40}?) (?:shared a post|added \d+ new photos|added a new photo|posted in"
    r"|updated (?:his|her|their) (?:status|profile|cover))",
    re.I | re.M,
)


def without_held_out(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows of the policy corpus ``frame`` outside :data:`HELD_OUT_POOLS`."""
    return frame.loc[~frame["pool"].isin(HELD_OUT_POOLS)]


def row_hash(text: str) -> str:
    """Row id for a corpus without ids: ``sha256:`` + 16 hex digits of the text key."""
    return "sha256:" + hashlib.sha256(text_key(text).encode("utf-8")).hexdigest()[:16]


def policy_labels_path(path: str | os.PathLike[str] | None = None) -> Path:
    """The policy label file: ``path``, ``$VNMOD_POLICY_LABELS`` or ``data/policy/labels.csv``."""
    return resolve_repo_data("data/policy/labels.csv", POLICY_ENV, path)


def contacts(text: str) -> set[str]:
    """Seller identities in a post: phone numbers (digits, leading 84 -> 0), web handles and
    the posting account's name."""
    found: set[str] = set()
    for m in _PHONE.finditer(text):
        digits = re.sub(r"\D", "", m.group())
        if digits.startswith("84"):
            digits = "0" + digits[2:]
        found.add("tel:" + digits)
    found.update("web:" + m.group(1).lower() for m in _HANDLE.finditer(text))
    for m in _POSTER.finditer(text):
        name = " ".join((m.group(1) or m.group(2)).lower().split())
        if len(name.split()) <= 5:
            found.add("fb:" + name)
    return found


def clusters(texts: Sequence[str], *, jaccard: float = NEAR_COPY_JACCARD) -> list[int]:
    """A cluster number per text: texts sharing a contact or near-copies share a cluster."""
    from vnmod.data.dedup import near_duplicates

    parent = list(range(len(texts)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def union(pairs: Iterable[tuple[int, int]]) -> None:
        for i, j in pairs:
            a, b = find(i), find(j)
            if a != b:
                parent[max(a, b)] = min(a, b)

    first: dict[str, int] = {}
    for i, text in enumerate(texts):
        for c in contacts(text):
            union([(first.setdefault(c, i), i)])
    union((i, j) for i, j, _ in near_duplicates(texts, texts, jaccard) if i < j)
    return [find(i) for i in range(len(texts))]


def _corpus_texts(corpus: str, data_dir: Path) -> dict[tuple[str, str], str]:
    """``{(split, id): text}`` of one public corpus, ids as the policy file writes them."""
    from vnmod.data.corpora import load_corpus

    frame = load_corpus(corpus, data_dir=data_dir, keep_unmapped=True)
    if corpus in ID_KEYED:
        ids = [str(x) for x in frame["id"]]
        texts = {(s, i): t for s, i, t in zip(frame["split"], ids, frame["text"], strict=True)}
        if len(texts) < len(ids):
            raise ValueError(f"{corpus} ids are not unique: its policy rows cannot be keyed by id")
        return texts
    ids = [row_hash(t) for t in frame["text"]]
    return {(s, i): t for s, i, t in zip(frame["split"], ids, frame["text"], strict=True)}


def _load_policy(root: Path, split: str) -> pd.DataFrame:
    """Loader behind ``load_corpus("policy")``: ``root`` is the public-corpora folder."""
    pd = require_pandas()
    path = policy_labels_path()
    if not path.is_file():
        warnings.warn(f"No policy label file at {path}: the policy corpus is empty.",
                      stacklevel=3)
        return make_frame([], {}, "policy", [])
    labels = read_csv(path)
    texts: dict[str, dict[tuple[str, str], str]] = {}
    rows, missing = [], 0
    for rec in labels.to_dict("records"):
        corpus = rec["corpus"]
        if corpus not in texts:
            texts[corpus] = _corpus_texts(corpus, root)
        text = texts[corpus].get((rec["split"], rec["id"]))
        if text is None:
            missing += 1
            continue
        rows.append((rec, text))
    if missing:
        warnings.warn(f"{missing} policy labels point at rows not found in {root}.",
                      stacklevel=3)
    body = [t for _, t in rows]
    cluster = clusters(body)
    anchor: dict[int, str] = {}
    for (rec, _), c in zip(rows, cluster, strict=True):
        key = f"{rec['corpus']}|{rec['split']}|{rec['id']}"
        anchor[c] = min(anchor.get(c, key), key)
    train_only = {c for (rec, _), c in zip(rows, cluster, strict=True)
                  if rec.get("pool") in TRAIN_ONLY_POOLS}
    held_out = {c for (rec, _), c in zip(rows, cluster, strict=True)
                if rec.get("pool") in HELD_OUT_POOLS}
    splits = ["train" if c in train_only else "test" if c in held_out else
              split_for_group(anchor[c], POLICY_RATIOS, salt="vnmod-policy:") for c in cluster]
    extra = {
        "group": [anchor[c] for c in cluster],
        "corpus": [rec["corpus"] for rec, _ in rows],
        "corpus_split": [rec["split"] for rec, _ in rows],
        "id": [rec["id"] for rec, _ in rows],
        "pool": [rec.get("pool", "") for rec, _ in rows],
        "borderline": [int(rec.get("borderline") or 0) for rec, _ in rows],
        "note": [rec.get("note", "") for rec, _ in rows],
    }
    frame = make_frame(body, {c: [int(rec[c]) for rec, _ in rows] for c in CATEGORIES},
                       "policy", splits, extra=extra)
    frame.attrs["missing"] = missing
    return pd.DataFrame(frame)
