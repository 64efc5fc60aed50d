"""End-to-end speed of ``vnmod score`` on a CSV of N real posts (ViHSD texts, repeated).

    python bench/speed.py [--rows 100000] [--workers 2] [--runs 1] [--model ...]

Writes the input to a temporary folder (never into the repository), runs the ``vnmod score``
command in a child process (``--runs`` times: the range is reported), and reports posts/s and
the child's peak memory; then times each stage of scoring on one core, in this process, on
20,000 posts (bench/results/speed.json, with the modules that ran compiled: see setup.py).
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

import vnmod
from vnmod._compiled import loaded_compiled
from vnmod.data import load_corpus
from vnmod.text.normalize import normalise

OUT = Path(__file__).parent / "results" / "speed.json"


def stages(texts: list[str], model: str | None) -> dict[str, int]:
    """Posts/s of each stage of ``Classifier.predict`` on one core (warm caches)."""
    clf = vnmod.load(model)
    clf.predict(texts[:500])
    out: dict[str, int] = {}

    def timed(name: str, fn):
        start = time.perf_counter()
        result = fn()
        out[name] = round(len(texts) / (time.perf_counter() - start))
        return result

    docs = timed("normalise", lambda: [normalise(t) for t in texts])
    for backend, _ in clf.components:
        if backend.name == "linear":
            x = timed("linear: n-gram counting and tf-idf", lambda b=backend: b.transform(docs))
            if backend.neighbours_k > 0:
                timed("linear: neighbours", lambda b=backend, x=x: b.neighbours_.scores(x))
        elif backend.name == "rules":
            timed("rules", lambda b=backend: b.analyse(docs))
    timed("predict, all stages with evidence", lambda: clf.predict(texts))
    return out


def cold_start(model: str | None) -> float:
    """Seconds for a fresh process to import vnmod, load the model and score one post."""
    code = ("import time; t = time.perf_counter(); import vnmod; "
            f"vnmod.load({model!r}).predict('xin chào'); "
            "print(time.perf_counter() - t)")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                         text=True).stdout.split()
    return round(float(out[0]), 2)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--runs", type=int, default=1, help="end-to-end runs (range reported)")
    ap.add_argument("--model", default=None)
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)
    texts = load_corpus("vihsd")["text"].tolist()
    runs = []
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
        for _ in range(args.runs):
            start = time.time()
            subprocess.run(cmd, check=True)
            runs.append(time.time() - start)
        with open(dst, encoding="utf-8", newline="") as fh:
            rows_out = sum(1 for _ in csv.reader(fh)) - 1
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    seconds = sorted(runs)[len(runs) // 2]
    result = {"rows": args.rows, "rows_out": rows_out, "workers": args.workers,
              "runs": args.runs, "seconds": round(seconds, 2),
              "posts_per_s": round(args.rows / seconds),
              "posts_per_s_range": [round(args.rows / max(runs)), round(args.rows / min(runs))],
              "peak_rss_mb_largest_process": round(peak_mb), "cpus": os.cpu_count(),
              "cold_start_seconds": cold_start(args.model),
              "compiled_modules": loaded_compiled(),
              "one_core_posts_per_s": stages(texts[:20_000], args.model)}
    print(json.dumps(result, indent=2, ensure_ascii=False))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return 0 if rows_out == args.rows else 1


if __name__ == "__main__":
    sys.exit(main())
