"""The real posts labelled under ANNOTATION.md: label file, clustering, splits."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from vnmod.data import load_corpus, text_key
from vnmod.data.policy import (
    HELD_OUT_POOLS,
    TRAIN_ONLY_POOLS,
    clusters,
    contacts,
    policy_labels_path,
    row_hash,
)

CATS = ["insult", "offensive", "fake_news", "illegal_ads"]
LABELS = policy_labels_path()


def _rows() -> list[dict[str, str]]:
    with open(LABELS, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_label_file_holds_keys_and_notes_never_texts():
    rows = _rows()
    assert len(rows) >= 5000
    assert set(rows[0]) == {"corpus", "split", "id", "pool", *CATS, "borderline", "note"}
    keys = [(r["corpus"], r["split"], r["id"]) for r in rows]
    assert len(set(keys)) == len(keys)
    for r in rows:
        assert all(r[c] in ("0", "1") for c in (*CATS, "borderline"))
        if any(r[c] == "1" for c in (*CATS, "borderline")):
            assert r["note"].strip(), r
        assert len(r["note"]) < 300


def test_row_hash_ignores_case_unicode_form_and_spacing():
    assert row_hash("Đẹp  quá\n") == row_hash("đẹp quá")
    assert row_hash("e\u0301") == row_hash("\u00e9")
    assert row_hash("a") != row_hash("b")
    assert row_hash("x").startswith("sha256:") and len(row_hash("x")) == 7 + 16


def test_contacts_find_phones_handles_and_posters():
    found = contacts("Lh 0905.123.456 hoặc +84 905 123 457, zalo.me/ShopABC. "
                     "Photos from Lê Thư's post")
    assert {"tel:0905123456", "tel:0905123457", "web:shopabc", "fb:lê thư"} <= found
    assert contacts("giá 150.000đ, size S M L") == set()


def test_clusters_join_shared_contacts_and_near_copies():
    texts = [
        "Áo thun cotton 120k, gọi 0905123456",
        "Quần jean mới về, lh 0905 123 456",       # same seller by phone
        "Hôm nay trời đẹp quá đi chơi thôi",
        "Hôm nay trời đẹp quá đi chơi thôi!!",      # near-copy
        "Một câu hoàn toàn khác không liên quan",
    ]
    got = clusters(texts)
    assert got[0] == got[1]
    assert got[2] == got[3]
    assert len({got[0], got[2], got[4]}) == 3


@pytest.fixture(scope="module")
def policy(data_dir):
    return load_corpus("policy", data_dir=data_dir)


def test_every_label_finds_its_post(policy):
    assert len(policy) == len(_rows())
    assert policy.attrs.get("missing", 0) == 0
    assert (policy["text"].str.strip() != "").all()


def test_splits_keep_clusters_whole_and_examples_in_train(policy):
    per_group = policy.groupby("group")["split"].nunique()
    assert (per_group == 1).all()
    assert (policy.loc[policy["pool"] == "policy_examples", "split"] == "train").all()
    # held-out pools are posts never trained on: test, unless a train-only row shares the
    # cluster (the train-only pools win: a short comment alike an earlier ViLexNorm pool's or
    # a ViHSD one)
    held = policy["pool"].isin(HELD_OUT_POOLS)
    trained = set(policy.loc[policy["pool"].isin(TRAIN_ONLY_POOLS), "group"])
    assert held.any() and (policy.loc[held & ~policy["group"].isin(trained), "split"]
                           == "test").all()
    for pool in HELD_OUT_POOLS:
        assert (policy.loc[policy["pool"] == pool, "split"] == "test").mean() > 0.97
    test = policy[policy["split"] == "test"]
    # the 55/20/25 split of the pools that are neither held out nor training only
    rest = policy[~held & ~policy["pool"].isin(TRAIN_ONLY_POOLS)]
    assert 0.20 <= (rest["split"] == "test").mean() <= 0.30
    assert test["illegal_ads"].sum() >= 60
    # no seller contact of a test post is shared with a train post
    train_contacts = set().union(*(contacts(t) for t in policy.loc[policy["split"] == "train",
                                                                     "text"]))
    test_contacts = set().union(*(contacts(t) for t in test["text"]))
    assert not train_contacts & test_contacts
    assert not {text_key(t) for t in test["text"]} & {
        text_key(t) for t in policy.loc[policy["split"] == "train", "text"]}


def test_label_file_path_can_be_overridden(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("VNMOD_POLICY_LABELS", str(tmp_path / "mine.csv"))
    assert policy_labels_path() == tmp_path / "mine.csv"


def test_policy_rows_keyed_by_id_need_unique_ids(monkeypatch, tmp_path: Path):
    import pandas as pd

    from vnmod.data import corpora, policy

    frame = pd.DataFrame({"text": ["một", "hai"], "split": ["train", "train"], "id": ["7", "7"]})
    monkeypatch.setattr(corpora, "load_corpus", lambda *a, **k: frame)
    with pytest.raises(ValueError, match="not unique"):
        policy._corpus_texts("vlsp2019", tmp_path)
    # a corpus keyed by text hash takes both rows
    assert len(policy._corpus_texts("reintel", tmp_path)) == 2


def test_reintel_labels_find_the_post_that_was_read(policy):
    # ReINTEL training id 192 names two posts; the label was written for the incense seller.
    row = policy[policy["note"].str.startswith("bồ kết incense", na=False)]
    assert len(row) == 1
    assert "bồ kết" in row["text"].iloc[0] and row["illegal_ads"].iloc[0] == 1
