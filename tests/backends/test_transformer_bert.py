"""The transformer backend serves a BERT encoder with a ``tokenizer.json`` (as a converted
multilingual-e5 model) as well as PhoBERT: a tiny random BERT built here loads, scores plain
(unsegmented) text, and saves and loads inside a Classifier as component type
``transformer``."""

from __future__ import annotations

import json

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")
tk = pytest.importorskip("tokenizers")

WORDS = ["tôi", "mình", "bán", "hàng", "giá", "rẻ", "lừa", "đảo", "tin", "giả", "chúc", "vui",
         "vẻ", "đồ", "ngu"]


@pytest.fixture(scope="module")
def bert_dir(tmp_path_factory):
    import torch
    from transformers import BertConfig, BertForSequenceClassification

    from vnmod.backends.transformer.checkpoint import META_FORMAT, write_metadata
    from vnmod.taxonomy import CATEGORIES

    directory = tmp_path_factory.mktemp("bert") / "transformer"
    directory.mkdir()
    vocab = {t: i for i, t in enumerate(["[PAD]", "[UNK]", "[CLS]", "[SEP]", *WORDS])}
    tok = tk.Tokenizer(tk.models.WordPiece(vocab, unk_token="[UNK]"))
    tok.pre_tokenizer = tk.pre_tokenizers.BertPreTokenizer()
    tok.post_processor = tk.processors.TemplateProcessing(
        single="[CLS] $A [SEP]", special_tokens=[("[CLS]", 2), ("[SEP]", 3)])
    tok.save(str(directory / "tokenizer.json"))
    torch.manual_seed(0)
    config = BertConfig(vocab_size=len(vocab), hidden_size=32, num_hidden_layers=1,
                        num_attention_heads=2, intermediate_size=64,
                        max_position_embeddings=64, num_labels=len(CATEGORIES))
    BertForSequenceClassification(config).save_pretrained(directory, safe_serialization=True)
    write_metadata(directory, {"format": META_FORMAT, "labels": list(CATEGORIES),
                               "max_length": 32, "segmentation": None,
                               "base_model": "tiny-bert"})
    return directory


def test_bert_scores_plain_text_in_any_batch_order(bert_dir):
    import vnmod
    from vnmod.backends.transformer import TransformerBackend
    from vnmod.backends.transformer.tokenizer import JsonTokenizer

    backend = TransformerBackend.from_pretrained(bert_dir, batch_size=2)
    assert isinstance(backend.tokenizer, JsonTokenizer) and not backend.segmented
    texts = ["bán hàng giá rẻ", "chúc vui vẻ", "", "đồ ngu " * 40]
    ids = [4 + WORDS.index(w) for w in ("chúc", "vui", "vẻ")]
    assert backend.tokenizer.encode(["chúc vui vẻ"])[0].tolist() == [2, *ids, 3]  # [CLS] [SEP]
    proba = backend.predict_proba([vnmod.normalise(t) for t in texts])
    assert proba.shape == (4, 4) and ((proba > 0) & (proba < 1)).all()
    np.testing.assert_allclose(backend.predict_prepared(texts[::-1])[::-1],
                               backend.predict_prepared(texts), atol=1e-6)


def test_bert_saves_and_loads_in_a_classifier(bert_dir, tmp_path):
    import vnmod
    from vnmod.backends.rules import RulesBackend
    from vnmod.backends.transformer import TransformerBackend
    from vnmod.classifier import Classifier

    clf = Classifier([(TransformerBackend.from_pretrained(bert_dir), 1.0), (RulesBackend(), 1.0)])
    root = clf.save(tmp_path / "model")
    manifest = json.loads((root / "vnmod.json").read_text(encoding="utf-8"))
    assert [c["type"] for c in manifest["components"]] == ["transformer", "rules"]
    again = vnmod.load(root)
    posts = ["bán hàng giá rẻ", "chúc mọi người vui vẻ"]
    np.testing.assert_allclose(again.predict_proba(posts), clf.predict_proba(posts))


def test_vnmod_train_fine_tunes_a_tokenizer_json_encoder(bert_dir, tmp_path):
    """``vnmod train --backend transformer --base-model DIR`` fine-tunes the tiny BERT on
    plain text (no segmentation) and saves a ``transformer`` component that loads."""
    import vnmod
    from vnmod.cli import main

    rows = [("bán hàng giá rẻ", "illegal_ads"), ("đồ ngu", "insult"),
            ("tin giả lừa đảo", "fake_news"), ("chúc vui vẻ", ""),
            ("mình bán đồ giá rẻ", "illegal_ads"), ("tôi ngu", "insult"),
            ("lừa đảo tin giả", "fake_news"), ("chúc mình vui", "")]
    path = tmp_path / "mine.csv"
    lines = ["text,labels,split"] + [f"{t},{lab},{split}" for split in ("train", "dev")
                                     for t, lab in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "model"
    assert main(["train", "--labelled", str(path), "--backend", "transformer",
                 "--base-model", str(bert_dir), "--output", str(out), "--epochs", "2",
                 "--batch-size", "4", "--lr", "1e-3", "--freeze-embeddings",
                 "--device", "cpu"]) == 0
    manifest = json.loads((out / "vnmod.json").read_text(encoding="utf-8"))
    assert [c["type"] for c in manifest["components"]] == ["transformer", "linear", "rules"]
    meta = json.loads((out / "transformer" / "vnmod_phobert.json").read_text(encoding="utf-8"))
    assert meta["segmentation"] is None and meta["max_length"] == 64
    assert meta["training"]["hyperparameters"]["freeze_embeddings"] is True
    assert (out / "transformer" / "tokenizer.json").is_file()
    assert not (out / "transformer" / "vocab.txt").exists()
    assert meta["metrics"]["epochs_run"] >= 1
    clf = vnmod.load(out)
    assert [c.name for c, _ in clf.components][:1] == ["transformer"]
    assert not clf.components[0][0].segmented
    proba = clf.predict_proba(["bán hàng giá rẻ", "chúc vui vẻ"])
    assert proba.shape == (2, 4) and np.isfinite(proba).all()
