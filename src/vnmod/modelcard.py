"""The model card (``README.md``) ``vnmod train`` writes when the recipe names none: what the
model was trained on, the label counts, and what it measured on its dev posts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from vnmod.taxonomy import CATEGORIES


def _fmt(value: Any) -> str:
    return "–" if value is None else f"{value:.3f}" if isinstance(value, float) else str(value)


def training_card(recipe: Any, out: str | Path, *, counts: Mapping[str, Mapping[str, int]],
                  report: Mapping[str, Any], thresholds: Mapping[str, float],
                  defaulted: Sequence[str], notes: Sequence[str],
                  dev_notes: Sequence[str]) -> str:
    """Markdown for the model directory ``out`` trained from ``recipe``."""
    from vnmod import __version__

    files = [Path(p).name for p in recipe.labelled_files]
    corpora = list(recipe.sources)
    lines = [f"# {recipe.name}", ""]
    if corpora:
        what = f"the corpora {', '.join(corpora)}" + (f" and {', '.join(files)}" if files else "")
    else:
        what = f"your labelled posts alone ({', '.join(files)}); no public corpus was used"
    lines += [f"A vnmod {__version__} model trained with `vnmod train` on {what}. "
              "Components: rules (the shipped lexicons) and a linear model (TF-IDF over words "
              "and characters, one logistic regression per category), combined per category "
              "by a stack fitted on the dev posts.", "",
              "```python", "import vnmod", "", f'clf = vnmod.load("{out}")',
              'clf.predict("...").labels', "```", "",
              f"Command line: `vnmod score posts.csv -o scored.csv --model {out}`.", ""]

    lines += ["## Training data", ""]
    lines += [f"- {note}" for note in dev_notes] or ["- dev posts from the recipe's dev sources"]
    lines += ["", "| | " + " | ".join(CATEGORIES) + " | clean | posts |",
              "|---|" + "---:|" * (len(CATEGORIES) + 2)]
    for split in ("train", "dev"):
        row = counts.get(split, {})
        cells = [str(row.get(c, 0)) for c in (*CATEGORIES, "clean", "posts")]
        lines.append(f"| {split} | " + " | ".join(cells) + " |")
    lines += ["", "(Posts per category; a post may have several.)", ""]

    lines += ["## Metrics on the dev posts", "",
              f"Measured on the {report.get('n', 0)} dev posts. The stack and the thresholds "
              "were fitted on these same posts, so the figures are optimistic: for an unbiased "
              "estimate, label posts the model never saw and run "
              f"`vnmod evaluate --model {out} --data FILE`.", "",
              "| category | precision | recall | F1 | positives | threshold |",
              "|---|---:|---:|---:|---:|---:|"]
    per_cat = report.get("categories", {})
    for cat in CATEGORIES:
        m = per_cat.get(cat, {})
        mark = " (default)" if cat in defaulted else ""
        lines.append(f"| {cat} | {_fmt(m.get('precision'))} | {_fmt(m.get('recall'))} | "
                     f"{_fmt(m.get('f1'))} | {m.get('support', 0)} | "
                     f"{thresholds.get(cat, 0.5):.2f}{mark} |")
    lines += ["", f"Macro-F1 over the categories with dev positives: "
                  f"{_fmt(report.get('macro_f1'))}.", ""]

    if defaulted:
        lines += ["## Thresholds not chosen on data", ""]
        lines += [f"- **{cat}** keeps the default threshold {thresholds.get(cat, 0.5):.2f}: too "
                  "few positive dev posts to choose one. Its flags rest on few examples; "
                  "label more and retrain before relying on them." for cat in defaulted]
        lines.append("")
    if notes:
        lines += ["## Training warnings", ""] + [f"- {n}" for n in notes] + [""]
    lines += ["## Settings", "",
              f"Dev share {recipe.dev_fraction:.0%} (when carved), seed {recipe.seed}; linear "
              f"options {dict(recipe.linear) or 'default'}; everything is in `vnmod.json`.", ""]
    return "\n".join(lines)
