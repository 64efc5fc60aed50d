"""Fine-tuning the tiny PhoBERT: the loss goes down, metadata and thresholds are saved."""

from __future__ import annotations

import json

import numpy as np
import pytest

from vnmod.backends.transformer.train import f1_report, length_batches
from vnmod.combine import best_thresholds
from vnmod.taxonomy import CATEGORIES

pytest.importorskip("torch")
pytest.importorskip("transformers")


def test_loss_goes_down(tiny_training):
    _, metrics = tiny_training
    history = metrics["history"]
    assert len(history) >= 3
    assert history[-1]["train_loss"] < 0.7 * history[0]["train_loss"]
    assert np.mean(metrics["step_losses"][-6:]) < np.mean(metrics["step_losses"][:6])
    assert metrics["dev"]["macro_f1"] > 0.5  # dev = train here: the model fits its data


def test_saved_directory_and_metadata(tiny_training):
    out, metrics = tiny_training
    names = {p.name for p in out.iterdir()}
    assert {"config.json", "model.safetensors", "vocab.txt", "bpe.codes",
            "tokenizer_config.json", "vnmod_tokenizer.json", "vnmod_phobert.json"} <= names
    meta = json.loads((out / "vnmod_phobert.json").read_text(encoding="utf-8"))
    assert meta["labels"] == list(CATEGORIES)
    assert meta["max_length"] == 256
    assert set(meta["thresholds"]) == set(CATEGORIES)
    assert meta["thresholds"] == metrics["thresholds"]
    assert meta["segmentation"]["tool"] == "underthesea.word_tokenize"
    assert meta["training"]["train"]["n"] == 48
    assert meta["training"]["hyperparameters"]["seed"] == 1
    assert meta["versions"]["torch"] and meta["files"]["model.safetensors"]["bytes"] > 0
    config = json.loads((out / "config.json").read_text(encoding="utf-8"))
    assert config["max_position_embeddings"] == 258
    assert config["problem_type"] == "multi_label_classification"


def test_slow_tokenizer_and_automodel_load_the_output(tiny_model, tiny_segmented):
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from vnmod.backends.transformer.phobert_tokenizer import FastPhobertTokenizer

    slow = AutoTokenizer.from_pretrained(tiny_model)
    fast = FastPhobertTokenizer.from_directory(tiny_model)
    assert slow(tiny_segmented)["input_ids"] == [s.tolist() for s in fast.encode(tiny_segmented)]
    model = AutoModelForSequenceClassification.from_pretrained(tiny_model)
    assert model.config.num_labels == 4


def test_unlabelled_category_is_nan(tiny_base, labelled, tmp_path):
    """A category with no labels at all is not learnt: the backend returns nan for it."""
    from vnmod.backends.transformer import PhobertBackend
    from vnmod.backends.transformer.train import train_phobert

    texts, y = labelled
    y = y.copy()
    y[:, CATEGORIES.index("fake_news")] = np.nan
    train_phobert(texts, y, base_model=tiny_base, output_dir=tmp_path, epochs=1, batch_size=16)
    proba = PhobertBackend.from_pretrained(tmp_path).predict_segmented(["xin_chào"])
    assert np.isnan(proba[0, CATEGORIES.index("fake_news")])
    assert not np.isnan(np.delete(proba[0], CATEGORIES.index("fake_news"))).any()


def test_length_batches_cover_everything():
    lengths = np.array([5, 1, 9, 3, 3, 7, 2])
    sorted_batches = length_batches(lengths, 3)
    assert [lengths[b].tolist() for b in sorted_batches] == [[1, 2, 3], [3, 5, 7], [9]]
    shuffled = length_batches(lengths, 2, np.random.default_rng(0))
    assert sorted(np.concatenate(shuffled).tolist()) == list(range(7))


def test_thresholds_and_f1():
    y = np.array([[1, 0, np.nan, 0], [0, 0, np.nan, 1], [1, 0, np.nan, 0], [0, 1, np.nan, 0]])
    p = np.array([[0.7, 0.1, 0.9, 0.2], [0.2, 0.1, 0.9, 0.35], [0.8, 0.2, 0.9, 0.3],
                  [0.1, 0.6, 0.9, 0.1]])
    t = best_thresholds(p, y)
    assert t["insult"] == 0.45 and t["fake_news"] == 0.5  # middle of the 0.2..0.7 gap
    assert 0.3 < t["illegal_ads"] <= 0.35
    report = f1_report(p, y, t)
    assert report["macro_f1"] == 1.0  # fake_news has no labels: left out of the macro mean
    assert report["per_label"]["fake_news"]["support"] == 0


def test_a_run_stopped_midway_resumes_to_the_same_weights(tiny_base, labelled, tmp_path,
                                                          monkeypatch):
    from safetensors.torch import load_file

    from vnmod.backends.transformer import resume
    from vnmod.backends.transformer.train import train_phobert

    texts, y = labelled
    options = {"base_model": tiny_base, "epochs": 3, "batch_size": 8, "lr": 3e-3, "seed": 1,
               "patience": 3, "num_threads": 1, "checkpoint_every": 4}
    whole = train_phobert(texts, y, texts, y, output_dir=tmp_path / "whole", **options)
    assert not (tmp_path / "whole" / resume.FOLDER).exists()  # removed once saved

    saved = resume.save
    calls = []

    def save_then_stop(*args, **kwargs):  # killed after the third checkpoint (mid epoch 2)
        saved(*args, **kwargs)
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt

    monkeypatch.setattr(resume, "save", save_then_stop)
    with pytest.raises(KeyboardInterrupt):
        train_phobert(texts, y, texts, y, output_dir=tmp_path / "cut", **options)
    monkeypatch.setattr(resume, "save", saved)
    progress = json.loads((tmp_path / "cut" / resume.FOLDER / resume.PROGRESS)
                          .read_text(encoding="utf-8"))["progress"]
    assert (progress["epoch"], progress["step"]) == (2, 4)
    with pytest.raises(ValueError, match="another run"):
        train_phobert(texts, y, texts, y, output_dir=tmp_path / "cut", resume=True,
                      **{**options, "lr": 1e-3})
    again = train_phobert(texts, y, texts, y, output_dir=tmp_path / "cut", resume=True,
                          **options)
    assert again["history"] == whole["history"]
    a = load_file(str(tmp_path / "whole" / "model.safetensors"))
    b = load_file(str(tmp_path / "cut" / "model.safetensors"))
    assert a.keys() == b.keys()
    for key in a:
        np.testing.assert_allclose(a[key].numpy(), b[key].numpy(), atol=1e-6)
