"""Compiled modules (mypyc, built by setup.py) and when their Python source runs instead.

The build writes ``compiled_sources.json`` beside this file: each compiled module with the
SHA-256 of the source it was compiled from. When one of those sources changed since (an edit
in a checkout installed with ``pip install -e``), all of them are imported from source, with a
warning, so that edits take effect at once (all: they are one library that imports itself);
``VNMOD_PURE_PYTHON=1`` does the same silently (the test that compiled and source modules
agree runs it so), and so does a missing shared library, with a warning. Without the file (a
plain-Python install) nothing changes.
"""

from __future__ import annotations

import hashlib
import importlib.abc
import importlib.util
import json
import os
import sys
import warnings
from importlib.machinery import ModuleSpec
from pathlib import Path
from types import ModuleType

MANIFEST = "compiled_sources.json"
LIBRARY = "vnmod_compiled__mypyc"  # the library the compiled modules share; setup.py reads
# both names from here
_PACKAGE = Path(__file__).resolve().parent


def manifest() -> dict[str, str]:
    """``{module: sha256 of its source at build time}``; empty for a plain-Python install."""
    try:
        content = json.loads((_PACKAGE / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in content.items()} if isinstance(content, dict) else {}


def source_path(module: str) -> Path:
    """The ``.py`` file of ``vnmod.x.y``."""
    return _PACKAGE.joinpath(*module.split(".")[1:]).with_suffix(".py")


def _digest(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


class _SourceFirst(importlib.abc.MetaPathFinder):
    """Finds the listed modules as their ``.py`` source, ahead of the compiled extension."""

    def __init__(self, modules: set[str]) -> None:
        self.modules = modules

    def find_spec(self, name: str, path: object = None,
                  target: ModuleType | None = None) -> ModuleSpec | None:
        if name not in self.modules:
            return None
        return importlib.util.spec_from_file_location(name, source_path(name))


def source_modules() -> set[str]:
    """The compiled modules that are imported from source in this process."""
    for finder in sys.meta_path:
        if isinstance(finder, _SourceFirst):
            return set(finder.modules)
    return set()


def loaded_compiled() -> list[str]:
    """The compiled modules in use: built, and not replaced by their source."""
    return sorted(set(manifest()) - source_modules())


def prefer_changed_sources() -> None:
    """Import from source the compiled modules whose source changed since the build (all of
    them under ``VNMOD_PURE_PYTHON=1``). Called once, before vnmod imports any of them."""
    built = manifest()
    if not built or any(isinstance(f, _SourceFirst) for f in sys.meta_path):
        return
    pure = os.environ.get("VNMOD_PURE_PYTHON") == "1"
    changed = sorted(m for m, h in built.items() if _digest(source_path(m)) != h)
    if not pure and importlib.util.find_spec(LIBRARY) is None:  # none of them can load
        warnings.warn(f"vnmod: the compiled modules' library ({LIBRARY}) is missing; running "
                      "their source (slower). Reinstall (pip install -e .) to compile them "
                      "again.", RuntimeWarning, stacklevel=3)
        changed = sorted(built)
    elif changed and not pure:
        warnings.warn(f"vnmod: {', '.join(changed)} changed after it was compiled; running the "
                      "compiled modules' source (slower). Reinstall (pip install -e .) to compile "
                      "them again.", RuntimeWarning, stacklevel=3)
    if changed or pure:
        # All or none: the compiled modules are one library and import one another inside it.
        sys.meta_path.insert(0, _SourceFirst(set(built)))
