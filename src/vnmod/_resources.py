"""Read the data files shipped in ``vnmod/resources`` (once each, cached)."""

from __future__ import annotations

import sys
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

# The one place that picks the TOML parser; import ``tomllib`` or ``load_toml_file`` from here.
if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

__all__ = ["list_dir", "load_toml_file", "read_lines", "read_toml", "read_tsv", "tomllib"]


def _path(name: str):
    return resources.files("vnmod").joinpath("resources", *name.split("/"))


def load_toml_file(path: str | Path) -> dict[str, Any]:
    """Parse the TOML file at ``path`` (any file, not only a shipped resource)."""
    with Path(path).open("rb") as fh:
        return tomllib.load(fh)


@cache
def read_toml(name: str) -> dict[str, Any]:
    """Parse ``resources/<name>`` as TOML."""
    with _path(name).open("rb") as fh:
        return tomllib.load(fh)


@cache
def read_tsv(name: str) -> tuple[tuple[str, ...], ...]:
    """Rows of ``resources/<name>``, tab-separated; ``#`` lines and blank lines skipped."""
    rows = []
    with _path(name).open(encoding="utf-8") as fh:
        for line in fh:
            line = line.rstrip("\n")
            if line.strip() and not line.lstrip().startswith("#"):
                rows.append(tuple(line.split("\t")))
    return tuple(rows)


@cache
def read_lines(name: str) -> tuple[str, ...]:
    """Lines of ``resources/<name>`` as they are (no tab splitting: for a big file read by
    lookup); ``#`` lines and blank lines skipped."""
    text = _path(name).read_text(encoding="utf-8")
    return tuple(line for line in text.splitlines() if line and not line.startswith("#"))


def list_dir(name: str) -> list[str]:
    """File names in ``resources/<name>``, sorted."""
    return sorted(p.name for p in _path(name).iterdir())
