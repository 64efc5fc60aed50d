"""Loading, predicting, saving and refusing to load broken PhoBERT directories."""

from __future__ import annotations

import json
import shutil
import sys

import numpy as np
import pytest

from vnmod.backends.base import Backend, BackendUnavailable
from vnmod.taxonomy import CATEGORIES

pytest.importorskip("torch")
pytest.importorskip("transformers")

from vnmod.backends.transformer import PhobertBackend


@pytest.fixture(scope="module")
def backend(tiny_model):
    return PhobertBackend.from_pretrained(tiny_model, num_threads=2)


@pytest.fixture()
def model_copy(tiny_model, tmp_path):
    return shutil.copytree(tiny_model, tmp_path / "phobert")


def test_predict_proba_from_normalised(backend, labelled, tiny_segmented):
    from vnmod.text import normalise

    docs = [normalise(t) for t in labelled[0]]
    proba = backend.predict_proba(docs)
    assert isinstance(backend, Backend)
    assert proba.shape == (len(docs), len(CATEGORIES)) and proba.dtype == np.float64
    assert ((proba >= 0) & (proba <= 1)).all()
    np.testing.assert_allclose(proba, backend.predict_segmented(tiny_segmented))
    # labels at the dev thresholds training recorded match most of these (training) posts
    cut = np.array([backend.meta["thresholds"][c] for c in CATEGORIES])
    assert ((proba >= cut) == (labelled[1] == 1)).mean() > 0.9
    assert backend.predict_proba([]).shape == (0, len(CATEGORIES))


def test_order_and_batching_do_not_change_results(tiny_model, tiny_segmented):
    texts = [*tiny_segmented, "", "xin_chào " * 400]  # empty and over-long posts included
    one = PhobertBackend.from_pretrained(tiny_model, batch_size=1).predict_segmented(texts)
    many = PhobertBackend.from_pretrained(tiny_model, batch_size=64)
    np.testing.assert_allclose(many.predict_segmented(texts), one, atol=1e-5)
    np.testing.assert_allclose(many.predict_segmented(texts[::-1]), one[::-1], atol=1e-5)


def test_save_reload_same_probabilities(backend, tiny_segmented, tmp_path):
    config = backend.save(tmp_path / "phobert")
    json.dumps(config)  # JSON-able for the manifest
    assert "thresholds" not in config and config["max_length"] == 256  # the stack's job
    again = PhobertBackend.load(tmp_path / "phobert", config)
    np.testing.assert_array_equal(again.predict_segmented(tiny_segmented),
                                  backend.predict_segmented(tiny_segmented))
    assert again.save(tmp_path / "phobert") == config  # saving in place is a no-op


def test_missing_weights(model_copy):
    (model_copy / "model.safetensors").unlink()
    with pytest.raises(BackendUnavailable, match=r"model\.safetensors is missing"):
        PhobertBackend.load(model_copy, {})


def test_truncated_weights(model_copy):
    path = model_copy / "model.safetensors"
    path.write_bytes(path.read_bytes()[:1000])
    with pytest.raises(BackendUnavailable, match="corrupt or truncated"):
        PhobertBackend.load(model_copy, {})


def test_truncated_weights_without_metadata_record(model_copy):
    """Even when the metadata has no size to compare, a truncated file fails to load cleanly."""
    meta_path = model_copy / "vnmod_phobert.json"
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    meta["files"] = {}
    meta_path.write_text(json.dumps(meta), encoding="utf-8")
    path = model_copy / "model.safetensors"
    path.write_bytes(path.read_bytes()[:1000])
    with pytest.raises(BackendUnavailable, match="cannot load the PhoBERT weights"):
        PhobertBackend.load(model_copy, {})


def test_corrupt_weights_same_size(model_copy):
    path = model_copy / "model.safetensors"
    data = bytearray(path.read_bytes())
    data[-100:] = bytes(100)
    path.write_bytes(bytes(data))
    with pytest.raises(BackendUnavailable, match="SHA-256"):
        PhobertBackend.from_pretrained(model_copy)  # load() leaves hashing to verify_model


def test_unreadable_metadata_and_config(model_copy):
    (model_copy / "config.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(BackendUnavailable):
        PhobertBackend.load(model_copy, {})
    (model_copy / "vnmod_phobert.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(BackendUnavailable, match="unreadable"):
        PhobertBackend.load(model_copy, {})
    (model_copy / "vnmod_phobert.json").unlink()
    with pytest.raises(BackendUnavailable, match=r"vnmod_phobert\.json is missing"):
        PhobertBackend.load(model_copy, {})


def test_no_torch_gives_install_command(tiny_model, monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # `import torch` now raises ImportError
    with pytest.raises(BackendUnavailable, match=r'pip install "vnmod\[phobert\]"'):
        PhobertBackend.load(tiny_model, {})


def test_checkpoint_not_cached_says_how_to_get_it():
    from vnmod.backends.transformer.checkpoint import resolve_checkpoint

    with pytest.raises(BackendUnavailable, match="hf download vinai/phobert-base"):
        resolve_checkpoint("vinai/phobert-base-not-cached")


def test_checkpoint_from_local_hf_cache(tiny_base, tmp_path, monkeypatch):
    """``vinai/phobert-base`` resolves to a snapshot already in the Hugging Face cache."""
    hub = pytest.importorskip("huggingface_hub")
    from vnmod.backends.transformer.checkpoint import resolve_checkpoint

    repo = tmp_path / "models--vinai--phobert-base"
    snapshot = repo / "snapshots" / ("0" * 40)
    shutil.copytree(tiny_base, snapshot)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text("0" * 40)
    monkeypatch.setattr(hub.constants, "HF_HUB_CACHE", str(tmp_path))
    assert resolve_checkpoint("vinai/phobert-base") == snapshot
