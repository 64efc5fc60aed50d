"""Shared helpers: category names, text keys, stable hashing, and where the data lives."""

from __future__ import annotations

import hashlib
import os
import unicodedata
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

from vnmod.taxonomy import CATEGORIES

SPLITS: tuple[str, ...] = ("train", "dev", "test")
CORE_COLUMNS: tuple[str, ...] = ("text", *CATEGORIES, "source", "split")

DATA_ENV = "VNMOD_DATA_DIR"
LABELLED_ENV = "VNMOD_LABELLED_DIR"
REPO_ROOT = Path(__file__).resolve().parents[3]


def require_pandas() -> Any:
    """Import pandas, or raise an ImportError that says how to install it."""
    try:
        import pandas
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "vnmod.data needs pandas; install the data extra: pip install vnmod[data]"
        ) from exc
    return pandas


def text_key(text: str) -> str:
    """Deduplication key: NFC, lowercase, runs of whitespace folded to one space, stripped."""
    return " ".join(unicodedata.normalize("NFC", str(text)).lower().split())


def stable_bucket(value: str, salt: str = "") -> float:
    """A number in ``[0, 1)`` from SHA-256 of ``salt + value``: the same on every machine."""
    digest = hashlib.sha256((salt + value).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2.0**64


def read_csv(path: str | os.PathLike[str], sep: str = ",") -> pd.DataFrame:
    """A CSV as strings, exactly as written: no NA guessing, a UTF-8 BOM tolerated."""
    pd = require_pandas()
    return pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False, encoding="utf-8-sig")


def label_matrix(frame: pd.DataFrame) -> np.ndarray:
    """The ``(n, 4)`` float label matrix of a frame (columns in ``CATEGORIES`` order), a
    writable copy so that callers may mark cells unknown (nan)."""
    return np.array(frame[list(CATEGORIES)].to_numpy(dtype=float), copy=True)


def split_for_group(
    group: str, ratios: Sequence[float] = (0.70, 0.15, 0.15), salt: str = "vnmod-split:"
) -> str:
    """Assign ``"train"``/``"dev"``/``"test"`` to a group name by a stable hash.

    Every row of one group lands in the same split, so near-copies within a family never
    straddle train and test. ``ratios`` are the train/dev/test shares (a zero share is allowed).
    """
    if len(ratios) != 3 or min(ratios) < 0 or sum(ratios) <= 0:
        raise ValueError(f"ratios must be three non-negative shares, got {tuple(ratios)!r}")
    total = float(sum(ratios))
    u = stable_bucket(group, salt)
    edge = 0.0
    for name, share in zip(SPLITS, ratios, strict=True):
        edge += share / total
        if u < edge:
            return name
    return SPLITS[-1]


def resolve_data_dir(data_dir: str | os.PathLike[str] | None = None) -> Path:
    """Find the public-corpora folder.

    Order: ``data_dir`` if given; else ``$VNMOD_DATA_DIR``; else ``../shared/data`` relative to
    the current directory, then relative to the repository root.

    Raises
    ------
    FileNotFoundError
        If no candidate is a directory; the message names ``VNMOD_DATA_DIR``.
    """
    if data_dir is not None:
        path = Path(data_dir).expanduser()
        if not path.is_dir():
            raise FileNotFoundError(f"data_dir={str(data_dir)!r} is not a directory.")
        return path
    env = os.environ.get(DATA_ENV)
    if env:
        path = Path(env).expanduser()
        if not path.is_dir():
            raise FileNotFoundError(f"{DATA_ENV}={env!r} is not a directory.")
        return path
    tried = [Path.cwd() / ".." / "shared" / "data", REPO_ROOT / ".." / "shared" / "data"]
    for path in tried:
        if path.is_dir():
            return path.resolve()
    raise FileNotFoundError(
        "Cannot find the public corpora folder. Tried "
        + ", ".join(str(p) for p in tried)
        + f". Set the {DATA_ENV} environment variable to the folder that holds vihsd/, "
        "vihos/, ... or pass data_dir=."
    )


def resolve_repo_data(relative: str, env_name: str,
                      path: str | os.PathLike[str] | None = None) -> Path:
    """A data path of the repository: ``path``, else ``$env_name``, else ``relative`` under
    the repository root (or the current directory, where only that one has it)."""
    if path is not None:
        return Path(path).expanduser()
    env = os.environ.get(env_name)
    if env:
        return Path(env).expanduser()
    for root in (REPO_ROOT, Path.cwd()):
        if (root / relative).exists():
            return root / relative
    return REPO_ROOT / relative


def resolve_labelled_dir(path: str | os.PathLike[str] | None = None) -> Path:
    """Labelled-data folder: ``path``, ``$VNMOD_LABELLED_DIR`` or ``<repo>/data/labelled``."""
    return resolve_repo_data("data/labelled", LABELLED_ENV, path)


def make_frame(
    text: Sequence[str],
    labels: Mapping[str, Sequence[int]],
    source: str,
    split: str | Sequence[str],
    extra: Mapping[str, Any] | None = None,
) -> pd.DataFrame:
    """Build a frame in the standard shape; categories missing from ``labels`` are 0."""
    pd = require_pandas()
    n = len(text)
    cols: dict[str, Any] = {"text": pd.Series([str(t) for t in text], dtype=str)}
    for cat in CATEGORIES:
        values = labels[cat] if cat in labels else [0] * n
        cols[cat] = np.asarray(values, dtype=np.int64).reshape(n)
    cols["source"] = pd.Series([source] * n, dtype=str)
    splits = [split] * n if isinstance(split, str) else list(split)
    cols["split"] = pd.Series(splits, dtype=str)
    for name, values in (extra or {}).items():
        # positional, never index-aligned: loaders pass Series straight from read_csv
        cols[name] = values.to_numpy() if hasattr(values, "to_numpy") else list(values)
    return pd.DataFrame(cols)
