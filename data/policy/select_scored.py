"""Pick the VLSP 2019 posts not read before that the shipped model scores as possible illegal ads.

A model's output may choose which posts to read, never their labels (ANNOTATION.md). Writes
``scored_ids.txt`` beside this file: the VLSP ids of the pool ``vlsp_scored`` of
``selection.csv``, fixed once (a later model would pick others), so that ``select_posts.py``
reproduces the selection without a model. Run in the seventh session of 2026-12-05 with
models/vnmod-base at commit 667cbe8:

    python data/policy/select_scored.py [--data-dir ../shared/data] [--min-score 0.05]
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from select_posts import EXAMPLES, nfc, read_rows  # noqa: E402

OUT = HERE / "scored_ids.txt"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data-dir",
        default=os.environ.get("VNMOD_DATA_DIR", str(HERE.parents[2] / "shared" / "data")),
    )
    parser.add_argument("--min-score", type=float, default=0.05)
    args = parser.parse_args(argv)
    import vnmod

    with open(HERE / "selection.csv", encoding="utf-8", newline="") as fh:
        read = {r["id"] for r in csv.DictReader(fh) if r["corpus"] == "vlsp2019"}
    examples = {r["id"] for r in read_rows(EXAMPLES)} if EXAMPLES.exists() else set()
    rows = [r for r in read_rows(Path(args.data_dir) / "vlsp2019_hsd" / "Train_original.csv")
            if r["id"] not in read | examples and nfc(r["free_text"]).strip()]
    scores = vnmod.load().predict_proba([nfc(r["free_text"]) for r in rows])[:, 3]
    picked = sorted(r["id"] for r, s in zip(rows, scores, strict=True) if s >= args.min_score)
    OUT.write_text("".join(f"{i}\n" for i in picked), encoding="utf-8")
    print(f"{len(rows)} unread posts, {len(picked)} scored >= {args.min_score} -> {OUT}",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
