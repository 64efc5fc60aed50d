"""Convert between the standard frame and a Hugging Face :class:`datasets.Dataset`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from vnmod.data._common import CATEGORIES, require_pandas

if TYPE_CHECKING:  # pragma: no cover
    import datasets
    import pandas as pd


def _require_datasets() -> Any:
    try:
        import datasets
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "to_dataset/from_dataset need the 'datasets' package; install the data extra: "
            "pip install vnmod[data]"
        ) from exc
    return datasets


def to_dataset(df: pd.DataFrame) -> datasets.Dataset:
    """A :class:`datasets.Dataset` with the frame's columns (index dropped)."""
    hf = _require_datasets()
    frame = df.reset_index(drop=True)
    if "spans" in frame:
        frame = frame.assign(spans=[[list(s) for s in spans] for spans in frame["spans"]])
    return hf.Dataset.from_pandas(frame, preserve_index=False)


def from_dataset(ds: datasets.Dataset) -> pd.DataFrame:
    """The inverse of :func:`to_dataset`: categories as int64, ``spans`` as lists of tuples."""
    _require_datasets()
    pd = require_pandas()
    frame = ds.to_pandas()
    for cat in CATEGORIES:
        if cat in frame:
            frame[cat] = frame[cat].astype("int64")
    if "spans" in frame:
        frame["spans"] = [[(int(a), int(b)) for a, b in spans] for spans in frame["spans"]]
    for col in frame.columns:
        textual = frame[col].dtype == object or pd.api.types.is_string_dtype(frame[col])
        if textual and frame[col].isna().any():  # missing strings as None, not NaN
            frame[col] = frame[col].astype(object).where(frame[col].notna(), None)
    return frame
