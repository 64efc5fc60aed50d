import csv
import gc
import json

import pytest

from vnmod.batch import BatchError, _jobs, defuse, score_file
from vnmod.taxonomy import CATEGORIES

NASTY_ROWS = [
    ["1", "Nhận làm bằng đại học giả, lh 0912xxx888", "a"],
    ["2", "", "empty cell"],
    ["3", "nan", "the string nan is text"],
    ["4", "dòng một\ndòng hai, \"trích dẫn\" và dấu phẩy", "newline and quotes"],
    ["5", "=HYPERLINK(\"http://evil\")", "formula in the text"],
    ["6", "x" * 50_000, "very long"],
    ["7", "mày là thằng ngu", "@mention-like column"],
]


def _write_nasty_csv(path, bom=True):
    with open(path, "w", encoding="utf-8-sig" if bom else "utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "text", "note"])
        w.writerows(NASTY_ROWS)
    # Append a row with invalid UTF-8 bytes and a short (ragged) row.
    with open(path, "ab") as fh:
        fh.write(b'8,"b\xe1n h\xffng gi\xe1 r\xe1\xbb",bad bytes\r\n')
        fh.write(b"9\r\n")


def _read(path):
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.mark.parametrize("bom", [True, False])
def test_csv_keeps_rows_order_and_columns(tmp_path, clf, bom):
    src, dst = tmp_path / "in.csv", tmp_path / "out.csv"
    _write_nasty_csv(src, bom=bom)
    report = score_file(clf, src, dst, progress=None, chunk_size=3, evidence="full")
    rows = _read(dst)
    assert report.rows == len(rows) == 9
    assert [r["id"] for r in rows] == [str(i) for i in range(1, 10)]
    assert list(rows[0])[:3] == ["id", "text", "note"]
    for c in CATEGORIES:
        assert f"score_{c}" in rows[0]
    by_id = {r["id"]: r for r in rows}
    assert by_id["1"]["label"] == "illegal_ads"
    ev = json.loads(by_id["1"]["evidence"])
    assert ev and all(NASTY_ROWS[0][1][e["start"]:e["end"]] == e["text"] for e in ev)
    assert by_id["2"]["status"] == "empty" and by_id["2"]["label"] == "clean"
    assert by_id["3"]["status"] == "ok"
    assert by_id["4"]["text"] == NASTY_ROWS[3][1]
    assert by_id["5"]["text"].startswith("'="), "formula cells are defused"
    assert len(by_id["6"]["text"]) == 50_000 and by_id["6"]["status"] == "ok"
    assert "\ufffd" in by_id["8"]["text"] and "invalid UTF-8" in by_id["8"]["status"]
    assert by_id["9"]["status"] == "missing; 1 cell for 3 columns: padded with empty cells"
    assert by_id["9"]["text"] == ""


def test_written_cells_never_start_a_formula(tmp_path, clf):
    src, dst = tmp_path / "in.csv", tmp_path / "out.csv"
    _write_nasty_csv(src)
    with open(dst.parent / "in.csv", "a", encoding="utf-8") as fh:
        fh.write('10,"-bán gấp","+84 máy"\n11,"@admin ơi","-12.5"\n')
    score_file(clf, src, dst, progress=None)
    with open(dst, encoding="utf-8", newline="") as fh:
        cells = [c for row in csv.reader(fh) for c in row]
    risky = [c for c in cells if c.startswith(("=", "+", "@", "-")) and c != "-12.5"]
    assert risky == []
    assert "-12.5" in cells, "plain negative numbers are left alone"


def test_text_column_guessed_or_error_lists_columns(tmp_path, clf):
    src = tmp_path / "in.csv"
    src.write_text("id,noidung_bai\n1,xin chào\n", encoding="utf-8")
    with pytest.raises(BatchError, match=r"columns \['id', 'noidung_bai'\].*--text-column"):
        score_file(clf, src, tmp_path / "o.csv", progress=None)
    score_file(clf, src, tmp_path / "o.csv", text_column="noidung_bai", progress=None)
    assert _read(tmp_path / "o.csv")[0]["status"] == "ok"


def test_refuses_to_overwrite_input(tmp_path, clf):
    src = tmp_path / "in.csv"
    src.write_text("text\nxin chào\n", encoding="utf-8")
    with pytest.raises(BatchError, match="refusing to overwrite"):
        score_file(clf, src, src, progress=None)
    assert src.read_text(encoding="utf-8") == "text\nxin chào\n"


def test_failed_run_leaves_no_partial_output(tmp_path, clf):
    src, dst = tmp_path / "in.csv", tmp_path / "out.csv"
    src.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(BatchError):
        score_file(clf, src, dst, progress=None)
    assert list(tmp_path.iterdir()) == [src]


def test_existing_output_columns_are_not_clobbered(tmp_path, clf):
    src, dst = tmp_path / "in.csv", tmp_path / "out.csv"
    src.write_text("text,label\nxin chào,mine\n", encoding="utf-8")
    score_file(clf, src, dst, progress=None)
    row = _read(dst)[0]
    assert row["label"] == "mine" and row["vnmod_label"] == "clean"


def test_jsonl_keeps_records_and_marks_bad_lines(tmp_path, clf):
    src, dst = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    lines = [json.dumps({"id": 1, "content": "Nhận làm bằng đại học giả, lh 0912xxx888"},
                        ensure_ascii=False),
             "{not json",
             json.dumps({"id": 3, "content": None}),
             json.dumps({"id": 4, "content": "chúc mừng năm mới"}, ensure_ascii=False)]
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    score_file(clf, src, dst, progress=None)
    out = [json.loads(x) for x in dst.read_text(encoding="utf-8").splitlines()]
    assert len(out) == 4
    assert out[0]["id"] == 1 and out[0]["label"] == "illegal_ads"
    assert out[1]["_raw"] == "{not json" and out[1]["status"].startswith("invalid:")
    assert out[2]["status"] == "missing"
    assert out[3]["label"] == "clean" and out[3]["status"] == "ok"


@pytest.mark.parametrize(("cell", "expected"), [
    ("=1+1", "'=1+1"), ("+84 912", "'+84 912"), ("+84", "+84"), ("@x", "'@x"), ("-5", "-5"),
    ("ok", "ok"),
])
def test_defuse(cell, expected):
    assert defuse(cell) == expected


def test_two_workers_write_the_same_file_as_one(tmp_path, clf):
    src = tmp_path / "in.csv"
    _write_nasty_csv(src)
    score_file(clf, src, tmp_path / "one.csv", progress=None, chunk_size=2)
    score_file(clf, src, tmp_path / "two.csv", progress=None, chunk_size=2, workers=2)
    assert (tmp_path / "one.csv").read_bytes() == (tmp_path / "two.csv").read_bytes()


@pytest.mark.parametrize(("rows", "workers", "sizes", "read"), [
    (23, 2, [10, 10, 1, 1, 1], [1, 2, 3, 3, 3]),  # 3 rows left: pieces of ceil(3 / 8)
    (20, 2, [10, 2, 2, 2, 2, 2], [1, 2, 2, 2, 2, 2]),  # a last full chunk is cut too
    (23, 1, [10, 10, 3], [1, 2, 3]),  # one worker has no one to share the end with
    (0, 2, [], []),
])
def test_the_last_chunk_goes_to_the_workers_in_pieces(rows, workers, sizes, read):
    calls = iter(range(1, 100))  # how much of the input was read: once per full chunk
    jobs = list(_jobs(iter(range(rows)), 10, workers, lambda: next(calls)))
    assert [len(chunk) for chunk, _ in jobs] == sizes
    assert [r for chunk, _ in jobs for r in chunk] == list(range(rows))
    # each job carries what was read when its chunk was full, not after the one read ahead
    assert [done for _, done in jobs] == read


@pytest.mark.parametrize(("workers", "pulled"), [(1, [10, 20, 23]), (2, [20, 23, 23, 23, 23])])
def test_one_worker_reads_no_chunk_ahead(workers, pulled):
    # One worker has no end to share, so each chunk goes out before the next is read.
    seen = []

    def rows():
        for i in range(23):
            seen.append(i)
            yield i

    at = [len(seen) for _ in _jobs(rows(), 10, workers, lambda: 0)]
    assert at == pulled


@pytest.mark.parametrize("workers", [1, 2])
def test_a_run_gives_the_garbage_collector_its_settings_back(tmp_path, clf, workers):
    src = tmp_path / "in.csv"
    _write_nasty_csv(src)
    before = gc.get_threshold()
    assert gc.get_freeze_count() == 0
    seen = []
    real = clf.predict

    def predict(texts):  # in this process (one worker): what scoring runs under
        seen.append((gc.get_threshold()[0], gc.get_freeze_count() > 0))
        return real(texts)

    clf.predict = predict
    try:
        score_file(clf, src, tmp_path / "out.csv", progress=None, chunk_size=3, workers=workers)
        with pytest.raises(BatchError):  # and after a failed run too
            score_file(clf, tmp_path / "missing.csv", tmp_path / "x.csv", progress=None,
                       workers=workers)
    finally:
        del clf.predict
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0
    if workers == 1:
        assert seen and all(t > before[0] and frozen for t, frozen in seen)
    gc.freeze()  # a caller's own freeze is left as it was
    try:
        score_file(clf, src, tmp_path / "again.csv", progress=None, workers=workers)
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


def test_progress_shows_the_final_count_and_ends_the_line(tmp_path, clf):
    import io

    src = tmp_path / "in.csv"
    _write_nasty_csv(src)
    out = io.StringIO()
    score_file(clf, src, tmp_path / "out.csv", progress=out, force_progress=True,
               chunk_size=100)
    text = out.getvalue()
    assert text.endswith("\n") and text.count("\n") == 1
    assert text.rstrip("\n").split("\r")[-1].startswith("vnmod score: 100%")
    assert " 9/9 " in text.split("\r")[-1]
