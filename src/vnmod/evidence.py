"""Case files: one self-contained, checkable record per flagged post of a scored file.

``vnmod evidence SCORED -o case.jsonl`` reads a file written by ``vnmod score --evidence
full`` and the provenance written beside it (``SCORED.provenance.json``), and writes for each
flagged post: the original text and its SHA-256, every evidence span with its offsets and
rule, the scores and thresholds, the legal basis in force on the post's date, the post's
other columns, and the provenance of the run. Each record carries ``record_sha256``, the
SHA-256 of its own canonical JSON (Python's ``json`` with sorted keys, no spaces, UTF-8), and
``prev_sha256``, the seal of the line before it; a last ``end`` line holds the number of
records and the last seal. An edit, a deleted, inserted or reordered record shows; a file
rewritten and sealed again from scratch shows only against the case file's hash printed at
export (keep it apart from the file: the seals are not signatures).

With an author column, an ``author`` line (posts and counts per category) precedes that
author's posts, authors with the most flagged posts first.

:func:`verify_case` checks a case file later: each record's own hash, its text against its
hash, the model named in it (same manifest hash), and a fresh scoring of the text with the
recorded thresholds against the recorded labels, scores and spans.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vnmod.dates import post_date, today
from vnmod.prediction import text_sha256
from vnmod.provenance import file_sha256, provenance_path, read_record
from vnmod.taxonomy import CATEGORIES, legal_basis

FORMAT = "vnmod-case/1"
SCORE_TOLERANCE = 1e-4  # scores are written rounded to 4 decimals


class CaseError(ValueError):
    """The case file cannot be made or read; the message says why in one line."""


def canonical(record: dict[str, Any]) -> bytes:
    """The bytes a record's hash is taken over: sorted keys, no spaces, UTF-8."""
    return json.dumps(record, ensure_ascii=False, sort_keys=True, separators=(",", ":"),
                      allow_nan=False).encode("utf-8", "surrogatepass")


def seal(record: dict[str, Any]) -> dict[str, Any]:
    """``record`` with ``record_sha256`` set to the hash of everything else in it."""
    body = {k: v for k, v in record.items() if k != "record_sha256"}
    return {**body, "record_sha256": hashlib.sha256(canonical(body)).hexdigest()}


def _plain(value: Any) -> Any:
    """A cell as JSON: NaN and missing as None, numpy scalars and arrays as Python ones."""
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "tolist"):
        return _plain(value.tolist())
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def _scored_text(cell: str, expected: str | None) -> tuple[str, bool | None]:
    """The text that was scored, from the output's text cell: a CSV cell ``vnmod score``
    guarded with a leading ``'`` (against spreadsheet formulas) is told apart by the row's
    ``text_sha256``. Second: whether the text matches that hash (None without one)."""
    if expected is None:
        return cell, None
    if text_sha256(cell) == expected:
        return cell, True
    if cell.startswith("'") and text_sha256(cell[1:]) == expected:
        return cell[1:], True
    return cell, False


@dataclass
class CaseSummary:
    records: int = 0
    authors: int = 0
    per_category: Counter = field(default_factory=Counter)
    text_mismatches: int = 0
    case_sha256: str = ""  # the last seal: keep it apart from the file


def _author_key(value: Any) -> str:
    value = _plain(value)
    return "" if value is None else str(value)


def build_case(scored_path: str | os.PathLike, output_path: str | os.PathLike, *,
               category: str | None = None, author_column: str | None = None,
               date_column: str | None = None, text_column: str | None = None,
               provenance: str | os.PathLike | None = None) -> CaseSummary:
    """Write the case file for the flagged posts of ``scored_path`` (see the module)."""
    from vnmod.atomic_output import OutputPathError, open_output, plan_output
    from vnmod.report.scored import ReportError, parse_evidence, read_scored

    if category is not None and category not in CATEGORIES:
        raise CaseError(f"unknown category {category!r}; choose one of {list(CATEGORIES)}")
    prov_file = Path(provenance) if provenance is not None else provenance_path(scored_path)
    if not prov_file.is_file():
        raise CaseError(f"no provenance file {prov_file}: a case record must say how its flags "
                        "were made. Score the file again with this vnmod (it writes one beside "
                        "the output), or pass --provenance")
    try:
        run = read_record(prov_file)
    except ValueError as exc:
        raise CaseError(str(exc)) from None
    date_column = date_column or run.get("options", {}).get("date_column")
    scored_sha = file_sha256(scored_path)
    made_sha = (run.get("output") or {}).get("sha256")
    if made_sha != scored_sha:
        raise CaseError(f"{scored_path} is not the file its provenance describes (SHA-256 "
                        f"{scored_sha[:12]}, the run wrote {str(made_sha)[:12]}): it was edited "
                        "or replaced after scoring; score the input again")
    # A post without a date gets the law of the day it was scored, as in the scored file.
    scored_day = post_date(run.get("started")) or today()
    try:
        scored = read_scored(scored_path, text_column=text_column, date_column=date_column)
    except ReportError as exc:
        raise CaseError(str(exc)) from None
    if not scored.has_evidence:
        raise CaseError(f"{scored_path} has no evidence column: score it with --evidence full "
                        "so that each flag's spans and rules go into the case file")
    frame, raw = scored.frame, scored.inputs
    if author_column is not None and author_column not in raw.columns:
        raise CaseError(f"author column {author_column!r} not found; the file has columns "
                        f"{list(raw.columns)}")
    hashes = scored.text_hashes
    source = {"file": str(Path(scored_path).resolve()), "sha256": scored_sha,
              "provenance_file": str(prov_file.resolve()),
              "provenance_sha256": file_sha256(prov_file)}
    summary = CaseSummary()
    records: list[dict[str, Any]] = []
    for i in range(len(frame)):
        labels = [c for c in frame["labels"][i] if category is None or c == category]
        if not labels:
            continue
        text, matches = _scored_text(frame["text"][i], hashes[i] if hashes else None)
        summary.text_mismatches += matches is False
        day = post_date(_plain(frame["date"][i])) if scored.date_column else None
        as_of = day or scored_day
        spans = [{k: e.get(k) for k in ("category", "start", "end", "text", "rule", "weight")}
                 for e in parse_evidence(frame["evidence"][i])
                 if category is None or e.get("category") == category]
        record = {
            "type": "post",
            "format": FORMAT,
            "source": {**source, "row": i + 1},
            "post": {str(k): _plain(v) for k, v in raw.iloc[i].items()},
            "text": text,
            "text_sha256": text_sha256(text),
            "text_matches_scored_hash": matches,
            "author": _author_key(raw[author_column].iloc[i]) if author_column else None,
            "post_date": day.isoformat() if day else None,
            "legal_basis_as_of": as_of.isoformat(),
            "legal_basis_date_from": (f"column {scored.date_column!r}" if day else
                                      "the day the post was scored (no post date)"),
            "labels": labels,
            "category_filter": category,
            "scores": {c: float(frame[f"score_{c}"][i]) for c in CATEGORIES},
            "thresholds": run.get("thresholds"),
            "evidence": spans,
            "legal_basis": {c: [r.to_dict() for r in legal_basis(c, as_of)] for c in labels},
            "status": frame["status"][i],
            "provenance": run,
            "exported": dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat(),
        }
        records.append(record)
        summary.per_category.update(labels)
    summary.records = len(records)
    lines = chain(_grouped(records) if author_column else records)
    summary.authors = sum(r["type"] == "author" for r in lines)
    summary.case_sha256 = lines[-1]["record_sha256"]
    try:
        target = plan_output(output_path)
        with open_output(target) as fh:
            for line in lines:
                fh.write(json.dumps(line, ensure_ascii=False, allow_nan=False) + "\n")
    except OutputPathError as exc:
        raise CaseError(str(exc)) from None
    return summary


def chain(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Seal each line with the seal of the one before it, and end with a sealed ``end`` line
    (the number of lines before it and the last seal)."""
    out: list[dict[str, Any]] = []
    prev = ""
    for line in lines:
        sealed = seal({**line, "prev_sha256": prev})
        out.append(sealed)
        prev = sealed["record_sha256"]
    out.append(seal({"type": "end", "format": FORMAT, "lines": len(out), "prev_sha256": prev}))
    return out


def _grouped(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """An ``author`` line before each author's posts; most flagged authors first."""
    by_author: dict[str, list[dict[str, Any]]] = {}
    for r in records:
        by_author.setdefault(r["author"], []).append(r)
    out: list[dict[str, Any]] = []
    for author, posts in sorted(by_author.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        counts = Counter(c for p in posts for c in p["labels"])
        out.append({"type": "author", "format": FORMAT, "author": author,
                    "posts": len(posts), "per_category": {c: counts.get(c, 0)
                                                          for c in CATEGORIES}})
        out.extend(posts)
    return out


@dataclass
class Finding:
    """One record of a case file that no longer holds, and why."""

    line: int
    problems: list[str]


def _check_record(record: dict[str, Any], clf: Any, model_sha: str | None,
                  defaults: dict[str, float]) -> list[str]:
    problems = []
    text = record.get("text")
    if not isinstance(text, str) or text_sha256(text) != record.get("text_sha256"):
        problems.append("text changed (text_sha256 does not match)")
    if record.get("text_matches_scored_hash") is False:
        problems.append("the text did not match the scored row's text_sha256 at export")
    recorded_sha = ((record.get("provenance") or {}).get("model") or {}).get("manifest_sha256")
    if recorded_sha != model_sha:
        problems.append(f"model changed: recorded manifest {str(recorded_sha)[:12]}, now "
                        f"{str(model_sha)[:12]}")
    if not isinstance(text, str):
        return problems
    thresholds = record.get("thresholds") or {}
    if set(thresholds) != set(CATEGORIES):
        problems.append("the record's thresholds are incomplete")
    clf.thresholds = {**defaults,
                      **{c: float(v) for c, v in thresholds.items() if c in CATEGORIES}}
    p = clf.predict([text])[0]
    labels = record.get("labels", [])
    wanted = [record["category_filter"]] if record.get("category_filter") else CATEGORIES
    now_labels = [c for c in p.labels if c in wanted]
    if sorted(now_labels) != sorted(labels):
        problems.append(f"labels now {sorted(now_labels)}, recorded {sorted(labels)}")
    for c, v in (record.get("scores") or {}).items():
        if c in p.scores and abs(p.scores[c] - float(v)) > SCORE_TOLERANCE:
            problems.append(f"score_{c} now {p.scores[c]:.4f}, recorded {float(v):.4f}")
    spans = {(e["category"], e["start"], e["end"], e["rule"]) for e in record.get("evidence", [])}
    fresh = {(e.category, e.start, e.end, e.rule) for e in p.evidence if e.category in labels}
    if spans - fresh:
        problems.append(f"{len(spans - fresh)} recorded evidence span(s) no longer found")
    return problems


def verify_case(case_path: str | os.PathLike, *, model: str | None = None
                ) -> tuple[int, list[Finding]]:
    """Check every record of a case file (see the module); returns the number of post
    records checked and the findings (empty when everything still holds).

    The model is the one named in each record's provenance (its path, else its name), or
    ``model`` when given; records made by different models are checked against each.
    """
    import vnmod

    path = Path(case_path)
    try:  # records end in "\n" only: a U+2028 inside a text is no line break here
        lines = path.read_text(encoding="utf-8").split("\n")
    except (OSError, UnicodeDecodeError) as exc:
        raise CaseError(f"cannot read the case file {path}: {exc}") from None
    models: dict[str, Any] = {}
    findings: list[Finding] = []
    checked = 0
    prev, count, ended = "", 0, False
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line, parse_constant=_no_constant)
        except ValueError as exc:
            findings.append(Finding(n, [f"not JSON: {exc}"]))
            prev = ""
            continue
        if not isinstance(record, dict) or record.get("format") != FORMAT:
            findings.append(Finding(n, ["not a vnmod case record"]))
            continue
        link = []
        if record.get("record_sha256") != _seal_of(record):
            link.append("record changed since export (record_sha256 does not match)")
        if ended:
            link.append("a line after the end line")
        if record.get("prev_sha256") != prev:
            link.append("the line before it is not the one exported (deleted, inserted or "
                        "reordered lines)")
        prev = record.get("record_sha256") or ""
        if record.get("type") == "end":
            ended = True
            if record.get("lines") != count:
                link.append(f"the end line counts {record.get('lines')} lines, the file has "
                            f"{count}")
            if link:
                findings.append(Finding(n, link))
            continue
        count += 1
        if record.get("type") == "author":
            if link:
                findings.append(Finding(n, link))
            continue
        checked += 1
        named = ((record.get("provenance") or {}).get("model")) or {}
        spec = model or _model_spec(named)
        if spec not in models:
            try:
                loaded = vnmod.load(spec)
            except Exception as exc:  # a model that cannot load is a finding, not a crash
                models[spec] = exc
            else:
                models[spec] = (loaded, loaded.thresholds)  # its own, before any record's
        if isinstance(models[spec], Exception):
            findings.append(Finding(n, [*link, f"model {spec!r} cannot be loaded: "
                                               f"{models[spec]}"]))
            continue
        clf, defaults = models[spec]
        try:
            problems = link + _check_record(record, clf, clf.manifest_sha256, defaults)
        except (TypeError, ValueError, KeyError, AttributeError) as exc:
            problems = [*link, f"malformed record: {type(exc).__name__}: {exc}"]
        if problems:
            findings.append(Finding(n, problems))
    if not ended:
        findings.append(Finding(len(lines), ["no end line: the file was cut short"]))
    return checked, findings


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number a case record can hold")


def _seal_of(record: dict[str, Any]) -> str | None:
    try:
        return seal(record)["record_sha256"]
    except (TypeError, ValueError):
        return None


def _model_spec(named: dict[str, Any]) -> str | None:
    """Where to load a recorded model from: its path when that still holds a model, else its
    name (a shipped model)."""
    path = named.get("path")
    if path and (Path(path) / "vnmod.json").is_file():
        return path
    return named.get("name")
