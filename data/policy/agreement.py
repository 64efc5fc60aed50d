"""Agreement between the first labels (``labels.csv``) and the blind re-read (``reread.csv``).

python data/policy/agreement.py [--pool POOL]   # per-category agreement and Cohen's kappa
python data/policy/agreement.py --first pending_reintel_sales.csv   # a batch-format file's posts
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
CATS = ("insult", "offensive", "fake_news", "illegal_ads")


def _key(row: dict[str, str]) -> str:
    return row["key"] if "key" in row else f"{row['corpus']}|{row['split']}|{row['id']}"


def kappa(a: list[int], b: list[int]) -> float:
    n = len(a)
    observed = sum(x == y for x, y in zip(a, b, strict=True)) / n
    pa, pb = sum(a) / n, sum(b) / n
    expected = pa * pb + (1 - pa) * (1 - pb)
    return 1.0 if expected == 1 else (observed - expected) / (1 - expected)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pool", help="only the posts of this pool (labels.csv's pool column)")
    parser.add_argument("--first", type=Path, default=HERE / "labels.csv",
                        help="the first labels: labels.csv, or a batch-format file (key column)")
    args = parser.parse_args(argv)
    with open(HERE / args.first, encoding="utf-8") as fh:
        first = {_key(r): r for r in csv.DictReader(fh)}
    with open(HERE / "reread.csv", encoding="utf-8") as fh:
        second = {_key(r): r for r in csv.DictReader(fh)}
    keys = sorted(k for k in second if k in first
                  and (args.pool is None or first[k].get("pool") == args.pool))
    if not keys:
        print("no re-read posts" + (f" in pool {args.pool}" if args.pool else ""))
        return 1
    print(f"{len(keys)} posts re-read blind" + (f" (pool {args.pool})" if args.pool else ""))
    print("| category | positives (first / re-read) | agreement | Cohen's kappa |")
    print("|---|---|---|---|")
    for cat in CATS:
        a = [int(first[k][cat]) for k in keys]
        b = [int(second[k][cat]) for k in keys]
        same = sum(x == y for x, y in zip(a, b, strict=True)) / len(keys)
        print(f"| {cat} | {sum(a)} / {sum(b)} | {same:.3f} | {kappa(a, b):.3f} |")
    whole = sum(all(first[k][c] == second[k][c] for c in CATS) for k in keys) / len(keys)
    print(f"all four labels equal: {whole:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
