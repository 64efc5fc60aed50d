"""Score CSV and JSONL files in streaming chunks, keeping every row and column in order.

Rows are read with ``errors="surrogateescape"`` so that invalid UTF-8 never stops a run: the
bad bytes become U+FFFD in the output and the row's status says so. Output goes to a temporary
file beside the target and is renamed into place only when complete.
"""

from __future__ import annotations

import csv
import io
import json
import multiprocessing as mp
import os
import re
import sys
import tempfile
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from vnmod.classifier import Classifier
from vnmod.prediction import Prediction
from vnmod.taxonomy import CATEGORIES

TEXT_COLUMN_GUESSES = ("text", "content", "free_text", "post_message", "message", "comment",
                       "post", "body", "noi_dung", "nội dung", "nội_dung", "caption")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
OUTPUT_FIELDS = ("label", "labels", *[f"score_{c}" for c in CATEGORIES], "evidence", "status")

csv.field_size_limit(min(sys.maxsize, 2**31 - 1))


class BatchError(ValueError):
    """The input cannot be scored as asked (no text column, same file in and out...)."""


@dataclass
class BatchReport:
    rows: int = 0
    flagged: int = 0
    not_ok: int = 0
    seconds: float = 0.0

    @property
    def rate(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0


_ESCAPED_BYTE = re.compile("[\udc80-\udcff]")  # how surrogateescape carries an invalid byte


def _clean(value: str) -> tuple[str, bool]:
    """Replace surrogate-escaped bytes by U+FFFD; report whether any were found."""
    if _ESCAPED_BYTE.search(value) is None:
        return value, False
    return _ESCAPED_BYTE.sub("\ufffd", value), True


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
    if bad_bytes:
        status = f"{status}; invalid UTF-8 bytes replaced" if status == "ok" else status
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


def _predict_fields(texts: list[str | None], bad: list[bool]) -> list[dict[str, Any]]:
    assert _WORKER_CLF is not None
    return [result_fields(p, b) for p, b in zip(_WORKER_CLF.predict(texts), bad, strict=True)]


class _Scorer:
    """Turns chunks of texts into result fields, in order, in-process or on a fork pool."""

    def __init__(self, clf: Classifier, workers: int) -> None:
        global _WORKER_CLF
        _WORKER_CLF = clf
        self.pool = None
        if workers > 1 and "fork" in mp.get_all_start_methods():
            self.pool = mp.get_context("fork").Pool(workers)

    def map(self, jobs: Iterator[tuple[list[str | None], list[bool], Any]]
            ) -> Iterator[tuple[list[dict[str, Any]], Any]]:
        """Yield ``(fields, payload)`` per job, in job order."""
        if self.pool is None:
            for texts, bad, payload in jobs:
                yield _predict_fields(texts, bad), payload
            return
        pending: deque = deque()
        for texts, bad, payload in jobs:
            pending.append((self.pool.apply_async(_predict_fields, (texts, bad)), payload))
            while len(pending) > 4:
                res, pay = pending.popleft()
                yield res.get(), pay
        while pending:
            res, pay = pending.popleft()
            yield res.get(), pay

    def close(self) -> None:
        if self.pool is not None:
            self.pool.terminate()


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


def _csv_jobs(rows: Iterator[list[str]], idx: int, chunk_size: int):
    for chunk in _chunks(rows, chunk_size):
        texts: list[str | None] = []
        bad: list[bool] = []
        cleaned = []
        for row in chunk:
            pairs = [_clean(c) for c in row]
            cells = [c for c, _ in pairs]
            cleaned.append(cells)
            texts.append(cells[idx] if idx < len(cells) else None)
            bad.append(any(flag for _, flag in pairs))
        yield texts, bad, cleaned


def _score_csv(scorer: _Scorer, fin: TextIO, fout: TextIO, text_column: str | None,
               chunk_size: int, tick: Callable[[int], None], report: BatchReport) -> None:
    rows = csv.reader(fin)
    try:
        header = [_clean(c)[0] for c in next(rows)]
    except StopIteration:
        raise BatchError("the input file is empty: no header row") from None
    idx = find_text_column(header, text_column)
    added = [f"vnmod_{f}" if f in header else f for f in OUTPUT_FIELDS]
    writer = csv.writer(fout)
    writer.writerow([defuse(c) for c in header + added])
    for results, cleaned in scorer.map(_csv_jobs(rows, idx, chunk_size)):
        for cells, fields in zip(cleaned, results, strict=True):
            padded = cells + [""] * (len(header) - len(cells))
            writer.writerow([defuse(str(c)) for c in padded + [fields[f] for f in OUTPUT_FIELDS]])
            _count(report, fields)
        tick(report.rows)


def _jsonl_jobs(lines: Iterator[str], text_column: str | None, chunk_size: int):
    column = text_column
    seen = 0
    for chunk in _chunks(lines, chunk_size):
        records: list[dict[str, Any]] = []
        texts: list[str | None] = []
        problems: list[str | None] = []
        for line in chunk:
            seen += 1
            line, was_bad = _clean(line.rstrip("\r\n"))
            problem = "invalid UTF-8 bytes replaced" if was_bad else None
            try:
                record = json.loads(line) if line.strip() else {}
                if not isinstance(record, dict):
                    raise ValueError("not a JSON object")
            except ValueError as exc:
                record = {"_raw": line}
                problem = f"invalid: line {seen} is not a JSON object ({exc})"
            if column is None and record and "_raw" not in record:
                column = list(record)[find_text_column(list(record), None)]
            records.append(record)
            texts.append(record.get(column) if column else None)
            problems.append(problem)
        yield texts, [False] * len(texts), (records, problems)


def _score_jsonl(scorer: _Scorer, fin: TextIO, fout: TextIO, text_column: str | None,
                 chunk_size: int, tick: Callable[[int], None], report: BatchReport) -> None:
    for results, (records, problems) in scorer.map(_jsonl_jobs(iter(fin), text_column,
                                                               chunk_size)):
        for record, fields, problem in zip(records, results, problems, strict=True):
            if problem:
                fields["status"] = problem if problem.startswith("invalid:") else \
                    f"{fields['status']}; {problem}"
            out = {**record, **{(f"vnmod_{k}" if k in record else k): v
                                for k, v in fields.items()}}
            fout.write(json.dumps(out, ensure_ascii=False) + "\n")
            _count(report, fields)
        tick(report.rows)


def _count(report: BatchReport, fields: dict[str, Any]) -> None:
    report.rows += 1
    report.flagged += bool(fields["labels"])
    report.not_ok += fields["status"] != "ok"


def _format(path: Path, fmt: str | None) -> str:
    fmt = fmt or path.suffix.lower().lstrip(".")
    fmt = {"ndjson": "jsonl", "json": "jsonl"}.get(fmt, fmt)
    if fmt not in ("csv", "jsonl"):
        raise BatchError(f"unsupported format {fmt!r} for {path.name}; vnmod scores CSV and "
                         "JSONL (pass --format csv|jsonl)")
    return fmt


def score_file(clf: Classifier, input_path: str | os.PathLike, output_path: str | os.PathLike,
               *, text_column: str | None = None, fmt: str | None = None,
               chunk_size: int = 2000, workers: int = 1,
               progress: TextIO | None = sys.stderr) -> BatchReport:
    """Score every row of a CSV/JSONL file into ``output_path`` (same format).

    Rows come out in input order with every input column, followed by ``label``, ``labels``,
    one ``score_<category>`` per category, ``evidence`` (JSON) and ``status``. ``workers``
    > 1 scores chunks in that many forked processes (output order is unchanged).
    """
    src, dst = Path(input_path), Path(output_path)
    if not src.is_file():
        raise BatchError(f"input file {src} does not exist")
    if dst.exists() and dst.resolve() == src.resolve():
        raise BatchError(f"refusing to overwrite the input {src}; choose another -o path")
    kind = _format(src, fmt)
    report = BatchReport()
    prog = _Progress(src.stat().st_size, progress)
    dst.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{dst.name}.", suffix=".tmp", dir=dst.parent)
    start = time.time()
    scorer = _Scorer(clf, workers)
    try:
        with open(src, "rb") as raw, os.fdopen(fd, "w", encoding="utf-8", newline="") as fout:
            fin = io.TextIOWrapper(raw, encoding="utf-8-sig", errors="surrogateescape",
                                   newline="" if kind == "csv" else None)

            def tick(rows: int) -> None:
                prog.update(rows, raw.tell())

            run = _score_csv if kind == "csv" else _score_jsonl
            run(scorer, fin, fout, text_column, chunk_size, tick, report)
        os.replace(tmp_name, dst)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    finally:
        scorer.close()
    report.seconds = time.time() - start
    prog.update(report.rows, prog.total, final=True)
    return report
