"""The encoder backend: load a fine-tuned BERT/RoBERTa-family directory, predict fast, save.

Serves PhoBERT (word-segmented input, PhoBERT's fastBPE tokenizer) and any encoder whose
directory holds a ``tokenizer.json`` (e.g. a multilingual-e5 BERT), with a
``transformers`` sequence-classification head and ``vnmod_phobert.json`` metadata.
Inference encodes every post, sorts the posts by length, pads each batch only to its own
longest post, runs the model under ``torch.inference_mode`` (or an ONNX Runtime session)
and puts the rows back in the caller's order. Options: a thread count, dynamic int8
quantization of the Linear layers, and ONNX Runtime (``model.onnx`` or ``model.int8.onnx``,
written by :func:`vnmod.backends.transformer.export.export_onnx`).

Checksums: inside a model directory :func:`vnmod.modeldir.verify_model` has hashed every file
before :meth:`TransformerBackend.load` runs, so ``load`` only checks sizes;
:meth:`~TransformerBackend.from_pretrained` on a directory of its own hashes the weights.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from vnmod.backends.base import Backend, BackendUnavailable, register
from vnmod.backends.transformer.checkpoint import (
    META_FORMAT,
    ONNX_HINT,
    WEIGHTS_FILE,
    read_metadata,
    require,
    verify_file,
)
from vnmod.backends.transformer.engines import ONNX_FILES, OnnxEngine, TorchEngine, run_sorted
from vnmod.backends.transformer.phobert_tokenizer import segment_for_phobert
from vnmod.backends.transformer.tokenizer import Tokenizer, load_tokenizer
from vnmod.combine import sigmoid
from vnmod.taxonomy import CATEGORIES

RUNTIMES = ("torch", "onnx", "auto")
#: Options a saved config may hold (``verify`` of older manifests is ignored by ``load``).
OPTIONS = ("runtime", "quantize", "num_threads", "batch_size", "device")


@register("transformer")
class TransformerBackend(Backend):
    """A fine-tuned encoder scoring the four categories (sigmoid probabilities).

    Use :meth:`from_pretrained` (or the contract's :meth:`load`); :meth:`predict_proba`
    takes normalised posts and, for PhoBERT, word-segments them itself (metadata
    ``"segmentation": null`` turns that off for encoders that read plain text).

    Attributes
    ----------
    meta : dict
        The directory's ``vnmod_phobert.json``.
    """

    def __init__(self, directory: Path, meta: dict[str, Any], tokenizer: Tokenizer,
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
        self.segmented = meta.get("segmentation", {}) is not None
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
    ) -> TransformerBackend:
        """Load a fine-tuned vnmod encoder directory.

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
            Check the weights' SHA-256 against the metadata (size is always checked); off
            in :meth:`load`, whose model directory is verified as a whole.

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
            path = verify_file(directory, meta, onnx_file, checksum=verify)
            engine: Any = OnnxEngine(path, num_threads=num_threads)
        else:
            require("torch", "transformers")
            verify_file(directory, meta, WEIGHTS_FILE, checksum=verify)
            verify_file(directory, meta, "config.json", checksum=False)
            engine = TorchEngine(directory, quantize=quantize, device=device,
                                 num_threads=num_threads)
        try:
            tokenizer = load_tokenizer(directory, int(meta["max_length"]))
        except (OSError, ValueError, KeyError) as exc:
            raise BackendUnavailable(f"{directory}: tokenizer files unusable ({exc})") from exc
        options = {"runtime": runtime, "quantize": quantize, "num_threads": num_threads,
                   "batch_size": int(batch_size), "device": device}
        return cls(directory, meta, tokenizer, engine, options)

    @classmethod
    def load(cls, directory: Path, config: dict[str, Any]) -> TransformerBackend:
        """The contract's loader: options from ``config``; sizes checked, not hashes."""
        return cls.from_pretrained(directory, verify=False,
                                   **{k: config[k] for k in OPTIONS if k in config})

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
            "base_model": self.meta.get("base_model"),
        }

    def predict_proba(self, docs: Sequence[Any]) -> np.ndarray:
        """Probabilities ``(n, 4)`` for normalised posts (anything with ``.text``)."""
        texts = [d.text for d in docs]
        return self.predict_prepared(segment_for_phobert(texts) if self.segmented else texts)

    def predict_prepared(self, texts: Sequence[str]) -> np.ndarray:
        """Probabilities ``(n, 4)`` for texts already normalised (and, for PhoBERT,
        word-segmented)."""
        return _sigmoid_with_nan(self.logits(texts), self._unknown)

    def logits(self, texts: Sequence[str]) -> np.ndarray:
        """Raw logits ``(n, 4)``: length-sorted batches, original order restored."""
        sequences = self.tokenizer.encode(texts)
        return run_sorted(self.engine, self.tokenizer, sequences, self.options["batch_size"])


@register("phobert")
class PhobertBackend(TransformerBackend):
    """PhoBERT: the component type of models saved before the backend served other
    encoders (its view and folder are named ``phobert``)."""

    def predict_segmented(self, texts: Sequence[str]) -> np.ndarray:
        """Probabilities ``(n, 4)`` for texts already normalised and word-segmented."""
        return self.predict_prepared(texts)


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
