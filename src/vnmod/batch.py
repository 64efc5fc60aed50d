"""Score CSV and JSONL files in streaming chunks, keeping every row and column in order.

Reading (encodings, malformed records) is :mod:`vnmod.batch_input`'s job and writing (where,
atomically, signals) :mod:`vnmod.atomic_output`'s; this module scores rows and lays out the
output. A record the reader found damaged is still scored where it has a text, and its
``status`` says what was wrong, with the line number where it helps.
"""

from __future__ import annotations

import csv
import itertools
import json
import multiprocessing as mp
import os
import sys
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from vnmod.atomic_output import (
    Interrupted,
    OutputPathError,
    open_output,
    plan_output,
    reset_signals_in_worker,
    stop_cleanly_on_signals,
)
from vnmod.batch_input import BatchError, DecodedInput, Row, read_csv_table, read_jsonl
from vnmod.classifier import Classifier
from vnmod.prediction import Prediction
from vnmod.taxonomy import CATEGORIES

__all__ = ["BatchError", "BatchReport", "defuse", "find_text_column", "score_file"]

TEXT_COLUMN_GUESSES = ("text", "content", "free_text", "post_message", "message", "comment",
                       "post", "body", "noi_dung", "nội dung", "nội_dung", "caption")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
OUTPUT_FIELDS = ("label", "labels", *[f"score_{c}" for c in CATEGORIES], "evidence", "status")
JSONL_LOOKAHEAD = 1000  # records read to guess a JSONL file's text key
MAX_WARNINGS = 20
# Line breaks to str.splitlines() and JavaScript, escaped in JSONL output (only strings hold them)
_LINE_BREAKS = str.maketrans({c: f"\\u{ord(c):04x}" for c in "\x85\u2028\u2029"})


@dataclass
class BatchReport:
    rows: int = 0
    flagged: int = 0
    not_ok: int = 0
    seconds: float = 0.0
    encoding: str = "utf-8"
    quoting_errors: int = 0
    warnings: list[str] = field(default_factory=list)  # the first quoting errors

    @property
    def rate(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0


def defuse(cell: str) -> str:
    """Stop a spreadsheet from running a cell as a formula (a leading quote), numbers aside."""
    if cell.startswith(FORMULA_START):
        try:
            float(cell)
            return cell
        except ValueError:
            return "'" + cell
    return cell


def result_fields(p: Prediction, bad_bytes: bool = False) -> dict[str, Any]:
    status = p.status
    # 'ok' or 'ok; degraded model: ...': the row itself was scored
    if bad_bytes and status.split(";")[0] == "ok":
        status = f"{status}; invalid UTF-8 bytes replaced"
    return {
        "label": p.label,
        "labels": ";".join(p.labels),
        **{f"score_{c}": round(p.scores[c], 4) for c in CATEGORIES},
        "evidence": json.dumps([{k: v for k, v in e.to_dict().items() if k != "source"}
                                for e in p.evidence], ensure_ascii=False),
        "status": status,
    }


def find_text_column(columns: list[str], wanted: str | None) -> int:
    """Index of the text column: ``wanted`` if given, else a usual name."""
    if wanted is not None:
        if wanted in columns:
            return columns.index(wanted)
        raise BatchError(f"text column {wanted!r} not found; the file has columns {columns}. "
                         "Pass one of them with --text-column.")
    lowered = [c.strip().lower() for c in columns]
    for guess in TEXT_COLUMN_GUESSES:
        if guess in lowered:
            return lowered.index(guess)
    raise BatchError(f"cannot tell which column holds the text; the file has columns "
                     f"{columns}. Pass one of them with --text-column.")


_WORKER_CLF: Classifier | None = None


def _predict_fields(texts: list[Any]) -> list[dict[str, Any]]:
    assert _WORKER_CLF is not None
    return [result_fields(p) for p in _WORKER_CLF.predict(texts)]


class _Scorer:
    """Turns chunks of texts into result fields, in order, in-process or on a fork pool."""

    def __init__(self, clf: Classifier, workers: int) -> None:
        global _WORKER_CLF
        _WORKER_CLF = clf
        self.pool = None
        if workers > 1 and "fork" in mp.get_all_start_methods():
            self.pool = mp.get_context("fork").Pool(workers, reset_signals_in_worker)

    def map(self, jobs: Iterator[tuple[list[Any], Any]]
            ) -> Iterator[tuple[list[dict[str, Any]], Any]]:
        """Yield ``(fields, payload)`` per ``(texts, payload)`` job, in job order."""
        if self.pool is None:
            for texts, payload in jobs:
                yield _predict_fields(texts), payload
            return
        pending: deque = deque()
        for texts, payload in jobs:
            pending.append((self.pool.apply_async(_predict_fields, (texts,)), payload))
            while len(pending) > 4:
                res, pay = pending.popleft()
                yield res.get(), pay
        while pending:
            res, pay = pending.popleft()
            yield res.get(), pay

    def close(self, *, kill: bool = False) -> None:
        """Stop the workers; ``kill`` when they may have died of a signal already.

        ``Pool.terminate`` waits for a queue lock that a worker killed mid-wait never gives
        back, so after SIGTERM or SIGHUP (sent to the whole process group, say) the workers
        are killed outright and the pool's own exit-time clean-up is cancelled.
        """
        if self.pool is None:
            return
        if not kill:
            self.pool.terminate()
            return
        for proc in getattr(self.pool, "_pool", []):
            proc.kill()
            proc.join(5)
        finalizer = getattr(self.pool, "_terminate", None)
        if finalizer is not None:
            finalizer.cancel()


class _Progress:
    def __init__(self, total_bytes: int, stream: TextIO | None) -> None:
        self.total, self.stream, self.start, self.last = total_bytes, stream, time.time(), 0.0
        self.shown = -1  # rows in the line on screen

    def update(self, rows: int, position: int, final: bool = False) -> None:
        now = time.time()
        if self.stream is None or (now - self.last < 0.5 and not final):
            return
        self.last = now
        if final and rows == self.shown:
            self.stream.write("\n")  # the line on screen is already the final count
        else:
            pct = f"{100 * position / self.total:5.1f}% " if self.total else ""
            rate = rows / max(now - self.start, 1e-9)
            end = "\n" if final else ""
            self.stream.write(f"\rvnmod score: {pct}{rows:,} rows, {rate:,.0f} rows/s{end}")
            self.shown = rows
        self.stream.flush()


def _chunks(it: Iterator[Any], size: int) -> Iterator[list[Any]]:
    chunk: list[Any] = []
    for item in it:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _status(predicted: str, row: Row) -> str:
    return "; ".join([row.invalid or predicted, *row.problems])


def _count(report: BatchReport, fields: dict[str, Any], row: Row) -> None:
    report.rows += 1
    report.flagged += bool(fields["labels"])
    report.not_ok += fields["status"].split(";")[0] != "ok"
    for problem in row.problems:
        if problem.startswith("CSV quoting error"):
            report.quoting_errors += 1
            if len(report.warnings) < MAX_WARNINGS:
                report.warnings.append(problem)


@dataclass
class _Layout:
    """How rows of one input become output: the text to score, and the writer."""

    rows: Iterator[Row]
    text: Callable[[Row], Any]
    start: Callable[[TextIO], Callable[[Row, dict[str, Any]], None]]


def _garbled(columns: list[str]) -> bool:
    return any("\ufffd" in c or any(ord(ch) < 32 for ch in c) for c in columns)


def _csv_layout(inp: DecodedInput, text_column: str | None) -> _Layout:
    table = read_csv_table(inp)
    try:
        idx = find_text_column(table.header, text_column)
    except BatchError as exc:
        if not _garbled(table.header):
            raise
        raise BatchError(f"{exc} (The names look garbled: read as {inp.encoding}; pass "
                         "--encoding with the file's encoding.)") from None
    added = [f"vnmod_{f}" if f in table.header else f for f in OUTPUT_FIELDS]

    def start(fout: TextIO) -> Callable[[Row, dict[str, Any]], None]:
        writer = csv.writer(fout)
        writer.writerow([defuse(c) for c in [*table.header, table.overflow, *added]])

        def write(row: Row, fields: dict[str, Any]) -> None:
            extra = json.dumps(row.extra, ensure_ascii=False) if row.extra else ""
            writer.writerow([defuse(str(c)) for c in
                             [*row.values, extra, *[fields[f] for f in OUTPUT_FIELDS]]])
        return write

    return _Layout(table.rows, lambda r: r.values[idx] if idx < r.present else None, start)


def _jsonl_column(rows: Iterator[Row], wanted: str | None
                  ) -> tuple[str | None, Iterator[Row]]:
    """The text key (``wanted``, or guessed from the first records) and all the rows."""
    if wanted is not None:
        return wanted, rows
    seen: list[Row] = []
    first_keys: list[str] | None = None
    for row in rows:
        seen.append(row)
        if row.invalid is None and row.values:
            keys = list(row.values)
            try:
                return keys[find_text_column(keys, None)], itertools.chain(seen, rows)
            except BatchError:
                first_keys = keys if first_keys is None else first_keys
        if len(seen) >= JSONL_LOOKAHEAD:
            break
    else:  # the whole file is in `seen`: records without a text are no reason to stop
        if first_keys is None:
            return None, iter(seen)
    if first_keys is None:
        raise BatchError(f"none of the first {JSONL_LOOKAHEAD:,} lines is a JSON object with "
                         "a text; pass --text-column if later ones have one")
    find_text_column(first_keys, None)  # raises, listing the keys
    return None, iter(seen)  # not reached


def _jsonl_layout(inp: DecodedInput, text_column: str | None) -> _Layout:
    column, rows = _jsonl_column(read_jsonl(inp), text_column)

    def text(row: Row) -> Any:
        return row.values.get(column) if column is not None and row.invalid is None else None

    def start(fout: TextIO) -> Callable[[Row, dict[str, Any]], None]:
        def write(row: Row, fields: dict[str, Any]) -> None:
            record = row.values
            out = {**record, **{(f"vnmod_{k}" if k in record else k): v
                                for k, v in fields.items()}}
            fout.write(json.dumps(out, ensure_ascii=False).translate(_LINE_BREAKS) + "\n")
        return write

    return _Layout(rows, text, start)


def _format(path: Path, fmt: str | None) -> str:
    fmt = fmt or path.suffix.lower().lstrip(".")
    fmt = {"ndjson": "jsonl", "json": "jsonl"}.get(fmt, fmt)
    if fmt not in ("csv", "jsonl"):
        raise BatchError(f"unsupported format {fmt!r} for {path.name}; vnmod scores CSV and "
                         "JSONL (pass --format csv|jsonl)")
    return fmt


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def score_file(clf: Classifier, input_path: str | os.PathLike, output_path: str | os.PathLike,
               *, text_column: str | None = None, fmt: str | None = None,
               encoding: str | None = None, chunk_size: int = 2000, workers: int = 1,
               progress: TextIO | None = sys.stderr) -> BatchReport:
    """Score every row of a CSV/JSONL file into ``output_path`` (same format, UTF-8).

    Rows come out in input order with every input column, followed (CSV) by ``_extra`` (a
    JSON list of the cells beyond the header, usually empty), ``label``, ``labels``, one
    ``score_<category>`` per category, ``evidence`` (JSON) and ``status``. ``encoding``
    overrides detection (see :mod:`vnmod.batch_input`); ``output_path`` may be ``-`` for
    stdout (see :mod:`vnmod.atomic_output`). ``workers`` > 1 scores chunks in that many
    forked processes (output order is unchanged). Everything that can be checked before
    scoring is, and raises :class:`BatchError` with nothing written.
    """
    src = Path(input_path)
    if not src.is_file():
        raise BatchError(f"input file {src} does not exist")
    kind = _format(src, fmt)
    try:
        target = plan_output(output_path)
    except OutputPathError as exc:
        raise BatchError(str(exc)) from None
    if target.path is not None and _same_file(src, target.path):
        raise BatchError(f"refusing to overwrite the input {src}; choose another -o path")
    report = BatchReport()
    with DecodedInput(src, encoding=encoding, newline="" if kind == "csv" else "\n") as inp:
        report.encoding = inp.encoding
        layout = (_csv_layout if kind == "csv" else _jsonl_layout)(inp, text_column)
        prog = _Progress(src.stat().st_size, progress)
        start = time.time()
        with stop_cleanly_on_signals():
            scorer = _Scorer(clf, workers)
            stopped = False
            try:
                with open_output(target) as fout:
                    write = layout.start(fout)
                    jobs = (([layout.text(r) for r in chunk], chunk)
                            for chunk in _chunks(layout.rows, chunk_size))
                    for results, chunk in scorer.map(jobs):
                        for row, fields in zip(chunk, results, strict=True):
                            fields["status"] = _status(fields["status"], row)
                            write(row, fields)
                            _count(report, fields, row)
                        prog.update(report.rows, inp.position)
            except OutputPathError as exc:
                raise BatchError(str(exc)) from None
            except Interrupted:
                stopped = True
                raise
            finally:
                scorer.close(kill=stopped)
    report.seconds = time.time() - start
    prog.update(report.rows, prog.total, final=True)
    return report
