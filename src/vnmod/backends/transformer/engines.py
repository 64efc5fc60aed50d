"""Inference engines for a sequence-classification encoder, and length-sorted batching.

:class:`TorchEngine` runs a ``transformers`` model (CPU or GPU, optionally dynamic int8);
:class:`OnnxEngine` an ONNX Runtime session (no torch needed). Both map numpy
``input_ids``/``attention_mask`` to logits ``(batch, n_labels)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from vnmod.backends.base import BackendUnavailable
from vnmod.backends.transformer.checkpoint import (
    ONNX_HINT,
    default_device,
    quiet_progress,
    require,
)
from vnmod.taxonomy import CATEGORIES

#: The ONNX file of each ``quantize`` option.
ONNX_FILES = {None: "model.onnx", "int8": "model.int8.onnx"}


class Padder(Protocol):
    """What batching needs of a tokenizer."""

    def pad(self, sequences: Sequence[np.ndarray]) -> dict[str, np.ndarray]: ...


def forward_logits(model: Any, device: Any, input_ids: np.ndarray,
                   attention_mask: np.ndarray) -> Any:
    """``model``'s logits tensor for numpy ``input_ids``/``attention_mask`` moved to ``device``."""
    import torch

    return model(input_ids=torch.from_numpy(input_ids).to(device),
                 attention_mask=torch.from_numpy(attention_mask).to(device)).logits


class TorchEngine:
    """A ``transformers`` sequence classifier on CPU or GPU, optionally dynamic-int8."""

    def __init__(self, directory: Path, *, quantize: str | None = None,
                 device: str | None = None, num_threads: int | None = None) -> None:
        require("torch", "transformers")
        import torch
        from transformers import AutoModelForSequenceClassification

        self.num_threads = num_threads
        if quantize not in (None, "int8"):
            raise ValueError(f"quantize must be None or 'int8', not {quantize!r}")
        if device is None:
            device = "cpu" if quantize is not None else default_device()
        elif quantize and torch.device(device).type != "cpu":
            raise ValueError("dynamic int8 quantization runs on CPU only; drop device or quantize")
        self.device = torch.device(device)
        try:
            with quiet_progress():
                model = AutoModelForSequenceClassification.from_pretrained(directory)
        except Exception as exc:
            raise BackendUnavailable(
                f"cannot load the PhoBERT weights in {directory} ({type(exc).__name__}: {exc}); "
                "copy the model directory again or re-train"
            ) from exc
        model.eval()
        if quantize == "int8":
            model = quantize_int8(model)
        self.model = model.to(self.device)

    def __call__(self, input_ids: np.ndarray, attention_mask: np.ndarray) -> np.ndarray:
        """Logits, shape ``(batch, 4)``."""
        import torch

        # the thread count is process-wide: set it whenever another engine changed it
        if self.num_threads and torch.get_num_threads() != self.num_threads:
            torch.set_num_threads(self.num_threads)
        with torch.inference_mode():
            logits = forward_logits(self.model, self.device, input_ids, attention_mask)
        return logits.float().cpu().numpy()


def quantize_int8(model: Any) -> Any:
    """Dynamic int8 quantization of every ``nn.Linear`` (CPU inference only)."""
    import warnings

    import torch

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch.ao.quantization deprecation notices
        return torch.ao.quantization.quantize_dynamic(
            model, {torch.nn.Linear}, dtype=torch.qint8
        )


class OnnxEngine:
    """An ONNX Runtime CPU session returning logits ``(batch, 4)``."""

    def __init__(self, path: str | Path, *, num_threads: int | None = None) -> None:
        require("onnxruntime", hint=ONNX_HINT)
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        if num_threads:
            options.intra_op_num_threads = int(num_threads)
            options.inter_op_num_threads = 1
        try:
            self.session = ort.InferenceSession(
                str(path), options, providers=["CPUExecutionProvider"]
            )
        except Exception as exc:
            raise BackendUnavailable(f"{path} is not a usable ONNX model ({exc})") from exc

    def __call__(self, input_ids: np.ndarray, attention_mask: np.ndarray) -> np.ndarray:
        feeds = {"input_ids": input_ids.astype(np.int64, copy=False),
                 "attention_mask": attention_mask.astype(np.int64, copy=False)}
        return self.session.run(["logits"], feeds)[0]


def run_sorted(engine: Any, tokenizer: Padder, sequences: Sequence[np.ndarray],
               batch_size: int) -> np.ndarray:
    """Run ``engine`` over length-sorted, per-batch padded ``sequences``; rows in input order."""
    out = np.zeros((len(sequences), len(CATEGORIES)), dtype=np.float32)
    lengths = np.fromiter((len(s) for s in sequences), dtype=np.int64, count=len(sequences))
    for rows in length_batches(lengths, batch_size):
        batch = tokenizer.pad([sequences[i] for i in rows])
        out[rows] = engine(batch["input_ids"], batch["attention_mask"])
    return out


def length_batches(lengths: np.ndarray, batch_size: int, rng: np.random.Generator | None = None,
                   bucket: int = 50) -> list[np.ndarray]:
    """Batches of similar length: shuffle, sort within chunks of ``bucket`` batches, shuffle.

    Without ``rng`` the order is deterministic and fully sorted by length.
    """
    n = len(lengths)
    if rng is None:
        order = np.argsort(lengths, kind="stable")
        return [order[i:i + batch_size] for i in range(0, n, batch_size)]
    idx = rng.permutation(n)
    batches = []
    for start in range(0, n, batch_size * bucket):
        part = idx[start:start + batch_size * bucket]
        part = part[np.argsort(lengths[part], kind="stable")]
        batches += [part[i:i + batch_size] for i in range(0, len(part), batch_size)]
    return [batches[i] for i in rng.permutation(len(batches))]


