"""What the rule engine alone, or a whole model, catches and misses on data/examples/posts.csv
(for the README).

    python bench/rules_on_examples.py [--model vnmod-base]
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

from vnmod.backends.rules import RulesBackend
from vnmod.classifier import Classifier

POSTS = Path(__file__).resolve().parents[1] / "data" / "examples" / "posts.csv"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", help="a model to run instead of the rules alone")
    args = ap.parse_args(argv)
    if args.model:
        import vnmod

        clf, who = vnmod.load(args.model), f"Model {args.model}"
    else:
        clf, who = Classifier([(RulesBackend(), 1.0)]), "Rules alone"
    with open(POSTS, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    preds = clf.predict([r["text"] for r in rows])
    right, wrong = [], []
    for row, p in zip(rows, preds, strict=True):
        expected = sorted(filter(None, row["expected"].split(";")))
        (right if expected == sorted(p.labels) else wrong).append((row, expected, p))
    print(f"{who}: {len(right)} of {len(rows)} posts get exactly the expected labels.\n")
    print("| id | expected | says | post |\n|---|---|---|---|")
    for row, expected, p in wrong:
        text = row["text"].replace("|", "/")
        text = text if len(text) <= 90 else text[:87] + "..."
        print(f"| {row['id']} | {', '.join(expected) or 'clean'} | "
              f"{', '.join(p.labels) or 'clean'} | {text} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
