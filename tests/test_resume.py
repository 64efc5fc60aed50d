"""``vnmod score --resume`` (issue #11): an interrupted run goes on from its last checkpoint and
ends with the very bytes an uninterrupted run writes; what cannot be resumed says why.

The kill tests run ``vnmod score`` as a child process and kill it (SIGKILL to the parent alone,
as the OOM killer does; SIGTERM to the whole group, as a service manager does) once its
checkpoint shows rows done; the rest interrupt a run in-process, either as a signal would
(KeyboardInterrupt in the scoring) or as ``kill -9`` would (nothing runs after the last
checkpoint).

vnmod's scoring code is part of a checkpoint's fingerprint; where other work edits it while
these tests run, the in-process tests use a fixed one (``frozen_code``), and a kill test whose
child process saw other code than the test skips.
"""

from __future__ import annotations

import contextlib
import copy
import csv
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from _procs import assert_group_ends, default_signals, kill_group
from vnmod import batch_resume
from vnmod.batch import BatchError, score_file
from vnmod.batch_resume import checkpoint_path, code_fingerprint, stopped_path
from vnmod.cli import main

EXAMPLES = Path(__file__).resolve().parents[1] / "data" / "examples" / "posts.csv"
ROWS = 6_000
CHUNK = 100


@pytest.fixture(autouse=True)
def frozen_code(request, monkeypatch):
    """The in-process tests' code fingerprint: fixed (see the module docstring)."""
    if request.node.originalname != "test_killed_run_resumes_to_the_bytes_of_an_uninterrupted_run":
        monkeypatch.setattr(batch_resume, "code_fingerprint", lambda: "frozen")


def _posts() -> list[str]:
    with open(EXAMPLES, encoding="utf-8", newline="") as fh:
        return [r["text"] for r in csv.DictReader(fh)]


def _short_posts(n: int, seed: int = 11) -> list[list[str]]:
    """``n`` rows of short posts (2-8 words of the examples), with a few awkward records."""
    rng = random.Random(seed)
    texts = _posts()
    rows = []
    for i in range(n):
        words = rng.choice(texts).split()
        start = rng.randrange(len(words))
        text = " ".join(words[start:start + rng.randint(2, 8)])
        if i % 997 == 5:
            text = f'"{text}", còn nữa\ndòng hai'  # quotes, a comma and a line break
        rows.append([f"r{i}", text, str(i % 7)])
    return rows


def _write_csv(path: Path, rows: list[list[str]]) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "text", "group"])
        w.writerows(rows)
    return path


def _write_jsonl(path: Path, rows: list[list[str]]) -> Path:
    with open(path, "w", encoding="utf-8") as fh:
        for ident, text, group in rows:
            fh.write(json.dumps({"id": ident, "text": text, "group": int(group)},
                                ensure_ascii=False) + "\n")
    return path


@pytest.fixture(scope="module")
def big(tmp_path_factory, clf) -> tuple[Path, bytes, str]:
    """A CSV input of ROWS short posts (one quoting error in it), its uninterrupted output and
    the code fingerprint it was written with."""
    folder = tmp_path_factory.mktemp("big")
    src = _write_csv(folder / "in.csv", _short_posts(ROWS))
    with open(src, "a", encoding="utf-8", newline="") as fh:
        fh.write('r-bad,"an open quote that never closes\n')
        fh.write("r-last,xin chào,1\n")
    code = code_fingerprint()
    score_file(clf, src, folder / "base.csv", chunk_size=CHUNK, progress=None)
    return src, (folder / "base.csv").read_bytes(), code


def _state(out: Path) -> dict | None:
    with contextlib.suppress(FileNotFoundError, ValueError):
        return json.loads(checkpoint_path(out).read_text(encoding="utf-8"))
    return None


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


# --- a real run, killed, then resumed -------------------------------------------------------


@pytest.mark.parametrize(("signum", "workers"), [
    (signal.SIGKILL, 1), (signal.SIGKILL, 2), (signal.SIGTERM, 1), (signal.SIGTERM, 2)])
def test_killed_run_resumes_to_the_bytes_of_an_uninterrupted_run(tmp_path, big, signum,
                                                                  workers, capsys):
    src, expected, code = big
    dst = tmp_path / "out.csv"
    args = ["score", str(src), "-o", str(dst), "-q", "--workers", str(workers),
            "--chunk-size", str(CHUNK)]
    proc = subprocess.Popen([sys.executable, "-m", "vnmod.cli", *args],
                            start_new_session=True, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, preexec_fn=default_signals)
    try:
        deadline = time.time() + 90
        while proc.poll() is None and time.time() < deadline:
            state = _state(dst)
            if state and state["rows"] >= 1000:
                break
            time.sleep(0.02)
        assert proc.poll() is None, "the run ended before it was killed"
        if signum == signal.SIGKILL:
            os.kill(proc.pid, signum)  # the parent alone: its workers must notice
        else:
            os.killpg(proc.pid, signum)
        assert proc.wait(30) == -signum
        assert_group_ends(proc.pid, 10)
    finally:
        kill_group(proc)
        err = proc.stderr.read().decode("utf-8", "replace")
        proc.stderr.close()
    assert not dst.exists()
    state = _state(dst)
    assert state is not None and 0 < state["rows"] < ROWS
    if signum == signal.SIGTERM:  # stopped cleanly: the partial is renamed, and it says so
        assert state["partial"] == stopped_path(dst).name and stopped_path(dst).exists()
        assert "--resume" in err and f"stopped after {state['rows']:,} rows" in err
    assert (tmp_path / state["partial"]).stat().st_size >= state["size"]

    status = main([*args, "--resume"])
    summary = capsys.readouterr().err
    if code_fingerprint() != code:
        assert status == 0 or "vnmod itself changed" in summary
        pytest.skip("vnmod's scoring code was edited while the test ran")
    assert status == 0, summary
    assert f"(resumed after {state['rows']:,})" in summary
    assert f"scored {ROWS + 2:,} rows" in summary
    assert dst.read_bytes() == expected, "no row lost, doubled or moved"
    assert _leftovers(tmp_path) == [], "the partial and the checkpoint are gone"


# --- in-process interruptions ----------------------------------------------------------------


@contextlib.contextmanager
def _stopping(clf, after: int, exc: BaseException):
    """Scoring raises ``exc`` at the chunk after ``after`` chunks (workers=1)."""
    real = clf.predict
    calls = [0]

    def predict(texts, *a, **kw):
        calls[0] += 1
        if calls[0] > after:
            raise exc
        return real(texts, *a, **kw)

    clf.predict = predict
    try:
        yield
    finally:
        del clf.predict


@contextlib.contextmanager
def _crashing():
    """Nothing of the run's own clean-up runs, as after ``kill -9`` (the lock goes with it)."""
    stop = batch_resume.ResumableOutput.stop
    batch_resume.ResumableOutput.stop = lambda self, exc: self._release()
    try:
        yield
    finally:
        batch_resume.ResumableOutput.stop = stop


def _interrupt(clf, monkeypatch, src: Path, dst: Path, *, after: int = 8, crash: bool = False,
               **options) -> dict:
    """Run until ``after`` chunks are scored, then stop (``crash``: as kill -9 would, after a
    checkpoint at every chunk)."""
    exc = SystemError("killed") if crash else KeyboardInterrupt()
    monkeypatch.setattr(batch_resume, "CHECKPOINT_SECONDS", 0.0)
    with contextlib.ExitStack() as stack:
        stack.enter_context(_stopping(clf, after, exc))
        if crash:
            stack.enter_context(_crashing())
        with pytest.raises(type(exc)):
            score_file(clf, src, dst, chunk_size=CHUNK, progress=None, **options)
    state = _state(dst)
    assert state is not None and state["rows"] > 0
    return state


@pytest.mark.parametrize("crash", [False, True], ids=["interrupted", "killed"])
@pytest.mark.parametrize("kind", ["jsonl", "parquet"])
def test_jsonl_and_parquet_resume_to_the_same_bytes(tmp_path, clf, monkeypatch, kind, crash):
    if kind == "parquet":
        pytest.importorskip("pyarrow")
        monkeypatch.setattr(batch_resume, "PART_SECONDS", 0.0)  # a part per chunk
    rows = _short_posts(1500, seed=3)
    src = _write_jsonl(tmp_path / "in.jsonl", rows)
    base, dst = tmp_path / f"base.{kind}", tmp_path / f"out.{kind}"
    expected = score_file(clf, src, base, chunk_size=CHUNK, progress=None)
    state = _interrupt(clf, monkeypatch, src, dst, after=6, crash=crash)
    assert state["rows"] == 6 * CHUNK
    assert stopped_path(dst).exists() != crash
    notes: list[str] = []
    report = score_file(clf, src, dst, chunk_size=CHUNK, progress=None, resume=True,
                        notify=notes.append)
    assert dst.read_bytes() == base.read_bytes()
    assert (report.rows, report.flagged, report.not_ok) == \
        (expected.rows, expected.flagged, expected.not_ok)
    assert report.resumed == state["rows"] and notes == []
    assert _leftovers(tmp_path) == []


def test_counts_and_warnings_of_the_resumed_rows_are_kept(tmp_path, clf, monkeypatch):
    rows = _short_posts(1200, seed=5)
    src = _write_csv(tmp_path / "in.csv", rows[:300])
    with open(src, "a", encoding="utf-8", newline="") as fh:
        fh.write('x1,"abc"def,1\n')  # a quoting error in the rows done before the stop
    with open(src, "a", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows[300:])
    expected = score_file(clf, src, tmp_path / "base.csv", chunk_size=CHUNK, progress=None)
    assert expected.quoting_errors == 1
    _interrupt(clf, monkeypatch, src, tmp_path / "out.csv", after=5)
    report = score_file(clf, src, tmp_path / "out.csv", chunk_size=CHUNK, progress=None,
                        resume=True)
    assert (report.rows, report.flagged, report.not_ok, report.quoting_errors,
            report.warnings) == (expected.rows, expected.flagged, expected.not_ok,
                                 expected.quoting_errors, expected.warnings)
    assert (tmp_path / "out.csv").read_bytes() == (tmp_path / "base.csv").read_bytes()


def test_interrupted_run_can_also_resume_with_other_workers_and_chunks(tmp_path, clf,
                                                                       monkeypatch):
    src = _write_csv(tmp_path / "in.csv", _short_posts(1500, seed=8))
    score_file(clf, src, tmp_path / "base.csv", chunk_size=CHUNK, progress=None)
    _interrupt(clf, monkeypatch, src, tmp_path / "out.csv", after=3)
    score_file(clf, src, tmp_path / "out.csv", chunk_size=333, workers=2, progress=None,
               resume=True)
    assert (tmp_path / "out.csv").read_bytes() == (tmp_path / "base.csv").read_bytes()


# --- what cannot be resumed -------------------------------------------------------------------


@pytest.fixture
def stopped(tmp_path, clf, monkeypatch) -> tuple[Path, Path, dict]:
    """An input and the output of a run of it interrupted after 5 chunks."""
    src = _write_csv(tmp_path / "in.csv", _short_posts(1000, seed=9))
    dst = tmp_path / "out.csv"
    state = _interrupt(clf, monkeypatch, src, dst, after=5)
    return src, dst, state


def _refused(clf, src: Path, dst: Path, match: str, **options) -> None:
    before = {p.name: p.read_bytes() for p in dst.parent.iterdir() if p.is_file()}
    with pytest.raises(BatchError, match=match):
        score_file(clf, src, dst, chunk_size=CHUNK, progress=None, resume=True, **options)
    after = {p.name: p.read_bytes() for p in dst.parent.iterdir() if p.is_file()}
    assert after == before, "a refused resume touches nothing"


def test_changed_input_is_refused(stopped, clf):
    src, dst, _ = stopped
    text = src.read_bytes()
    src.write_bytes(text + b"r-new,xin ch\xc3\xa0o,1\n")
    _refused(clf, src, dst, r"cannot resume .*the input changed .*size")
    src.write_bytes(text.replace(b"r1,", b"q1,", 1))  # same size, edited
    _refused(clf, src, dst, r"the input changed")
    os.utime(src, ns=(0, 0))
    _refused(clf, src, dst, r"the input changed since the interrupted run \(modified since\)")


@pytest.mark.parametrize("options", [
    {"evidence": "full"}, {"legal_basis": True}, {"excel": True}, {"encoding": "latin-1"},
    {"text_column": "group"}], ids=lambda o: next(iter(o)))
def test_changed_options_are_refused(stopped, clf, options):
    src, dst, _ = stopped
    _refused(clf, src, dst, r"cannot resume .* was .*, now .*without --resume to start over",
             **options)


def test_changed_model_thresholds_are_refused(stopped, clf):
    src, dst, _ = stopped
    other = copy.copy(clf)
    other._thresholds = {**clf.thresholds, "insult": 0.9}
    _refused(other, src, dst, r"the model differs")


def test_changed_code_is_refused(stopped, clf, monkeypatch):
    src, dst, _ = stopped
    monkeypatch.setattr(batch_resume, "code_fingerprint", lambda: "edited")
    _refused(clf, src, dst, r"vnmod itself changed")


def test_a_damaged_partial_is_refused(stopped, clf):
    src, dst, state = stopped
    partial = dst.parent / state["partial"]
    with open(partial, "r+b") as fh:
        fh.truncate(state["size"] - 10)
    _refused(clf, src, dst, r"partial output .* is shorter")


def test_without_resume_a_left_over_run_is_replaced_and_said(stopped, clf):
    src, dst, state = stopped
    notes: list[str] = []
    report = score_file(clf, src, dst, chunk_size=CHUNK, progress=None, notify=notes.append)
    assert report.resumed == 0 and report.rows == 1000
    assert len(notes) == 1 and notes[0].startswith("discarding the partial output")
    assert f"{state['rows']:,} rows done" in notes[0] and "--resume" in notes[0]
    assert _leftovers(dst.parent) == []
    base = dst.with_name("base.csv")
    score_file(clf, src, base, chunk_size=CHUNK, progress=None)
    assert dst.read_bytes() == base.read_bytes()


def test_resume_with_nothing_to_resume_starts_from_the_first_row(tmp_path, clf, capsys):
    src = _write_csv(tmp_path / "in.csv", _short_posts(300, seed=2))
    dst = tmp_path / "out.csv"
    assert main(["score", str(src), "-o", str(dst), "-q", "--workers", "1", "--resume"]) == 0
    err = capsys.readouterr().err
    assert "nothing to resume" in err and "no interrupted run" in err and "scored 300 rows" in err
    first = dst.read_bytes()
    # after completion there is nothing to resume either: the same output again
    assert main(["score", str(src), "-o", str(dst), "-q", "--workers", "1", "--resume"]) == 0
    assert "nothing to resume" in capsys.readouterr().err
    assert dst.read_bytes() == first and _leftovers(tmp_path) == []


@pytest.mark.parametrize("output", ["-", "fifo"])
def test_resume_to_stdout_or_a_fifo_is_a_clear_error(tmp_path, capsys, output):
    src = _write_csv(tmp_path / "in.csv", _short_posts(5))
    if output == "fifo":
        output = str(tmp_path / "pipe")
        os.mkfifo(output)
    assert main(["score", str(src), "-o", output, "--format", "csv", "-q", "--resume"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("vnmod score: error: --resume") and "cannot be resumed" in err
    assert err.count("\n") == 1


def test_a_failed_run_leaves_nothing_to_resume(tmp_path, clf, monkeypatch):
    src = _write_csv(tmp_path / "in.csv", _short_posts(1000, seed=4))
    with _stopping(clf, 4, ValueError("a bug")), \
            pytest.raises(ValueError, match="a bug"):
        score_file(clf, src, tmp_path / "out.csv", chunk_size=CHUNK, progress=None)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv"]


def test_a_run_in_progress_is_not_resumed_or_replaced_by_another(stopped, clf):
    import fcntl

    src, dst, state = stopped
    fd = os.open(dst.parent / state["partial"], os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # as the live run holds it
        for resume in (True, False):
            with pytest.raises(BatchError, match=r"another vnmod score run .* is writing"):
                score_file(clf, src, dst, chunk_size=CHUNK, progress=None, resume=resume)
    finally:
        os.close(fd)
    score_file(clf, src, dst, chunk_size=CHUNK, progress=None, resume=True)
    assert _leftovers(dst.parent) == []
