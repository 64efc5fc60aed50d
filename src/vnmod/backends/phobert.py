"""The PhoBERT backend: load a fine-tuned directory, predict fast on CPU, save.

Inference encodes every post with the fast tokenizer, sorts the posts by length, pads each
batch only to its own longest post, runs the model under ``torch.inference_mode`` (or an ONNX
Runtime session) and puts the rows back in the caller's order. Options: a thread count,
dynamic int8 quantization of the Linear layers, and ONNX Runtime (``model.onnx`` or
``model.int8.onnx``, written by :func:`vnmod.backends.phobert_export.export_onnx`).
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from vnmod.backends.base import BackendUnavailable
from vnmod.backends.phobert_checkpoint import (
    META_FORMAT,
    ONNX_HINT,
    WEIGHTS_FILE,
    default_device,
    quiet_progress,
    read_metadata,
    require,
    verify_file,
)
from vnmod.backends.phobert_tokenizer import FastPhobertTokenizer, segment_for_phobert
from vnmod.combine import sigmoid
from vnmod.taxonomy import CATEGORIES

RUNTIMES = ("torch", "onnx", "auto")
ONNX_FILES = {None: "model.onnx", "int8": "model.int8.onnx"}


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


class PhobertBackend:
    """Fine-tuned PhoBERT scoring the four categories (sigmoid probabilities).

    Use :meth:`from_pretrained` (or the protocol's :meth:`load`); :meth:`predict_proba` takes
    normalised posts and segments them itself.

    Attributes
    ----------
    thresholds : dict of str to float
        Per-category decision thresholds chosen on the dev set at training time.
    meta : dict
        The directory's ``vnmod_phobert.json``.
    """

    name = "phobert"

    def __init__(self, directory: Path, meta: dict[str, Any], tokenizer: FastPhobertTokenizer,
                 engine: Any, options: dict[str, Any]) -> None:
        self.directory = Path(directory)
        self.meta = meta
        self.tokenizer = tokenizer
        self.engine = engine
        self.options = options
        self.labels: list[str] = list(meta.get("labels", CATEGORIES))
        if tuple(self.labels) != CATEGORIES:
            raise BackendUnavailable(
                f"{directory}: label order {self.labels} differs from {list(CATEGORIES)}"
            )
        self.thresholds: dict[str, float] = {
            c: float(meta.get("thresholds", {}).get(c, 0.5)) for c in CATEGORIES
        }
        trained = meta.get("trained_labels", list(CATEGORIES))
        self._unknown = np.array([c not in trained for c in CATEGORIES])

    @classmethod
    def from_pretrained(
        cls,
        directory: str | Path,
        *,
        runtime: str = "torch",
        quantize: str | None = None,
        num_threads: int | None = None,
        batch_size: int = 32,
        device: str | None = None,
        verify: bool = True,
    ) -> PhobertBackend:
        """Load a fine-tuned vnmod PhoBERT directory.

        Parameters
        ----------
        runtime : {"torch", "onnx", "auto"}
            ``auto`` uses ONNX Runtime when the ONNX file exists and onnxruntime is installed.
        quantize : {None, "int8"}
            torch: dynamic int8 Linear layers; onnx: use ``model.int8.onnx``.
        num_threads : int, optional
            Intra-op threads (``torch.set_num_threads`` / ORT ``intra_op_num_threads``).
        batch_size : int
            Posts per forward pass (after sorting by length).
        device : str, optional
            torch device; default ``cuda`` when available (and not quantized), else ``cpu``.
        verify : bool
            Check the weights' SHA-256 against the metadata (size is always checked).

        Raises
        ------
        BackendUnavailable
            Missing dependency, missing/corrupt weights or unreadable metadata/config.
        """
        if runtime not in RUNTIMES:
            raise ValueError(f"runtime must be one of {RUNTIMES}, not {runtime!r}")
        directory = Path(directory)
        meta = read_metadata(directory)
        onnx_file = ONNX_FILES.get(quantize)
        if onnx_file is None:
            raise ValueError(f"quantize must be None or 'int8', not {quantize!r}")
        if runtime == "auto":
            usable = (directory / onnx_file).is_file() and _has("onnxruntime")
            runtime = "onnx" if usable else "torch"
        if runtime == "onnx":
            require("onnxruntime", hint=ONNX_HINT)
            require("tokenizers")
            from vnmod.backends.phobert_export import OnnxEngine

            path = verify_file(directory, meta, onnx_file, checksum=verify)
            engine: Any = OnnxEngine(path, num_threads=num_threads)
        else:
            require("torch", "transformers")
            verify_file(directory, meta, WEIGHTS_FILE, checksum=verify)
            verify_file(directory, meta, "config.json", checksum=False)
            engine = TorchEngine(directory, quantize=quantize, device=device,
                                 num_threads=num_threads)
        try:
            tokenizer = FastPhobertTokenizer.from_directory(directory, int(meta["max_length"]))
        except (OSError, ValueError, KeyError) as exc:
            raise BackendUnavailable(f"{directory}: tokenizer files unusable ({exc})") from exc
        options = {"runtime": runtime, "quantize": quantize, "num_threads": num_threads,
                   "batch_size": int(batch_size), "device": device, "verify": verify}
        return cls(directory, meta, tokenizer, engine, options)

    @classmethod
    def load(cls, directory: Path, config: dict[str, Any]) -> PhobertBackend:
        """The :class:`~vnmod.backends.base.Backend` protocol's loader (options from ``config``)."""
        keys = ("runtime", "quantize", "num_threads", "batch_size", "device", "verify")
        return cls.from_pretrained(directory, **{k: config[k] for k in keys if k in config})

    def save(self, directory: Path) -> dict[str, Any]:
        """Copy the model directory's files into ``directory``; return the manifest config."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        if directory.resolve() != self.directory.resolve():
            for path in sorted(self.directory.iterdir()):
                if path.is_file():
                    shutil.copy2(path, directory / path.name)
        return {
            "format": META_FORMAT,
            **{k: v for k, v in self.options.items() if k != "device"},
            "max_length": int(self.meta["max_length"]),
            "labels": list(CATEGORIES),
            "thresholds": dict(self.thresholds),
            "base_model": self.meta.get("base_model"),
        }

    def predict_proba(self, docs: Sequence[Any]) -> np.ndarray:
        """Probabilities ``(n, 4)`` for normalised posts (anything with ``.text``)."""
        return self.predict_segmented(segment_for_phobert([d.text for d in docs]))

    def predict_segmented(self, texts: Sequence[str]) -> np.ndarray:
        """Probabilities ``(n, 4)`` for texts already normalised and word-segmented."""
        return _sigmoid_with_nan(self.logits(texts), self._unknown)

    def logits(self, texts: Sequence[str]) -> np.ndarray:
        """Raw logits ``(n, 4)``: length-sorted batches, original order restored."""
        sequences = self.tokenizer.encode(texts)
        return run_sorted(self.engine, self.tokenizer, sequences, self.options["batch_size"])

    def decide(self, proba: np.ndarray) -> np.ndarray:
        """Boolean labels ``(n, 4)`` from probabilities and the dev-chosen thresholds."""
        return np.nan_to_num(proba, nan=0.0) >= np.array([self.thresholds[c] for c in CATEGORIES])


def run_sorted(engine: Any, tokenizer: FastPhobertTokenizer, sequences: Sequence[np.ndarray],
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


def _sigmoid_with_nan(logits: np.ndarray, unknown: np.ndarray) -> np.ndarray:
    proba = sigmoid(logits.astype(np.float64))
    proba[:, unknown] = np.nan
    return proba


def _has(module: str) -> bool:
    try:
        require(module)
    except BackendUnavailable:
        return False
    return True
