"""vnmod.spark.score: the CLI's Parquet result columns on a Spark DataFrame, on a local session.

One ``local[2]`` session serves the whole file (its start-up is most of the time); the tests
that need it skip where Java or pyspark is missing.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import vnmod.spark
from vnmod import modeldir
from vnmod.batch_output import SCORE_COLUMNS

ROOT = Path(__file__).resolve().parents[1]
POSTS = ROOT / "data" / "examples" / "posts.csv"
BATCH_ROWS = 8  # Arrow batch size: the 60 demo posts make several batches per partition

pytestmark = pytest.mark.filterwarnings(
    "ignore:PySpark does not yet fully support pandas:FutureWarning")


def _java_missing() -> str | None:
    """Why Spark cannot start here (no Java), or None."""
    java = (Path(os.environ["JAVA_HOME"]) / "bin" / "java" if os.environ.get("JAVA_HOME")
            else shutil.which("java"))
    if java is None or not Path(java).exists():
        where = f"not at {java}" if java else "none on PATH and no JAVA_HOME"
        return f"no Java found ({where}); Spark needs a JDK (17+ for Spark 4)"
    try:
        subprocess.run([str(java), "-version"], capture_output=True, timeout=30, check=True)
    except (OSError, subprocess.SubprocessError) as exc:
        return f"java -version failed ({exc})"
    return None


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    pytest.importorskip("pyspark", reason='pyspark not installed (pip install "vnmod[spark]")')
    pytest.importorskip("pyarrow", reason='pyarrow not installed (pip install "vnmod[spark]")')
    why = _java_missing()
    if why:
        pytest.skip(why)
    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # the workers: this venv's Python
    session = (SparkSession.builder.master("local[2]").appName("vnmod-tests")
               .config("spark.ui.enabled", "false")
               .config("spark.driver.memory", "512m")
               .config("spark.sql.shuffle.partitions", "2")
               .config("spark.sql.execution.arrow.maxRecordsPerBatch", str(BATCH_ROWS))
               .getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def _posts() -> list[dict[str, str]]:
    with POSTS.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _posts_frame(spark: Any, partitions: int = 3) -> Any:
    rows = [(r["id"], r["text"], r["expected"]) for r in _posts()]
    rdd = spark.sparkContext.parallelize(rows, partitions)
    return spark.createDataFrame(rdd, "id string, text string, expected string")


def _cli_parquet(tmp_path: Path, evidence: str, legal_basis: bool) -> Path:
    from vnmod.cli import main

    out = tmp_path / f"cli-{evidence}-{legal_basis}.parquet"
    args = ["score", str(POSTS), "-o", str(out), "--evidence", evidence, "-q"]
    assert main([*args, *(["--legal-basis"] if legal_basis else [])]) == 0
    return out


def _result_fields(schema: Any, names: list[str]) -> list[Any]:
    return [f for f in schema.fields if f.name in names]


@pytest.mark.parametrize(("evidence", "legal_basis"),
                         [("full", True), ("full", False), ("short", False), ("none", True)])
def test_columns_and_types_are_those_of_the_cli_parquet_output(spark, tmp_path, evidence,
                                                                legal_basis):
    scored = vnmod.spark.score(_posts_frame(spark), "text", evidence=evidence,
                               legal_basis=legal_basis)
    cli = spark.read.parquet(str(_cli_parquet(tmp_path, evidence, legal_basis)))
    inputs = ["id", "text", "expected"]
    results = [c for c in cli.columns if c not in (*inputs, "_extra")]
    assert scored.columns == [*inputs, *results]
    assert _result_fields(scored.schema, results) == _result_fields(cli.schema, results)
    assert ("reason" in results) == (evidence != "none")
    assert ("evidence" in results) == (evidence == "full")
    assert ("legal_basis" in results) == legal_basis


def test_values_equal_the_cli_row_by_row_in_order(spark, tmp_path):
    import pyarrow.parquet as pq

    scored = vnmod.spark.score(_posts_frame(spark), evidence="full", legal_basis=True)
    got = [r.asDict(recursive=True) for r in scored.collect()]
    want = pq.read_table(_cli_parquet(tmp_path, "full", True)).to_pylist()
    assert len(got) == len(want) == len(_posts())
    assert [r["id"] for r in got] == [r["id"] for r in want]  # order kept, nothing dropped
    for g, w in zip(got, want, strict=True):
        assert g["text"] == w["text"] and g["expected"] == w["expected"]
        assert (g["label"], g["labels"], g["status"]) == (w["label"], w["labels"], w["status"])
        assert [g[c] for c in SCORE_COLUMNS] == [w[c] for c in SCORE_COLUMNS], g["id"]
        assert (g["reason"], g["evidence"], g["legal_basis"]) == \
            (w["reason"], w["evidence"], w["legal_basis"]), g["id"]
    assert sum(bool(r["labels"]) for r in got) > 10  # the demo posts do get flagged


def test_rows_and_input_columns_are_kept_and_null_or_empty_texts_marked(spark):
    when = dt.datetime(2024, 5, 1, 8, 30)
    rows = [(1, "Địt mẹ mày câm mồm đi thằng óc chó", when, [1, 2], 0.5),
            (None, None, None, None, None),
            (3, "", when, [], 1.5),
            (4, "   ", None, [3], None),
            (5, "Mùa hè này cả nhà đi du lịch Đà Lạt", when, [4], 2.5)] * 3
    df = spark.createDataFrame(rows, "id long, text string, at timestamp, tags array<int>, "
                                     "x double")
    scored = vnmod.spark.score(df)
    assert scored.schema.fields[:5] == df.schema.fields
    out = scored.collect()
    assert [tuple(r)[:5] for r in out] == [tuple(r) for r in df.collect()]
    statuses = [r["status"] for r in out[:5]]
    assert statuses == ["ok", "missing", "empty", "empty", "ok"]
    for r in out[1:4]:
        assert (r["label"], r["labels"], r["reason"], r["evidence"]) == ("clean", [], "", [])
        assert [r[c] for c in SCORE_COLUMNS] == [0.0] * 4
    assert out[0]["label"] != "clean" and out[4]["label"] == "clean"


def test_legal_basis_follows_each_posts_date(spark):
    text = "Đm thằng ngu này"
    df = spark.createDataFrame([(text, "30/06/2026"), (text, "2026-07-01"), (text, None)],
                               "text string, day string")
    out = vnmod.spark.score(df, legal_basis=True, date_col="day").collect()
    numbers = [{b["number"] for b in r["legal_basis"]} for r in out]
    assert "15/2020/NĐ-CP" in numbers[0] and "174/2026/NĐ-CP" not in numbers[0]
    assert "174/2026/NĐ-CP" in numbers[1] and "15/2020/NĐ-CP" not in numbers[1]
    assert out[2]["text_sha256"] == out[0]["text_sha256"]
    with pytest.raises(ValueError, match="date column 'when' not found"):
        vnmod.spark.score(df, date_col="when")


def test_a_result_name_the_input_uses_gets_the_vnmod_prefix(spark):
    df = spark.createDataFrame([("a", "Mùa hè này cả nhà đi du lịch", "x")],
                               "label string, text string, status string")
    scored = vnmod.spark.score(df, evidence="none")
    assert scored.columns[:5] == ["label", "text", "status", "vnmod_label", "labels"]
    assert scored.columns[-1] == "vnmod_status"
    row = scored.collect()[0]
    assert (row["label"], row["status"], row["vnmod_status"]) == ("a", "x", "ok")


def test_the_model_loads_once_per_executor_process(spark):
    scored = vnmod.spark.score(_posts_frame(spark, partitions=4))
    assert scored.count() == len(_posts())  # 4 tasks, 8+ Arrow batches
    assert len(scored.collect()) == len(_posts())  # the same workers again
    key = vnmod.spark._model_key(None)  # what the workers cache the default model under

    def probe(batches: Iterator[Any]) -> Iterator[Any]:
        """Each task's worker and its load count (mapInArrow: the workers score() ran in;
        RDD tasks get another pool)."""
        import pyarrow as pa

        for batch in batches:
            row = {"pid": os.getpid(), "loads": vnmod.spark.LOADS.get(key, 0)}
            yield pa.RecordBatch.from_pylist([row] * batch.num_rows)

    found = spark.range(0, 8, 1, 8).mapInArrow(probe, "pid long, loads long").collect()
    loads = {r["pid"]: r["loads"] for r in found}
    assert all(n <= 1 for n in loads.values()), loads  # never once per batch or task
    assert max(loads.values()) == 1, loads  # the probes ran in the workers that scored
    assert vnmod.spark.LOADS.get(key, 0) == 0  # nothing loaded on the driver


def test_bad_arguments_are_refused_before_any_job(spark):
    import pandas as pd

    df = spark.createDataFrame([(1, "xin chào")], "n long, content string")
    taken = spark.createDataFrame([("x", "y", "z")],
                                  "content string, status string, vnmod_status string")
    sc = spark.sparkContext
    sc.setJobGroup("vnmod-validation", "score() must not start a job")
    try:
        with pytest.raises(ValueError, match=r"text column 'text' not found.*\['n', 'content'\]"):
            vnmod.spark.score(df)
        with pytest.raises(ValueError, match="Did you mean 'content'"):
            vnmod.spark.score(df, "Content")
        with pytest.raises(TypeError, match=r"'n' is bigint, not a string column.*cast"):
            vnmod.spark.score(df, "n")
        with pytest.raises(ValueError, match=r"evidence='long'.*'full', 'short', 'none'"):
            vnmod.spark.score(df, "content", evidence="long")
        with pytest.raises(TypeError, match="legal_basis must be True or False"):
            vnmod.spark.score(df, "content", legal_basis="yes")  # type: ignore[arg-type]
        with pytest.raises(modeldir.ModelDirError, match="no model 'no-such-model'"):
            vnmod.spark.score(df, "content", model="no-such-model")
        with pytest.raises(TypeError, match="not a loaded Classifier"):
            vnmod.spark.score(df, "content", model=object())  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="predict_frame"):
            vnmod.spark.score(pd.DataFrame({"content": ["x"]}), "content")
        with pytest.raises(ValueError, match=r"already has columns named \['vnmod_status'\]"):
            vnmod.spark.score(taken, "content")
        vnmod.spark.score(df, "content")  # lazy: a valid call starts nothing either
        assert sc.statusTracker().getJobIdsForGroup("vnmod-validation") == []
    finally:
        sc.setLocalProperty("spark.jobGroup.id", None)  # type: ignore[arg-type]


def test_without_pyspark_the_error_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "pyspark", None)  # `import pyspark` now fails
    with pytest.raises(ImportError, match=r'pip install "vnmod\[spark\]"'):
        vnmod.spark.score(object())  # type: ignore[arg-type]


def test_the_readme_spark_lines_run(spark, tmp_path):
    import re

    import pyarrow as pa
    import pyarrow.parquet as pq

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Spark\n", 1)[1].split("\n## ", 1)[0]
    code = re.findall(r"^```python\n(.*?)^```", section, re.M | re.S)[0]
    pq.write_table(pa.Table.from_pylist(_posts()), tmp_path / "posts.parquet")
    code = code.replace('"posts.', f'"{tmp_path}/posts.')  # the JVM ignores Python's chdir
    exec(compile(code, "README.md (Spark)", "exec"), {})  # getOrCreate: this session
    scored = spark.read.parquet(str(tmp_path / "posts.scored.parquet"))
    assert scored.count() == len(_posts())
    assert {"label", "labels", "reason", "evidence", "status"} <= set(scored.columns)
