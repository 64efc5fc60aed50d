"""Assemble ``labels.csv`` from the annotators' batch files and the policy's worked examples.

    python data/policy/merge_labels.py BATCH_DIR [--examples ../shared/annotation_examples.csv]
    python data/policy/merge_labels.py BATCH_DIR --add      # a new pool: keep labels.csv's rows

Each batch file is a CSV ``key,insult,offensive,fake_news,illegal_ads,borderline,note`` with
``key = corpus|split|id``. Checks: every key is in ``selection.csv`` and labelled once, values are
0/1, every positive or borderline row has a note. Rows keep the order of ``selection.csv``.
With ``--add`` the rows already in ``labels.csv`` stay as they are, first, and the batches may
only label posts it lacks (their rows follow, in the order of ``selection.csv``).
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
CATS = ("insult", "offensive", "fake_news", "illegal_ads")
FIELDS = ("corpus", "split", "id", "pool", *CATS, "borderline", "note")


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("batches", type=Path)
    parser.add_argument(
        "--examples", type=Path, default=HERE.parents[2] / "shared" / "annotation_examples.csv"
    )
    parser.add_argument("--add", action="store_true",
                        help="keep labels.csv's rows and add the batches' labels after them")
    args = parser.parse_args(argv)
    selection = _rows(HERE / "selection.csv")
    pools = {f"{r['corpus']}|{r['split']}|{r['id']}": r["pool"] for r in selection}
    kept = _rows(HERE / "labels.csv") if args.add else []
    done = {f"{r['corpus']}|{r['split']}|{r['id']}" for r in kept}
    labels: dict[str, dict[str, str]] = {}
    problems = []
    for path in sorted(args.batches.glob("b*.csv")):
        for row in _rows(path):
            key = row["key"].strip()
            if key not in pools:
                problems.append(f"{path.name}: unknown key {key}")
            elif key in labels or key in done:
                problems.append(f"{path.name}: {key} labelled twice")
            elif any(row[c].strip() not in ("0", "1") for c in (*CATS, "borderline")):
                problems.append(f"{path.name}: {key} has a value other than 0/1")
            else:
                flagged = any(row[c].strip() == "1" for c in (*CATS, "borderline"))
                if flagged and not row["note"].strip():
                    problems.append(f"{path.name}: {key} is positive or borderline without a note")
                labels[key] = row
    if problems:
        print("\n".join(problems), file=sys.stderr)
        return 1
    out = list(kept)
    for key, pool in pools.items():
        if key in labels:
            corpus, split, rid = key.split("|", 2)
            row = labels[key]
            out.append(
                {
                    "corpus": corpus,
                    "split": split,
                    "id": rid,
                    "pool": pool,
                    **{c: row[c].strip() for c in (*CATS, "borderline")},
                    "note": " ".join(row["note"].split()),
                }
            )
    if args.examples.is_file() and not args.add:
        for row in _rows(args.examples):
            corpus = "vlsp2019" if row["corpus"].startswith("vlsp2019") else row["corpus"]
            out.append(
                {
                    "corpus": corpus,
                    "split": "train",
                    "id": row["id"],
                    "pool": "policy_examples",
                    **{c: row[c] for c in (*CATS, "borderline")},
                    "note": " ".join(row["note"].split()),
                }
            )
    with open(HERE / "labels.csv", "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=FIELDS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(out)
    print(
        f"{len(out)} rows ({len(labels)} of {len(pools)} selected posts labelled)", file=sys.stderr
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
