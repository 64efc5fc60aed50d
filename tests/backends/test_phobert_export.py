"""int8 and ONNX Runtime agree with torch fp32 on the test fixture.

Tolerances (max absolute probability difference over the 48 fixture posts): ONNX fp32 1e-5,
torch dynamic int8 and ONNX int8 0.05; the thresholded labels must be identical.
"""

from __future__ import annotations

import json
import shutil
import sys

import pytest

from vnmod.backends.base import BackendUnavailable

pytest.importorskip("torch")
pytest.importorskip("transformers")
pytest.importorskip("onnxruntime")
pytest.importorskip("onnx")

TOLERANCE = {("torch", "int8"): 0.05, ("onnx", None): 1e-5, ("onnx", "int8"): 0.05}


@pytest.fixture(scope="module")
def exported(tiny_model, tmp_path_factory):
    from vnmod.backends.transformer.export import export_onnx

    directory = shutil.copytree(tiny_model, tmp_path_factory.mktemp("onnx") / "phobert")
    path = export_onnx(directory, quantize=True)
    assert path.name == "model.int8.onnx"
    return directory


@pytest.mark.parametrize(("runtime", "quantize"), list(TOLERANCE))
def test_agrees_with_fp32(exported, tiny_segmented, runtime, quantize):
    from vnmod.backends.transformer.export import compare_to_fp32

    texts = [*tiny_segmented, "", "xin_chào " * 400]
    result = compare_to_fp32(exported, texts, runtime=runtime, quantize=quantize, num_threads=2)
    print(f"\n{runtime}/{quantize or 'fp32'}: max |p - p_fp32| = {result['max_abs_diff']:.2e}, "
          f"same labels {result['same_labels']:.0%}")
    assert result["same_labels"] == 1.0
    assert result["max_abs_diff"] < TOLERANCE[(runtime, quantize)]


def test_metadata_records_onnx_files(exported):
    meta = json.loads((exported / "vnmod_phobert.json").read_text(encoding="utf-8"))
    assert {"model.onnx", "model.int8.onnx"} <= set(meta["files"])
    assert meta["onnx"]["opset"] == 17


def test_onnx_runtime_needs_no_torch(exported, tiny_segmented, monkeypatch):
    from vnmod.backends.transformer import PhobertBackend

    reference = PhobertBackend.from_pretrained(exported).predict_segmented(tiny_segmented)
    monkeypatch.setitem(sys.modules, "torch", None)
    monkeypatch.setitem(sys.modules, "transformers", None)
    backend = PhobertBackend.load(exported, {"runtime": "onnx"})
    assert abs(backend.predict_segmented(tiny_segmented) - reference).max() < 1e-5
    with pytest.raises(BackendUnavailable, match="vnmod"):
        PhobertBackend.load(exported, {"runtime": "torch"})


def test_corrupt_onnx_is_refused(exported, tmp_path):
    from vnmod.backends.transformer import PhobertBackend

    copy = shutil.copytree(exported, tmp_path / "phobert")
    onnx_path = copy / "model.int8.onnx"
    onnx_path.write_bytes(onnx_path.read_bytes()[:500])
    with pytest.raises(BackendUnavailable, match=r"model\.int8\.onnx"):
        PhobertBackend.load(copy, {"runtime": "onnx", "quantize": "int8"})


def test_auto_runtime_prefers_onnx(exported):
    from vnmod.backends.transformer import PhobertBackend

    assert PhobertBackend.load(exported, {"runtime": "auto"}).options["runtime"] == "onnx"
