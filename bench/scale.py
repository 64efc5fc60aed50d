"""Memory and speed of ``vnmod score`` on a large CSV: is memory flat in the number of rows?

    python bench/scale.py [--rows 1000000] [--workers 1 2] [--chunk-size 2000]

Generates ``--rows`` realistic posts (the texts of data/examples/posts.csv, cut, joined and
varied: teencode, emoji, hashtags, links, case) into a temporary folder (never the repository,
never ../shared/data), runs the ``vnmod score`` command on them as a child process once per
``--workers`` value, and reports posts/s and the peak memory of the whole process tree (the
command and its scoring workers), polled from /proc:

- ``peak_tree_rss_mb``: the largest sum of the processes' resident sets (pages the workers
  share with the parent after the fork are counted once per process: an upper bound);
- ``peak_tree_pss_mb``: the largest sum of their proportional set sizes (shared pages split
  between the processes sharing them: what the tree really holds);
- ``max_process_rss_mb``: the largest single process (``wait4``'s ``ru_maxrss``);
- ``rss_growth_mb_per_100k_rows``: the slope of the tree's RSS against the rows done (read from
  the run's checkpoint) over the second half of the run; about 0 when nothing grows per row.

Writes bench/results/scale.json (``--out``). The target: a 1,000,000-row CSV under 1 GB.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "data" / "examples" / "posts.csv"
OUT = Path(__file__).parent / "results" / "scale.json"
TARGET_MB = 1024

TEENCODE = {"không": "ko", "được": "dc", "biết": "bít", "vậy": "v", "rồi": "r", "mình": "mk",
            "với": "vs", "gì": "j", "anh": "a", "em": "e", "thì": "thì", "quá": "wá"}
EMOJI = ["😂", "🤣", "😡", "👍", "🔥", "❤️", "😭", "🙏", "😅", "🤡"]
TAILS = ["", "", "", " #review", " #tintuc", " @admin", " https://bit.ly/3xAbc9", " ib mình nhé",
         " ai biết không?", " !!!", " ...", " (st)", " lh 09xx.xxx.xxx"]


def _examples() -> list[str]:
    with open(EXAMPLES, encoding="utf-8", newline="") as fh:
        return [r["text"] for r in csv.DictReader(fh) if r["text"].strip()]


def _post(rng: random.Random, texts: list[str]) -> str:
    """One post: an example, maybe cut or joined to another, and varied."""
    words = rng.choice(texts).split()
    roll = rng.random()
    if roll < 0.3:  # a piece
        start = rng.randrange(len(words))
        words = words[start:start + rng.randint(3, 15)]
    elif roll < 0.45:  # two joined
        words = words + rng.choice(texts).split()
    if rng.random() < 0.25:
        words = [TEENCODE.get(w, w) for w in words]
    text = " ".join(words)
    if rng.random() < 0.1:
        text = text.lower()
    elif rng.random() < 0.05:
        text = text.upper()
    if rng.random() < 0.3:
        text += " " + "".join(rng.choices(EMOJI, k=rng.randint(1, 3)))
    return text + rng.choice(TAILS)


def generate(path: Path, rows: int, seed: int = 1) -> int:
    """Write ``rows`` posts as CSV (id, user, created_at, text); returns its size in bytes."""
    rng = random.Random(seed)
    texts = _examples()
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "user", "created_at", "text"])
        for i in range(rows):
            w.writerow([i, f"u{rng.randrange(50_000)}",
                        f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                        _post(rng, texts)])
    return path.stat().st_size


# --- the process tree's memory, from /proc ------------------------------------------------------

def _children() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as fh:
                stat = fh.read()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(")") + 2:].split()[1])
        kids.setdefault(ppid, []).append(int(entry))
    return kids


def _tree(pid: int) -> list[int]:
    kids, out, todo = _children(), [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(kids.get(p, []))
    return out


def _kib(path: str, field: str) -> int:
    try:
        with open(path, encoding="ascii") as fh:
            for line in fh:
                if line.startswith(field):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def tree_memory(pid: int) -> tuple[float, float, int]:
    """The tree's summed RSS and PSS in MB, and how many processes it has."""
    pids = _tree(pid)
    rss = sum(_kib(f"/proc/{p}/status", "VmRSS:") for p in pids)
    pss = sum(_kib(f"/proc/{p}/smaps_rollup", "Pss:") for p in pids)
    return rss / 1024, pss / 1024, len(pids)


def _rows_done(checkpoint: Path) -> int | None:
    try:
        return int(json.loads(checkpoint.read_text(encoding="utf-8"))["rows"])
    except (OSError, ValueError, KeyError):
        return None


def _slope(points: list[tuple[int, float]]) -> float | None:
    """Least-squares MB per 100,000 rows over the second half of ``points`` (rows, MB)."""
    half = [p for p in points if p[0] >= points[-1][0] / 2] if points else []
    if len(half) < 3:
        return None
    n = len(half)
    mx, my = sum(x for x, _ in half) / n, sum(y for _, y in half) / n
    var = sum((x - mx) ** 2 for x, _ in half)
    if var == 0:
        return None
    return sum((x - mx) * (y - my) for x, y in half) / var * 100_000


def run(src: Path, dst: Path, workers: int, chunk_size: int, model: str | None,
        poll: float) -> dict:
    cmd = [sys.executable, "-m", "vnmod.cli", "score", str(src), "-o", str(dst), "-q",
           "--workers", str(workers), "--chunk-size", str(chunk_size)]
    if model:
        cmd += ["--model", model]
    checkpoint = dst.with_name(f".{dst.name}.resume.json")
    start = time.time()
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE)
    peak_rss = peak_pss = 0.0
    procs = 0
    timeline: list[dict] = []
    growth: list[tuple[int, float]] = []
    usage = None
    try:
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)  # its rusage, not poll()'s
            if pid:
                proc.returncode = os.waitstatus_to_exitcode(status)
                break
            rss, pss, n = tree_memory(proc.pid)
            peak_rss, peak_pss, procs = max(peak_rss, rss), max(peak_pss, pss), max(procs, n)
            rows = _rows_done(checkpoint)
            if rows:
                growth.append((rows, rss))
            timeline.append({"s": round(time.time() - start, 1), "rows": rows,
                             "rss_mb": round(rss), "pss_mb": round(pss)})
            time.sleep(poll)
    finally:
        if proc.returncode is None:
            proc.kill()
            proc.wait()
    seconds = time.time() - start
    err = proc.stderr.read().decode("utf-8", "replace") if proc.stderr else ""
    if proc.returncode != 0:
        raise SystemExit(f"vnmod score failed ({proc.returncode}):\n{err}")
    step = max(len(timeline) // 60, 1)
    return {"workers": workers, "seconds": round(seconds, 1),
            "peak_tree_rss_mb": round(peak_rss), "peak_tree_pss_mb": round(peak_pss),
            "max_process_rss_mb": round(usage.ru_maxrss / 1024) if usage else None,
            "processes": procs, "rss_growth_mb_per_100k_rows": _round(_slope(growth)),
            "summary": next((line for line in err.splitlines() if line.startswith("scored ")),
                            ""),
            "timeline": timeline[::step]}


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _count_rows(path: Path) -> int:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return sum(1 for _ in csv.reader(fh)) - 1


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000, help="posts to generate and score")
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2],
                    help="a run for each of these --workers values")
    ap.add_argument("--chunk-size", type=int, default=2000, help="vnmod score --chunk-size")
    ap.add_argument("--model", default=None, help="vnmod score --model (default: shipped)")
    ap.add_argument("--poll", type=float, default=0.5, help="seconds between memory samples")
    ap.add_argument("--out", type=Path, default=OUT, help="where to write the JSON results")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="vnmod-scale-") as tmp:
        src = Path(tmp) / "posts.csv"
        started = time.time()
        size = generate(src, args.rows)
        print(f"generated {args.rows:,} posts ({size / 1e6:.0f} MB) in "
              f"{time.time() - started:.0f}s", file=sys.stderr)
        runs = []
        for workers in args.workers:
            dst = Path(tmp) / f"scored-{workers}.csv"
            result = run(src, dst, workers, args.chunk_size, args.model, args.poll)
            result["rows_out"] = _count_rows(dst)
            result["posts_per_s"] = round(args.rows / result["seconds"])
            dst.unlink()
            print(f"--workers {workers}: {result['posts_per_s']:,} posts/s, peak tree RSS "
                  f"{result['peak_tree_rss_mb']:,} MB (PSS {result['peak_tree_pss_mb']:,} MB, "
                  f"largest process {result['max_process_rss_mb']} MB), growth "
                  f"{result['rss_growth_mb_per_100k_rows']} MB per 100k rows", file=sys.stderr)
            runs.append(result)
    ok = all(r["rows_out"] == args.rows for r in runs)
    report = {"rows": args.rows, "input_mb": round(size / 1e6), "chunk_size": args.chunk_size,
              "cpus": os.cpu_count(), "target_mb": TARGET_MB, "all_rows_out": ok,
              "under_target_rss": all(r["peak_tree_rss_mb"] < TARGET_MB for r in runs),
              "under_target_pss": all(r["peak_tree_pss_mb"] < TARGET_MB for r in runs),
              "runs": runs}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n",
                        encoding="utf-8")
    print(json.dumps({k: v for k, v in report.items() if k != "runs"}, ensure_ascii=False))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
