"""Model directories: a ``vnmod.json`` manifest, one subfolder per component, a model card.

Component types come from a fixed list (:data:`COMPONENT_TYPES`), never from an import path
stored in the file, and every file a component reads must lie inside the model directory.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import platform
import warnings
from datetime import datetime, timezone
from importlib import resources
from pathlib import Path
from typing import Any

from vnmod.taxonomy import CATEGORIES

MANIFEST_NAME = "vnmod.json"
MODEL_CARD_NAME = "README.md"
FORMAT_VERSION = 1
DEFAULT_MODEL = "vnmod-base"

COMPONENT_TYPES: dict[str, str] = {
    "rules": "vnmod.backends.rules:RulesBackend",
    "linear": "vnmod.backends.linear:LinearBackend",
    "phobert": "vnmod.backends.phobert:PhobertBackend",
}


class ModelDirError(ValueError):
    """A model directory is missing, malformed or fails its checksums."""


def component_class(kind: str) -> type:
    """The backend class registered for a component ``type``."""
    if kind not in COMPONENT_TYPES:
        raise ModelDirError(f"unknown component type {kind!r}; "
                            f"known types: {sorted(COMPONENT_TYPES)}")
    module, _, name = COMPONENT_TYPES[kind].partition(":")
    return getattr(importlib.import_module(module), name)


def _shipped_models() -> list[Path]:
    here = Path(__file__).resolve()
    return [Path(str(resources.files("vnmod").joinpath("models"))),  # installed with the wheel
            here.parents[2] / "models"]  # a source checkout


def resolve(name_or_path: str | os.PathLike | None) -> Path:
    """Find a model directory from a path, or the name of a shipped model."""
    if name_or_path is None:
        name_or_path = os.environ.get("VNMOD_MODEL", DEFAULT_MODEL)
    path = Path(name_or_path).expanduser()
    if (path / MANIFEST_NAME).is_file():
        return path
    if path.exists():
        raise ModelDirError(f"{path} is not a vnmod model directory: it has no {MANIFEST_NAME}")
    tried = []
    for base in _shipped_models():
        candidate = base / str(name_or_path)
        tried.append(str(candidate))
        if (candidate / MANIFEST_NAME).is_file():
            return candidate
    raise ModelDirError(f"no model {str(name_or_path)!r}: not a directory, and not a shipped "
                        f"model (looked in {tried}). Pass the path of a folder that holds "
                        f"{MANIFEST_NAME}, or omit it for the default {DEFAULT_MODEL!r}.")


def inside(root: Path, relative: str) -> Path:
    """``root / relative``, refusing paths that leave ``root``."""
    target = (root / relative).resolve()
    if target != root.resolve() and root.resolve() not in target.parents:
        raise ModelDirError(f"component path {relative!r} points outside the model directory")
    return target


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def checksums(root: Path) -> dict[str, str]:
    """SHA-256 of every file under ``root`` except the manifest."""
    return {p.relative_to(root).as_posix(): sha256(p) for p in sorted(root.rglob("*"))
            if p.is_file() and p.name != MANIFEST_NAME}


def read_manifest(root: Path) -> dict[str, Any]:
    """Read and check ``vnmod.json``; warn when the model was made by a newer vnmod."""
    from vnmod import __version__

    try:
        manifest = json.loads((root / MANIFEST_NAME).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ModelDirError(f"cannot read {root / MANIFEST_NAME}: {exc}") from exc
    version = manifest.get("format_version")
    if version != FORMAT_VERSION:
        raise ModelDirError(f"{root} has format_version {version!r}; this vnmod reads "
                            f"{FORMAT_VERSION}. Upgrade vnmod or re-save the model.")
    labels = tuple(manifest.get("labels", ()))
    if labels != CATEGORIES:
        raise ModelDirError(f"{root} labels {labels} differ from {CATEGORIES}")
    made_by = manifest.get("vnmod_version", "0")
    if _version_tuple(made_by) > _version_tuple(__version__):
        warnings.warn(f"model {root.name} was made by vnmod {made_by}, newer than the "
                      f"installed {__version__}; upgrade if loading fails", stacklevel=3)
    return manifest


def verify_files(root: Path, manifest: dict[str, Any], prefix: str) -> list[str]:
    """Files under ``prefix`` whose checksum differs from the manifest's (or are missing)."""
    bad = []
    for rel, digest in manifest.get("files", {}).items():
        if not rel.startswith(prefix.rstrip("/") + "/"):
            continue
        path = inside(root, rel)
        if not path.is_file() or sha256(path) != digest:
            bad.append(rel)
    return bad


def _version_tuple(version: str) -> tuple[int, ...]:
    parts = []
    for piece in version.split("."):
        digits = "".join(c for c in piece if c.isdigit())
        parts.append(int(digits) if digits else 0)
    return tuple(parts)


def library_versions(names: tuple[str, ...] = ("vnmod", "numpy", "scikit-learn", "underthesea",
                                               "torch", "transformers")
                     ) -> dict[str, str | None]:
    """Installed versions of ``names`` (None when absent), without importing them."""
    from importlib.metadata import PackageNotFoundError, version

    out: dict[str, str | None] = {"python": platform.python_version()}
    for name in names:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = None
    return out


def write_manifest(root: Path, manifest: dict[str, Any]) -> dict[str, Any]:
    """Complete ``manifest`` (versions, date, checksums) and write it atomically."""
    from vnmod import __version__

    full = {
        "format_version": FORMAT_VERSION,
        "vnmod_version": __version__,
        "created": datetime.now(timezone.utc).replace(microsecond=0).isoformat(),
        "library_versions": library_versions(),
        "labels": list(CATEGORIES),
        **manifest,
        "files": checksums(root),
    }
    tmp = root / (MANIFEST_NAME + ".tmp")
    tmp.write_text(json.dumps(full, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    tmp.replace(root / MANIFEST_NAME)
    return full
