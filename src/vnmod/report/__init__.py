"""``vnmod report``: one self-contained HTML page about a file written by ``vnmod score``.

The page holds counts and shares per category, score histograms, a timeline when the posts
have dates, the top flagged posts of each category with their evidence highlighted and the
category's legal basis, filters, and a paged table of the rows. It loads nothing from the
network (Plotly's JavaScript is inlined) and switches between Vietnamese and English; its
strings are in ``strings.toml``. Needs ``pip install "vnmod[report]"`` (Jinja2, Plotly, pandas).

>>> from vnmod.report import build_report
>>> build_report("scored.csv", "report.html")  # doctest: +SKIP
ReportSummary(output='report.html', rows=60, flagged=34, ...)
"""

from __future__ import annotations

import json
import os
import re
import time
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from importlib import resources
from itertools import pairwise
from pathlib import Path
from typing import Any

from vnmod._resources import tomllib
from vnmod.report.scored import ReportError, Scored, parse_dates, parse_evidence, read_scored
from vnmod.taxonomy import CATEGORIES, load_taxonomy
from vnmod.taxonomy import legal_basis as references_in_force

__all__ = ["LANGUAGES", "ReportError", "ReportSummary", "build_report", "highlight_segments",
           "legal_basis", "strings"]

LANGUAGES = ("vi", "en")
TOP_POSTS = 10  # flagged posts shown per category
TABLE_ROWS = 200_000  # rows embedded in the table (the charts count all)
TABLE_TEXT_CHARS = 1_000  # longer posts are cut in the table (not in the top posts)
HISTOGRAM_BINS = 20
REPORT_HINT = 'pip install "vnmod[report]"'


@dataclass(frozen=True)
class ReportSummary:
    """What :func:`build_report` wrote."""

    output: str
    rows: int
    flagged: int
    counts: dict[str, int]
    table_rows: int
    text_column: str
    date_column: str | None
    has_evidence: bool
    bytes: int
    seconds: float


def legal_basis(category: str) -> list[str]:
    """The legal references of ``category`` in force today, one display line each: the one
    place the report reads the taxonomy's legal basis (``vnmod evidence`` gives each post the
    law of its own date)."""
    return [str(ref) for ref in references_in_force(category)]


def _resource(name: str) -> str:
    return resources.files("vnmod.report").joinpath(name).read_text(encoding="utf-8")


@cache
def strings() -> dict[str, dict[str, str]]:
    """The page's strings by key: ``{"title": {"vi": ..., "en": ...}, ...}``."""
    return tomllib.loads(_resource("strings.toml"))["strings"]


# ------------------------------------------------------------------------------ evidence

def _valid_spans(text: str, spans: list[dict[str, Any]]) -> list[tuple[int, int, str]]:
    """``(start, end, rule)`` of the spans that fit ``text``.

    A span whose recorded text is not at its offsets is tried one character later (a CSV
    cell that ``vnmod score`` defused with a leading ``'``), else dropped.
    """
    out = []
    for span in spans:
        try:
            start, end = int(span["start"]), int(span["end"])
        except (KeyError, TypeError, ValueError):
            continue
        quoted = span.get("text")
        if isinstance(quoted, str) and text[start:end] != quoted:
            if text[start + 1:end + 1] != quoted:
                continue
            start, end = start + 1, end + 1
        if 0 <= start < end <= len(text):
            out.append((start, end, str(span.get("rule") or "")))
    return out


def highlight_segments(text: str, evidence: list[dict[str, Any]],
                       category: str) -> list[tuple[str, list[str]]]:
    """``text`` cut into ``(piece, rules)`` pieces: ``rules`` names the evidence spans of
    ``category`` covering the piece (empty for plain text). Overlapping spans merge."""
    spans = _valid_spans(text, [e for e in evidence if e.get("category") == category])
    if not spans:
        return [(text, [])] if text else []
    cuts = sorted({0, len(text), *(s for s, _, _ in spans), *(e for _, e, _ in spans)})
    pieces: list[tuple[str, list[str]]] = []
    for a, b in pairwise(cuts):
        rules = sorted({r for s, e, r in spans if s <= a and b <= e})
        if pieces and pieces[-1][1] == rules:
            pieces[-1] = (pieces[-1][0] + text[a:b], rules)
        else:
            pieces.append((text[a:b], rules))
    return pieces


# ------------------------------------------------------------------------------ the data

def _masks(labels: list[list[str]]) -> list[int]:
    bit = {c: 1 << i for i, c in enumerate(CATEGORIES)}
    return [sum(bit[c] for c in row) for row in labels]


def _top_posts(scored: Scored, masks: list[int], top: int) -> dict[str, list[dict[str, Any]]]:
    frame = scored.frame
    out: dict[str, list[dict[str, Any]]] = {}
    for i, cat in enumerate(CATEGORIES):
        flagged = [m & (1 << i) != 0 for m in masks]
        best = frame.loc[flagged, f"score_{cat}"].nlargest(top, keep="first")
        posts = []
        for pos, score in best.items():
            row = frame.loc[pos]
            evidence = parse_evidence(row["evidence"]) if scored.has_evidence else []
            posts.append({"row": int(pos) + 1, "id": row["id"], "score": round(float(score), 4),
                          "mask": masks[pos], "reason": row["reason"],
                          "segments": highlight_segments(row["text"], evidence, cat)})
        out[cat] = posts
    return out


def _histograms(frame: Any) -> dict[str, Any]:
    import numpy as np

    counts = {}
    for cat in CATEGORIES:
        values, _ = np.histogram(frame[f"score_{cat}"].to_numpy(), bins=HISTOGRAM_BINS,
                                 range=(0.0, 1.0))
        counts[cat] = values.tolist()
    return {"bins": HISTOGRAM_BINS, "counts": counts}


def _timeline(dates: Any, masks: list[int], column: str) -> dict[str, Any]:
    """Posts per day, week or month (whichever keeps the chart readable), all and per
    category; ``x`` is empty when no date could be read."""
    import pandas as pd

    valid = dates.notna().to_numpy()
    out: dict[str, Any] = {"column": column, "unparsed": int((~valid).sum()), "x": []}
    if not valid.any():
        return out
    when = dates[valid]
    days = (when.max() - when.min()).days
    bucket, freq = (("day", "D") if days <= 92 else ("week", "W") if days <= 731
                    else ("month", "M"))
    starts = when.dt.to_period(freq).dt.start_time
    axis = pd.period_range(when.min(), when.max(), freq=freq).start_time
    valid_masks = pd.Series(masks)[valid].to_numpy()
    out.update(bucket=bucket, x=[d.strftime("%Y-%m-%d") for d in axis],
               total=starts.value_counts().reindex(axis, fill_value=0).astype(int).tolist(),
               counts={})
    for i, cat in enumerate(CATEGORIES):
        hit = starts[(valid_masks & (1 << i)) != 0]
        out["counts"][cat] = hit.value_counts().reindex(axis, fill_value=0).astype(int).tolist()
    return out


def _date_cells(dates: Any, raw: Any) -> list[str]:
    """The table's date column: parsed dates (with the time unless all are midnight), else
    the cell as written."""
    parsed = dates.notna()
    with_time = bool((dates[parsed] != dates[parsed].dt.normalize()).any())
    shown = dates.dt.strftime("%Y-%m-%d %H:%M" if with_time else "%Y-%m-%d")
    return [s if ok else ("" if v is None else str(v))
            for s, ok, v in zip(shown.tolist(), parsed.tolist(), list(raw), strict=True)]


def report_data(scored: Scored, *, top: int = TOP_POSTS, table_rows: int | None = TABLE_ROWS,
                lang: str = "vi") -> dict[str, Any]:
    """Everything the page shows, as JSON-ready data."""
    import vnmod

    frame = scored.frame
    rows = len(frame)
    masks = _masks(frame["labels"].tolist())
    counts = {c: sum(1 for m in masks if m & (1 << i)) for i, c in enumerate(CATEGORIES)}
    flagged = sum(1 for m in masks if m)
    shown = rows if not table_rows or table_rows < 0 else min(rows, table_rows)
    timeline = None
    dates = None
    if scored.date_column is not None:
        dates = parse_dates(frame["date"])
        timeline = _timeline(dates, masks, scored.date_column)
    head = frame.iloc[:shown]
    scores = [[round(float(x), 4) for x in head[f"score_{c}"].tolist()] for c in CATEGORIES]
    date_cells = (_date_cells(dates.iloc[:shown], head["date"].tolist()) if dates is not None
                  else [""] * shown)
    texts = [t if len(t) <= TABLE_TEXT_CHARS else t[:TABLE_TEXT_CHARS] + "…"
             for t in head["text"].tolist()]
    table = [[i + 1, ident, text, mask, s0, s1, s2, s3, status, date]
             for i, (ident, text, mask, s0, s1, s2, s3, status, date) in enumerate(zip(
                 head["id"].tolist(), texts, masks[:shown], *scores, head["status"].tolist(),
                 date_cells, strict=True))]
    taxonomy = load_taxonomy()
    categories = [{"key": c, "name_vi": taxonomy[c].name_vi,
                   "description_vi": taxonomy[c].description_vi,
                   "description_en": taxonomy[c].description, "legal_basis": legal_basis(c),
                   "count": counts[c], "share": counts[c] / rows if rows else 0.0}
                  for c in CATEGORIES]
    meta = {"source": scored.path.name, "generated": datetime.now().strftime("%Y-%m-%d %H:%M"),
            "version": vnmod.__version__, "lang": lang, "rows": rows, "flagged": flagged,
            "clean": rows - flagged,
            "not_ok": int((frame["status"] != "ok").sum()), "text_column": scored.text_column,
            "date_column": scored.date_column, "has_date": scored.date_column is not None,
            "has_id": scored.id_column is not None, "has_evidence": scored.has_evidence,
            "table_rows": shown, "top": top}
    return {"meta": meta, "categories": categories, "counts": counts,
            "hist": _histograms(frame), "timeline": timeline,
            "top": _top_posts(scored, masks, top), "rows": table}


# ---------------------------------------------------------------------------- rendering

def script_json(value: Any) -> str:
    """JSON safe inside ``<script type="application/json">``: ``<``, ``>`` and ``&`` are
    written as ``\\u003c``..., so no ``</script>`` or ``<!--`` in the data can end it."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _inline(code: str, tag: str) -> str:
    """Code to put inside ``<tag>``: ``</tag`` would end the element early."""
    return re.sub(rf"</(?={tag})", r"<\\/", code, flags=re.IGNORECASE)


@cache
def _plotly_js() -> str:
    from plotly.offline import get_plotlyjs

    return _inline(get_plotlyjs(), "script")


def _require_libraries() -> None:
    missing = []
    for module in ("jinja2", "plotly", "pandas"):
        try:
            __import__(module)
        except ImportError:
            missing.append(module)
    if missing:
        raise ReportError(f"vnmod report needs {', '.join(missing)}, which "
                          f"{'is' if len(missing) == 1 else 'are'} not installed; install "
                          f"them with {REPORT_HINT}")


def render_html(data: dict[str, Any], lang: str = "vi") -> str:
    """The page for ``data`` (from :func:`report_data`), opening in ``lang``."""
    import jinja2
    from markupsafe import Markup

    table = strings()

    def t(key: str, **args: Any) -> str:
        text = table[key][lang]
        for name, value in args.items():
            shown = f"{value:,}".replace(",", "." if lang == "vi" else ",") \
                if isinstance(value, int) else str(value)
            text = text.replace("{" + name + "}", shown)
        return text

    def both(key: str) -> str:
        return " / ".join(table[key][code] for code in LANGUAGES)

    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined,
                             trim_blocks=True, lstrip_blocks=True)
    template = env.from_string(_resource("template.html.j2"))
    return template.render(
        lang=lang, t=t, both=both, meta=data["meta"], categories=data["categories"],
        timeline=data["timeline"],
        css=Markup(_inline(_resource("report.css"), "style")),
        data_json=Markup(script_json(data)), strings_json=Markup(script_json(table)),
        plotly_js=Markup(_plotly_js()), report_js=Markup(_inline(_resource("report.js"),
                                                                 "script")))


def build_report(scored_path: str | os.PathLike, output_path: str | os.PathLike, *,
                 date_column: str | None = None, text_column: str | None = None,
                 top: int = TOP_POSTS, table_rows: int | None = TABLE_ROWS,
                 lang: str = "vi") -> ReportSummary:
    """Write the HTML report of ``scored_path`` (a CSV, JSONL or Parquet file written by
    ``vnmod score``) to ``output_path`` (``-``: stdout), replacing it only once complete.

    ``date_column`` names the column of the post dates (guessed from ``date``,
    ``created_time``, ``time``, ``timestamp``... when omitted); ``top`` posts per category
    are shown with their evidence; ``table_rows`` caps the rows in the table (0 or None:
    all). Raises :class:`ReportError` (or :class:`vnmod.atomic_output.OutputPathError`) with
    a one-line message, writing nothing, when the input or the output will not do.
    """
    from vnmod.atomic_output import open_output, plan_output

    started = time.perf_counter()
    if lang not in LANGUAGES:
        raise ReportError(f"lang={lang!r}: choose one of {', '.join(LANGUAGES)}")
    if top < 0:
        raise ReportError(f"top={top}: give 0 or more posts per category")
    target = plan_output(output_path)
    src = Path(scored_path)
    if target.path is not None and src.exists() and target.path.exists() \
            and os.path.samefile(src, target.path):
        raise ReportError(f"refusing to overwrite the scored file {src}; choose another -o path")
    _require_libraries()
    scored = read_scored(src, text_column=text_column, date_column=date_column)
    data = report_data(scored, top=top, table_rows=table_rows, lang=lang)
    html = render_html(data, lang)
    encoded = html.encode("utf-8")
    with open_output(target, binary=True) as fh:
        fh.write(encoded)
    meta = data["meta"]
    return ReportSummary(str(target), meta["rows"], meta["flagged"], dict(data["counts"]),
                         meta["table_rows"], scored.text_column, scored.date_column,
                         scored.has_evidence, len(encoded), time.perf_counter() - started)
