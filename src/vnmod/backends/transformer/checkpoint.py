"""Encoder model directories: optional dependencies, checkpoint lookup, metadata, file checks.

A fine-tuned vnmod PhoBERT directory holds ``config.json`` and ``model.safetensors``
(``save_pretrained``), the tokenizer files (``vocab.txt``, ``bpe.codes``,
``tokenizer_config.json``, ``vnmod_tokenizer.json``), optionally ``model.onnx`` /
``model.int8.onnx``, and ``vnmod_phobert.json``: vnmod's own metadata (label order,
thresholds, segmentation, max length, base model, training data, metrics, versions, and the
size and SHA-256 of every weights file so a truncated or corrupt copy is refused).
"""

from __future__ import annotations

import importlib
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from vnmod.backends.base import BackendUnavailable

META_FILE = "vnmod_phobert.json"
META_FORMAT = "vnmod-phobert/1"
WEIGHTS_FILE = "model.safetensors"
INSTALL_HINT = 'pip install "vnmod[phobert]"'
ONNX_HINT = 'pip install "vnmod[onnx]"'


def require(*modules: str, hint: str = INSTALL_HINT) -> None:
    """Import ``modules`` or raise :class:`BackendUnavailable` naming the install command."""
    missing = []
    for name in modules:
        try:
            importlib.import_module(name)
        except ImportError:
            missing.append(name)
    if missing:
        raise BackendUnavailable(
            f"the PhoBERT backend needs {', '.join(missing)}, which is not installed: {hint}"
        )


def default_device() -> str:
    """``cuda`` when torch sees a GPU, else ``cpu``."""
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


@contextmanager
def quiet_progress() -> Iterator[None]:
    """Hide transformers' "Loading weights" / "Writing model shards" bars for a while."""
    from transformers.utils import logging as hf_logging

    was_on = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        if was_on:
            hf_logging.enable_progress_bar()


def resolve_checkpoint(name_or_dir: str | os.PathLike[str]) -> Path:
    """A local directory, or a Hugging Face id already in the local cache; never downloads.

    Raises
    ------
    BackendUnavailable
        The id is not cached; the message says how to fetch it on a machine with internet.
    """
    path = Path(name_or_dir).expanduser()
    if path.is_dir():
        return path
    name = str(name_or_dir)
    if path.exists() or name.count("/") != 1 or name.startswith((".", "/", "~")):
        raise BackendUnavailable(f"{name} is not a model directory")
    try:
        from huggingface_hub import snapshot_download

        return Path(snapshot_download(name, local_files_only=True))
    except Exception as exc:
        cache = (os.environ.get("HF_HUB_CACHE") or os.environ.get("HF_HOME")
                 or "~/.cache/huggingface")
        folder = name.split("/")[1]
        raise BackendUnavailable(
            f"{name} is neither a directory nor in the local Hugging Face cache ({cache}); "
            f"vnmod never downloads models. On a machine with internet run "
            f"`hf download {name} --local-dir {folder}` (or `huggingface-cli download`), "
            f"copy the folder here and pass its path, e.g. --base-model /models/{folder}"
        ) from exc


def file_record(path: Path) -> dict[str, Any]:
    """Size and SHA-256 of ``path`` (for the metadata's ``files``)."""
    from vnmod.modeldir import sha256

    return {"bytes": path.stat().st_size, "sha256": sha256(path)}


def verify_file(directory: Path, meta: dict[str, Any], name: str, *, checksum: bool = True) -> Path:
    """Check ``directory/name`` exists and matches the size recorded in ``meta``, and with
    ``checksum`` its SHA-256 (a directory loaded on its own: inside a model directory
    :func:`vnmod.modeldir.verify_model` has hashed every file already)."""
    path = directory / name
    if not path.is_file():
        raise BackendUnavailable(
            f"{path} is missing; copy the whole model directory again or re-train"
        )
    record = meta.get("files", {}).get(name)
    if record:
        size = path.stat().st_size
        if size != record["bytes"]:
            raise BackendUnavailable(
                f"{path} is corrupt or truncated ({size} bytes, expected {record['bytes']}); "
                "copy the model directory again or re-train"
            )
        if checksum and file_record(path)["sha256"] != record["sha256"]:
            raise BackendUnavailable(
                f"{path} is corrupt (SHA-256 differs from {META_FILE}); "
                "copy the model directory again or re-train"
            )
    return path


def read_metadata(directory: Path) -> dict[str, Any]:
    """Read ``vnmod_phobert.json``; :class:`BackendUnavailable` if missing or unreadable."""
    path = Path(directory) / META_FILE
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise BackendUnavailable(
            f"{path} is missing: not a vnmod PhoBERT model (make one with "
            "`vnmod train --backend phobert --base-model vinai/phobert-base|DIR`)"
        ) from exc
    except (OSError, ValueError) as exc:
        raise BackendUnavailable(
            f"{path} is unreadable ({exc}); re-train or copy it again"
        ) from exc
    if not isinstance(meta, dict) or meta.get("format") != META_FORMAT:
        raise BackendUnavailable(f"{path} is not {META_FORMAT} metadata")
    return meta


def write_metadata(directory: Path, meta: dict[str, Any]) -> Path:
    """Write ``vnmod_phobert.json`` (sorted keys, UTF-8)."""
    path = Path(directory) / META_FILE
    path.write_text(json.dumps(meta, ensure_ascii=False, indent=2, sort_keys=True) + "\n",
                    encoding="utf-8")
    return path


def library_versions() -> dict[str, str | None]:
    """Versions of the libraries a PhoBERT model depends on (without importing them)."""
    from vnmod.modeldir import library_versions as versions

    return versions(("vnmod", "torch", "transformers", "tokenizers", "safetensors",
                     "onnxruntime", "underthesea", "numpy"))
