"""The PhoBERT path through the command line: train an ensemble, export it, serve the export."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")
pytest.importorskip("onnxruntime")


@pytest.fixture(scope="module")
def ensemble(tmp_path_factory, tiny_base):
    """linear + rules + tiny PhoBERT trained on the project's own labelled posts."""
    from vnmod.cli import main

    recipe = tmp_path_factory.mktemp("recipe") / "tiny.toml"
    recipe.write_text('name = "tiny"\nsources = ["vnmod_labelled"]\n'
                      'dev_sources = ["vnmod_labelled"]\n[linear]\nmin_df = 2\n',
                      encoding="utf-8")
    out = tmp_path_factory.mktemp("models") / "tiny"
    code = main(["train", "--config", str(recipe), "-o", str(out), "--backend", "phobert",
                 "--base-model", str(tiny_base), "--epochs", "1", "--batch-size", "64"])
    assert code == 0
    return out


def test_train_writes_an_ensemble_with_fallback_stacks(ensemble):
    import vnmod

    manifest = json.loads((ensemble / "vnmod.json").read_text(encoding="utf-8"))
    assert [c["type"] for c in manifest["components"]] == ["phobert", "linear", "rules"]
    assert set(manifest["combine"]["stacks"]) == {"linear+phobert+rules", "linear+rules",
                                                  "rules"}
    clf = vnmod.load(ensemble)
    p = clf.predict("Nhận làm bằng đại học giả, bao công chứng, lh zalo 0912xxx888")
    assert p.components == ["phobert", "linear", "rules"]
    assert p.label == "illegal_ads"


def test_fallback_uses_the_stack_fitted_without_phobert(ensemble, tmp_path):
    import shutil

    import vnmod

    copy = shutil.copytree(ensemble, tmp_path / "m")
    (copy / "phobert" / "model.safetensors").unlink()
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        clf = vnmod.load(copy, allow_degraded=True)
    manifest = json.loads((copy / "vnmod.json").read_text(encoding="utf-8"))
    assert clf.component_names == ["linear", "rules"]
    assert clf.thresholds == manifest["combine"]["stacks"]["linear+rules"]["thresholds"]


def test_export_onnx_then_serve_it(ensemble, tmp_path):
    import shutil

    import vnmod
    from vnmod.cli import main

    copy = shutil.copytree(ensemble, tmp_path / "m")
    texts = ["Nhận làm bằng đại học giả, lh 0912xxx888", "hôm nay trời đẹp quá",
             "mày là thằng ngu", "vay nóng chỉ cần cccd"]
    before = vnmod.load(copy).predict_proba(texts)
    assert main(["export-onnx", str(copy)]) == 0
    manifest = json.loads((copy / "vnmod.json").read_text(encoding="utf-8"))
    entry = next(c for c in manifest["components"] if c["type"] == "phobert")
    assert entry["config"]["runtime"] == "onnx"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the checksums were rewritten: no fallback warning
        clf = vnmod.load(copy)
    assert clf.component_names == ["phobert", "linear", "rules"]
    np.testing.assert_allclose(clf.predict_proba(texts), before, atol=1e-4)


def test_serve_only_export_ships_the_int8_file_alone(ensemble, tmp_path):
    import shutil

    import vnmod
    from vnmod.cli import main

    copy = shutil.copytree(ensemble, tmp_path / "m")
    texts = ["Nhận làm bằng đại học giả, lh 0912xxx888", "mày là thằng ngu"]
    assert main(["export-onnx", str(copy), "--serve-only"]) == 2  # needs --int8
    assert main(["export-onnx", str(copy), "--int8", "--serve-only"]) == 0
    left = sorted(p.name for p in (copy / "phobert").iterdir())
    assert "model.int8.onnx" in left
    assert "model.safetensors" not in left and "model.onnx" not in left
    manifest = json.loads((copy / "vnmod.json").read_text(encoding="utf-8"))
    assert not any("model.safetensors" in name for name in manifest["files"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # every listed file is there: no degraded load
        clf = vnmod.load(copy)
    assert clf.component_names == ["phobert", "linear", "rules"]
    assert clf.predict(texts[0]).label == vnmod.load(ensemble).predict(texts[0]).label


def test_a_finetuned_encoder_is_stacked_again_without_training(ensemble, tmp_path):
    import vnmod
    from vnmod.cli import main
    from vnmod.modeldir import sha256

    recipe = tmp_path / "tiny.toml"
    recipe.write_text('name = "again"\nsources = ["vnmod_labelled"]\n'
                      'dev_sources = ["vnmod_labelled"]\n[linear]\nmin_df = 3\n',
                      encoding="utf-8")
    out = tmp_path / "again"
    assert main(["train", "--config", str(recipe), "-o", str(out), "--backend", "phobert",
                 "--finetuned", str(ensemble / "phobert")]) == 0
    weights = "phobert/model.safetensors"
    assert sha256(out / weights) == sha256(ensemble / weights)
    manifest = json.loads((out / "vnmod.json").read_text(encoding="utf-8"))
    assert manifest["phobert_metrics"]["reused_from"] == str(ensemble / "phobert")
    assert vnmod.load(out).component_names == ["phobert", "linear", "rules"]


def test_a_serve_only_encoder_is_stacked_on_its_int8_scores(ensemble, tmp_path):
    import shutil

    import vnmod
    from vnmod.cli import main

    copy = shutil.copytree(ensemble, tmp_path / "m")
    assert main(["export-onnx", str(copy), "--int8", "--serve-only"]) == 0
    recipe = tmp_path / "tiny.toml"
    recipe.write_text('name = "again"\nsources = ["vnmod_labelled"]\n'
                      'dev_sources = ["vnmod_labelled"]\n', encoding="utf-8")
    out = tmp_path / "again"
    assert main(["train", "--config", str(recipe), "-o", str(out), "--backend", "phobert",
                 "--finetuned", str(copy / "phobert")]) == 0
    manifest = json.loads((out / "vnmod.json").read_text(encoding="utf-8"))
    entry = next(c for c in manifest["components"] if c["type"] == "phobert")
    assert (entry["config"]["runtime"], entry["config"]["quantize"]) == ("onnx", "int8")
    assert not (out / "phobert" / "model.safetensors").exists()
    assert vnmod.load(out).predict("mày là thằng ngu").labels
