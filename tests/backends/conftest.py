"""Fixtures for the PhoBERT backend: a tiny PhoBERT built offline from project-written text.

* ``tiny_files``: ``vocab.txt`` + ``bpe.codes`` learnt (fastBPE format) from the sentences in
  ``data/sentences.txt`` plus the template sentences below, all written for this project;
  pieces seen once are left out of ``vocab.txt`` so some merge results map to ``<unk>``,
  as in real PhoBERT files.
* ``tiny_base``: a 2-layer, hidden-64 ``RobertaForMaskedLM`` with PhoBERT's layout (258
  positions, 256 tokens), like ``vinai/phobert-base`` but random.
* ``tiny_model``: ``tiny_base`` fine-tuned on the 48 posts of ``data/labelled.tsv``.
* ``vihsd_posts``: real ViHSD posts, read in place (never copied); skips when absent.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

DATA = Path(__file__).parent / "data"
REPO = Path(__file__).resolve().parents[2]

# Template parts (project-written, already segmented) to widen the tiny corpus.
SUBJECTS = ["tôi", "mình", "chị Lan", "anh Minh", "cô giáo", "bác nông_dân", "người_dân",
            "học_sinh", "bạn ấy", "công_ty", "cửa_hàng", "bệnh_viện", "ủy_ban xã",
            "bà_con", "đội bóng", "nhà_mạng"]
PREDICATES = ["vừa mua", "đang tìm", "rất thích", "không thích", "đã gửi", "mới nhận",
              "muốn bán", "cần thuê", "đang sửa", "chia_sẻ", "hỏi về", "cảnh_báo về"]
OBJECTS = ["chiếc xe_máy cũ", "căn nhà nhỏ ở ngoại_thành", "món quà sinh_nhật",
           "thông_tin tuyển_dụng", "bài viết trên mạng xã_hội", "đơn hàng online",
           "lịch tiêm_chủng", "tin nhắn lạ", "giá rau ngoài chợ", "kết_quả thi",
           "vé tàu về quê", "hợp_đồng thuê nhà", "hóa_đơn tiền điện", "khóa học lập_trình"]
ENDINGS = ["", " hôm_qua", " sáng nay", " ở Hà_Nội", " tại Đà_Nẵng", " nhé", " rồi"]


def template_sentences() -> list[str]:
    """About 250 sentences from the template parts (deterministic)."""
    rng = np.random.default_rng(7)
    out = set()
    while len(out) < 250:
        parts = [rng.choice(SUBJECTS), rng.choice(PREDICATES), rng.choice(OBJECTS)]
        out.add(" ".join(parts) + str(rng.choice(ENDINGS)) + " .")
    return sorted(out)


def project_sentences() -> list[str]:
    lines = (DATA / "sentences.txt").read_text(encoding="utf-8").splitlines()
    return [s for s in lines if s.strip() and not s.startswith("#")] + template_sentences()


def labelled_posts() -> tuple[list[str], np.ndarray]:
    from vnmod.taxonomy import CATEGORIES

    texts, rows = [], []
    for line in (DATA / "labelled.tsv").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        text, _, labels = line.partition("\t")
        texts.append(text)
        rows.append([float(c in labels.split(",")) for c in CATEGORIES])
    return texts, np.array(rows)


@pytest.fixture(scope="session")
def sentences() -> list[str]:
    return project_sentences()


@pytest.fixture(scope="session")
def labelled() -> tuple[list[str], np.ndarray]:
    return labelled_posts()


@pytest.fixture(scope="session")
def tiny_files(tmp_path_factory, sentences) -> tuple[Path, Path]:
    from vnmod.backends.transformer.phobert_build import learn_fastbpe

    return learn_fastbpe(sentences, tmp_path_factory.mktemp("tiny_bpe"), vocab_size=700,
                         min_count=2)


@pytest.fixture(scope="session")
def tiny_base(tmp_path_factory, tiny_files) -> Path:
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    from vnmod.backends.transformer.phobert_build import random_phobert

    vocab, merges = tiny_files
    return random_phobert(tmp_path_factory.mktemp("tiny_base"), vocab_file=vocab,
                          merges_file=merges, layers=2, hidden=64, heads=4, intermediate=128,
                          masked_lm=True, seed=0)


@pytest.fixture(scope="session")
def tiny_training(tmp_path_factory, tiny_base, labelled) -> tuple[Path, dict]:
    """Fine-tune the tiny model on the 48 labelled posts (dev = the same posts)."""
    from vnmod.backends.transformer.train import train_phobert

    texts, y = labelled
    out = tmp_path_factory.mktemp("tiny_model")
    metrics = train_phobert(texts, y, texts, y, base_model=tiny_base, output_dir=out,
                            epochs=20, batch_size=8, lr=3e-3, seed=1, patience=20,
                            num_threads=1,
                            data_summary={"corpus": "tests/backends/data/labelled.tsv"})
    return out, metrics


@pytest.fixture(scope="session")
def tiny_model(tiny_training) -> Path:
    return tiny_training[0]


@pytest.fixture(scope="session")
def tiny_segmented(labelled) -> list[str]:
    from vnmod.backends.transformer.train import prepare_texts

    return prepare_texts(labelled[0])


@pytest.fixture(scope="session")
def vihsd_posts(data_dir) -> list[str]:
    """Non-empty ViHSD train posts (read in place; skipped without the corpora)."""
    with open(data_dir / "vihsd" / "train.csv", encoding="utf-8", newline="") as handle:
        return [r["free_text"] for r in csv.DictReader(handle) if (r["free_text"] or "").strip()]
