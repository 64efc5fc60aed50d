"""Provenance of a scoring run, text hashes, the case export and its verification (#13)."""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

import pytest

import vnmod
from vnmod.cli import main
from vnmod.evidence import seal, verify_case
from vnmod.provenance import file_sha256

POSTS = [  # (id, author, date, text)
    ("1", "an", "30/06/2026", "Đm thằng ngu này"),
    ("2", "an", "2026-07-01T09:00:00+07:00", "Đm thằng ngu này"),
    ("3", "binh", "", "Hôm nay trời đẹp quá"),
    ("4", "binh", "2026-07-02", "Nhận làm bằng đại học giả, lh 0905123456"),
    ("5", "chi", "hôm qua", "=cmd|' /C calc'!A0 đồ ngu"),
]


@pytest.fixture
def scored(tmp_path: Path) -> Path:
    src = tmp_path / "posts.csv"
    with open(src, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "author", "date", "text"])
        w.writerows(POSTS)
    out = tmp_path / "scored.csv"
    assert main(["score", str(src), "-o", str(out), "-q", "--evidence", "full",
                 "--date-column", "date", "--legal-basis"]) == 0
    return out


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_every_row_carries_the_hash_of_the_exact_text_scored(scored):
    rows = _rows(scored)
    assert [r["id"] for r in rows] == [p[0] for p in POSTS]
    for row, (_, _, _, text) in zip(rows, POSTS, strict=True):
        assert row["text_sha256"] == hashlib.sha256(text.encode()).hexdigest()
    p = vnmod.load().predict(POSTS[0][3])
    assert p.to_dict()["text_sha256"] == rows[0]["text_sha256"]
    assert p.to_dict()["model"] == p.model and p.model.startswith("vnmod-base@")


def test_provenance_names_model_input_options_and_counts(scored):
    prov = json.loads(Path(str(scored) + ".provenance.json").read_text(encoding="utf-8"))
    clf = vnmod.load()
    assert prov["model"]["name"] == "vnmod-base"
    assert prov["model"]["manifest_sha256"] == file_sha256(clf.path / "vnmod.json")
    assert prov["thresholds"] == clf.thresholds
    assert prov["input"]["sha256"] == file_sha256(scored.parent / "posts.csv")
    assert prov["input"]["rows"] == len(POSTS) == prov["output"]["rows"]
    assert prov["options"]["evidence"] == "full" and prov["options"]["date_column"] == "date"
    rows = _rows(scored)
    for cat in vnmod.CATEGORIES:
        assert prov["flagged"][cat] == sum(cat in r["labels"].split(";") for r in rows)
    assert prov["started"] <= prov["finished"]
    assert prov["tool"]["vnmod"] == vnmod.__version__


def test_legal_basis_follows_each_posts_own_date(scored):
    rows = {r["id"]: r for r in _rows(scored)}
    before, after = rows["1"]["legal_basis"], rows["2"]["legal_basis"]
    assert "15/2020/NĐ-CP" in before and "174/2026/NĐ-CP" not in before   # 30/06/2026
    assert "174/2026/NĐ-CP" in after and "15/2020/NĐ-CP" not in after     # 01/07/2026
    assert rows["3"]["legal_basis"] == ""  # not flagged
    assert "date" in rows["5"]["status"]    # 'hôm qua': today's law, and the row says why


def test_case_export_one_record_per_flag_grouped_by_author(scored, tmp_path):
    case = tmp_path / "case.jsonl"
    assert main(["evidence", str(scored), "-o", str(case), "--author-column", "author"]) == 0
    lines = [json.loads(x) for x in case.read_text(encoding="utf-8").splitlines()]
    posts = [x for x in lines if x["type"] == "post"]
    flagged = [r for r in _rows(scored) if r["labels"]]
    assert len(posts) == len(flagged) >= 3
    authors = [x for x in lines if x["type"] == "author"]
    assert authors[0]["author"] == "an" and authors[0]["posts"] == 2
    assert authors[0]["per_category"]["offensive"] == 2
    first = next(p for p in posts if p["post"]["id"] == "1")
    assert first["text"] == POSTS[0][3]
    assert first["text_sha256"] == hashlib.sha256(POSTS[0][3].encode()).hexdigest()
    assert first["post_date"] == "2026-06-30" and first["legal_basis_as_of"] == "2026-06-30"
    assert all(first["text"][e["start"]:e["end"]] == e["text"] for e in first["evidence"])
    assert first["provenance"]["model"]["name"] == "vnmod-base"
    assert first["thresholds"] == vnmod.load().thresholds
    guarded = next(p for p in posts if p["post"]["id"] == "5")
    assert guarded["text"] == POSTS[4][3]  # the CSV's formula guard is undone by the hash
    assert guarded["text_matches_scored_hash"] is True
    assert first == seal(first)  # the record's own hash holds


def test_case_for_one_category(scored, tmp_path):
    case = tmp_path / "ads.jsonl"
    assert main(["evidence", str(scored), "-o", str(case), "--category", "illegal_ads"]) == 0
    lines = [json.loads(x) for x in case.read_text(encoding="utf-8").split("\n") if x]
    posts = [x for x in lines if x["type"] == "post"]
    assert posts and all(p["labels"] == ["illegal_ads"] for p in posts)
    assert lines[-1]["type"] == "end" and lines[-1]["lines"] == len(posts)
    assert verify_case(case)[1] == []


def test_verify_holds_then_catches_tampered_records(scored, tmp_path, capsys):
    case = tmp_path / "case.jsonl"
    assert main(["evidence", str(scored), "-o", str(case)]) == 0
    assert main(["evidence", "--verify", str(case)]) == 0
    lines = case.read_text(encoding="utf-8").split("\n")[:-1]
    records = [json.loads(x) for x in lines]
    # 1: the text edited, the record resealed (its own hash holds, the text hash does not)
    edited = seal({**records[0], "text": records[0]["text"] + " (sửa)"})
    # 2: a score changed without resealing
    forged = {**records[1], "scores": {**records[1]["scores"], "insult": 0.01}}
    # 3: a record claiming a model whose manifest differs
    other = json.loads(json.dumps(records[2]))
    other["provenance"]["model"]["manifest_sha256"] = "0" * 64
    other = seal(other)
    bad = tmp_path / "bad.jsonl"
    bad.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in
                             [edited, forged, other, *records[3:]]) + "\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["evidence", "--verify", str(bad)]) == 1
    out = capsys.readouterr().out
    assert f"{bad}:1: text changed" in out
    assert f"{bad}:2: record changed" in out
    assert "model changed" in out.split(f"{bad}:3: ")[1].splitlines()[0]
    # Resealed records break the chain: the line after each says so.
    assert f"{bad}:4: the line before it is not the one exported" in out


def test_export_refuses_without_evidence_or_provenance(tmp_path):
    src = tmp_path / "posts.csv"
    src.write_text("text\nĐm thằng ngu\n", encoding="utf-8")
    short = tmp_path / "short.csv"
    assert main(["score", str(src), "-o", str(short), "-q"]) == 0
    assert main(["evidence", str(short), "-o", str(tmp_path / "c.jsonl")]) == 2
    Path(str(short) + ".provenance.json").unlink()
    assert main(["evidence", str(short), "-o", str(tmp_path / "c.jsonl")]) == 2
    assert not (tmp_path / "c.jsonl").exists()


def test_verify_catches_deleted_reordered_and_cut_lines(scored, tmp_path, capsys):
    case = tmp_path / "case.jsonl"
    assert main(["evidence", str(scored), "-o", str(case)]) == 0
    lines = case.read_text(encoding="utf-8").split("\n")[:-1]
    assert len(lines) >= 4 and json.loads(lines[-1])["type"] == "end"
    for name, kept in [("deleted", lines[:1] + lines[2:]), ("swapped", [lines[1], lines[0],
                                                                        *lines[2:]]),
                       ("cut", lines[:-1])]:
        bad = tmp_path / f"{name}.jsonl"
        bad.write_text("\n".join(kept) + "\n", encoding="utf-8")
        assert verify_case(bad)[1], name
    assert verify_case(case)[1] == []


def test_a_text_with_a_unicode_line_separator_verifies(tmp_path):
    src = tmp_path / "posts.csv"
    src.write_text("text\nĐm thằng ngu\u2028này\n", encoding="utf-8")
    out = tmp_path / "scored.csv"
    assert main(["score", str(src), "-o", str(out), "-q", "--evidence", "full"]) == 0
    case = tmp_path / "case.jsonl"
    assert main(["evidence", str(out), "-o", str(case)]) == 0
    assert verify_case(case) == (1, [])


def test_a_scored_file_edited_after_scoring_is_refused(scored, tmp_path):
    text = scored.read_text(encoding="utf-8").replace("an,", "someone_else,", 1)
    scored.write_text(text, encoding="utf-8")
    assert main(["evidence", str(scored), "-o", str(tmp_path / "c.jsonl")]) == 2
    assert not (tmp_path / "c.jsonl").exists()
