"""Score CSV, JSONL and Parquet files in streaming chunks, keeping every row and column in order.

Reading (encodings, malformed records) is :mod:`vnmod.batch_input`'s job, laying rows out in
the format asked for :mod:`vnmod.batch_output`'s, writing (where, atomically, signals)
:mod:`vnmod.atomic_output`'s, and checkpoints and resuming :mod:`vnmod.batch_resume`'s; this
module scores rows, in order, and shows progress. A record the reader found damaged is still
scored where it has a text, and its ``status`` says what was wrong, with the line number where
it helps.
"""

from __future__ import annotations

import contextlib
import gc
import itertools
import math
import multiprocessing as mp
import os
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import wait as mp_wait
from pathlib import Path
from typing import Any, Literal, NoReturn, TextIO

from vnmod.atomic_output import (
    STOP_SIGNALS,
    OutputPathError,
    OutputTarget,
    open_output,
    plan_output,
    reset_signals_in_worker,
    signals_blocked,
    stop_cleanly_on_signals,
)
from vnmod.batch_input import (
    BatchError,
    DecodedInput,
    Row,
    input_format,
    open_parquet,
    read_csv_table,
    read_jsonl,
    require_pyarrow,
)
from vnmod.batch_output import (
    EVIDENCE_MODES,
    InputShape,
    defuse,
    make_writer,
    output_format,
)
from vnmod.batch_resume import ResumableOutput, ResumePlan, fingerprint, plan_resume
from vnmod.classifier import TEXT_COLUMN_NAMES, Classifier
from vnmod.dates import post_date
from vnmod.prediction import Prediction
from vnmod.provenance import file_sha256, now, provenance_path, run_record, write_record
from vnmod.taxonomy import CATEGORIES

__all__ = ["BatchError", "BatchReport", "defuse", "find_text_column", "score_file"]

TEXT_COLUMN_GUESSES = TEXT_COLUMN_NAMES  # one list for files and DataFrames
JSONL_LOOKAHEAD = 1000  # records read to guess a JSONL file's text key and columns
MAX_WARNINGS = 20
PROGRESS_INTERVAL = 0.5  # seconds between progress redraws at most (tqdm's mininterval)
PROGRESS_TICK = 1.0  # seconds between redraws at least, even while a chunk is scored


@dataclass
class BatchReport:
    rows: int = 0
    flagged: int = 0
    not_ok: int = 0
    seconds: float = 0.0
    encoding: str = "utf-8"
    quoting_errors: int = 0
    warnings: list[str] = field(default_factory=list)  # the first quoting errors
    input_format: str = "csv"
    output_format: str = "csv"
    provenance: Path | None = None  # the provenance file written, if any
    resumed: int = 0  # rows done by the interrupted run this one resumed (in ``rows``)
    notes: list[str] = field(default_factory=list)  # what the run told the user
    per_category: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CATEGORIES, 0))
    undated: int = 0  # rows whose date (--date-column) could not be read

    @property
    def rate(self) -> float:
        """Rows scored per second by this run."""
        return (self.rows - self.resumed) / self.seconds if self.seconds else 0.0

    def counts(self) -> dict[str, Any]:
        """The counts a checkpoint keeps for a resumed run's report."""
        return {"flagged": self.flagged, "not_ok": self.not_ok,
                "quoting_errors": self.quoting_errors, "warnings": list(self.warnings),
                "per_category": dict(self.per_category), "undated": self.undated}

    def restore(self, rows: int, counts: dict[str, Any]) -> None:
        """Take over the rows and counts of the run being resumed."""
        self.rows = self.resumed = rows
        self.flagged = int(counts.get("flagged", 0))
        self.not_ok = int(counts.get("not_ok", 0))
        self.quoting_errors = int(counts.get("quoting_errors", 0))
        self.warnings = [str(w) for w in counts.get("warnings", [])][:MAX_WARNINGS]
        saved = counts.get("per_category", {})
        self.per_category = {c: int(saved.get(c, 0)) for c in CATEGORIES}
        self.undated = int(counts.get("undated", 0))


def _fallback_reason(p: Prediction) -> str:
    """Each flag's strongest evidence spans and their rules (if reasons.short_reason is absent)."""
    parts = []
    for cat in sorted(p.labels, key=lambda c: -p.scores.get(c, 0.0)):
        found = sorted((e for e in p.evidence if e.category == cat and e.weight > 0),
                       key=lambda e: -e.weight)[:2]
        parts.append(f"{cat}: " + ", ".join(f'"{" ".join(e.text.split())}" ({e.rule})'
                                             for e in found))
    return "; ".join(parts)


def _reason_function() -> Callable[[Prediction], str]:
    try:
        from vnmod.reasons import short_reason
    except ImportError:
        return _fallback_reason
    return short_reason


def result_fields(p: Prediction, reason: Callable[[Prediction], str] | None = None, *,
                  evidence: bool = True) -> dict[str, Any]:
    """What a prediction adds to its row, before any format (lists stay lists);
    ``evidence=False``: no evidence records (an output without an evidence column)."""
    return {
        "label": p.label,
        "labels": list(p.labels),
        "scores": {c: round(float(v), 4) for c, v in p.scores.items()},
        "evidence": [{k: v for k, v in e.to_dict().items() if k != "source"}
                     for e in p.evidence] if evidence else [],
        "reason": reason(p) if reason is not None else "",
        "text_sha256": p.text_sha256,
        "status": p.status,
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


def _predict_fields(texts: list[Any], evidence: str) -> list[dict[str, Any]]:
    """Result fields of ``texts`` for the evidence mode ``evidence`` (batch_output's)."""
    assert _WORKER_CLF is not None
    reason = _reason_function() if evidence != "none" else None
    return [result_fields(p, reason, evidence=evidence == "full")
            for p in _WORKER_CLF.predict(texts)]


WORKER_POLL = 0.25  # seconds a wait for a worker goes at most without a look at signals
#: Container allocations between young-generation garbage collections while a run scores
#: (Python's default is 700): scoring allocates many short-lived lists and dicts, and each
#: collection is work that frees nothing (about 5% of the time per post at the default).
GC_YOUNG_THRESHOLD = 20_000


def _worker_loop(conn: Any, inherited: list[Any], evidence: str,
                 mask: set[int] | None) -> None:
    """A forked scoring process: chunks of texts in, ``(True, fields)`` or ``(False, exception)``
    out, until the parent closes its end (or dies)."""
    for other in inherited:  # the parent's ends: EOF here once the parent's copy is gone
        other.close()
    reset_signals_in_worker(mask)
    while True:
        try:
            texts = conn.recv()
        except (EOFError, OSError):
            return
        try:
            reply: tuple[bool, Any] = (True, _predict_fields(texts, evidence))
        except Exception as exc:
            reply = (False, exc)
        try:
            conn.send(reply)
        except (EOFError, OSError):
            return
        except Exception:
            conn.send((False, RuntimeError(f"{type(reply[1]).__name__}: {reply[1]}")))


class _Scorer:
    """Turns chunks of texts into result fields, in order, in-process or in forked workers.

    Each worker has a pipe of its own and one chunk at a time, and nothing is shared between
    them (no lock a worker killed by a signal could take with it, no pool that starts new
    workers behind our back). Workers are forked with SIGINT, SIGTERM and SIGHUP blocked and
    set their own handlers (Ctrl-C is left to the parent, SIGTERM and SIGHUP kill them) before
    unblocking them. Waits for a worker are bounded (:data:`WORKER_POLL`), so a signal handler
    always gets to run, and a worker that dies is noticed rather than waited for.
    """

    def __init__(self, clf: Classifier, workers: int, evidence: str) -> None:
        global _WORKER_CLF
        _WORKER_CLF = clf
        self.evidence = evidence
        self.procs: list[Any] = []
        self.conns: list[Any] = []
        # The loaded model's objects are moved out of the collector's sight (gc.freeze: no
        # collection walks them again, and forked workers do not copy their pages by writing
        # to them), and young collections come less often; workers inherit both, and close()
        # gives this process its settings back.
        self._gc_threshold = gc.get_threshold()
        self._gc_frozen = gc.get_freeze_count() > 0  # the caller's own freeze is kept
        gc.freeze()
        gc.set_threshold(GC_YOUNG_THRESHOLD, *self._gc_threshold[1:])
        if workers <= 1 or "fork" not in mp.get_all_start_methods():
            return
        ctx = mp.get_context("fork")
        try:
            with signals_blocked() as mask:
                for i in range(workers):
                    mine, theirs = ctx.Pipe()
                    proc = ctx.Process(target=_worker_loop, name=f"vnmod-score-{i + 1}",
                                       args=(theirs, [*self.conns, mine], evidence, mask),
                                       daemon=True)
                    try:
                        proc.start()
                    finally:
                        theirs.close()
                    self.procs.append(proc)
                    self.conns.append(mine)
        except BaseException:
            self.close(finished=False)
            raise

    def map(self, jobs: Iterator[tuple[list[Any], Any]]
            ) -> Iterator[tuple[list[dict[str, Any]], Any]]:
        """Yield ``(fields, payload)`` per ``(texts, payload)`` job, in job order."""
        if not self.procs:
            for texts, payload in jobs:
                yield _predict_fields(texts, self.evidence), payload
            return
        idle = deque(range(len(self.procs)))
        busy: dict[int, int] = {}  # worker -> the job it has
        payloads: dict[int, Any] = {}
        results: dict[int, list[dict[str, Any]]] = {}  # done, waiting for an earlier job
        sizes: dict[int, int] = {}  # texts of each job sent and not yet yielded
        sent = yielded = largest = pending = 0  # pending: the sum of sizes
        more = True
        while True:
            # Texts out at most twice a job per worker (in rows, so that the small pieces at
            # the end of a run keep every worker busy while an earlier chunk is scored).
            while more and idle and (sent == yielded or pending < 2 * len(self.procs) * largest):
                try:
                    texts, payload = next(jobs)
                except StopIteration:
                    more = False
                    break
                sizes[sent] = len(texts)
                pending += len(texts)
                largest = max(largest, len(texts))
                worker = idle[0]
                try:
                    self.conns[worker].send(texts)
                except OSError:
                    self._died(worker)
                idle.popleft()
                busy[worker], payloads[sent] = sent, payload
                sent += 1
            if yielded in results:
                pending -= sizes.pop(yielded)
                yield results.pop(yielded), payloads.pop(yielded)
                yielded += 1
                continue
            if not busy:
                return
            for worker in self._ready(busy):
                try:
                    ok, value = self.conns[worker].recv()
                except (EOFError, OSError):
                    self._died(worker)
                if not ok:
                    raise value
                results[busy.pop(worker)] = value
                idle.append(worker)

    def _ready(self, busy: dict[int, int]) -> list[int]:
        """Busy workers with a reply to read; raises if one ended without one."""
        ends = {self.conns[w]: w for w in busy}
        ends.update({self.procs[w].sentinel: w for w in busy})
        while True:
            ready = mp_wait(list(ends), WORKER_POLL)
            replies = sorted({ends[r] for r in ready if not isinstance(r, int)})
            if replies:
                return replies
            if ready:
                self._died(ends[ready[0]])

    def _died(self, worker: int) -> NoReturn:
        proc = self.procs[worker]
        proc.join(1)
        code = proc.exitcode
        if code is not None and code < 0 and -code in STOP_SIGNALS:
            # Sent to the whole process group, most likely: let our own handler take it.
            deadline = time.monotonic() + 1
            while time.monotonic() < deadline:
                time.sleep(0.02)
        how = (f"killed by {signal.Signals(-code).name}" if code is not None and code < 0
               else f"exit status {code}")
        raise ChildProcessError(f"scoring worker {proc.name} ended unexpectedly ({how})")

    def close(self, *, finished: bool) -> None:
        """Stop the workers and reap them: each is dead when this returns (bounded waits).

        After a finished run they end on their own once their pipes close; otherwise (a
        signal, an error) they are terminated and, if that is not enough, killed. Stop
        signals wait meanwhile, so that a second Ctrl-C cannot leave workers behind.
        """
        gc.set_threshold(*self._gc_threshold)
        if not self._gc_frozen:
            gc.unfreeze()
        if not self.procs:
            return
        with signals_blocked():
            for conn in self.conns:
                conn.close()
            deadline = time.monotonic() + (5 if finished else 0)
            for proc in self.procs:
                proc.join(max(deadline - time.monotonic(), 0))
            for kill in (False, True):  # SIGTERM, then SIGKILL for any still there
                alive = [p for p in self.procs if p.exitcode is None]
                for proc in alive:
                    with contextlib.suppress(OSError):
                        proc.kill() if kill else proc.terminate()
                deadline = time.monotonic() + 5
                for proc in alive:
                    proc.join(max(deadline - time.monotonic(), 0))
            self.procs, self.conns = [], []


class _Progress:
    """A tqdm bar of rows scored (count, rate, ETA) on ``stream``, or nothing (``stream=None``).

    ``total`` is in ``done`` units: input bytes (the row total is then estimated from the bytes
    behind the rows scored so far, and held above the count until the end, so the bar never
    reads 100% early) or rows (``exact``: a Parquet file's row count). The bar is redrawn at
    most every :data:`PROGRESS_INTERVAL` and, while a chunk is being scored, every
    :data:`PROGRESS_TICK` seconds (elapsed time and ETA keep moving).
    """

    def __init__(self, stream: TextIO | None, total: int, *, exact: bool = False) -> None:
        self.bar = None
        self.total, self.exact = total, exact
        if stream is None:
            return
        from tqdm import tqdm

        self.bar = tqdm(total=total if exact else None, desc="vnmod score", unit=" rows",
                        file=stream, mininterval=PROGRESS_INTERVAL, miniters=1,
                        smoothing=0.1, dynamic_ncols=True)
        self._stop = threading.Event()
        self._ticker = threading.Thread(target=self._tick, name="vnmod-progress", daemon=True)
        with signals_blocked():  # signals for the process go to the main thread
            self._ticker.start()

    def _tick(self) -> None:
        assert self.bar is not None
        while not self._stop.wait(PROGRESS_TICK):
            with contextlib.suppress(Exception):  # a closed stream: no progress, no failure
                self.bar.refresh()

    def update(self, rows: int, done: int) -> None:
        """``rows`` more rows written, the input read up to ``done`` for them."""
        if self.bar is None:
            return
        count = self.bar.n + rows
        if not self.exact and done > 0 and self.total > 0:
            # never 100% before the end, not even rounded up (tqdm shows 99.6% as 100%)
            self.bar.total = max(math.ceil(count * self.total / done),
                                 math.ceil(count * 1.005) + 1)
        self.bar.update(rows)

    def close(self, finished: bool) -> None:
        if self.bar is None:
            return
        self._stop.set()
        self._ticker.join()
        if finished:
            self.bar.total = self.bar.n  # close() draws the final count
        self.bar.close()


def _chunks(it: Iterator[Any], size: int) -> Iterator[list[Any]]:
    chunk: list[Any] = []
    for item in it:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


#: With several workers, the last chunk goes out in this many pieces per worker: a worker
#: that runs out of chunks takes pieces while the others finish theirs, instead of one worker
#: scoring a whole last chunk alone at the end of the run.
TAIL_PIECES = 4


def _jobs(rows: Iterator[Any], size: int, workers: int,
          done: Callable[[], int]) -> Iterator[tuple[list[Any], int]]:
    """``(chunk, done())`` per chunk of ``size`` rows (``done`` read as each chunk is full);
    with ``workers`` > 1, one chunk is read ahead so that the last one can be cut into
    :data:`TAIL_PIECES` pieces per worker."""
    if workers <= 1:
        for chunk in _chunks(rows, size):
            yield chunk, done()
        return
    held: tuple[list[Any], int] | None = None
    for chunk in _chunks(rows, size):
        if held is not None:
            yield held
        held = (chunk, done())
    if held is None:
        return
    chunk, read = held
    piece = -(-len(chunk) // (TAIL_PIECES * workers))
    for i in range(0, len(chunk), piece):
        yield chunk[i:i + piece], read


def _status(predicted: str, row: Row) -> str:
    return "; ".join([row.invalid or predicted, *row.problems])


def _count(report: BatchReport, fields: dict[str, Any], row: Row) -> None:
    report.rows += 1
    report.flagged += bool(fields["labels"])
    for category in fields["labels"]:
        report.per_category[category] += 1
    report.not_ok += fields["status"].split(";")[0] != "ok"
    for problem in row.problems:
        if problem.startswith("CSV quoting error"):
            report.quoting_errors += 1
            if len(report.warnings) < MAX_WARNINGS:
                report.warnings.append(problem)


@dataclass
class _Source:
    """One input: its shape, its rows in order, how to find a row's text, and how far it is."""

    shape: InputShape
    rows: Iterator[Row]
    text: Callable[[Row], Any]
    done: Callable[[], int]  # input read so far, in bytes (or rows: exact)
    total: int
    exact: bool = False
    encoding: str = "utf-8"
    column: Any = None  # the text column, as a checkpoint's fingerprint records it


def _consumed(inp: DecodedInput) -> Callable[[], int]:
    """Input bytes behind the rows read so far, at least: the bytes read less the text
    reader's read-ahead (so that the row total estimated from them is never too low)."""
    ahead = getattr(inp.text, "_CHUNK_SIZE", 8192)
    return lambda: max(inp.position - ahead, 0)


def _garbled(columns: list[str]) -> bool:
    return any("\ufffd" in c or any(ord(ch) < 32 for ch in c) for c in columns)


def _csv_source(inp: DecodedInput, text_column: str | None) -> _Source:
    table = read_csv_table(inp)
    try:
        idx = find_text_column(table.header, text_column)
    except BatchError as exc:
        if not _garbled(table.header):
            raise
        raise BatchError(f"{exc} (The names look garbled: read as {inp.encoding}; pass "
                         "--encoding with the file's encoding.)") from None
    shape = InputShape("csv", table.header, table.overflow, bom=inp.bom)
    return _Source(shape, table.rows, lambda r: r.values[idx] if idx < r.present else None,
                   _consumed(inp), 0, column=[idx, table.header[idx]])


def _jsonl_column(seen: list[Row], complete: bool, wanted: str | None) -> str | None:
    """The text key: ``wanted``, or guessed from the first records ``seen`` (all if
    ``complete``)."""
    if wanted is not None:
        return wanted
    first_keys: list[str] | None = None
    for row in seen:
        if row.invalid is None and row.values:
            keys = list(row.values)
            try:
                return keys[find_text_column(keys, None)]
            except BatchError:
                first_keys = keys if first_keys is None else first_keys
    if first_keys is None:
        if complete:  # records without a text are no reason to stop
            return None
        raise BatchError(f"none of the first {JSONL_LOOKAHEAD:,} lines is a JSON object with "
                         "a text; pass --text-column if later ones have one")
    find_text_column(first_keys, None)  # raises, listing the keys
    return None  # not reached


def _jsonl_source(inp: DecodedInput, text_column: str | None) -> _Source:
    rows = read_jsonl(inp)
    seen = list(itertools.islice(rows, JSONL_LOOKAHEAD))
    column = _jsonl_column(seen, len(seen) < JSONL_LOOKAHEAD, text_column)
    keys: dict[str, None] = {}
    for row in seen:
        if row.invalid is None:
            keys.update(dict.fromkeys(row.values))
    columns = list(keys)
    overflow = "_extra" if "_extra" not in keys else "vnmod__extra"

    def text(row: Row) -> Any:
        return row.values.get(column) if column is not None and row.invalid is None else None

    shape = InputShape("jsonl", columns, overflow, samples=seen, bom=inp.bom)
    return _Source(shape, itertools.chain(seen, rows), text, _consumed(inp), 0, column=column)


def _parquet_source(path: Path, text_column: str | None, batch_size: int) -> _Source:
    table = open_parquet(path, batch_size=batch_size)
    columns = list(table.schema.names)
    column = columns[find_text_column(columns, text_column)]
    shape = InputShape("parquet", columns, None, schema=table.schema)
    return _Source(shape, table.rows, lambda r: r.values.get(column), lambda: table.read[0],
                   table.num_rows, exact=True, column=column)


@contextlib.contextmanager
def _open_source(src: Path, kind: str, *, text_column: str | None, encoding: str | None,
                 chunk_size: int) -> Iterator[_Source]:
    if kind == "parquet":
        if encoding is not None:
            raise BatchError("--encoding applies to CSV and JSONL input, not Parquet")
        yield _parquet_source(src, text_column, chunk_size)
        return
    with DecodedInput(src, encoding=encoding, newline="" if kind == "csv" else "\n") as inp:
        source = (_csv_source if kind == "csv" else _jsonl_source)(inp, text_column)
        source.total, source.encoding = src.stat().st_size, inp.encoding
        yield source


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _progress_stream(progress: TextIO | Literal["stderr"] | None, force: bool
                     ) -> TextIO | None:
    stream = sys.stderr if progress == "stderr" else progress
    if stream is None or force:
        return stream
    try:
        return stream if stream.isatty() else None
    except (AttributeError, ValueError):  # no isatty, or closed
        return None


class _DirectOutput:
    """Standard output, a FIFO or a device: written through as rows come, never resumed
    (the interface of :class:`vnmod.batch_resume.ResumableOutput`)."""

    first_row = 0

    def __init__(self, target: OutputTarget, writer: Any) -> None:
        self.target, self.writer = target, writer
        self._stack = contextlib.ExitStack()

    def start(self) -> None:
        fh = self._stack.enter_context(open_output(self.target, binary=self.writer.binary))
        self.writer.start(fh)

    def write(self, rows: list[Row], results: list[dict[str, Any]]) -> None:
        self.writer.write(rows, results)

    def commit(self, counts: dict[str, Any]) -> None:
        """Nothing to record: the output cannot be resumed."""

    def finish(self) -> None:
        self.writer.finish()
        self._stack.close()

    def stop(self, exc: BaseException) -> str | None:
        with contextlib.suppress(Exception):
            self.writer.abort()
        self._stack.__exit__(type(exc), exc, exc.__traceback__)
        return None


def _skip(rows: Iterator[Row], count: int, prog: _Progress, done: Callable[[], int]) -> None:
    """Read past the first ``count`` rows (done by the run being resumed)."""
    skipped = 0
    step = 10_000
    for _ in rows:
        skipped += 1
        if skipped % step == 0:
            prog.update(step, done())
        if skipped == count:
            break
    prog.update(skipped % step, done())
    if skipped < count:
        raise BatchError(f"cannot resume: the input has {skipped:,} rows, fewer than the "
                         f"{count:,} the interrupted run had done; run without --resume to "
                         "start over")


def _tell(report: BatchReport, notify: Callable[[str], None] | None, note: str | None) -> None:
    if note is None:
        return
    report.notes.append(note)
    if notify is not None:
        notify(note)


def score_file(clf: Classifier, input_path: str | os.PathLike, output_path: str | os.PathLike,
               *, text_column: str | None = None, fmt: str | None = None,
               encoding: str | None = None, chunk_size: int = 2000, workers: int = 1,
               progress: TextIO | Literal["stderr"] | None = "stderr",
               force_progress: bool = False, evidence: str | None = None,
               legal_basis: bool = False, excel: bool = False, resume: bool = False,
               notify: Callable[[str], None] | None = None, date_column: str | None = None,
               provenance: bool = True) -> BatchReport:
    """Score every row of a CSV, JSONL or Parquet file into ``output_path``.

    The output format is ``fmt`` (``csv``, ``jsonl`` or ``parquet``), else ``output_path``'s
    extension, else (``-``, a FIFO, no extension) the input's; any input format can be
    written as any output format (see :mod:`vnmod.batch_output`). Rows come out in input
    order with every input column (a CSV's cells beyond the header in ``_extra``), then
    ``label``, ``labels``, one ``score_<category>`` per category, ``reason`` and ``evidence``
    as ``evidence`` says, ``legal_basis`` if asked, and ``status``.

    ``evidence``: ``"full"`` (a one-line ``reason`` and every evidence span: JSON text in
    CSV, a list of objects in JSONL and Parquet), ``"short"`` (``reason`` only) or ``"none"``;
    by default ``short`` for CSV and ``full`` otherwise. ``legal_basis`` adds the legal
    references of each flagged category (empty for an unflagged row). ``excel`` writes a
    UTF-8 byte-order mark before CSV output (one is written anyway when the input had one).

    ``encoding`` overrides detection (see :mod:`vnmod.batch_input`); ``output_path`` may be
    ``-`` for stdout (see :mod:`vnmod.atomic_output`). ``workers`` > 1 scores chunks in that
    many forked processes (output order is unchanged). ``progress``: the stream for a tqdm
    progress bar (default standard error), shown only when it is a terminal unless
    ``force_progress``; None for none. Reading or writing Parquet needs pyarrow (the
    ``parquet`` extra). Everything that can be checked before scoring is, and raises
    :class:`BatchError` with nothing written.

    An output file is written resumably (see :mod:`vnmod.batch_resume`): an interrupted run
    leaves its rows and a checkpoint beside it, and ``resume=True`` goes on from them (the
    input and the options must be the same), else they are discarded. ``notify`` receives
    what the user should know (a discarded or kept partial output), also in ``report.notes``.

    ``date_column`` names the column of each post's date (:func:`vnmod.dates.post_date`): the
    legal basis of a flagged row is then the one in force on that day (today's for a row
    without a date; a date that cannot be read also says so in the status). Each row carries
    ``text_sha256``, the SHA-256 of the exact text scored. With ``provenance`` (the default),
    a finished run to a file writes ``OUTPUT.provenance.json`` beside it
    (:mod:`vnmod.provenance`): vnmod, the model and its manifest hash, thresholds, options,
    the input's SHA-256 and rows, rows flagged per category, start and end.
    """
    src = Path(input_path)
    if not src.is_file():
        raise BatchError(f"input file {src} does not exist")
    in_kind = input_format(src)
    try:
        target = plan_output(output_path)
    except OutputPathError as exc:
        raise BatchError(str(exc)) from None
    resumable = target.path is not None and target.replace
    if resume and not resumable:
        raise BatchError(f"--resume goes on with an output file; {target} "
                         f"({'standard output' if target.path is None else 'a FIFO or device'}"
                         ") is written as rows come, so an interrupted run of it cannot be "
                         "resumed")
    out_kind = output_format(output_path, fmt, in_kind,
                             special=target.path is not None and not target.replace)
    if "parquet" in (in_kind, out_kind):
        require_pyarrow("reading or writing Parquet")
    evidence = evidence or ("short" if out_kind == "csv" else "full")
    if evidence not in EVIDENCE_MODES:
        raise BatchError(f"evidence={evidence!r}: choose one of {', '.join(EVIDENCE_MODES)}")
    if excel and out_kind != "csv":
        raise BatchError(f"--excel (a byte-order mark for Excel) applies to CSV output, not "
                         f"{out_kind}")
    if target.path is not None and _same_file(src, target.path):
        raise BatchError(f"refusing to overwrite the input {src}; choose another -o path")
    stream = _progress_stream(progress, force_progress)
    report = BatchReport(input_format=in_kind, output_format=out_kind)
    with _open_source(src, in_kind, text_column=text_column, encoding=encoding,
                      chunk_size=chunk_size) as source:
        report.encoding = source.encoding
        post_day = _date_getter(source, date_column)
        bom = excel or source.shape.bom
        writer = make_writer(out_kind, source.shape, evidence=evidence,
                             legal_basis=legal_basis, bom=bom)
        fp: dict[str, Any] = {}
        plan = ResumePlan()
        if resumable:
            assert target.path is not None
            fp = fingerprint(src, clf, {
                "input_format": in_kind, "output_format": out_kind, "evidence": evidence,
                "legal_basis": legal_basis, "bom": bom, "text_column": source.column,
                "encoding": source.encoding, "date_column": date_column})
            plan = plan_resume(target.path, fp, resume=resume, parts=writer.binary)
            for note in plan.notes:
                _tell(report, notify, note)
        if plan.checkpoint is not None:
            report.restore(plan.checkpoint.rows, plan.checkpoint.counts)
        input_sha = file_sha256(src) if provenance and resumable else None
        started = now()
        start = time.time()
        with stop_cleanly_on_signals():
            scorer = _Scorer(clf, workers, evidence)
            finished = False
            try:
                prog = _Progress(stream, source.total, exact=source.exact)
                try:
                    out = (ResumableOutput(target, writer, fp, plan) if resumable
                           else _DirectOutput(target, writer))
                    try:
                        out.start()
                        if out.first_row:
                            _skip(source.rows, out.first_row, prog, source.done)
                        jobs = (([source.text(r) for r in chunk], (chunk, done))
                                for chunk, done in _jobs(source.rows, chunk_size, workers,
                                                         source.done))
                        for results, (chunk, done) in scorer.map(jobs):
                            for row, fields in zip(chunk, results, strict=True):
                                fields["status"] = _status(fields["status"], row)
                                if post_day is not None:
                                    _date_row(fields, row, post_day, report)
                            out.write(chunk, results)
                            for row, fields in zip(chunk, results, strict=True):
                                _count(report, fields, row)
                            out.commit(report.counts())
                            prog.update(len(chunk), done)
                        out.finish()
                    except BaseException as exc:
                        _tell(report, notify, out.stop(exc))
                        raise
                    finished = True
                except OutputPathError as exc:
                    raise BatchError(str(exc)) from None
                finally:
                    prog.close(finished)
            finally:
                scorer.close(finished=finished)  # every worker reaped, whatever happened
    report.seconds = time.time() - start
    if input_sha is not None and target.path is not None:
        options = {"evidence": evidence, "legal_basis": legal_basis, "format": out_kind,
                   "input_format": in_kind, "text_column": source.column,
                   "date_column": date_column, "encoding": source.encoding, "excel": excel,
                   "chunk_size": chunk_size, "workers": workers,
                   "resumed_after_rows": report.resumed}
        record = run_record(clf, input_path=src, input_sha256=input_sha,
                            output_path=target.path, output_sha256=file_sha256(target.path),
                            output_format=out_kind, rows=report.rows,
                            flagged={**report.per_category, "any": report.flagged},
                            not_ok=report.not_ok, options=options, started=started,
                            finished=now())
        report.provenance = write_record(provenance_path(target.path), record)
    return report


def _date_getter(source: _Source, column: str | None) -> Callable[[Row], Any] | None:
    """How to read a row's date cell, or None without a date column (BatchError if the
    file has no such column)."""
    if column is None:
        return None
    names = list(source.shape.columns)
    if column not in names:
        raise BatchError(f"date column {column!r} not found; the file has columns {names}. "
                         "Pass one of them with --date-column.")
    if source.shape.kind == "csv":
        idx = names.index(column)
        return lambda r: r.values[idx] if idx < r.present else None
    return lambda r: r.values.get(column) if isinstance(r.values, dict) else None


def _date_row(fields: dict[str, Any], row: Row, cell: Callable[[Row], Any],
              report: BatchReport) -> None:
    """Set the day whose law applies to the row (``as_of``); a date that cannot be read is
    noted in the status (the row then gets today's law)."""
    value = cell(row)
    day = post_date(value)
    fields["as_of"] = day
    missing = value is None or (isinstance(value, float) and math.isnan(value)) or (
        isinstance(value, str) and not value.strip())
    if day is None and not missing:
        report.undated += 1
        fields["status"] += f"; date not understood: {str(value)[:40]!r} (today's law)"
