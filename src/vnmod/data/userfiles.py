"""Read users' own labelled CSV / TSV / JSONL files into the standard frame."""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vnmod.data._common import (
    CATEGORIES,
    CORE_COLUMNS,
    SPLITS,
    make_frame,
    read_csv,
    require_pandas,
)
from vnmod.data.labels import parse_labels

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

_FORMATS = ".csv, .tsv, .jsonl (or .ndjson) and .json"
_EXPECTED = (
    "A labelled file needs a text column ('text', 'content', 'noi_dung', ... or the one named "
    "with --text-column) plus either one 0/1 column per category "
    f"({', '.join(CATEGORIES)}) or one 'label'/'labels'/'expected' column of category names "
    "separated by ';', ',' or '|' (a JSON list in JSONL), with 'clean', 'sạch' or empty for "
    "none"
)
#: Columns that may hold a post's category names (``expected`` as in data/examples/posts.csv).
LABEL_COLUMNS: tuple[str, ...] = ("label", "labels", "expected")
_TRUE = {"1", "true", "yes"}
_FALSE = {"0", "false", "no"}


def _read_json_lines(path: Path) -> list[dict[str, Any]]:
    text = path.read_text(encoding="utf-8-sig")
    if path.suffix.lower() == ".json" and text.lstrip().startswith("["):
        records = json.loads(text)
    else:
        records = []
        for lineno, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise ValueError(
                    f"{path.name}, line {lineno}: not valid JSON ({exc.msg}). Each line of a "
                    "JSONL file must be one object such as "
                    '{"text": "...", "labels": ["illegal_ads"]}.'
                ) from exc
    if not all(isinstance(r, dict) for r in records):
        raise ValueError(f"{path.name}: every record must be a JSON object with a 'text' key.")
    return records


def _read_table(path: Path) -> pd.DataFrame:
    pd = require_pandas()
    suffix = path.suffix.lower()
    if suffix in (".csv", ".tsv"):
        return read_csv(path, sep="\t" if suffix == ".tsv" else ",")
    if suffix in (".jsonl", ".ndjson", ".json"):
        return pd.DataFrame.from_records(_read_json_lines(path))
    raise ValueError(f"{path.name}: unsupported file type {suffix!r}; use {_FORMATS}.")


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and value != value)


def _flag(value: Any, column: str, row: int, name: str) -> int:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, float)) and value in (0, 1):
        return int(value)
    cell = str(value).strip().lower()
    if cell in _TRUE:
        return 1
    if cell in _FALSE:
        return 0
    raise ValueError(
        f"{name}, row {row}: column {column!r} holds {value!r}; category columns must hold "
        "0 or 1 (true/false also accepted)."
    )


def _text_column(seen: list[Any], wanted: str | None, name: str) -> Any:
    """The column holding the posts, found as ``vnmod score`` finds it."""
    from vnmod.batch import find_text_column

    try:
        return seen[find_text_column([str(c) for c in seen], wanted)]
    except ValueError as exc:
        raise ValueError(f"{name}: {exc} (In Python: text_column=.) {_EXPECTED}.") from None


def load_labelled(path: str | os.PathLike[str], *, source: str | None = None,
                  text_column: str | None = None) -> pd.DataFrame:
    """Read a user's labelled file into the standard frame.

    Parameters
    ----------
    path : path
        A ``.csv`` (UTF-8, with or without BOM), ``.tsv``, ``.jsonl`` or ``.json`` file with a
        text column (``text``, or another usual name such as ``content`` or ``noi_dung``,
        found as ``vnmod score`` finds it) and either

        - one 0/1 column per category (``insult``, ``offensive``, ``fake_news``,
          ``illegal_ads``; a missing category column is read as 0, with a warning), or
        - a ``label``, ``labels`` or ``expected`` column: category keys or Vietnamese names
          ("xúc phạm danh dự, nhân phẩm" / "xúc phạm", "ngôn ngữ phản cảm" / "phản cảm",
          "tin giả", "quảng cáo, kinh doanh dịch vụ trái phép" / "quảng cáo trái phép"),
          case- and diacritic-insensitive, separated by ``;``, ``,`` or ``|`` or as a JSON list;
          "clean", "sạch" or empty for none.

        An optional ``split`` column (train/dev/test; default train) and ``group`` or
        ``family`` column are used; other columns are kept.
    source : str, optional
        Value of the ``source`` column; default the file name without extension.
    text_column : str, optional
        The column holding the posts (exact name); guessed when omitted.

    Raises
    ------
    ValueError
        When the columns or values do not fit: the message lists the columns seen, what is
        accepted, and how to fix the file.
    """
    path = Path(path)
    name = path.name
    table = _read_table(path)
    seen = list(table.columns)
    text_col = _text_column(seen, text_column, name)
    by_lower = {str(c).strip().lower(): c for c in seen if c != text_col}
    label_cols = [by_lower[c] for c in LABEL_COLUMNS if c in by_lower]
    cat_cols = {cat: by_lower[cat] for cat in CATEGORIES if cat in by_lower}
    if len(label_cols) > 1 or (label_cols and cat_cols):
        raise ValueError(
            f"{name}: labels are given twice (columns {label_cols + list(cat_cols.values())}). "
            f"{_EXPECTED}. Keep only one of these forms."
        )
    if not label_cols and not cat_cols:
        raise ValueError(
            f"{name}: no label columns; columns seen: {seen}. {_EXPECTED}. Add a 'labels' "
            "column, or one 0/1 column per category named exactly as above."
        )

    texts = ["" if _missing(v) else str(v) for v in table[text_col]]
    labels: dict[str, list[int]] = {}
    if label_cols:
        parsed = []
        for row, value in enumerate(table[label_cols[0]], 1):
            try:
                parsed.append(parse_labels(value))
            except ValueError as exc:
                raise ValueError(f"{name}, row {row}: {exc}") from None
        labels = {cat: [int(cat in p) for p in parsed] for cat in CATEGORIES}
    else:
        missing = [cat for cat in CATEGORIES if cat not in cat_cols]
        if missing:
            warnings.warn(
                f"{name}: no column for {missing}; those categories are read as 0.",
                stacklevel=2,
            )
        for cat, col in cat_cols.items():
            labels[cat] = [_flag(v, col, row, name) for row, v in enumerate(table[col], 1)]

    split: str | list[str] = "train"
    if "split" in by_lower:
        split = [str(s).strip().lower() or "train" for s in table[by_lower["split"]]]
        bad = sorted(set(split) - set(SPLITS))
        if bad:
            raise ValueError(
                f"{name}: column 'split' holds {bad}; allowed values are {', '.join(SPLITS)}."
            )
    used = {text_col, *label_cols, *cat_cols.values(), by_lower.get("split")}
    extra: dict[str, Any] = {}
    group_col = by_lower.get("group", by_lower.get("family"))
    if group_col is not None:
        extra["group"] = table[group_col].to_numpy()
        used.add(group_col)
    for col in seen:
        if col not in used and str(col) not in CORE_COLUMNS:
            extra[str(col)] = table[col].to_numpy()

    frame = make_frame(texts, labels, source or path.stem, split, extra=extra)
    empty = frame["text"].str.strip() == ""
    if empty.any():
        rows = [int(i) + 1 for i in frame.index[empty][:10]]
        warnings.warn(
            f"{name}: dropped {int(empty.sum())} rows with empty text {rows}.", stacklevel=2
        )
        frame = frame.loc[~empty].reset_index(drop=True)
    frame.attrs["dropped"] = {"empty": int(empty.sum())}
    return frame
