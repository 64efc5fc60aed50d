"""Batch input that loses nothing and output that harms nothing (issue #9, items 3 and 4).

Reader-level tests import :mod:`vnmod.batch_input` inside the test, so that the end-to-end
tests here also run (and fail) against a vnmod without it.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import glob
import io
import json
import os
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time
import unicodedata
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from _procs import assert_group_ends, default_signals, kill_group
from vnmod.batch import BatchError, defuse, score_file
from vnmod.cli import main

VIET = ["Nhận làm bằng đại học giả, lh 0912xxx888", "mày là thằng ngu",
        "chúc mừng năm mới, cả nhà đi du lịch Đà Lạt", "Tiếng Việt có dấu: ơ ư ă đ ê ô"]


def _read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8-sig", newline="") as fh:  # a BOM in, a BOM out
        return list(csv.DictReader(fh))


def _read_jsonl(path: Path) -> list[dict]:
    lines = path.read_text(encoding="utf-8").splitlines()  # as a careless consumer would
    assert lines == path.read_text(encoding="utf-8").split("\n")[:-1]
    return [json.loads(x) for x in lines]


def _temp_files(folder: Path) -> list[str]:
    return glob.glob(str(folder / ".*.tmp"))


@contextlib.contextmanager
def _umask(mask: int):
    old = os.umask(mask)
    try:
        yield
    finally:
        os.umask(old)


class _NoScoring:
    """A classifier that fails the test if anything gets scored."""

    def predict(self, texts):
        raise AssertionError("rows were scored before the output was checked")


# --- JSONL: every record becomes a row, in order ---------------------------------------------


def test_jsonl_lone_surrogate_is_a_marked_row_not_an_aborted_run(tmp_path, clf):
    src, dst = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_text('{"id": 1, "text": "a \\ud800"}\n{"id": 2, "text": "xin chào"}\n',
                   encoding="utf-8")
    score_file(clf, src, dst, progress=None)
    out = _read_jsonl(dst)
    assert [r["id"] for r in out] == [1, 2]
    assert out[0]["text"] == "a \ufffd" and "surrogate" in out[0]["status"]
    assert out[1]["status"] == "ok"


def test_jsonl_every_malformed_record_is_a_row_in_order(tmp_path, clf):
    lines = ['{"id": 1, "text": "chúc mừng năm mới"}',
             "{not json",
             "[1, 2]",
             '"just a string"',
             "42",
             "null",
             '{"id": 7, "text": 5}',
             '{"id": 8, "text": {"nested": "x"}}',
             "",
             "[" * 100_000 + "]" * 100_000,
             '{"id": 11, "text": "ok \\udc80 \\ud83d\\ude00"}',
             '{"id": 12, "text": "Nhận làm bằng đại học giả, lh 0912xxx888"}']
    src, dst = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = score_file(clf, src, dst, progress=None)
    out = _read_jsonl(dst)
    assert report.rows == len(out) == len(lines)
    status = [r["status"] for r in out]
    assert status[0] == "ok" and out[0]["id"] == 1
    assert status[1].startswith("invalid: line 2 is not valid JSON")
    assert out[1]["_raw"] == "{not json"
    assert status[2] == "invalid: line 3 is a JSON array, not an object"
    assert status[3] == "invalid: line 4 is a JSON string, not an object"
    assert status[4] == "invalid: line 5 is a JSON number, not an object"
    assert status[5] == "invalid: line 6 is a JSON null, not an object"
    assert status[6].startswith("invalid: expected text") and out[6]["id"] == 7
    assert status[7].startswith("invalid: expected text") and out[7]["id"] == 8
    assert status[8].startswith("missing") and "blank line" in status[8]
    assert status[9].startswith("invalid: line 10")
    assert out[10]["text"] == "ok \ufffd \U0001f600" and "surrogate" in status[10]
    assert out[11]["label"] == "illegal_ads" and status[11] == "ok"


# --- CSV: ragged rows and quoting ------------------------------------------------------------


def test_csv_extra_cells_are_kept_apart_not_shifted_into_results(tmp_path, clf):
    src, dst = tmp_path / "in.csv", tmp_path / "out.csv"
    src.write_text("id,text\n1,mày là thằng ngu,extra1,\"extra, 2\"\n2,xin chào\n",
                   encoding="utf-8")
    score_file(clf, src, dst, progress=None)
    rows = _read_csv(dst)
    assert [r["id"] for r in rows] == ["1", "2"]
    assert json.loads(rows[0]["_extra"]) == ["extra1", "extra, 2"]
    assert rows[0]["label"] == "insult"
    assert rows[0]["status"] == "ok; 4 cells for 2 columns: the extra cells are in _extra"
    assert rows[1]["_extra"] == "" and rows[1]["status"] == "ok"


def test_csv_extra_column_name_does_not_clobber_an_input_column(tmp_path, clf):
    src, dst = tmp_path / "in.csv", tmp_path / "out.csv"
    src.write_text("text,_extra\nxin chào,mine,more\n", encoding="utf-8")
    score_file(clf, src, dst, progress=None)
    row = _read_csv(dst)[0]
    assert row["_extra"] == "mine" and json.loads(row["vnmod__extra"]) == ["more"]


def test_csv_short_row_is_padded_and_says_so(tmp_path, clf):
    src, dst = tmp_path / "in.csv", tmp_path / "out.csv"
    src.write_text("id,text,note\n1,xin chào\n2,chúc mừng,n\n", encoding="utf-8")
    score_file(clf, src, dst, progress=None)
    rows = _read_csv(dst)
    assert rows[0]["note"] == ""
    assert rows[0]["status"] == "ok; 2 cells for 3 columns: padded with empty cells"
    assert rows[1]["status"] == "ok"


UNBALANCED = 'id,text\n1,một\n2,hai\n3,"ba mở ngoặc\n4,bốn\n5,năm\n6,sáu\n'


def test_csv_unbalanced_quote_loses_no_row_and_names_the_line(tmp_path, capsys):
    src, dst = tmp_path / "in.csv", tmp_path / "out.csv"
    src.write_text(UNBALANCED, encoding="utf-8")
    assert main(["score", str(src), "-o", str(dst), "-q", "--workers", "1"]) == 0
    err = capsys.readouterr().err
    assert "warning: CSV quoting error at line 4" in err
    rows = _read_csv(dst)
    assert [r["id"] for r in rows] == ["1", "2", "3", "4", "5", "6"]
    assert rows[2]["text"] == "ba mở ngoặc"
    assert "CSV quoting error at line 4" in rows[2]["status"]
    assert [r["status"] for r in rows if r["id"] != "3"] == ["ok"] * 5


def test_csv_quote_followed_by_text_is_recovered_and_reading_resumes(tmp_path, clf):
    src, dst = tmp_path / "in.csv", tmp_path / "out.csv"
    src.write_text('id,text\n1,"abc"def\n2,"dòng một\ndòng hai"\n3,xin chào\n',
                   encoding="utf-8")
    score_file(clf, src, dst, progress=None)
    rows = _read_csv(dst)
    assert [r["id"] for r in rows] == ["1", "2", "3"]
    assert "CSV quoting error at line 2" in rows[0]["status"]
    assert rows[1]["text"] == "dòng một\ndòng hai" and rows[1]["status"] == "ok"


def test_csv_quoted_field_over_the_line_limit_is_a_quoting_error():
    from vnmod.batch_input import read_csv_records

    text = 'id,text\n1,"opens\n' + "".join(f"{i},plain\n" for i in range(2, 9)) + '9,end"\n'
    rows = list(read_csv_records(io.StringIO(text, newline=""), max_record_lines=5))
    assert [r.values[0] for r in rows] == ["id", "1", *[str(i) for i in range(2, 10)]]
    assert "runs over 5 lines" in rows[1].problems[0]
    assert rows[1].line == 2 and all(not r.problems for r in rows[2:])
    within = list(read_csv_records(io.StringIO(text, newline=""), max_record_lines=20))
    assert len(within) == 2 and within[1].values[1].count("\n") == 8


def test_csv_header_with_an_open_quote_stops_before_writing(tmp_path, clf):
    src, dst = tmp_path / "in.csv", tmp_path / "out.csv"
    src.write_text('id,"text\n1,a\n', encoding="utf-8")
    with pytest.raises(BatchError, match="header row: CSV quoting error at line 1"):
        score_file(clf, src, dst, progress=None)
    assert list(tmp_path.iterdir()) == [src]


# --- encodings -------------------------------------------------------------------------------

_TONES = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}


def _cp1258(text: str) -> bytes:
    """Vietnamese as Windows-1258 writes it: base letters precomposed, tone marks combining."""
    out: list[str] = []
    for ch in unicodedata.normalize("NFD", text):
        if unicodedata.combining(ch) and ch not in _TONES:
            out[-1] = unicodedata.normalize("NFC", out[-1][0] + ch) + out[-1][1:]
        elif ch in _TONES:
            out[-1] += ch
        else:
            out.append(ch)
    return "".join(out).encode("cp1258")


def _viet_csv() -> str:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["id", "text"])
    w.writerows(enumerate(VIET * 3, 1))
    return out.getvalue()


def test_cp1258_file_stops_naming_it_then_reads_with_encoding(tmp_path, capsys):
    src, dst = tmp_path / "in.csv", tmp_path / "out.csv"
    src.write_bytes(_cp1258(_viet_csv()))
    assert main(["score", str(src), "-o", str(dst), "-q"]) == 2
    err = capsys.readouterr().err
    assert "not UTF-8" in err and "cp1258" in err and "--encoding" in err
    assert err.count("\n") == 1 and not dst.exists()
    assert main(["score", str(src), "-o", str(dst), "-q", "--encoding", "cp1258"]) == 0
    assert "read as cp1258" in capsys.readouterr().err
    rows = _read_csv(dst)
    assert [unicodedata.normalize("NFC", r["text"]) for r in rows] == VIET * 3
    assert [r["label"] for r in rows[:2]] == ["illegal_ads", "insult"]
    assert all(r["status"] == "ok" for r in rows)


def test_latin1_file_stops_instead_of_coming_out_mangled(tmp_path, clf, capsys):
    src, dst = tmp_path / "in.csv", tmp_path / "out.csv"
    src.write_bytes("id,text\n1,café crème\n".encode("latin-1"))
    assert main(["score", str(src), "-o", str(dst), "-q"]) == 2
    err = capsys.readouterr().err
    assert "not UTF-8" in err and "--encoding" in err and not dst.exists()
    score_file(clf, src, dst, encoding="latin-1", progress=None)
    row = _read_csv(dst)[0]
    assert row["text"] == "café crème" and row["status"] == "ok" and row["label"] == "clean"


@pytest.mark.parametrize("codec", ["utf-8-sig", "utf-16", "utf-16-be-bom", "utf-32"])
def test_byte_order_marks_are_honoured(tmp_path, clf, codec):
    src, dst = tmp_path / "in.csv", tmp_path / "out.csv"
    text = _viet_csv()
    data = (codecs.BOM_UTF16_BE + text.encode("utf-16-be") if codec == "utf-16-be-bom"
            else text.encode(codec))
    src.write_bytes(data)
    score_file(clf, src, dst, progress=None)
    assert dst.read_bytes().startswith(codecs.BOM_UTF8 + b"id,text,")
    rows = _read_csv(dst)
    assert list(rows[0])[:2] == ["id", "text"]
    assert [r["text"] for r in rows] == VIET * 3 and all(r["status"] == "ok" for r in rows)


def test_utf16_without_bom_stops_naming_the_encoding(tmp_path, clf):
    src, dst = tmp_path / "in.csv", tmp_path / "out.csv"
    src.write_bytes(_viet_csv().encode("utf-16-le"))
    with pytest.raises(BatchError, match=r"not UTF-8 .*NUL.*utf_16_le.*--encoding"):
        score_file(clf, src, dst, progress=None)
    assert not dst.exists()
    score_file(clf, src, dst, encoding="utf-16-le", progress=None)
    assert [r["text"] for r in _read_csv(dst)] == VIET * 3


def test_stray_bytes_in_a_utf8_file_are_still_tolerated(tmp_path, clf):
    src, dst = tmp_path / "in.csv", tmp_path / "out.csv"
    src.write_bytes(_viet_csv().encode("utf-8") + b"99,b\xe1n h\xffng\n")
    score_file(clf, src, dst, progress=None)
    rows = _read_csv(dst)
    assert rows[-1]["text"] == "b\ufffdn h\ufffdng"
    assert rows[-1]["status"] == "ok; invalid UTF-8 bytes replaced"


def test_unknown_encoding_name_is_a_clean_error(tmp_path, clf):
    src = tmp_path / "in.csv"
    src.write_text("text\nxin chào\n", encoding="utf-8")
    with pytest.raises(BatchError, match="unknown text encoding 'klingon'"):
        score_file(clf, src, tmp_path / "o.csv", encoding="klingon", progress=None)


# --- output paths ----------------------------------------------------------------------------


def _posts(tmp_path: Path) -> Path:
    src = tmp_path / "in.csv"
    src.write_text("id,text\n1,xin chào\n2,mày là thằng ngu\n", encoding="utf-8")
    return src


def test_output_symlink_is_refused_and_its_target_untouched(tmp_path, capsys):
    src = _posts(tmp_path)
    target, link = tmp_path / "kept.csv", tmp_path / "link.csv"
    target.write_text("precious\n", encoding="utf-8")
    link.symlink_to(target)
    assert main(["score", str(src), "-o", str(link), "-q"]) == 2
    err = capsys.readouterr().err
    assert "symbolic link" in err and err.count("\n") == 1
    assert link.is_symlink() and target.read_text(encoding="utf-8") == "precious\n"


def test_output_fifo_is_written_through_not_replaced(tmp_path, clf):
    src, fifo = _posts(tmp_path), tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()), daemon=True)
    reader.start()
    try:
        score_file(clf, src, fifo, fmt="csv", progress=None)
    finally:
        reader.join(10)
        if reader.is_alive():  # the writer never opened the FIFO: unblock the waiting reader
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))  # (never blocks the test)
            reader.join(10)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    rows = list(csv.DictReader(io.StringIO(got[0].decode("utf-8"))))
    assert [r["id"] for r in rows] == ["1", "2"]


def test_output_dash_is_stdout(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    src = _posts(tmp_path)
    assert main(["score", str(src), "-o", "-", "-q", "--workers", "1"]) == 0
    out = capsys.readouterr().out
    assert [r["id"] for r in csv.DictReader(io.StringIO(out))] == ["1", "2"]
    assert not (tmp_path / "-").exists()


@pytest.mark.parametrize("mask", [0o022, 0o027, 0o002])
def test_new_output_file_mode_follows_the_umask(tmp_path, clf, mask):
    src, dst = _posts(tmp_path), tmp_path / "out.csv"
    with _umask(mask):
        score_file(clf, src, dst, progress=None)
    assert stat.S_IMODE(dst.stat().st_mode) == 0o666 & ~mask


def test_replaced_output_file_keeps_its_mode(tmp_path, clf):
    src, dst = _posts(tmp_path), tmp_path / "out.csv"
    dst.write_text("old\n", encoding="utf-8")
    dst.chmod(0o640)
    with _umask(0o022):
        score_file(clf, src, dst, progress=None)
    assert stat.S_IMODE(dst.stat().st_mode) == 0o640 and "old" not in dst.read_text()


@pytest.mark.parametrize("where", ["folder", "under_a_file"])
def test_bad_destination_is_refused_before_scoring(tmp_path, where):
    src = _posts(tmp_path)
    dst = tmp_path if where == "folder" else src / "out.csv"
    with pytest.raises(BatchError, match=r"is a folder|is not a folder"):
        score_file(_NoScoring(), src, dst, progress=None)
    assert _temp_files(tmp_path) == []


@pytest.mark.parametrize("where", ["folder", "under_a_file", "read_only"])
def test_bad_destination_is_one_line_exit_2(tmp_path, capsys, monkeypatch, where):
    src = _posts(tmp_path)
    if where == "read_only":
        locked = tmp_path / "locked"
        locked.mkdir()
        locked.chmod(0o555)
        dst = locked / "out.csv"
        if os.geteuid() == 0:  # root may write anyway: say the folder is read-only as a user
            real_access = os.access
            monkeypatch.setattr(os, "access", lambda p, mode, **kw: Path(p) != locked
                                and real_access(p, mode, **kw))
    else:
        dst = tmp_path if where == "folder" else src / "out.csv"
    assert main(["score", str(src), "-o", str(dst), "-q", "--workers", "1"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("vnmod score: error: ") and err.count("\n") == 1
    assert "Traceback" not in err


def test_output_that_is_the_input_through_a_hard_link_is_refused(tmp_path, clf):
    src = _posts(tmp_path)
    os.link(src, tmp_path / "same.csv")
    with pytest.raises(BatchError, match="refusing to overwrite the input"):
        score_file(clf, src, tmp_path / "same.csv", progress=None)


def test_regular_file_in_dev_shm_is_replaced_not_appended_to(clf):
    if not os.path.isdir("/dev/shm") or not os.access("/dev/shm", os.W_OK):
        pytest.skip("no writable /dev/shm")
    folder = Path(tempfile.mkdtemp(dir="/dev/shm"))
    try:
        src, dst = _posts(folder), folder / "out.csv"
        dst.write_text("old content\n", encoding="utf-8")
        inode = dst.stat().st_ino
        score_file(clf, src, dst, progress=None)
        text = dst.read_text(encoding="utf-8")
        assert "old content" not in text and text.startswith("id,text,")
        assert [r["id"] for r in _read_csv(dst)] == ["1", "2"]
        assert dst.stat().st_ino != inode, "replaced by a rename, not rewritten in place"
        assert _temp_files(folder) == []
    finally:
        for f in folder.iterdir():
            f.unlink()
        folder.rmdir()


def test_dev_stdout_redirected_to_a_file_is_written_through(tmp_path):
    src, dst = _posts(tmp_path), tmp_path / "out.csv"
    with open(dst, "w", encoding="utf-8") as out:
        out.write("kept\n")
        out.flush()
        proc = subprocess.run(
            [sys.executable, "-m", "vnmod.cli", "score", str(src), "-o", "/dev/stdout", "-q",
             "--format", "csv", "--workers", "1"],
            stdout=out, stderr=subprocess.PIPE, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    lines = dst.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "kept" and lines[1].startswith("id,text,") and len(lines) == 4


class _DiesInWorker:
    """A classifier whose worker process is killed (as the OOM killer would) mid-run."""

    def predict(self, texts):
        os.kill(os.getpid(), signal.SIGKILL)


@pytest.mark.skipif("fork" not in __import__("multiprocessing").get_all_start_methods(),
                    reason="workers are forked")
def test_a_worker_that_dies_is_an_error_not_a_hang(tmp_path):
    src, dst = _posts(tmp_path), tmp_path / "out.csv"
    dst.write_text("previous run\n", encoding="utf-8")
    started = time.monotonic()
    with pytest.raises(ChildProcessError, match="killed by SIGKILL"):
        score_file(_DiesInWorker(), src, dst, workers=2, chunk_size=1, progress=None)
    assert time.monotonic() - started < 30
    assert dst.read_text(encoding="utf-8") == "previous run\n"
    assert _temp_files(tmp_path) == []
    import multiprocessing

    assert multiprocessing.active_children() == [], "every worker is reaped"


# --- signals ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("signum", "workers", "code"), [
    (signal.SIGTERM, 1, -signal.SIGTERM),
    (signal.SIGHUP, 2, -signal.SIGHUP),
    (signal.SIGINT, 2, 130),  # cmd_score's exit code; Python's own would be -SIGINT
])
def test_signal_midway_leaves_no_temp_file_and_the_old_output(tmp_path, signum, workers, code):
    src, dst = tmp_path / "in.csv", tmp_path / "out.csv"
    with open(src, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "text"])
        for i in range(6000):
            w.writerow([i, f"bài {i}: {VIET[i % len(VIET)]} " * 3])
    dst.write_text("previous run\n", encoding="utf-8")
    proc = subprocess.Popen(
        [sys.executable, "-m", "vnmod.cli", "score", str(src), "-o", str(dst), "-q",
         "--workers", str(workers), "--chunk-size", "50"],
        start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        # as from a terminal: under nohup or `cmd &` the test runner inherits SIGHUP/SIGINT
        # ignored, and vnmod rightly leaves an ignored signal ignored
        preexec_fn=default_signals)
    try:
        deadline = time.time() + 60
        while not _temp_files(tmp_path) and proc.poll() is None and time.time() < deadline:
            time.sleep(0.02)
        assert _temp_files(tmp_path), "the run never started writing"
        time.sleep(0.3)
        assert proc.poll() is None, "the run ended before the signal"
        os.killpg(proc.pid, signum)  # as a terminal or a service manager does
        assert proc.wait(30) == code
        assert_group_ends(proc.pid, 5)
    finally:
        kill_group(proc)
        proc.stderr.close()
    assert _temp_files(tmp_path) == []
    assert dst.read_text(encoding="utf-8") == "previous run\n"


# --- properties ------------------------------------------------------------------------------

_CSVISH = st.lists(st.sampled_from(['"', ",", "\n", "\r", "a", "ă", "\ufeff", "\x00", "\\",
                                    "{", "}", ":", "text", "\xff"]), max_size=60).map("".join)
_JSONISH = st.lists(st.sampled_from(['{"text": "', '"}', "\\ud800", "\\udc80", "\\u00e9", "\n",
                                     "a", "[", "{", '"', ":", ",", "1e999", "null"]),
                    max_size=40).map("".join)
_ANY_CHAR = st.one_of(  # lone surrogates often, which a uniform draw almost never gives
    st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF, blacklist_categories=()),
    st.characters())


def _any_text(max_size: int) -> st.SearchStrategy[str]:
    return st.lists(_ANY_CHAR, max_size=max_size).map("".join)  # st.text drops surrogates


_RECORD = st.dictionaries(st.sampled_from(["text", "id", "_raw"]),
                          st.one_of(_any_text(8), st.integers(), st.none()))
_RECORDS = st.lists(st.one_of(_RECORD.map(json.dumps), _JSONISH), max_size=6).map("\n".join)
_BYTES = st.one_of(
    st.binary(max_size=300),
    _JSONISH.map(lambda s: s.encode("utf-8")),
    _RECORDS.map(lambda s: s.encode("utf-8")),
    st.text(max_size=200).map(lambda s: s.encode("utf-8")),
    _CSVISH.map(lambda s: ("id,text\n" + s).encode("utf-8")),
    _CSVISH.map(lambda s: s.encode("utf-8")),
    st.tuples(_CSVISH, st.binary(max_size=8)).map(lambda p: b"text\n" + p[0].encode() + p[1]),
)


def _all_strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for v in value:
            yield from _all_strings(v)
    elif isinstance(value, dict):
        for k, v in value.items():
            yield k
            yield from _all_strings(v)


def _read_all(path: Path, kind: str) -> list:
    from vnmod.batch_input import DecodedInput, read_csv_table, read_jsonl

    with DecodedInput(path, newline="" if kind == "csv" else "\n") as inp:
        if kind == "csv":
            table = read_csv_table(inp)
            return [table.header, *table.rows]
        return list(read_jsonl(inp))


@pytest.mark.parametrize("kind", ["csv", "jsonl"])
@settings(max_examples=100, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=_BYTES)
def test_any_bytes_read_as_rows_with_statuses_or_a_batch_error(kind, data):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"in.{kind}"
        path.write_bytes(data)
        try:
            got = _read_all(path, kind)
        except BatchError as exc:
            assert "\n" not in str(exc)
            return
    rows = got[1:] if kind == "csv" else got
    lines = [r.line for r in rows]
    assert lines == sorted(set(lines)), "rows come in file order, each once"
    for row in rows:
        assert isinstance(row.problems, list)
        for s in _all_strings([row.values, row.extra, row.problems, row.invalid or ""]):
            s.encode("utf-8")  # no lone surrogate is left to break the output


@pytest.mark.parametrize("kind", ["csv", "jsonl"])
@settings(max_examples=50, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=_BYTES)
def test_any_bytes_score_to_one_output_row_per_record_or_a_batch_error(clf, kind, data):
    with tempfile.TemporaryDirectory() as folder:
        src, dst = Path(folder) / f"in.{kind}", Path(folder) / f"out.{kind}"
        src.write_bytes(data)
        try:
            report = score_file(clf, src, dst, text_column="text", progress=None)
        except BatchError:
            assert sorted(os.listdir(folder)) == [src.name]
            return
        if kind == "csv":
            assert report.rows == len(_read_csv(dst))
        else:
            assert report.rows == len(_read_jsonl(dst))
        # The output and its provenance, nothing else (no partial, no checkpoint).
        assert sorted(os.listdir(folder)) == sorted([src.name, dst.name,
                                                     dst.name + ".provenance.json"])


_CELL = st.text(alphabet=st.characters(blacklist_characters="\x00",
                                       blacklist_categories=("Cs",)), max_size=40)
_TABLE = st.lists(st.lists(_CELL, min_size=3, max_size=3), max_size=20)


def _write_table(path: Path, rows: list[list[str]]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "text", "note"])
        w.writerows(rows)


@settings(max_examples=100, deadline=None)
@given(rows=_TABLE)
def test_csv_written_by_the_csv_module_reads_back_unchanged(rows):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "in.csv"
        _write_table(path, rows)
        header, *got = _read_all(path, "csv")
    assert header == ["id", "text", "note"]
    assert [r.values for r in got] == rows
    assert all(r.problems == [] and r.extra == [] for r in got)


@settings(max_examples=50, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=_TABLE)
def test_csv_scored_keeps_every_row_and_cell_in_order(clf, rows):
    with tempfile.TemporaryDirectory() as folder:
        src, dst = Path(folder) / "in.csv", Path(folder) / "out.csv"
        _write_table(src, rows)
        score_file(clf, src, dst, progress=None, chunk_size=7)
        with open(dst, encoding="utf-8", newline="") as fh:
            out = list(csv.reader(fh))[1:]
    assert [r[:3] for r in out] == [[defuse(c) for c in row] for row in rows]


@settings(max_examples=50, deadline=None)
@given(texts=st.lists(_any_text(30), max_size=20))
def test_jsonl_written_by_json_reads_back_with_lone_surrogates_replaced(texts):
    from vnmod.batch_input import replace_surrogates

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "in.jsonl"
        path.write_text("".join(json.dumps({"id": i, "text": t}) + "\n"
                                for i, t in enumerate(texts)), encoding="utf-8")
        got = _read_all(path, "jsonl")
    def as_json_reads_it(t: str) -> str:  # a high and a low surrogate escape make a pair
        return t.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")

    assert [r.values for r in got] == [{"id": i, "text": replace_surrogates(as_json_reads_it(t))[0]}
                                       for i, t in enumerate(texts)]
