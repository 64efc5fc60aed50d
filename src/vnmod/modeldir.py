"""Model directories: a ``vnmod.json`` manifest, one subfolder per component, a model card.

Component types are looked up in the backend registry (:func:`vnmod.backends.base.register`;
built-in types are imported on first use), never from an import path stored in the file, and
every file a component reads must lie inside the model directory.

Models fail closed. The manifest's ``files`` table holds the SHA-256 of every file in the
directory but the manifest itself; :func:`verify_model` hashes each file once and reports
every file that is missing, changed, or present but not listed (in a component folder, where
a backend might read it, or anywhere else: the model card is listed, so a changed card counts
too). A manifest without a well-formed ``files`` table is refused outright. Only operating
system clutter that no component reads (:data:`IGNORED_NAMES`: ``.DS_Store``, ``Thumbs.db``,
``desktop.ini``) is neither listed nor checked. Files are checked when the model is loaded;
one replaced between the check and its read is not noticed.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import re
import warnings
from datetime import datetime, timezone
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vnmod.backends import base as backends
from vnmod.taxonomy import CATEGORIES

if TYPE_CHECKING:
    from vnmod.backends.base import Backend

MANIFEST_NAME = "vnmod.json"
MODEL_CARD_NAME = "README.md"
FORMAT_VERSION = 1
DEFAULT_MODEL = "vnmod-base"
#: Files the operating system leaves in folders (Finder, Explorer). No component reads them,
#: so they are neither checksummed when a model is saved nor refused when it is loaded.
IGNORED_NAMES = frozenset({".DS_Store", "Thumbs.db", "desktop.ini"})
_SHA256 = re.compile(r"[0-9a-f]{64}")

class ModelDirError(ValueError):
    """A model directory is missing, malformed or fails its checksums."""


def component_class(kind: str) -> type[Backend]:
    """The backend class registered for a component ``type``."""
    try:
        return backends.component_class(kind)
    except backends.UnknownComponentType:
        raise ModelDirError(f"unknown component type {kind!r}; "
                            f"known types: {backends.known_types()}") from None


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


def manifest_sha256(root: Path) -> str | None:
    """SHA-256 of ``root``'s manifest file (None if it has none): as the manifest lists every
    file's checksum, this one hash names the whole model."""
    where = Path(root) / MANIFEST_NAME
    return sha256(where) if where.is_file() else None


def _outside(root: Path, path: Path) -> bool:
    real, base = path.resolve(), root.resolve()
    return real != base and base not in real.parents


def model_files(root: Path) -> list[str]:
    """Every file under ``root`` (links followed) as a relative POSIX path, except the
    manifest and :data:`IGNORED_NAMES`; a file or folder that leads outside ``root`` is
    refused."""
    out: list[str] = []
    seen: set[Path] = set()
    for dirpath, dirnames, filenames in os.walk(root, followlinks=True):
        here = Path(dirpath)
        if _outside(root, here):
            raise ModelDirError(f"{here.relative_to(root).as_posix()} in model {root} "
                                f"points outside the model directory")
        if here.resolve() in seen:  # a link back to a folder already walked
            dirnames[:] = []
            continue
        seen.add(here.resolve())
        for name in filenames:
            rel = (here / name).relative_to(root).as_posix()
            if rel == MANIFEST_NAME or name in IGNORED_NAMES:
                continue
            if _outside(root, here / name):
                raise ModelDirError(f"{rel} in model {root} points outside the model directory")
            out.append(rel)
    return sorted(out)


def checksums(root: Path) -> dict[str, str]:
    """SHA-256 of every file under ``root`` (:func:`model_files`)."""
    return {rel: sha256(root / rel) for rel in model_files(root)}


def file_table(root: Path, manifest: dict[str, Any]) -> dict[str, str]:
    """The manifest's ``files`` table ({relative path: SHA-256}), refused when missing or
    malformed."""
    where = root / MANIFEST_NAME
    if "files" not in manifest:
        raise ModelDirError(f"{where} has no `files` table (the SHA-256 of every file), so the "
                            f"model cannot be checked; re-save it with Classifier.save")
    table = manifest["files"]
    if not isinstance(table, dict):
        raise ModelDirError(f"{where}: `files` must map each file's path to its SHA-256; "
                            f"got {type(table).__name__}")
    for rel, digest in table.items():
        parts = rel.split("/") if isinstance(rel, str) else []
        if (not parts or rel.startswith("/") or "\\" in rel or rel == MANIFEST_NAME
                or any(p in ("", ".", "..") for p in parts)):
            raise ModelDirError(f"{where}: `files` entry {rel!r} is not a relative path of a "
                                f"file inside the model directory")
        if not isinstance(digest, str) or not _SHA256.fullmatch(digest):
            raise ModelDirError(f"{where}: `files` entry {rel!r} has {digest!r}; expected a "
                                f"SHA-256 (64 lowercase hex digits)")
    return table


def verify_model(root: Path, manifest: dict[str, Any]) -> dict[str, str]:
    """Check the files of model ``root`` against the manifest's ``files`` table, hashing
    each file once: ``{relative path: "missing" | "changed" | "not listed"}``, empty when
    the directory is exactly what was saved.

    Raises
    ------
    ModelDirError
        The ``files`` table is missing or malformed, or a file leads outside ``root``.
    """
    table = file_table(root, manifest)
    problems: dict[str, str] = {}
    for rel in model_files(root):
        if rel not in table:
            problems[rel] = "not listed"
    for rel, digest in table.items():
        path = root / rel
        if _outside(root, path):
            raise ModelDirError(f"{rel} in model {root} points outside the model directory")
        if not path.is_file():
            problems[rel] = "missing"
        elif sha256(path) != digest:
            problems[rel] = "changed"
    return dict(sorted(problems.items()))


def describe(problems: dict[str, str], limit: int = 8) -> str:
    """``problems`` (from :func:`verify_model`) in one line: ``linear/weights.npz changed,
    rules/extra.toml not listed``."""
    items = [f"{rel} {why}" for rel, why in problems.items()]
    more = f" and {len(items) - limit} more" if len(items) > limit else ""
    return ", ".join(items[:limit]) + more


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
