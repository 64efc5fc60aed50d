"""ONNX export of a fine-tuned encoder directory, and its comparison with torch fp32.

``export_onnx`` traces the classifier with dynamic batch and sequence axes (``model.onnx``),
optionally fuses it with ONNX Runtime's transformer optimizer, and with ``quantize=True`` also
writes a dynamically quantized ``model.int8.onnx``. The files' sizes and hashes go into
``vnmod_phobert.json`` so a damaged copy is refused at load time. ONNX Runtime inference
(:class:`~vnmod.backends.transformer.engines.OnnxEngine`) needs neither torch nor
transformers. Not imported when serving.
"""

from __future__ import annotations

import os
import tempfile
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from vnmod.backends.transformer.checkpoint import (
    ONNX_HINT,
    WEIGHTS_FILE,
    file_record,
    quiet_progress,
    read_metadata,
    require,
    write_metadata,
)
from vnmod.backends.transformer.engines import ONNX_FILES
from vnmod.taxonomy import CATEGORIES

OPSET = 17


def export_onnx(
    model_dir: str | Path,
    output: str | Path | None = None,
    *,
    quantize: bool = False,
    optimize: bool = True,
    opset: int = OPSET,
) -> Path:
    """Export a fine-tuned PhoBERT directory to ONNX (the ``vnmod export-onnx`` verb).

    Parameters
    ----------
    model_dir : path
        A directory written by :func:`~vnmod.backends.transformer.train.train_phobert`.
    output : path, optional
        The fp32 file; default ``model_dir/model.onnx``. The int8 file is written beside it
        as ``<stem>.int8.onnx``. Files inside ``model_dir`` are recorded in its metadata.
    quantize : bool
        Also write the dynamically quantized (int8 weights, uint8 activations) model.
    optimize : bool
        Fuse attention, LayerNorm and GELU with ONNX Runtime's transformer optimizer.
    opset : int
        ONNX opset.

    Returns
    -------
    Path
        The int8 file when ``quantize``, else the fp32 file.
    """
    require("torch", "transformers")
    require("onnx", "onnxruntime", hint=ONNX_HINT)
    import torch
    from transformers import AutoModelForSequenceClassification

    model_dir = Path(model_dir)
    meta = read_metadata(model_dir)
    output = Path(output) if output else model_dir / "model.onnx"
    with quiet_progress():
        model = AutoModelForSequenceClassification.from_pretrained(
            model_dir, attn_implementation="eager"
        )
    wrapper = _logits_module(model).eval()  # eval(): export restores the wrapper's mode afterwards
    ids = torch.tensor([[0, 5, 6, 7, 2], [0, 8, 2, 1, 1]], dtype=torch.long)
    mask = (ids != 1).long()
    axes = {"input_ids": {0: "batch", 1: "sequence"},
            "attention_mask": {0: "batch", 1: "sequence"}, "logits": {0: "batch"}}
    with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # legacy-exporter and tracer notices
        raw = Path(tmp) / "raw.onnx"
        torch.onnx.export(wrapper, (ids, mask), str(raw), dynamo=False, opset_version=opset,
                          input_names=["input_ids", "attention_mask"],
                          output_names=["logits"], dynamic_axes=axes)
        if optimize:
            _optimize(raw, output, model.config)
        else:
            os.replace(raw, output)
    written = [output]
    if quantize:
        from onnxruntime.quantization import QuantType, quantize_dynamic

        int8 = output.with_name(output.name.removesuffix(".onnx") + ".int8.onnx")
        import logging

        import onnx

        logging.disable(logging.WARNING)  # "consider pre-processing" notice on the root logger
        try:
            quantize_dynamic(str(output), str(int8), weight_type=QuantType.QInt8,
                             extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})
        finally:
            logging.disable(logging.NOTSET)
        written.append(int8)
    records = {p.name: file_record(p) for p in written if p.parent.resolve() == model_dir.resolve()}
    if records:
        meta.setdefault("files", {}).update(records)
        meta["onnx"] = {"opset": opset, "optimized": optimize, "files": sorted(records),
                        "quantization": "dynamic int8 (onnxruntime.quantization)" if quantize
                        else None}
        write_metadata(model_dir, meta)
    return written[-1]


def keep_serving_files(model_dir: str | Path, onnx_name: str) -> list[str]:
    """Delete the torch weights and every ONNX file but ``onnx_name`` from ``model_dir`` and
    its metadata: what is left is served by ONNX Runtime alone (a smaller model to ship).
    Returns the names deleted."""
    model_dir = Path(model_dir)
    meta = read_metadata(model_dir)
    if not (model_dir / onnx_name).is_file():
        raise FileNotFoundError(f"{model_dir / onnx_name} is missing: export it first")
    gone = []
    for name in (WEIGHTS_FILE, "pytorch_model.bin", *(n for n in ONNX_FILES.values()
                                                      if n != onnx_name)):
        if (model_dir / name).exists():
            (model_dir / name).unlink()
            gone.append(name)
        meta.get("files", {}).pop(name, None)
    meta["serving_only"] = {"runtime": "onnx", "file": onnx_name, "deleted": gone}
    write_metadata(model_dir, meta)
    return gone


def _logits_module(model: Any) -> Any:
    """Wrap the HF model so the traced graph has plain tensor inputs and one output."""
    import torch

    class Logits(torch.nn.Module):
        def __init__(self, inner: Any) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids: Any, attention_mask: Any) -> Any:
            return self.inner(input_ids=input_ids, attention_mask=attention_mask).logits

    return Logits(model)


def _optimize(raw: Path, output: Path, config: Any) -> None:
    """Fuse the BERT subgraphs (ORT contrib ops; CPU-safe, no fp16)."""
    from onnxruntime.transformers.optimizer import optimize_model

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        optimized = optimize_model(str(raw), model_type="bert",
                                   num_heads=config.num_attention_heads,
                                   hidden_size=config.hidden_size, opt_level=1)
    optimized.save_model_to_file(str(output))


def compare_to_fp32(
    model_dir: str | Path,
    segmented_texts: Sequence[str],
    *,
    runtime: str,
    quantize: str | None,
    num_threads: int | None = None,
) -> dict[str, Any]:
    """Compare one runtime/quantization against torch fp32 on the same texts.

    Returns ``max_abs_diff`` (largest probability difference), ``same_labels`` (share of
    posts whose labels, at the dev thresholds training recorded in the metadata, agree on all
    four categories) and ``n``.
    """
    from vnmod.backends.transformer.backend import TransformerBackend

    reference = TransformerBackend.from_pretrained(model_dir, num_threads=num_threads)
    other = TransformerBackend.from_pretrained(model_dir, runtime=runtime, quantize=quantize,
                                               num_threads=num_threads)
    p_ref = reference.predict_prepared(segmented_texts)
    p_other = other.predict_prepared(segmented_texts)
    cut = np.array([reference.meta.get("thresholds", {}).get(c, 0.5) for c in CATEGORIES])
    same = ((np.nan_to_num(p_ref) >= cut) == (np.nan_to_num(p_other) >= cut)).all(axis=1)
    diff = np.nan_to_num(np.abs(p_ref - p_other), nan=0.0)
    return {"runtime": runtime, "quantize": quantize, "n": len(segmented_texts),
            "max_abs_diff": float(diff.max(initial=0.0)), "same_labels": float(same.mean())}
