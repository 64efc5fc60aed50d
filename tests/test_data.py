"""Tests for vnmod.data: corpus loaders, training frame, user files, splits, near-duplicates.

Corpus tests read the public corpora in place (``$VNMOD_DATA_DIR`` or ``../shared/data``) and
skip when they are absent. No corpus text is written into this file: known rows are checked by
position against the raw files, read independently with the stdlib ``csv`` module.
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
import time
from collections import Counter
from functools import cache
from pathlib import Path

import numpy as np
import pytest

pd = pytest.importorskip("pandas")

from vnmod.data import (  # noqa: E402
    CATEGORIES,
    CORPORA,
    from_dataset,
    load_corpus,
    load_labelled,
    load_training_frame,
    near_copies_between_splits,
    near_duplicates,
    parse_labels,
    resolve_data_dir,
    split_for_group,
    text_key,
    to_dataset,
)
from vnmod.data.policy import HELD_OUT_POOLS, LEXNORM_TRAIN_POOLS  # noqa: E402

CATS = list(CATEGORIES)
CORPORA_NEEDED = pytest.mark.slow  # reads the public corpora; skipped when they are absent


# --------------------------------------------------------------------------- fixtures


@cache
def _corpus(name: str, split: str | None = None):
    return load_corpus(name, split)


@pytest.fixture(scope="session")
def corpus(data_dir):
    """Cached ``load_corpus`` (frames are shared: do not mutate them)."""
    return _corpus


def _raw_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="session")
def training(data_dir):
    return load_training_frame()


def _write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    return path


# --------------------------------------------------------------------------- basics


def test_categories_match_taxonomy():
    taxonomy = pytest.importorskip("vnmod.taxonomy")
    assert tuple(taxonomy.CATEGORIES) == CATEGORIES


def test_import_does_not_need_pandas():
    code = "import sys, vnmod, vnmod.data; print('pandas' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_text_key_folds_nfc_case_and_whitespace():
    decomposed = "Xu\u0301c  PHA\u0323M\n\t đây "
    assert text_key(decomposed) == "xúc phạm đây"
    assert text_key("a\u00a0 b") == "a b"


def test_missing_data_dir_error_names_the_variable(tmp_path, monkeypatch):
    monkeypatch.setenv("VNMOD_DATA_DIR", str(tmp_path / "nowhere"))
    with pytest.raises(FileNotFoundError, match="VNMOD_DATA_DIR"):
        resolve_data_dir()
    monkeypatch.delenv("VNMOD_DATA_DIR")
    (tmp_path / "work").mkdir()
    monkeypatch.chdir(tmp_path / "work")
    monkeypatch.setattr("vnmod.data._common.REPO_ROOT", tmp_path / "repo")
    with pytest.raises(FileNotFoundError, match=r"Set the VNMOD_DATA_DIR environment variable"):
        resolve_data_dir()
    (tmp_path / "shared" / "data").mkdir(parents=True)
    assert resolve_data_dir() == (tmp_path / "shared" / "data").resolve()


@CORPORA_NEEDED
def test_env_var_is_used(data_dir, monkeypatch):
    monkeypatch.setenv("VNMOD_DATA_DIR", str(data_dir))
    assert resolve_data_dir() == data_dir
    assert len(load_corpus("vi_smishing", data_dir=data_dir)) == 1833


def test_unknown_corpus_and_split():
    with pytest.raises(ValueError, match="Known corpora: vihsd, vlsp2019"):
        load_corpus("vihsd2")
    with pytest.raises(ValueError, match="has no split 'dev'; its splits are train, test"):
        load_corpus("reintel", "dev")


# --------------------------------------------------------------------------- row counts

# (corpus, split, rows kept, README rows); README rows = kept + dropped (empty/unmapped/dup).
ROW_COUNTS = [
    ("vihsd", "train", 24046, 24048),  # 2 empty texts
    ("vihsd", "dev", 2672, 2672),
    ("vihsd", "test", 6680, 6680),
    ("vlsp2019", "train", 20345, 20345),  # many rows span lines inside quotes
    ("vithsd", "train", 6117, 7000),  # rows with no target dropped
    ("vithsd", "dev", 1047, 1201),
    ("vithsd", "test", 1575, 1800),  # + 1 empty
    ("vihos", "train", 8844, 8844),
    ("vihos", "dev", 1106, 1106),
    ("vihos", "test", 1106, 1106),
    ("reintel", "train", 3869, 3869),
    ("reintel", "test", 968, 968),
    ("vifn_v2", "train", 1582, 2001),  # 419 duplicates
    ("vifn_v2", "test", 468, 501),  # 33 duplicates
    ("vi_smishing", "train", 1486, None),
    ("vi_smishing", "test", 347, None),
    ("vispam", "train", 11867, 14306),  # type 3 dropped
    ("vispam", "dev", 1310, 1590),
    ("vispam", "test", 3247, 3974),
    ("uit_vsfc", "train", 11426, 11426),
    ("uit_vsfc", "dev", 1583, 1583),
    ("uit_vsfc", "test", 3166, 3166),
]


@CORPORA_NEEDED
@pytest.mark.parametrize(("name", "split", "rows", "readme"), ROW_COUNTS)
def test_row_counts(corpus, name, split, rows, readme):
    frame = corpus(name, split)
    assert len(frame) == rows
    if readme is not None:
        assert len(frame) + sum(frame.attrs["dropped"].values()) == readme
    assert set(frame["split"]) == {split}
    assert set(frame["source"]) == {name}
    assert list(frame.columns[:7]) == ["text", *CATS, "source", "split"]
    assert frame["text"].str.strip().ne("").all()
    for cat in CATS:
        assert frame[cat].dtype == np.int64
        assert set(frame[cat].unique()) <= {0, 1}


@CORPORA_NEEDED
def test_whole_corpus_is_the_union_of_splits(corpus):
    assert len(corpus("vi_smishing")) == 1833
    assert len(corpus("vihsd")) == 24046 + 2672 + 6680


# --------------------------------------------------------------------------- label mapping


@CORPORA_NEEDED
def test_vihsd_mapping_matches_raw_file(corpus, data_dir):
    raw = [r for r in _raw_rows(data_dir / "vihsd" / "train.csv") if r["free_text"].strip()]
    frame = corpus("vihsd", "train")
    assert list(frame["text"]) == [r["free_text"] for r in raw]
    ids = np.array([int(r["label_id"]) for r in raw])
    assert (frame["insult"].to_numpy() == (ids == 2)).all()
    assert (frame["offensive"].to_numpy() == (ids == 1)).all()
    # known rows by position: 0 clean, 1 HATE, 7 OFFENSIVE
    assert frame.loc[[0, 1, 7], CATS].to_numpy().tolist() == [
        [0, 0, 0, 0],
        [1, 0, 0, 0],
        [0, 1, 0, 0],
    ]
    assert (frame["insult"].sum(), frame["offensive"].sum()) == (2556, 1605)


@CORPORA_NEEDED
def test_vlsp2019_uses_label_id_not_one_hot(corpus, data_dir):
    frame = corpus("vlsp2019", "train")
    raw = _raw_rows(data_dir / "vlsp2019_hsd" / "Train_original.csv")
    assert all(r["CLEAN"] == "1" for r in raw)  # the broken one-hot columns
    assert (frame["insult"].sum(), frame["offensive"].sum()) == (709, 1022)
    assert (frame[["fake_news", "illegal_ads"]] == 0).all().all()
    assert frame["text"].str.contains("\n").sum() > 1000  # multi-line quoted rows kept whole


@CORPORA_NEEDED
def test_vithsd_rule(corpus, data_dir):
    targets = ["individual", "groups", "religion/creed", "race/ethnicity", "politics"]
    raw = _raw_rows(data_dir / "vithsd" / "train.csv")
    levels = [max(int(r[t]) for t in targets) for r in raw if r["content"].strip()]
    kept = [lvl for lvl in levels if lvl > 0]
    frame = corpus("vithsd", "train")
    assert len(kept) == len(frame)
    assert frame["insult"].tolist() == [int(lvl == 3) for lvl in kept]
    assert frame["offensive"].tolist() == [int(lvl == 2) for lvl in kept]
    # raw rows 0-2: (2,1,0,0,0) -> offensive; (1,0,0,0,0) -> clean; (0,0,0,1,0) -> clean
    assert frame.loc[:2, ["insult", "offensive", "individual", "race"]].to_numpy().tolist() == [
        [0, 1, 2, 0],
        [0, 0, 1, 0],
        [0, 0, 0, 1],
    ]
    assert not (frame["insult"] & frame["offensive"]).any()


@CORPORA_NEEDED
def test_vihos_spans(corpus, data_dir):
    frame = corpus("vihos", "train")
    raw = _raw_rows(data_dir / "vihos" / "train.csv")
    assert frame["offensive"].sum() == 4292 == sum(r["index_spans"] != "[]" for r in raw)
    assert frame["insult"].sum() == 0
    assert frame.loc[1, "spans"] == [(9, 11)]
    assert frame.loc[0, "spans"] == []
    assert len(frame.loc[3, "spans"]) == 6
    for text, spans, raw_row in zip(frame["text"], frame["spans"], raw, strict=True):
        covered = sorted(i for a, b in spans for i in range(a, b))
        assert covered == sorted(set(json.loads(raw_row["index_spans"])))
        assert all(0 <= a < b <= len(text) for a, b in spans)


@CORPORA_NEEDED
def test_reintel(corpus, data_dir):
    frame = corpus("reintel", "train")
    raw = _raw_rows(data_dir / "reintel" / "train_tokenized.csv")
    assert frame["text"].tolist() == [r["post_message"].replace("_", " ") for r in raw]
    assert not frame["text"].str.contains("_").any()
    assert frame["fake_news"].sum() == 668
    assert corpus("reintel", "test")["fake_news"].sum() == 151
    for col in ("num_like_post", "num_comment_post", "num_share_post", "user_name_freq"):
        assert pd.api.types.is_numeric_dtype(frame[col])
    assert frame["group"].str.len().gt(0).all()  # hashed user: several posts per user
    assert frame["group"].value_counts().iloc[0] > 10


@CORPORA_NEEDED
def test_vifn_v2_deduplicated(corpus):
    for split, fakes in (("train", 586), ("test", 213)):
        frame = corpus("vifn_v2", split)
        assert not frame["text"].map(text_key).duplicated().any()
        assert frame["fake_news"].sum() == fakes


@CORPORA_NEEDED
def test_vi_smishing_hash_split(corpus):
    frame = corpus("vi_smishing")
    assert frame["illegal_ads"].sum() == 191
    keys = frame["text"].map(text_key)
    assert not set(keys[frame["split"] == "train"]) & set(keys[frame["split"] == "test"])
    again = load_corpus("vi_smishing")
    assert frame["split"].tolist() == again["split"].tolist()
    assert 0.75 < (frame["split"] == "train").mean() < 0.85


@CORPORA_NEEDED
def test_vispam_and_uit_vsfc_are_clean(corpus):
    spam = corpus("vispam")
    assert (spam[CATS] == 0).all().all()
    assert set(spam["spam_type"]) == {0, 1, 2}
    assert spam.attrs["dropped"]["unmapped"] == 2439 + 280 + 727
    vsfc = corpus("uit_vsfc")
    assert (vsfc[CATS] == 0).all().all()
    assert not vsfc["text"].str.contains(r"\b(?:doubledot|colonsmile|dotdotdot)\b").any()
    assert set(vsfc["sentiment"]) == {0, 1, 2}


@CORPORA_NEEDED
def test_vilexnorm_is_read_only_through_the_policy_labels(corpus, data_dir):
    assert len(corpus("vilexnorm")) == 0  # no vnmod labels of its own: every row unmapped
    every = load_corpus("vilexnorm", data_dir=data_dir, keep_unmapped=True)
    assert len(every) == 10_467 and every.attrs["dropped"]["unmapped"] == 0
    assert set(every["split"]) == {"train", "dev", "test"}
    assert every["text"].ne(every["normalized"]).mean() > 0.5  # the comments as written
    policy = load_corpus("policy", data_dir=data_dir)
    sizes = {"vilexnorm_comments": 603, "vilexnorm_fresh": 1400, "vilexnorm_fresh2": 700,
             "vilexnorm_fresh3": 800, "vilexnorm_fresh4": 799, "vilexnorm_fresh5": 800,
             "vilexnorm_fresh6": 800, "vilexnorm_fresh7": 800, "vilexnorm_fresh8": 800,
             "vilexnorm_fresh9": 800, "vilexnorm_fresh10": 798, "vilexnorm_fresh11": 800,
             "vilexnorm_fresh12": 563}
    assert set(sizes) == LEXNORM_TRAIN_POOLS | {p for p in HELD_OUT_POOLS if "lexnorm" in p}
    for name, size in sizes.items():
        pool = policy.loc[policy["pool"] == name]
        assert len(pool) == size and set(pool["text"]) <= set(every["text"])
        if name in LEXNORM_TRAIN_POOLS:  # the earlier pools: training posts; the later ones
            assert (pool["split"] == "train").all()  # held out (test_policy_data.py)
    assert policy.loc[policy["corpus"] == "vilexnorm", "text"].is_unique  # no comment read twice


# --------------------------------------------------------------------------- training frame


@CORPORA_NEEDED
def test_training_frame_has_no_vihsd_dev_test_text(training, corpus):
    vihsd = corpus("vihsd")
    held = set(vihsd.loc[vihsd["split"] != "train", "text"].map(text_key))
    keys = training["text"].map(text_key)
    assert not keys.isin(held).any()
    assert not keys.duplicated().any()
    assert set(training["split"]) == {"train"}
    assert list(training.columns) == ["text", *CATS, "source", "split", "group", "pool"]
    assert (training["pool"] == "").all()  # only the policy rows come from pools


@CORPORA_NEEDED
def test_policy_rows_keep_their_pool_in_the_training_frame(data_dir):
    frame = load_training_frame(["policy"])
    assert {"sales", "random", "vihsd_sales"} <= set(frame["pool"])
    assert (frame["pool"] != "").all()


@CORPORA_NEEDED
def test_training_frame_report(training):
    report = training.attrs["report"]
    for counts in report.values():
        kept = counts["loaded"] - counts["held_out"] - counts["duplicates"]
        assert kept - counts["overridden"] == counts["kept"]
    assert sum(c["kept"] for c in report.values()) == len(training)
    by_source = training["source"].value_counts()
    assert all(by_source.get(s, 0) == c["kept"] for s, c in report.items())
    # measured: ViHSD train holds 1,190 dev/test texts; ViHOS/ViTHSD hold ViHSD test texts
    assert report["vihsd"]["held_out"] == 1190
    assert report["vihsd"]["duplicates"] == 1447
    assert report["vihos"]["held_out"] == 1525
    assert report["vithsd"]["held_out"] == 1128
    assert report["vifn_v2"]["held_out"] == 156  # ViFN v2 val texts repeated in train
    # every ViHOS / ViTHSD text is a ViHSD text: ViHSD's own label wins
    assert report["vihos"]["kept"] == report["vithsd"]["kept"] == 0


@CORPORA_NEEDED
def test_training_frame_holds_out_other_benchmarks(training, corpus):
    keys = set(training["text"].map(text_key))
    for name in ("reintel", "vifn_v2", "vi_smishing", "vispam", "uit_vsfc"):
        frame = corpus(name)
        assert not keys & set(frame.loc[frame["split"] != "train", "text"].map(text_key)), name


def test_training_frame_dedup_takes_max_within_source(tmp_path):
    _write_jsonl(
        tmp_path / "a" / "x.jsonl",
        [
            {"text": "Vay tiền nhanh", "labels": ["illegal_ads"], "family": "fam-1"},
            {"text": "vay  TIỀN nhanh ", "labels": ["illegal_ads", "insult"], "family": "fam-1"},
            {"text": "Chào bạn", "labels": [], "family": "fam-1"},
        ],
    )
    frame = load_training_frame(("vnmod_labelled",), labelled_dir=tmp_path, holdout=())
    assert len(frame) == 2
    row = frame.loc[frame["text"] == "Vay tiền nhanh"].iloc[0]
    assert (row["illegal_ads"], row["insult"], row["group"]) == (1, 1, "fam-1")
    assert frame.attrs["report"]["vnmod_labelled"]["duplicates"] == 1


def test_training_frame_unknown_source():
    with pytest.raises(ValueError, match="Unknown sources"):
        load_training_frame(("vihsd", "twitter"))


# --------------------------------------------------------------------------- user files


def test_parse_labels_names():
    assert parse_labels("xúc phạm danh dự, nhân phẩm; quảng cáo, kinh doanh dịch vụ trái phép") == {
        "insult",
        "illegal_ads",
    }
    assert parse_labels("XUC PHAM | phan cam") == {"insult", "offensive"}
    assert parse_labels("Tin Giả,quảng cáo trái phép") == {"fake_news", "illegal_ads"}
    assert parse_labels('["fake_news", "Ngôn ngữ phản cảm"]') == {"fake_news", "offensive"}
    assert parse_labels(["illegal ads"]) == {"illegal_ads"}
    for clean in ("", "clean", "Sạch", "sach", None, float("nan"), []):
        assert parse_labels(clean) == set()
    with pytest.raises(ValueError, match=r"Unknown label 'spam'.*Valid names: insult"):
        parse_labels("insult; spam")


def test_load_labelled_csv_onehot_with_bom(tmp_path):
    path = tmp_path / "mine.csv"
    path.write_text(
        "text,insult,offensive,fake_news,illegal_ads,id\n"
        '"dòng một, có phẩy",1,0,0,0,a\n'
        '"hai\ndòng",0,0,1,0,b\n',
        encoding="utf-8-sig",
    )
    frame = load_labelled(path)
    assert frame["text"].tolist() == ["dòng một, có phẩy", "hai\ndòng"]
    assert frame[CATS].to_numpy().tolist() == [[1, 0, 0, 0], [0, 0, 1, 0]]
    assert frame["source"].tolist() == ["mine", "mine"]
    assert frame["split"].tolist() == ["train", "train"]
    assert frame["id"].tolist() == ["a", "b"]


def test_load_labelled_csv_label_column(tmp_path):
    path = tmp_path / "vi.csv"
    path.write_text(
        "Text,label,split,family\n"
        '"a","xúc phạm danh dự, nhân phẩm",test,f\n'
        '"b","Quảng cáo trái phép | tin giả",dev,g\n'
        '"c","sạch",,\n'
        '"d","",train,\n',
        encoding="utf-8",
    )
    frame = load_labelled(path, source="user")
    assert frame[CATS].to_numpy().tolist() == [
        [1, 0, 0, 0],
        [0, 0, 1, 1],
        [0, 0, 0, 0],
        [0, 0, 0, 0],
    ]
    assert frame["split"].tolist() == ["test", "dev", "train", "train"]
    assert frame["group"].tolist() == ["f", "g", "", ""]
    assert set(frame["source"]) == {"user"}


def test_load_labelled_jsonl_and_tsv(tmp_path):
    path = _write_jsonl(
        tmp_path / "x.jsonl",
        [
            {"text": "a", "labels": ["insult", "phản cảm"], "topic": "t"},
            {"text": "b", "labels": "tin giả; quảng cáo trái phép"},
            {"text": "c", "labels": []},
            {"text": "d"},
        ],
    )
    frame = load_labelled(path)
    assert frame[CATS].to_numpy().tolist() == [
        [1, 1, 0, 0],
        [0, 0, 1, 1],
        [0, 0, 0, 0],
        [0, 0, 0, 0],
    ]
    assert frame["topic"].tolist()[0] == "t"
    tsv = tmp_path / "y.tsv"
    tsv.write_text("text\tillegal_ads\nx\t1\ny\tfalse\n", encoding="utf-8")
    with pytest.warns(UserWarning, match=r"no column for \['insult', 'offensive', 'fake_news'\]"):
        frame = load_labelled(tsv)
    assert frame["illegal_ads"].tolist() == [1, 0]
    assert frame["insult"].tolist() == [0, 0]


def test_load_labelled_drops_empty_text(tmp_path):
    path = tmp_path / "e.csv"
    path.write_text("text,labels\nok,clean\n  ,insult\n", encoding="utf-8")
    with pytest.warns(UserWarning, match="dropped 1 rows with empty text"):
        frame = load_labelled(path)
    assert frame["text"].tolist() == ["ok"]


@pytest.mark.filterwarnings("ignore:.*no column for")
@pytest.mark.parametrize(
    ("content", "suffix", "match"),
    [
        ("bai_viet,label\na,insult\n", ".csv",
         r"cannot tell which column holds the text; the file has columns \['bai_viet'"),
        ("text,score\na,1\n", ".csv", r"no label columns; columns seen: \['text', 'score'\]"),
        ("text,label,insult\na,insult,1\n", ".csv", "labels are given twice"),
        ("text,label\na,quảng cáo\n", ".csv", r"row 1: Unknown label 'quảng cáo'\. Valid names"),
        ("text,insult\na,2\n", ".csv", r"row 1: column 'insult' holds '2'; .* 0 or 1"),
        ("text,label,split\na,insult,val\n", ".csv", r"split' holds \['val'\]; allowed"),
        ("text\tlabel\n", ".xlsx", r"unsupported file type '.xlsx'; use .csv"),
        ('{"text": "a", "labels": []}\n{oops\n', ".jsonl", "line 2: not valid JSON"),
    ],
)
def test_load_labelled_errors(tmp_path, content, suffix, match):
    path = tmp_path / f"bad{suffix}"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError, match=match):
        load_labelled(path)


def test_error_message_says_what_is_accepted(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("bai_viet,labels\na,insult\n", encoding="utf-8")
    with pytest.raises(ValueError) as info:
        load_labelled(path)
    msg = str(info.value)
    assert "the file has columns ['bai_viet', 'labels']" in msg
    assert "one 0/1 column per category (insult, offensive, fake_news, illegal_ads)" in msg
    assert "Pass one of them with --text-column" in msg


# --------------------------------------------------------------------------- family split


def test_split_for_group_is_stable_and_balanced():
    expected = {
        "fam-0": "test",
        "fam-1": "train",
        "fam-2": "dev",
        "gambling-livestream-nohu": "train",
    }
    assert {g: split_for_group(g) for g in expected} == expected
    counts = Counter(split_for_group(f"fam-{i}") for i in range(4000))
    assert counts == {"train": 2756, "dev": 620, "test": 624}
    assert split_for_group("x", (1, 0, 0)) == "train"
    with pytest.raises(ValueError, match="three non-negative shares"):
        split_for_group("x", (0.5, 0.5))


def test_vnmod_labelled_split_by_family(tmp_path):
    rows = [
        {"text": f"bài {f} số {i}", "labels": ["illegal_ads"], "topic": "t", "family": f"fam-{f}"}
        for f in range(30)
        for i in range(4)
    ]
    _write_jsonl(tmp_path / "illegal_ads" / "a.jsonl", rows[:60])
    _write_jsonl(tmp_path / "negatives" / "b.jsonl", [{**r, "labels": []} for r in rows[60:]])
    frame = load_corpus("vnmod_labelled", data_dir=tmp_path)
    assert len(frame) == 120
    assert frame.groupby("group")["split"].nunique().max() == 1
    assert frame.loc[frame["group"] == "fam-2", "split"].unique().tolist() == ["dev"]
    assert frame.loc[frame["group"] == "fam-0", "split"].unique().tolist() == ["test"]
    assert frame["illegal_ads"].tolist() == [1] * 60 + [0] * 60
    assert set(frame["file"]) == {"illegal_ads/a.jsonl", "negatives/b.jsonl"}
    assert (
        frame["split"].tolist()
        == load_corpus("vnmod_labelled", data_dir=tmp_path)["split"].tolist()
    )


def test_vnmod_labelled_bad_line(tmp_path):
    _write_jsonl(tmp_path / "n" / "c.jsonl", [{"text": "a", "labels": ["lừa đảo"]}])
    with pytest.raises(ValueError, match=r"c\.jsonl:1: Unknown label 'lừa đảo'"):
        load_corpus("vnmod_labelled", data_dir=tmp_path)


def test_vnmod_labelled_empty_folder(tmp_path):
    with pytest.warns(UserWarning, match="vnmod_labelled is empty"):
        frame = load_corpus("vnmod_labelled", data_dir=tmp_path)
    assert len(frame) == 0
    assert list(frame.columns[:8]) == ["text", *CATS, "source", "split", "group"]


def test_repo_labelled_data_family_split():
    frame = load_corpus("vnmod_labelled")
    if frame.empty:
        pytest.skip("no data/labelled/*.jsonl yet")
    assert frame.groupby("group")["split"].nunique().max() == 1
    assert frame[CATS].sum(axis=1).ge(0).all()
    assert set(frame["split"]) <= {"train", "dev", "test"}


# --------------------------------------------------------------------------- near-duplicates


def test_near_duplicates_small():
    a = ["Vay tiền nhanh lãi thấp liên hệ 0909", "hôm nay trời đẹp", "x"]
    b = ["vay tiền  nhanh lãi thấp liên hệ 0908", "Hôm nay trời ĐẸP", "một câu khác hẳn", "x"]
    pairs = near_duplicates(a, b, threshold=0.8)
    assert [(i, j) for i, j, _ in pairs] == [(0, 0), (1, 1), (2, 3)]
    assert pairs[1][2] == pairs[2][2] == 1.0
    assert 0.8 <= pairs[0][2] < 1.0
    assert near_duplicates([], b) == []
    with pytest.raises(ValueError, match="threshold"):
        near_duplicates(a, b, threshold=0)


def test_near_duplicates_3000_by_3000_is_fast():
    rng = np.random.default_rng(0)
    vocab = [f"từ{i}" for i in range(3000)]
    a = [" ".join(rng.choice(vocab, 12)) for _ in range(3000)]
    b = [" ".join(rng.choice(vocab, 12)) for _ in range(3000)]
    for k in range(0, 3000, 300):  # plant 10 near-copies: one word changed
        words = a[k].split()
        words[5] = "khác"
        b[k + 1] = " ".join(words)
    start = time.perf_counter()
    pairs = near_duplicates(a, b, threshold=0.6)
    assert time.perf_counter() - start < 10
    assert {(i, j) for i, j, _ in pairs} == {(k, k + 1) for k in range(0, 3000, 300)}


def test_near_copies_between_splits():
    frame = pd.DataFrame(
        {
            "text": ["nạp 100k nhận 300k ngay", "Nạp 100k nhận 300k ngay!", "chào cả nhà"],
            "split": ["train", "test", "test"],
            "group": ["f1", "f2", "f3"],
        }
    )
    report = near_copies_between_splits(frame, threshold=0.7)
    assert report[["test_group", "train_group", "test_index", "train_index"]].values.tolist() == [
        ["f2", "f1", 1, 0]
    ]


# --------------------------------------------------------------------------- datasets


def test_dataset_round_trip_synthetic():
    pytest.importorskip("datasets")
    frame = pd.DataFrame(
        {
            "text": ["a", "b"],
            "insult": [1, 0],
            "offensive": [0, 0],
            "fake_news": [0, 1],
            "illegal_ads": [0, 0],
            "source": ["s", "s"],
            "split": ["train", "test"],
            "group": ["g", None],
            "spans": [[(0, 1)], []],
        }
    )
    ds = to_dataset(frame)
    assert ds.num_rows == 2 and ds.column_names == list(frame.columns)
    back = from_dataset(ds)
    assert back["spans"].tolist() == [[(0, 1)], []]
    assert back["group"].tolist() == ["g", None]
    pd.testing.assert_frame_equal(
        back.drop(columns=["spans", "group"]),
        frame.drop(columns=["spans", "group"]),
        check_dtype=False,
    )
    assert back[CATS].dtypes.eq(np.int64).all()


@CORPORA_NEEDED
def test_dataset_round_trip_corpus(corpus):
    pytest.importorskip("datasets")
    frame = corpus("vihos", "dev")
    back = from_dataset(to_dataset(frame))
    assert back["text"].tolist() == frame["text"].tolist()
    assert back["spans"].tolist() == frame["spans"].tolist()
    assert (back[CATS].to_numpy() == frame[CATS].to_numpy()).all()


def test_corpus_table_is_complete():
    assert set(CORPORA) == {
        "vihsd", "vlsp2019", "vithsd", "vihos", "reintel", "vifn_v2",
        "vifn_v3", "vi_smishing", "vispam", "vilexnorm", "uit_vsfc", "vnmod_labelled", "policy",
    }  # fmt: skip
