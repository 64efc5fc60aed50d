"""Read a file written by ``vnmod score`` (CSV, JSONL or Parquet) into one pandas frame.

:func:`read_scored` finds the columns the report needs (the post's text, labels, the four
``score_<category>`` columns, and when present reason, evidence, status, a date and an id)
and returns a :class:`Scored` whose frame has them under fixed names. A result column that
``vnmod score`` wrote as ``vnmod_<name>`` (the input already had ``<name>``) is preferred.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from datetime import timedelta, timezone
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from vnmod._resources import tomllib
from vnmod.batch_input import BatchError, input_format, require_pyarrow
from vnmod.taxonomy import CATEGORIES

RESULT_NAMES = ("label", "labels", *(f"score_{c}" for c in CATEGORIES), "reason", "evidence",
                "legal_basis", "text_sha256", "status")
# Dates with different UTC offsets are shown in Vietnam's time (UTC+7, no daylight saving).
VIETNAM_TIME = timezone(timedelta(hours=7))


class ReportError(ValueError):
    """The scored file cannot make a report; the message says why in one line."""


@cache
def column_names() -> dict[str, tuple[str, ...]]:
    """The usual names of the date and id columns (``columns.toml``), lower case."""
    with resources.files("vnmod.report").joinpath("columns.toml").open("rb") as fh:
        data = tomllib.load(fh)
    return {key: tuple(n.lower() for n in names) for key, names in data.items()}


@dataclass
class Scored:
    """A scored file's rows: ``frame`` has the columns ``text``, ``labels`` (lists),
    ``score_<category>`` (floats), ``status``, ``reason``, ``evidence`` (raw cells, parsed by
    :func:`parse_evidence`), ``date`` (raw cells) and ``id`` (strings)."""

    frame: Any  # pandas.DataFrame
    path: Path
    kind: str
    text_column: str
    date_column: str | None
    id_column: str | None
    has_evidence: bool
    has_reason: bool
    inputs: Any = None  # pandas.DataFrame: the input's own columns, as read
    text_hashes: list[str | None] | None = None  # the text_sha256 column, when there is one


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    rows = []
    with open(path, encoding="utf-8-sig") as fh:
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ReportError(f"{path}, line {number}: not JSON ({exc.msg}); is it a file "
                                  "written by vnmod score?") from None
            if not isinstance(record, dict):
                raise ReportError(f"{path}, line {number}: a JSON {type(record).__name__}, "
                                  "not an object; is it a file written by vnmod score?")
            rows.append(record)
    return rows


def _read_frame(path: Path, kind: str) -> Any:
    import pandas as pd

    if kind == "csv":
        try:
            return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        except (pd.errors.ParserError, UnicodeDecodeError) as exc:
            raise ReportError(f"cannot read {path} as CSV: {str(exc).splitlines()[0]}") from None
        except pd.errors.EmptyDataError:
            raise ReportError(f"{path} is empty; it is not a file written by vnmod score") \
                from None
    if kind == "jsonl":
        return pd.DataFrame.from_records(_read_jsonl(path))
    pq = require_pyarrow("reading a Parquet scored file")
    import pyarrow as pa

    try:
        return pq.read_table(path).to_pandas()
    except (pa.ArrowException, OSError) as exc:
        raise ReportError(f"cannot read {path} as Parquet: {exc}") from None


def _result_column(columns: list[str], name: str) -> str | None:
    for candidate in (f"vnmod_{name}", name):
        if candidate in columns:
            return candidate
    return None


def _usual(columns: list[str], key: str) -> str | None:
    lowered = {c.strip().lower(): c for c in reversed(columns)}
    return next((lowered[n] for n in column_names()[key] if n in lowered), None)


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _as_list(value: Any) -> list[Any] | None:
    """A list cell as a list (pyarrow gives numpy arrays); None when it is not one."""
    if isinstance(value, list | tuple):
        return list(value)
    if hasattr(value, "tolist") and getattr(value, "ndim", 0) == 1:
        return value.tolist()
    return None


def parse_labels(value: Any) -> list[str]:
    """A ``labels`` cell (a list, JSON text or ``;``-joined text) as known category keys."""
    items = _as_list(value)
    if items is None:
        if _missing(value):
            return []
        text = str(value).strip()
        if text.startswith("["):
            try:
                items = json.loads(text)
            except json.JSONDecodeError:
                items = None
        if items is None:
            items = text.split(";")
    names = [str(x).strip() for x in items if not _missing(x)]
    return [c for c in CATEGORIES if c in names]


def parse_evidence(value: Any) -> list[dict[str, Any]]:
    """An ``evidence`` cell (a list of spans, or their JSON) as span dicts; [] when unreadable."""
    items = _as_list(value)
    if items is None:
        if _missing(value) or not str(value).strip():
            return []
        try:
            items = json.loads(str(value))
        except json.JSONDecodeError:
            return []
        if not isinstance(items, list):
            return []
    return [dict(x) for x in items if isinstance(x, dict)]


def _text(value: Any) -> str:
    if _missing(value):
        return ""
    if isinstance(value, bytes | bytearray):
        return bytes(value).decode("utf-8", "replace")
    return value if isinstance(value, str) else str(value)


def _find_text_column(columns: list[str], wanted: str | None) -> str:
    from vnmod.batch import find_text_column

    try:
        return columns[find_text_column(columns, wanted)]
    except BatchError as exc:
        raise ReportError(str(exc)) from None


def read_scored(path: str | os.PathLike, *, text_column: str | None = None,
                date_column: str | None = None) -> Scored:
    """Read a scored file; :class:`ReportError` when it is not one or lacks a needed column."""
    src = Path(path)
    if not src.is_file():
        raise ReportError(f"scored file {src} does not exist" if not src.exists()
                          else f"{src} is not a file")
    try:
        kind = input_format(src)
    except OSError as exc:
        raise ReportError(f"cannot read {src}: {exc.strerror}") from None
    raw = _read_frame(src, kind).reset_index(drop=True)
    columns = [str(c) for c in raw.columns]
    raw.columns = columns
    scores = {c: _result_column(columns, f"score_{c}") for c in CATEGORIES}
    if not any(scores.values()):
        raise ReportError(f"{src} is not a file scored by vnmod: it has no score_<category> "
                          f"columns (its columns are {columns[:12]}); score it first with "
                          f"vnmod score {src.name} -o scored.csv")
    absent = [f"score_{c}" for c, name in scores.items() if name is None]
    if absent:
        raise ReportError(f"{src} lacks the columns {absent}; was it scored by another "
                          "version of vnmod? Score it again with vnmod score")
    labels_col = _result_column(columns, "labels")
    label_col = _result_column(columns, "label")
    if labels_col is None and label_col is None:
        raise ReportError(f"{src} has scores but no labels or label column; score it again "
                          "with vnmod score")
    taken = {c for c in (_result_column(columns, n) for n in RESULT_NAMES) if c}
    inputs = [c for c in columns if c not in taken and c != "_extra"]
    text_name = _find_text_column(inputs, text_column)
    if date_column is not None and date_column not in columns:
        raise ReportError(f"date column {date_column!r} not found; {src} has columns {columns}")
    date_name = date_column or _usual(inputs, "date")
    id_name = _usual([c for c in inputs if c not in (text_name, date_name)], "id")

    import pandas as pd

    frame = pd.DataFrame(index=raw.index)
    frame["text"] = [_text(v) for v in raw[text_name]]
    if labels_col is not None:
        frame["labels"] = [parse_labels(v) for v in raw[labels_col]]
    else:
        frame["labels"] = [[v] if v in CATEGORIES else [] for v in raw[label_col]]
    for cat, name in scores.items():
        values = pd.to_numeric(raw[name], errors="coerce").astype(float)
        frame[f"score_{cat}"] = values.fillna(0.0).clip(0.0, 1.0)
    for role in ("status", "reason", "evidence"):
        name = _result_column(columns, role)
        frame[role] = raw[name] if name is not None else None
    frame["status"] = [_text(v) or "ok" for v in frame["status"]]
    frame["reason"] = [_text(v) for v in frame["reason"]]
    frame["date"] = raw[date_name] if date_name else None
    frame["id"] = [_text(v) for v in raw[id_name]] if id_name else ""
    hash_name = _result_column(columns, "text_sha256")
    hashes = ([_text(v) or None for v in raw[hash_name]] if hash_name is not None else None)
    return Scored(frame, src, kind, text_name, date_name, id_name,
                  has_evidence=_result_column(columns, "evidence") is not None,
                  has_reason=_result_column(columns, "reason") is not None,
                  inputs=raw[inputs], text_hashes=hashes)


def parse_dates(values: Any) -> Any:
    """Cells of a date column as naive ``datetime64`` (NaT where unreadable).

    ISO 8601 first; what that misses is read day first (``05/03/2024`` is 5 March, as written
    in Vietnam). Numbers are Unix times in seconds, or milliseconds when that fits better,
    shown in UTC+7. A single UTC offset is dropped (local wall time kept); mixed offsets
    become UTC+7.
    """
    import pandas as pd

    series = pd.Series(values).reset_index(drop=True)
    if pd.api.types.is_datetime64_any_dtype(series):
        return _naive(series)
    text = series.map(lambda v: v.isoformat() if hasattr(v, "isoformat") else _text(v))
    text = text.str.strip()
    filled = text != ""
    epoch = text.str.fullmatch(r"-?\d{9,13}(?:\.\d+)?")
    if filled.any() and epoch[filled].mean() > 0.9:
        numbers = pd.to_numeric(text.where(epoch), errors="coerce")
        unit = "ms" if numbers.abs().median() > 1e11 else "s"
        return _naive(pd.to_datetime(numbers, unit=unit, errors="coerce", utc=True)
                      .dt.tz_convert(VIETNAM_TIME))
    offset = text.str.contains(r"(?:Z|[+-]\d\d:?\d\d)$", regex=True)
    parts = [_parse_text(text[offset]), _parse_text(text[~offset])]
    return pd.concat([x for x in parts if len(x)] or parts[:1]).sort_index()


def _parse_text(text: Any) -> Any:
    """Date strings, all with a UTC offset or all without one, as naive datetimes."""
    parsed = _naive(_to_datetime(text, format="ISO8601"))
    rest = parsed.isna() & (text != "")
    if rest.any():
        parsed[rest] = _naive(_to_datetime(text[rest], format="mixed", dayfirst=True))
    return parsed


def _naive(parsed: Any) -> Any:
    if getattr(parsed.dt, "tz", None) is not None:
        return parsed.dt.tz_localize(None)
    return parsed


def _to_datetime(values: Any, **kwargs: Any) -> Any:
    import warnings

    import pandas as pd

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return pd.to_datetime(values, errors="coerce", **kwargs)
        except (ValueError, TypeError):  # mixed UTC offsets
            out = pd.to_datetime(values, errors="coerce", utc=True, **kwargs)
            return out.dt.tz_convert(VIETNAM_TIME)
