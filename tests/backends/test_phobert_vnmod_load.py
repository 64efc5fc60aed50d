"""End to end: a model directory with PhoBERT + rules loads through ``vnmod.load``; without
the PhoBERT weights it is refused, or (``allow_degraded``) falls back to the remaining
components with one warning."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")


@pytest.fixture()
def saved_model(tiny_model, tmp_path):
    from vnmod.backends.rules import RulesBackend
    from vnmod.backends.transformer import PhobertBackend
    from vnmod.classifier import Classifier

    clf = Classifier([(PhobertBackend.from_pretrained(tiny_model), 1.0), (RulesBackend(), 1.0)])
    return clf.save(tmp_path / "model")


def test_vnmod_load_predicts_with_phobert(saved_model, labelled, tiny_model):
    import vnmod
    from vnmod.backends.transformer import PhobertBackend

    texts = labelled[0]
    clf = vnmod.load(saved_model)
    assert "phobert" in clf.component_names
    predictions = clf.predict(texts)
    assert all("phobert" in p.components for p in predictions)
    phobert = next(b for b, _ in clf.components if b.name == "phobert")
    direct = PhobertBackend.from_pretrained(tiny_model)
    docs = [vnmod.normalise(t) for t in texts]
    np.testing.assert_allclose(phobert.predict_proba(docs), direct.predict_proba(docs))


def test_vnmod_load_falls_back_without_weights(saved_model, labelled):
    import vnmod
    from vnmod.modeldir import ModelDirError

    (saved_model / "phobert" / "model.safetensors").unlink()
    with pytest.raises(ModelDirError, match=r"phobert/model\.safetensors missing"):
        vnmod.load(saved_model)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        clf = vnmod.load(saved_model, allow_degraded=True)
    about_phobert = [w for w in caught if "phobert" in str(w.message)]
    assert len(about_phobert) == 1
    assert "phobert" not in clf.component_names
    predictions = clf.predict(labelled[0][:5])
    assert all("phobert" not in p.components for p in predictions)
    assert all(p.status.endswith("degraded model: phobert missing") for p in predictions)


def test_weights_are_hashed_once_per_load(saved_model, monkeypatch):
    """verify_model hashes every file; the PhoBERT backend does not hash its weights again."""
    import vnmod
    from vnmod import modeldir

    hashed = []
    real = modeldir.sha256
    monkeypatch.setattr(modeldir, "sha256", lambda path: hashed.append(path.name) or real(path))
    vnmod.load(saved_model)
    assert hashed.count("model.safetensors") == 1
