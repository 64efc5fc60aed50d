"""The fast PhoBERT tokenizer gives exactly PhobertTokenizer's ids."""

from __future__ import annotations

import sys
import warnings

import numpy as np
import pytest

from vnmod.backends.transformer.phobert_tokenizer import (
    FAST_FILE,
    PY_WHITESPACE,
    FastPhobertTokenizer,
    UnsegmentedInputWarning,
    looks_unsegmented,
    segment_for_phobert,
)

pytest.importorskip("tokenizers")

EDGE_CASES = [
    "",
    "   ",
    "emoji 😀😡 chữ lạ ₫ Ω ß",
    "a@@b x</w>y @@ </w>",
    "có <s> giữa và </s> <mask> <unk>x <pad>",
    "dòng\nhai  \n\n ba\n",
    "\x1cabc\x1fdef\u3000g\u00a0h\u2028i",
    "tab\there\rcr\x0bvt\x0cff\x85nel end\t",
    "VIẾT HOA Hà_Nội xin_chào",
    "<url> <phone> <email> <money>",
    "hà_nội " * 300,
    "x" * 2000,
]


def slow_ids(vocab, merges, texts, max_length=256):
    from transformers import PhobertTokenizer

    slow = PhobertTokenizer(str(vocab), str(merges))
    return slow(list(texts), truncation=True, max_length=max_length)["input_ids"]


def fast_ids(fast, texts):
    return [ids.tolist() for ids in fast.encode(texts, check=False)]


def assert_same(vocab, merges, texts):
    fast = FastPhobertTokenizer.from_files(vocab, merges)
    expected = slow_ids(vocab, merges, texts)
    got = fast_ids(fast, texts)
    bad = [(t[:60], e[:12], g[:12]) for t, e, g in zip(texts, expected, got, strict=True)
           if e != g]
    assert not bad, f"{len(bad)} of {len(texts)} differ, e.g. {bad[:3]}"
    return fast


def test_whitespace_table_is_pythons():
    assert set(PY_WHITESPACE) == {chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace()}


def test_same_ids_on_project_sentences(tiny_files, sentences):
    pytest.importorskip("transformers")
    vocab, merges = tiny_files
    fast = assert_same(vocab, merges, sentences + EDGE_CASES)
    # the tiny vocab leaves some merge results out, so the <unk> remapping is exercised
    assert (fast.id_map != np.arange(len(fast.id_map))).any()
    assert max(len(ids) for ids in fast.encode(EDGE_CASES, check=False)) == 256


def test_same_ids_on_vihsd(tiny_files, vihsd_posts, tmp_path):
    """>= 10,000 real posts, segmented, on the tiny vocab and on one learnt from ViHSD."""
    pytest.importorskip("transformers")
    from vnmod.backends.transformer.phobert_build import learn_fastbpe

    posts = vihsd_posts[:10_500]
    assert len(posts) >= 10_000
    segmented = segment_for_phobert(posts)
    assert_same(*tiny_files, segmented)
    assert_same(*tiny_files, posts)  # raw, unsegmented, newlines kept
    learnt = learn_fastbpe(segment_for_phobert(vihsd_posts[10_500:13_000]), tmp_path,
                           vocab_size=6000, min_count=2)
    assert_same(*learnt, segmented)


def test_saved_tokenizer_reloads(tiny_files, tmp_path, sentences):
    import shutil

    for path in tiny_files:
        shutil.copy(path, tmp_path / path.name)
    built = FastPhobertTokenizer.from_directory(tmp_path)
    built.save(tmp_path)
    loaded = FastPhobertTokenizer.from_directory(tmp_path)
    assert fast_ids(loaded, sentences) == fast_ids(built, sentences)
    (tmp_path / FAST_FILE).write_text("{broken", encoding="utf-8")
    with pytest.warns(UserWarning, match="rebuilding"):
        rebuilt = FastPhobertTokenizer.from_directory(tmp_path)
    assert fast_ids(rebuilt, sentences) == fast_ids(built, sentences)


def test_pad_and_max_length(tiny_files):
    fast = FastPhobertTokenizer.from_files(*tiny_files, max_length=16)
    batch = fast(["xin_chào", "một hai ba bốn năm sáu bảy tám chín mười " * 3], check=False)
    assert batch["input_ids"].shape == (2, 16)
    assert batch["input_ids"][0, 0] == 0 and batch["input_ids"][1, -1] == 2
    assert (batch["input_ids"][batch["attention_mask"] == 0] == 1).all()


def test_unsegmented_input_warns(tiny_files):
    fast = FastPhobertTokenizer.from_files(*tiny_files)
    raw = ["bộ y tế xác nhận thêm ca nhiễm mới tại hà nội"] * 5
    with pytest.warns(UnsegmentedInputWarning):
        fast.encode(raw)
    segmented = ["bộ y_tế xác_nhận thêm ca nhiễm mới tại hà_nội"] * 5
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        FastPhobertTokenizer.from_files(*tiny_files).encode(segmented)
    assert looks_unsegmented(raw) and not looks_unsegmented(segmented)


def test_segment_keeps_placeholders():
    out = segment_for_phobert(["bộ y tế xác nhận <url> gọi <phone> giá <money> hỏi <email>"])
    assert out == ["bộ y_tế xác_nhận <url> gọi <phone> giá <money> hỏi <email>"]
