"""Rule terms as the engine looks them up: normalised as posts are, then cut into words.

Normalising the shipped lexicons' terms takes about a third of a second at every model load
(and reads the diacritics model for the terms typed without marks), so their keys are kept in
``resources/term_keys.json`` with what they were computed from: a hash of the shipped data
files and of the normaliser's code, and the versions of Python's Unicode tables and of the
libraries the normaliser reads. Where all of these match, the keys are read from the file;
otherwise each term is normalised at load, as the terms of a user's own lexicon always are.
After changing a lexicon or the normaliser, rebuild the file (a test says when it is stale)::

    python data/rules/build_term_keys.py
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from functools import cache
from importlib import metadata, resources
from pathlib import Path
from typing import Any

from vnmod.text.normalize import normalise

KEYS_FILE = "term_keys.json"
_WORDS = re.compile(r"<[a-z]+>|[^\W_]+")
words = _WORDS.findall  # the words of a normalised text, as the engine reads posts


def spans(text: str) -> list[tuple[int, int]]:
    """Where each of ``words(text)`` is."""
    return [m.span() for m in _WORDS.finditer(text)]


def compute(term: str) -> tuple[str, ...]:
    """The words ``term`` is looked up by: normalised as a post is, then cut into words."""
    return tuple(words(normalise(term).text))


def _package() -> Path:
    return Path(str(resources.files("vnmod")))


def sources_hash() -> str:
    """SHA-256 over the shipped data files and the code that normalises and cuts terms."""
    root = _package()
    data = sorted(p for p in (root / "resources").rglob("*")
                  if p.is_file() and p.name not in (KEYS_FILE, "safe_patterns.json"))
    code_root = Path(__file__).resolve().parents[1]  # the installed vnmod package's code
    code = [*sorted((code_root / "text").glob("*.py")), Path(__file__).resolve()]
    h = hashlib.sha256()
    for base, paths in ((root, data), (code_root, code)):
        for path in paths:
            h.update(path.relative_to(base).as_posix().encode() + b"\0" + path.read_bytes()
                     + b"\0")
    return h.hexdigest()


def environment() -> dict[str, str]:
    """The Unicode tables and libraries normalisation reads besides vnmod's own files."""
    found = {"unicode": unicodedata.unidata_version}
    for dist in ("regex", "confusable_homoglyphs"):
        try:
            found[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:  # pragma: no cover - both are dependencies
            found[dist] = "missing"
    return found


def stored() -> dict[str, Any] | None:
    """The content of ``resources/term_keys.json``, or None."""
    try:
        content = json.loads((_package() / "resources" / KEYS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return content if isinstance(content, dict) else None


@cache
def shipped() -> dict[str, tuple[str, ...]]:
    """The stored keys of the shipped lexicons' terms, or ``{}`` when the file is missing or
    was computed from other data or code, or under other versions of the libraries the
    normaliser reads (the terms are then normalised at load)."""
    content = stored()
    if content is None or content.get("sources") != sources_hash() \
            or content.get("environment") != environment():
        return {}
    return {term: tuple(key) for term, key in content.get("keys", {}).items()}


def lexicon_strings() -> list[str]:
    """Every string of the shipped lexicons that the engine looks up as words: the terms of
    term rules and the words of ``unless_prev`` / ``unless_next``."""
    from vnmod.rules.lexicon import load_lexicon

    found: dict[str, None] = {}
    for rule in load_lexicon().rules:
        for item in (*rule.terms, *rule.unless_prev, *rule.unless_next):
            found[item] = None
    return list(found)


def write(path: Path | None = None) -> Path:
    """Write the keys of the shipped lexicons' strings (one a line) with what they were
    computed from to ``path``, by default the shipped file."""
    path = path or _package() / "resources" / KEYS_FILE
    head = json.dumps({"sources": sources_hash(), "environment": environment()})
    lines = [json.dumps(t, ensure_ascii=False) + ": "
             + json.dumps(list(compute(t)), ensure_ascii=False) for t in sorted(lexicon_strings())]
    path.write_text(head[:-1] + ',\n"keys": {\n' + ",\n".join(lines) + "\n}}\n",
                    encoding="utf-8")
    shipped.cache_clear()
    return path
