"""Build one de-duplicated, leakage-free training frame from several corpora."""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING

from vnmod.data._common import CATEGORIES, CORE_COLUMNS, require_pandas, text_key
from vnmod.data.corpora import CORPORA, _dedupe_within, load_corpus

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

log = logging.getLogger(__name__)

#: Default sources, in priority order: where two sources hold the same text, the earlier wins.
DEFAULT_SOURCES: tuple[str, ...] = (
    "vnmod_labelled",
    "vihsd",
    "vlsp2019",
    "vithsd",
    "vihos",
    "reintel",
    "vifn_v2",
    "vi_smishing",
    "vispam",
    "uit_vsfc",
)


def load_training_frame(
    sources: Sequence[str] = DEFAULT_SOURCES,
    data_dir: str | os.PathLike[str] | None = None,
    *,
    labelled_dir: str | os.PathLike[str] | None = None,
    splits: Sequence[str] = ("train",),
    holdout: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Concatenate the training splits of ``sources``, without leakage or duplicates.

    Steps, each counted per source in ``frame.attrs["report"]`` (and logged at INFO):

    1. ``loaded``: rows of ``splits`` from :func:`~vnmod.data.load_corpus`.
    2. ``held_out``: rows whose text key (NFC + lowercase + folded whitespace) occurs in the
       dev or test split of a ``holdout`` corpus. Default: ``vihsd`` plus every source marked
       ``benchmark`` in :data:`CORPORA` (all but vlsp2019, vithsd and vihos, whose dev/test are
       re-draws of ViHSD texts). This removes the ViHSD test texts that ViHOS, ViTHSD and
       ViHSD's own train split contain.
    3. ``duplicates``: repeats of a key inside one source. The copies merge into one row whose
       category is 1 if any copy had it (max): an annotator who flagged a text is kept.
    4. ``overridden``: keys already taken by an earlier source in ``sources``. The first source
       wins whole (no label merging across corpora): their label schemes differ (ViHOS spans
       can only say ``offensive`` where ViHSD says HATE), so the more specific source is kept.

    Parameters
    ----------
    sources : sequence of str
        Corpus names (keys of :data:`CORPORA`), highest priority first.
    data_dir : path, optional
        Public-corpora folder.
    labelled_dir : path, optional
        Folder for ``vnmod_labelled``; default ``<repo>/data/labelled``.
    splits : sequence of str
        Splits taken from each source.
    holdout : sequence of str, optional
        Corpora whose dev and test texts must not be trained on; see step 2.

    Returns
    -------
    pandas.DataFrame
        ``text``, the four categories, ``source``, ``split``, ``group`` (None where unknown).
    """
    pd = require_pandas()
    unknown = [s for s in sources if s not in CORPORA]
    if unknown:
        raise ValueError(f"Unknown sources {unknown}. Known corpora: {', '.join(CORPORA)}.")
    if holdout is None:
        holdout = ["vihsd", *(s for s in sources if s != "vihsd" and CORPORA[s].benchmark)]

    def load(name: str) -> pd.DataFrame:
        where = labelled_dir if name == "vnmod_labelled" else data_dir
        return load_corpus(name, data_dir=where)

    full = {name: load(name) for name in sources}
    for name in holdout:
        if name in full:
            continue
        try:
            full[name] = load(name)
        except FileNotFoundError as exc:
            # Only a guard: a corpus that is not here cannot leak into the training data.
            log.warning("hold-out corpus %s not found, nothing to hold out from it (%s)",
                        name, exc)
    held: set[str] = set()
    for name in holdout:
        if name not in full:
            continue
        frame = full[name]
        held.update(text_key(t) for t in frame.loc[frame["split"] != "train", "text"])

    report: dict[str, dict[str, int]] = {}
    seen: set[str] = set()
    parts = []
    for name in sources:
        frame = full[name]
        frame = frame.loc[frame["split"].isin(list(splits))]
        frame = frame[[c for c in (*CORE_COLUMNS, "group", "pool") if c in frame]]
        counts = {"loaded": len(frame)}
        frame = frame.loc[[text_key(t) not in held for t in frame["text"]]]
        counts["held_out"] = counts["loaded"] - len(frame)
        before = len(frame)
        frame = _dedupe_within(frame)
        counts["duplicates"] = before - len(frame)
        keys = [text_key(t) for t in frame["text"]]
        fresh = [k not in seen for k in keys]
        counts["overridden"] = len(keys) - sum(fresh)
        frame = frame.loc[fresh]
        seen.update(keys)
        counts["kept"] = len(frame)
        report[name] = counts
        parts.append(frame)
        log.info("training frame: %s %s", name, counts)

    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=CORE_COLUMNS)
    if "group" not in out:
        out["group"] = None
    out["group"] = out["group"].astype(object).where(out["group"].notna(), None)
    out["pool"] = out["pool"].fillna("").astype(str) if "pool" in out else ""
    for cat in CATEGORIES:
        out[cat] = out[cat].astype("int64")
    out.attrs["report"] = report
    out.attrs["holdout"] = list(holdout)
    return out
