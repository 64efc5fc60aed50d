"""Score a Spark DataFrame column: every input column, then the CLI's Parquet result columns.

Usage (lazy, like any transformation)::

    import vnmod.spark
    scored = vnmod.spark.score(df, "text", evidence="short")
    scored.write.parquet("scored.parquet")

Rows are scored with ``mapInArrow``: each Arrow batch goes through the classifier and comes
back with the result columns appended, so no row is dropped or moved within its partition and
the input columns pass through as Arrow data, untouched (no pandas round trip for their
types). The result columns have the names and types of ``vnmod score ... -o out.parquet``
(:mod:`vnmod.batch_output`): ``label``, ``labels`` (array of strings), ``score_<category>``
(doubles), ``reason``, ``evidence`` (array of structs), ``legal_basis`` and ``status``; one whose
name the input already uses is called ``vnmod_<name>``. A null text gives a clean row with
``status`` ``"missing"``, a blank one ``"empty"``, as in the CLI.

Only the model's name or path travels to the executors; each Python worker process there (one
per task slot) loads the model on its first batch and keeps it for every later batch, task and
job, as Spark reuses its Python workers (``spark.python.worker.reuse``, on by default; an action
that stops reading early, such as ``first()``, ends the worker and the next one loads again).
vnmod (with the model, for a path) must be installed on the executors. Needs
``pip install "vnmod[spark]"`` (pyspark, pandas, pyarrow).
"""

from __future__ import annotations

import functools
import os
import threading
from collections import Counter
from collections.abc import Iterator
from typing import TYPE_CHECKING

from vnmod.batch_output import EVIDENCE_MODES, InputShape, ParquetWriter, result_values
from vnmod.dates import post_date

if TYPE_CHECKING:
    import pyarrow as pa
    from pyspark.sql import DataFrame
    from pyspark.sql.types import DataType

    from vnmod.classifier import Classifier

__all__ = ["score"]

SPARK_HINT = 'pip install "vnmod[spark]"'

# This Python process's models, by name or path as score() passed them, and how many times each
# was loaded here (once, unless the cache was cleared): Spark reuses its Python workers.
_MODELS: dict[str | None, Classifier] = {}
LOADS: Counter[str | None] = Counter()
_LOCK = threading.Lock()


def _require_pyspark() -> None:
    try:
        import pyspark.sql  # noqa: F401
    except ImportError:
        raise ImportError(f"vnmod.spark needs pyspark, which is not installed; install it with "
                          f"{SPARK_HINT} (pyspark>=3.5, pandas, pyarrow)") from None
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        raise ImportError(f"vnmod.spark needs pyarrow, which is not installed; install it with "
                          f"{SPARK_HINT}") from None


def cached_model(name: str | None) -> Classifier:
    """The model ``name`` (a shipped name, a path, or None for the default), loaded once in
    this process and cached."""
    with _LOCK:
        clf = _MODELS.get(name)
        if clf is None:
            import vnmod

            clf = _MODELS[name] = vnmod.load(name)
            LOADS[name] += 1
        return clf


def _model_key(model: str | os.PathLike | None) -> str | None:
    """What executors load: a path made absolute, a shipped name as it is, and for None the
    model ``vnmod.load()`` gives here (``$VNMOD_MODEL`` or the default). Raises
    :class:`~vnmod.modeldir.ModelDirError` now if there is no such model here."""
    from vnmod import modeldir

    if model is not None and not isinstance(model, (str, os.PathLike)):
        raise TypeError(f"model= takes a model's name or path (str or os.PathLike), not a "
                        f"loaded Classifier, so that each executor loads it once itself; got "
                        f"{type(model).__name__}")
    key = os.environ.get("VNMOD_MODEL") if model is None else os.fspath(model)
    modeldir.resolve(key)  # no such model: say so before any job runs
    if key is not None and os.path.exists(key):
        key = os.path.abspath(key)
    return key


def _spark_type(t: pa.DataType) -> DataType:
    """The Spark SQL type of an Arrow type of the Parquet output's result columns."""
    import pyarrow as pa
    from pyspark.sql import types as T

    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return T.StringType()
    if pa.types.is_float64(t):
        return T.DoubleType()
    if pa.types.is_int64(t):
        return T.LongType()
    if pa.types.is_boolean(t):
        return T.BooleanType()
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        return T.ArrayType(_spark_type(t.value_type), containsNull=True)
    if pa.types.is_struct(t):
        return T.StructType([T.StructField(f.name, _spark_type(f.type), True) for f in t])
    raise TypeError(f"no Spark type for the Arrow type {t}")  # pragma: no cover


def _result_layout(columns: list[str], evidence: str, legal_basis: bool
                   ) -> tuple[list[str], pa.Schema]:
    """The result fields (keys of :func:`vnmod.batch.result_fields`) and the Arrow schema of
    their columns, named and typed as the CLI's Parquet writer does for these input columns."""
    import pyarrow as pa

    writer = ParquetWriter(InputShape("parquet", columns, None, schema=pa.schema([])),
                           evidence, legal_basis)
    return writer.fields, writer.schema


def _score_batches(batches: Iterator[pa.RecordBatch], *, text_index: int, model_key: str | None,
                   fields: list[str], results: pa.Schema, with_reason: bool,
                   date_index: int | None = None) -> Iterator[pa.RecordBatch]:
    """On an executor: each batch, in order, with the result columns appended."""
    import pyarrow as pa

    from vnmod.batch import result_fields
    from vnmod.reasons import short_reason

    clf = cached_model(model_key)
    reason = short_reason if with_reason else None
    for batch in batches:
        preds = clf.predict(batch.column(text_index).to_pylist())
        rows = [result_fields(p, reason, evidence="evidence" in fields) for p in preds]
        if date_index is not None:  # the legal basis in force on each post's own date
            for r, day in zip(rows, batch.column(date_index).to_pylist(), strict=True):
                r["as_of"] = post_date(day)
        arrays = [pa.array([result_values([f], r)[f] for r in rows], type=col.type)
                  for f, col in zip(fields, results, strict=True)]
        schema = pa.schema([*batch.schema, *results])
        yield pa.RecordBatch.from_arrays([*batch.columns, *arrays], schema=schema)


def score(df: DataFrame, text_col: str = "text", *, model: str | os.PathLike | None = None,
          evidence: str = "full", legal_basis: bool = False,
          date_col: str | None = None) -> DataFrame:
    """``df`` with the result columns of ``vnmod score ... -o out.parquet`` appended.

    ``text_col``: the string column holding the posts. ``model``: a shipped model's name or a
    model directory's path (present on every executor), default the shipped default; each
    executor's Python worker loads it once. ``evidence``: ``"full"`` (``reason`` and
    ``evidence``), ``"short"`` (``reason``) or ``"none"``; ``legal_basis`` adds each flag's
    legal references, those in force on the post's date when ``date_col`` names a date,
    timestamp or string column (:func:`vnmod.dates.post_date`; today's law where it is null
    or unreadable). Lazy: nothing runs until an action (``write``, ``count``...); a missing
    or non-string column, an unknown mode or model raises here, before any job.
    """
    _require_pyspark()
    from pyspark.sql import types as T

    if not (hasattr(df, "mapInArrow") and hasattr(df, "schema")):
        hint = (" For a pandas DataFrame use vnmod.load().predict_frame(df, text_column=...)."
                if hasattr(df, "iloc") else "")
        raise TypeError(f"vnmod.spark.score takes a Spark DataFrame; got "
                        f"{type(df).__module__}.{type(df).__name__}.{hint}")
    if not isinstance(text_col, str):
        raise TypeError(f"text_col must be a column name (str); got {type(text_col).__name__}")
    if evidence not in EVIDENCE_MODES:
        raise ValueError(f"evidence={evidence!r}: choose one of "
                         f"{', '.join(map(repr, EVIDENCE_MODES))}")
    if not isinstance(legal_basis, bool):
        raise TypeError(f"legal_basis must be True or False; got {legal_basis!r}")
    schema = df.schema
    columns = [f.name for f in schema.fields]
    if text_col not in columns:
        near = [c for c in columns if c.lower() == text_col.lower()]
        hint = f" Did you mean {near[0]!r}?" if near else ""
        raise ValueError(f"text column {text_col!r} not found; the DataFrame has columns "
                         f"{columns}.{hint} Pass the one holding the posts as text_col=.")
    if columns.count(text_col) > 1:
        raise ValueError(f"the DataFrame has {columns.count(text_col)} columns named "
                         f"{text_col!r}; rename them first")
    text_index = columns.index(text_col)
    text_type = schema.fields[text_index].dataType
    if not isinstance(text_type, T.StringType):
        raise TypeError(f"text column {text_col!r} is {text_type.simpleString()}, not a string "
                        f"column; cast it first, e.g. "
                        f"df.withColumn({text_col!r}, df[{text_col!r}].cast('string'))")
    if date_col is not None and date_col not in columns:
        raise ValueError(f"date column {date_col!r} not found; the DataFrame has columns "
                         f"{columns}")
    fields, results = _result_layout(columns, evidence, legal_basis)
    clash = [n for n in results.names if n in columns]
    if clash:
        raise ValueError(f"the DataFrame already has columns named {clash} (the result "
                         f"columns' vnmod_ names); rename or drop them first")
    key = _model_key(model)
    out = T.StructType([*schema.fields, *(T.StructField(f.name, _spark_type(f.type), True)
                                          for f in results)])
    func = functools.partial(_score_batches, text_index=text_index, model_key=key,
                             fields=fields, results=results, with_reason=evidence != "none",
                             date_index=columns.index(date_col) if date_col else None)
    return df.mapInArrow(func, out)


def clear_cache() -> None:
    """Forget this process's loaded models (the next batch loads its model again)."""
    with _LOCK:
        _MODELS.clear()

