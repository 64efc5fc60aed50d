"""The shipped lexicons' patterns, checked once for catastrophic backtracking and stored.

:func:`~vnmod.rules.regex_safety.check_pattern` parses every pattern and times it on texts made
to make it backtrack: about an eighth of a second at every model load for the shipped
lexicons. The patterns it passed are kept in ``resources/safe_patterns.json`` with a hash of
the checker's code and the Python version whose regex engine it checked; where both match, a
pattern listed there is not checked again (any other pattern, a user's lexicon's included, is).
After changing a lexicon's patterns or the checker, rebuild the file (a test says when it is
stale)::

    python data/rules/build_safe_patterns.py
"""

from __future__ import annotations

import hashlib
import json
import sys
from functools import cache
from importlib import resources
from pathlib import Path

from vnmod.rules import regex_safety
from vnmod.text.vietnamese import strip_diacritics

SAFE_FILE = "safe_patterns.json"


def _file() -> Path:
    return Path(str(resources.files("vnmod"))) / "resources" / SAFE_FILE


def checker_hash() -> str:
    """SHA-256 of the checker's code and of the Python version (major.minor) it ran under."""
    h = hashlib.sha256(Path(regex_safety.__file__).read_bytes())
    h.update(f"python {sys.version_info[0]}.{sys.version_info[1]}".encode())
    return h.hexdigest()


@cache
def stored_safe() -> frozenset[str]:
    """The patterns the stored file lists as checked and safe, or none when it is missing or
    was written by another checker or Python version."""
    try:
        content = json.loads(_file().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return frozenset()
    if not isinstance(content, dict) or content.get("checker") != checker_hash():
        return frozenset()
    return frozenset(content.get("patterns", ()))


def check(pattern: str, *, where: str, ascii_variant: bool) -> None:
    """:func:`~vnmod.rules.regex_safety.check_pattern`, skipped for a pattern (and its
    diacritic-free variant) already checked and stored."""
    safe = stored_safe()
    if pattern in safe and (not ascii_variant or strip_diacritics(pattern) in safe):
        return
    regex_safety.check_pattern(pattern, where=where, ascii_variant=ascii_variant)


def write(patterns: list[str], path: Path | None = None) -> Path:
    """Check ``patterns`` and their diacritic-free variants; store those that pass."""
    variants = sorted({v for p in patterns for v in (p, strip_diacritics(p))})
    safe = [v for v in variants if regex_safety.problem(v) is None]
    path = path or _file()
    path.write_text(json.dumps({"checker": checker_hash(), "patterns": safe},
                               ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
    stored_safe.cache_clear()
    return path
