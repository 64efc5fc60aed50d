"""End-to-end speed of ``vnmod score`` on a CSV of N real posts (ViHSD texts, repeated).

    python bench/speed.py [--rows 100000] [--workers 2] [--model ...]

Writes the input to a temporary folder (never into the repository), runs the ``vnmod score``
command in a child process, and reports posts/s and the child's peak memory
(bench/results/speed.json).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from vnmod.data import load_corpus

OUT = Path(__file__).parent / "results" / "speed.json"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--model", default=None)
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)
    texts = load_corpus("vihsd")["text"].tolist()
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp) / "posts.csv", Path(tmp) / "scored.csv"
        with open(src, "w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["id", "text"])
            for i in range(args.rows):
                w.writerow([i, texts[i % len(texts)]])
        cmd = [sys.executable, "-m", "vnmod.cli", "score", str(src), "-o", str(dst), "-q",
               "--workers", str(args.workers)]
        if args.model:
            cmd += ["--model", args.model]
        start = time.time()
        subprocess.run(cmd, check=True)
        seconds = time.time() - start
        with open(dst, encoding="utf-8", newline="") as fh:
            rows_out = sum(1 for _ in csv.reader(fh)) - 1
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    result = {"rows": args.rows, "rows_out": rows_out, "workers": args.workers,
              "seconds": round(seconds, 2), "posts_per_s": round(args.rows / seconds),
              "peak_rss_mb_largest_process": round(peak_mb), "cpus": os.cpu_count()}
    print(json.dumps(result, indent=2))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0 if rows_out == args.rows else 1


if __name__ == "__main__":
    sys.exit(main())
