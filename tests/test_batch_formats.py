"""``vnmod score`` writes the format asked for (#10 item 3): any input format to any output
format, real lists in JSONL and Parquet, a short reason, the legal basis, Excel's BOM, and a
tqdm progress bar that only a terminal sees."""

import codecs
import csv
import io
import json
import sys

import pytest

from vnmod.batch import BatchError, score_file
from vnmod.cli import main
from vnmod.taxonomy import CATEGORIES

ADS = "Nhận làm bằng đại học giả, lh 0912xxx888"
INSULT = "mày là thằng ngu"
CLEAN = "chúc mừng năm mới, cả nhà đi du lịch Đà Lạt"
POSTS = [ADS, INSULT, CLEAN, "đm thằng l0n này", "Tiếng Việt có dấu: ơ ư ă đ ê ô"]


def _csv_input(path, n=10, bom=False):
    with open(path, "w", encoding="utf-8-sig" if bom else "utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "text", "note"])
        for i in range(n):
            w.writerow([i, POSTS[i % len(POSTS)], f"n{i}"])
    return path


def _jsonl_input(path, n=10):
    lines = [json.dumps({"id": i, "content": POSTS[i % len(POSTS)], "tags": ["a", i]},
                        ensure_ascii=False) for i in range(n)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _read_csv(path):
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def _read_jsonl(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


class _Terminal(io.StringIO):
    def isatty(self):
        return True


# --- format by extension, any input to any output ------------------------------------------


def test_jsonl_input_to_csv_output_by_extension(tmp_path, clf):
    src, dst = _jsonl_input(tmp_path / "in.jsonl"), tmp_path / "out.csv"
    report = score_file(clf, src, dst, progress=None)
    rows = _read_csv(dst)
    assert report.rows == len(rows) == 10 and report.output_format == "csv"
    assert list(rows[0])[:4] == ["id", "content", "tags", "_extra"]
    assert [r["id"] for r in rows] == [str(i) for i in range(10)]
    assert json.loads(rows[0]["tags"]) == ["a", 0]
    assert rows[0]["label"] == "illegal_ads" and rows[1]["label"] == "insult"
    assert rows[2]["labels"] == ""
    assert not dst.read_text(encoding="utf-8").startswith("{")


def test_jsonl_keys_first_seen_late_go_to_extra_in_csv(tmp_path, clf):
    src, dst = tmp_path / "in.jsonl", tmp_path / "out.csv"
    records = [{"id": i, "text": CLEAN} for i in range(1500)] + [{"id": 1500, "text": CLEAN,
                                                                   "late": "kept"}]
    src.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n",
                   encoding="utf-8")
    score_file(clf, src, dst, progress=None)
    rows = _read_csv(dst)
    assert len(rows) == 1501 and "late" not in rows[0]
    assert json.loads(rows[-1]["_extra"]) == {"late": "kept"} and rows[0]["_extra"] == ""


def test_csv_input_to_jsonl_output_by_extension(tmp_path, clf):
    src, dst = _csv_input(tmp_path / "in.csv"), tmp_path / "out.jsonl"
    score_file(clf, src, dst, progress=None)
    out = _read_jsonl(dst)
    assert len(out) == 10 and [r["id"] for r in out] == [str(i) for i in range(10)]
    assert out[0]["text"] == ADS and out[0]["note"] == "n0"
    assert out[0]["label"] == "illegal_ads"


def test_jsonl_carries_real_lists_numbers_and_objects(tmp_path, clf):
    src, dst = _csv_input(tmp_path / "in.csv"), tmp_path / "out.jsonl"
    score_file(clf, src, dst, progress=None)
    ads, insult, clean = _read_jsonl(dst)[:3]
    assert ads["labels"] == ["illegal_ads"] and clean["labels"] == []
    assert all(isinstance(ads[f"score_{c}"], float) for c in CATEGORIES)
    assert isinstance(ads["evidence"], list) and ads["evidence"]
    for e in ads["evidence"]:
        assert isinstance(e, dict) and ADS[e["start"]:e["end"]] == e["text"]
    assert insult["reason"].startswith("insult: ")


def test_csv_overflow_cells_are_a_list_in_jsonl(tmp_path, clf):
    src, dst = tmp_path / "in.csv", tmp_path / "out.jsonl"
    src.write_text(f"id,text\n1,{INSULT},x,y\n2,{POSTS[4]}\n", encoding="utf-8")
    score_file(clf, src, dst, progress=None)
    out = _read_jsonl(dst)
    assert out[0]["_extra"] == ["x", "y"] and "_extra" not in out[1]
    assert "extra cells" in out[0]["status"]


def test_format_overrides_the_extension(tmp_path, clf, capsys):
    src, dst = _csv_input(tmp_path / "in.csv"), tmp_path / "out.csv"
    assert main(["score", str(src), "-o", str(dst), "--format", "jsonl", "-q"]) == 0
    assert [r["id"] for r in _read_jsonl(dst)] == [str(i) for i in range(10)]
    odd = tmp_path / "scored.data"
    with pytest.raises(BatchError, match="--format"):
        score_file(clf, src, odd, progress=None)
    score_file(clf, src, odd, fmt="csv", progress=None)
    assert len(_read_csv(odd)) == 10


def test_stdout_gets_the_input_format_unless_told(tmp_path, capsys):
    src = _jsonl_input(tmp_path / "in.jsonl", n=3)
    assert main(["score", str(src), "-o", "-", "-q"]) == 0
    assert [json.loads(x)["id"] for x in capsys.readouterr().out.splitlines()] == [0, 1, 2]
    assert main(["score", str(src), "-o", "-", "-q", "--format", "csv"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("id,content,tags,_extra,label,")


# --- Parquet --------------------------------------------------------------------------------


def test_parquet_round_trip_keeps_rows_columns_and_types(tmp_path, clf):
    pa = pytest.importorskip("pyarrow", reason="pyarrow (the parquet extra) is not installed")
    pq = pytest.importorskip("pyarrow.parquet")
    src = _csv_input(tmp_path / "in.csv", n=25)
    first, second = tmp_path / "one.parquet", tmp_path / "two.parquet"
    score_file(clf, src, first, progress=None, chunk_size=4)
    table = pq.read_table(first)
    rows = table.to_pylist()
    assert [r["id"] for r in rows] == [str(i) for i in range(25)]
    assert rows[0]["labels"] == ["illegal_ads"] and rows[2]["labels"] == []
    assert table.schema.field("score_insult").type == pa.float64()
    assert rows[0]["evidence"] and all(ADS[e["start"]:e["end"]] == e["text"]
                                       for e in rows[0]["evidence"])
    assert pq.ParquetFile(first).metadata.num_row_groups == 7  # one per chunk, streamed
    # Parquet in: every column kept with its type, results prefixed as they are taken
    typed = tmp_path / "typed.parquet"
    pq.write_table(pa.table({"n": pa.array(range(25), pa.int32()),
                             "text": [POSTS[i % 5] for i in range(25)],
                             "tags": [[str(i)] for i in range(25)]}), typed)
    score_file(clf, typed, second, progress=None, chunk_size=10)
    back = pq.read_table(second)
    assert back.schema.field("n").type == pa.int32()
    assert back.column("n").to_pylist() == list(range(25))
    assert back.column("tags").to_pylist()[3] == ["3"]
    labels = back.column("labels").to_pylist()
    assert labels[0] == ["illegal_ads"] and labels[1][0] == "insult" and labels[2] == []
    # ...and read back into CSV and JSONL
    score_file(clf, second, tmp_path / "back.csv", progress=None)
    assert [r["n"] for r in _read_csv(tmp_path / "back.csv")] == [str(i) for i in range(25)]
    score_file(clf, second, tmp_path / "back.jsonl", progress=None)
    assert _read_jsonl(tmp_path / "back.jsonl")[4]["tags"] == ["4"]


def test_jsonl_to_parquet_types_columns_and_keeps_misfits(tmp_path, clf):
    pa = pytest.importorskip("pyarrow", reason="pyarrow is not installed")
    pq = pytest.importorskip("pyarrow.parquet")
    src, dst = tmp_path / "in.jsonl", tmp_path / "out.parquet"
    records = [{"n": 0, "id": 1, "text": ADS, "meta": {"a": 1}, "ok": True},
               {"n": 1, "id": "two", "text": CLEAN}]
    records += [{"n": i, "id": i, "text": CLEAN} for i in range(2, 1100)]
    records.append({"n": "many", "text": INSULT, "late": [1]})  # past the first 1,000
    src.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n{bad\n",
                   encoding="utf-8")
    score_file(clf, src, dst, progress=None, chunk_size=300)
    table = pq.read_table(dst)
    assert table.schema.field("n").type == pa.int64()
    assert table.schema.field("ok").type == pa.bool_()
    rows = table.to_pylist()
    assert len(rows) == 1102
    assert [r["id"] for r in rows[:3]] == ["1", "two", "2"]  # a mix: text, as it reads
    assert json.loads(rows[0]["meta"]) == {"a": 1} and rows[0]["ok"] is True
    late = rows[1100]
    assert late["n"] is None and json.loads(late["_extra"]) == {"n": "many", "late": [1]}
    assert "'n' did not fit" in late["status"] and late["labels"][0] == "insult"
    assert json.loads(rows[1101]["_extra"]) == {"_raw": "{bad"}
    assert rows[1101]["status"].startswith("invalid:")


def test_missing_pyarrow_names_the_extra(tmp_path, clf, monkeypatch):
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    src = _csv_input(tmp_path / "in.csv")
    with pytest.raises(BatchError, match=r'pip install "vnmod\[parquet\]"'):
        score_file(clf, src, tmp_path / "out.parquet", progress=None)
    fake = tmp_path / "in.parquet"
    fake.write_bytes(b"PAR1")
    with pytest.raises(BatchError, match=r'pip install "vnmod\[parquet\]"'):
        score_file(clf, fake, tmp_path / "out.csv", progress=None)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv", "in.parquet"]


# --- evidence, legal basis ------------------------------------------------------------------


def test_short_evidence_is_the_csv_default_and_much_smaller(tmp_path, clf):
    src = _csv_input(tmp_path / "in.csv", n=200)
    short, full, none = (tmp_path / f"{m}.csv" for m in ("short", "full", "none"))
    score_file(clf, src, short, progress=None)
    score_file(clf, src, full, progress=None, evidence="full")
    score_file(clf, src, none, progress=None, evidence="none")
    rows = _read_csv(short)
    assert "reason" in rows[0] and "evidence" not in rows[0]
    assert rows[0]["reason"].startswith("illegal_ads: ") and '"' in rows[0]["reason"]
    assert rows[2]["reason"] == ""
    assert {"reason", "evidence"} <= set(_read_csv(full)[0])
    assert not {"reason", "evidence"} & set(_read_csv(none)[0])
    assert short.stat().st_size * 3 < full.stat().st_size


def test_evidence_full_is_the_jsonl_default_and_short_on_request(tmp_path, clf, capsys):
    src = _csv_input(tmp_path / "in.csv", n=3)
    score_file(clf, src, tmp_path / "full.jsonl", progress=None)
    assert "evidence" in _read_jsonl(tmp_path / "full.jsonl")[0]
    assert main(["score", str(src), "-o", str(tmp_path / "s.jsonl"), "-q",
                 "--evidence", "short"]) == 0
    first = _read_jsonl(tmp_path / "s.jsonl")[0]
    assert "evidence" not in first and first["reason"].startswith("illegal_ads")


def test_legal_basis_for_flagged_rows_only(tmp_path, clf, capsys):
    src = _csv_input(tmp_path / "in.csv", n=5)
    assert main(["score", str(src), "-o", str(tmp_path / "o.csv"), "-q", "--legal-basis"]) == 0
    rows = _read_csv(tmp_path / "o.csv")
    for r in rows:
        assert bool(r["legal_basis"]) == bool(r["labels"]), r
    assert rows[0]["legal_basis"].startswith("illegal_ads: ")
    assert "Luật Quảng cáo" in rows[0]["legal_basis"]
    score_file(clf, src, tmp_path / "plain.csv", progress=None)
    assert "legal_basis" not in _read_csv(tmp_path / "plain.csv")[0]
    score_file(clf, src, tmp_path / "o.jsonl", progress=None, legal_basis=True)
    out = _read_jsonl(tmp_path / "o.jsonl")
    assert out[2]["legal_basis"] is None
    basis = out[1]["legal_basis"]
    assert basis and {b["category"] for b in basis} == set(out[1]["labels"]) >= {"insult"}
    assert {"instrument", "article", "summary", "verify"} <= set(basis[0])


# --- BOM ------------------------------------------------------------------------------------


def test_bom_is_kept_when_the_input_had_one(tmp_path, clf):
    with_bom = _csv_input(tmp_path / "bom.csv", n=2, bom=True)
    without = _csv_input(tmp_path / "plain.csv", n=2)
    score_file(clf, with_bom, tmp_path / "a.csv", progress=None)
    score_file(clf, without, tmp_path / "b.csv", progress=None)
    assert (tmp_path / "a.csv").read_bytes().startswith(codecs.BOM_UTF8 + b"id,")
    assert (tmp_path / "b.csv").read_bytes().startswith(b"id,")


def test_excel_forces_a_bom_on_csv_only(tmp_path, clf, capsys):
    src = _csv_input(tmp_path / "plain.csv", n=2)
    assert main(["score", str(src), "-o", str(tmp_path / "x.csv"), "-q", "--excel"]) == 0
    assert (tmp_path / "x.csv").read_bytes().startswith(codecs.BOM_UTF8 + b"id,")
    with pytest.raises(BatchError, match="CSV"):
        score_file(clf, src, tmp_path / "x.jsonl", progress=None, excel=True)


# --- progress -------------------------------------------------------------------------------


def test_progress_on_a_terminal_is_tqdm_with_the_final_count(tmp_path, clf, monkeypatch):
    import vnmod.batch

    monkeypatch.setattr(vnmod.batch, "PROGRESS_INTERVAL", 0)  # draw every chunk
    src = _csv_input(tmp_path / "in.csv", n=300)
    term = _Terminal()
    score_file(clf, src, tmp_path / "out.csv", progress=term, chunk_size=20)
    frames = [f for f in term.getvalue().rstrip("\n").split("\r") if f]
    assert frames[-1].startswith("vnmod score: 100%") and " 300/300 " in frames[-1]
    assert "rows/s" in frames[-1]
    early = frames[:-1]
    assert len(early) > 5 and not any("100%" in f for f in early), early
    assert term.getvalue().endswith("\n")


def test_progress_is_silent_off_a_terminal_unless_asked(tmp_path, clf, capsys):
    src = _csv_input(tmp_path / "in.csv", n=5)
    quiet = io.StringIO()
    score_file(clf, src, tmp_path / "a.csv", progress=quiet)
    assert quiet.getvalue() == ""
    forced = io.StringIO()
    score_file(clf, src, tmp_path / "a.csv", progress=forced, force_progress=True)
    assert " 5/5 " in forced.getvalue()
    assert main(["score", str(src), "-o", str(tmp_path / "b.csv")]) == 0
    err = capsys.readouterr().err
    assert "vnmod score:" not in err and err.startswith("scored 5 rows")
    assert main(["score", str(src), "-o", str(tmp_path / "b.csv"), "--progress"]) == 0
    assert " 5/5 " in capsys.readouterr().err
    assert main(["score", str(src), "-o", str(tmp_path / "b.csv"), "--progress", "-q"]) == 0
    assert "5/5" not in capsys.readouterr().err
