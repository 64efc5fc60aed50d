"""The record of how a scored file was made: which vnmod, which model, which input, which
options, when, and what came out (``OUTPUT.provenance.json`` beside every ``vnmod score``
output).

A flag in a case file must be traceable to the exact model and text behind it: the model is
named by the SHA-256 of its manifest (which lists every file's checksum), the input by the
SHA-256 of its bytes, each output row's text by its ``text_sha256`` column.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import platform
import sys
from pathlib import Path
from typing import Any

from vnmod.taxonomy import CATEGORIES

SUFFIX = ".provenance.json"
FORMAT_VERSION = 1
_BLOCK = 1 << 20


def file_sha256(path: str | os.PathLike) -> str:
    """SHA-256 (hex) of a file's bytes, read in blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(_BLOCK):
            digest.update(block)
    return digest.hexdigest()


def provenance_path(output: str | os.PathLike) -> Path:
    """Where the provenance of ``output`` goes: ``OUTPUT.provenance.json`` beside it."""
    out = Path(output)
    return out.with_name(out.name + SUFFIX)


def now() -> str:
    """The current time, UTC, ISO 8601 to the second."""
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()


def _version() -> str:
    from vnmod import __version__

    return __version__


def run_record(clf: Any, *, input_path: str | os.PathLike, input_sha256: str | None,
               output_path: str | os.PathLike, output_sha256: str | None = None,
               output_format: str, rows: int,
               flagged: dict[str, int], not_ok: int, options: dict[str, Any],
               started: str, finished: str) -> dict[str, Any]:
    """The provenance of one scoring run, as a JSON-ready dict."""
    src = Path(input_path)
    out = Path(output_path)
    return {
        "format_version": FORMAT_VERSION,
        "tool": {"vnmod": _version(), "python": platform.python_version(),
                 "platform": sys.platform},
        "model": {**clf.model_id, "ref": clf.model_ref,
                  "components": list(clf.component_names),
                  "degraded": list(clf.degraded)},
        "thresholds": clf.thresholds,
        "options": options,
        "input": {"path": str(src.resolve()), "sha256": input_sha256,
                  "bytes": src.stat().st_size if src.is_file() else None, "rows": rows},
        "output": {"path": str(out.resolve()) if str(out) != "-" else "-",
                   "sha256": output_sha256, "format": output_format, "rows": rows},
        "flagged": {c: int(flagged.get(c, 0)) for c in CATEGORIES},
        "flagged_rows": int(flagged.get("any", 0)),
        "rows_not_ok": not_ok,
        "started": started,
        "finished": finished,
    }


def write_record(path: str | os.PathLike, record: dict[str, Any]) -> Path:
    """Write ``record`` as JSON to ``path`` atomically (a temporary file, then a rename)."""
    target = Path(path)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(record, fh, ensure_ascii=False, indent=2)
            fh.write("\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()
    return target


def read_record(path: str | os.PathLike) -> dict[str, Any]:
    """A provenance file, checked to be one (ValueError otherwise)."""
    try:
        record = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ValueError(f"cannot read the provenance file {path}: {exc}") from exc
    if not isinstance(record, dict) or "model" not in record or "thresholds" not in record:
        raise ValueError(f"{path} is not a vnmod provenance file (no model or thresholds)")
    return record
