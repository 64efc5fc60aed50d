"""Posts per second of a PhoBERT-base-sized model on CPU, on real ViHSD posts.

Builds everything locally (nothing is downloaded): a fastBPE vocabulary learnt from the ViHSD
train split, and a randomly initialised PhoBERT-base-shaped classifier (12 layers, hidden 768,
vocabulary 64,001, 258 positions). Random weights change nothing about speed. Then it times,
on ``--threads`` threads:

* the baseline: fp32, every post padded/truncated to 128 tokens;
* length-sorted, per-batch padded fp32, dynamic int8, ONNX Runtime fp32 and int8
  (the backend's own code path, ``PhobertBackend.predict_segmented``);
* the end-to-end path (normalise + segment + tokenize + model) for the fastest runtime;
* the fast tokenizer against ``transformers.PhobertTokenizer``.

Prints a markdown table and writes ``bench/results/phobert_speed.json``. The corpus is read
in place from ``$VNMOD_DATA_DIR/vihsd`` (default ``../shared/data``); no rows are copied.

    python bench/phobert_speed.py --posts 512 --threads 2
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
REPO = Path(__file__).resolve().parents[1]


def read_posts(split: str) -> list[str]:
    """ViHSD posts of ``split`` (non-empty, file order) via :func:`vnmod.data.load_corpus`."""
    from vnmod.data import load_corpus

    return load_corpus("vihsd", split=split)["text"].tolist()


def build_model(workdir: Path, train_segmented: list[str], vocab_dir: Path | None) -> Path:
    """A vnmod PhoBERT directory with random base-size weights."""
    from vnmod.backends.transformer.checkpoint import (
        META_FORMAT,
        file_record,
        library_versions,
        write_metadata,
    )
    from vnmod.backends.transformer.phobert_build import learn_fastbpe, random_phobert
    from vnmod.backends.transformer.phobert_tokenizer import (
        FastPhobertTokenizer,
        segmentation_settings,
    )
    from vnmod.taxonomy import CATEGORIES

    if vocab_dir is None:
        vocab, merges = learn_fastbpe(train_segmented, workdir / "bpe", vocab_size=30000,
                                      min_count=2)
    else:
        vocab, merges = vocab_dir / "vocab.txt", vocab_dir / "bpe.codes"
    model_dir = random_phobert(workdir / "model", vocab_file=vocab, merges_file=merges,
                               vocab_size=64001, masked_lm=False, seed=0)
    FastPhobertTokenizer.from_directory(model_dir).save(model_dir)
    write_metadata(model_dir, {
        "format": META_FORMAT, "labels": list(CATEGORIES), "trained_labels": list(CATEGORIES),
        "thresholds": {c: 0.5 for c in CATEGORIES}, "max_length": 256,
        "segmentation": segmentation_settings(), "base_model": "random (bench)",
        "versions": library_versions(),
        "files": {n: file_record(model_dir / n) for n in ("model.safetensors", "config.json")},
    })
    return model_dir


def fixed_length_fp32(backend, texts: list[str], batch_size: int, length: int = 128):
    """The baseline: every post padded (or truncated) to ``length`` tokens, input order."""
    from vnmod.backends.transformer.phobert_tokenizer import PAD_ID

    seqs = backend.tokenizer.encode(texts)
    out = []
    for start in range(0, len(seqs), batch_size):
        chunk = seqs[start:start + batch_size]
        ids = np.full((len(chunk), length), PAD_ID, dtype=np.int64)
        mask = np.zeros_like(ids)
        for row, seq in enumerate(chunk):
            seq = np.concatenate([seq[:length - 1], seq[-1:]]) if len(seq) > length else seq
            ids[row, :len(seq)] = seq
            mask[row, :len(seq)] = 1
        out.append(backend.engine(ids, mask))
    return np.concatenate(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=512, help="ViHSD test posts to score")
    parser.add_argument("--baseline-posts", type=int, default=128,
                        help="posts for the (slow) fixed-length baseline")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3,
                        help="interleaved rounds; the best round counts (the CPU is shared)")
    parser.add_argument("--vocab-dir", type=Path, help="a folder with PhoBERT's vocab.txt and "
                        "bpe.codes (default: learn 30k merges from ViHSD train)")
    parser.add_argument("--output", type=Path, default=REPO / "bench/results/phobert_speed.json")
    args = parser.parse_args()

    import torch
    from transformers import PhobertTokenizer

    from vnmod.backends.transformer import PhobertBackend
    from vnmod.backends.transformer.export import export_onnx
    from vnmod.backends.transformer.phobert_tokenizer import (
        FastPhobertTokenizer,
        segment_for_phobert,
    )
    from vnmod.text import normalise

    torch.set_num_threads(args.threads)
    load_before = os.getloadavg()
    test_raw = read_posts("test")
    posts = test_raw[:args.posts]
    t = time.perf_counter()
    test_seg = segment_for_phobert([normalise(p).text for p in test_raw])
    prep_rate = len(test_raw) / (time.perf_counter() - t)
    texts = test_seg[:args.posts]
    work = Path(tempfile.mkdtemp(prefix="vnmod_bench_"))
    results: dict = {"posts": len(texts), "baseline_posts": min(args.baseline_posts, len(texts)),
                     "threads": args.threads, "rounds": args.rounds}
    try:
        train_seg = None if args.vocab_dir else segment_for_phobert(
            [normalise(p).text for p in read_posts("train")])
        print("building the model ...", file=sys.stderr)
        model_dir = build_model(work, train_seg, args.vocab_dir)
        plain_dir = shutil.copytree(model_dir, work / "plain")
        print("exporting ONNX (fused and plain) ...", file=sys.stderr)
        t = time.perf_counter()
        export_onnx(model_dir, quantize=True)
        results["onnx_export_seconds"] = round(time.perf_counter() - t, 1)
        export_onnx(plain_dir, quantize=True, optimize=False)

        vocab, merges = model_dir / "vocab.txt", model_dir / "bpe.codes"
        slow = PhobertTokenizer(str(vocab), str(merges))
        fast = FastPhobertTokenizer.from_directory(model_dir)
        results["tokenizer"] = tokenizer_speed(slow, fast, test_seg, args.rounds)
        lengths = np.array([len(s) for s in fast.encode(texts)])
        results["tokens_per_post"] = {"mean": float(lengths.mean()),
                                      "median": float(np.median(lengths)),
                                      "p95": float(np.percentile(lengths, 95)),
                                      "over_128": int((lengths > 128).sum())}
        results["normalise_and_segment_posts_per_s"] = prep_rate

        def load(directory=model_dir, batch=32, **kw):
            return PhobertBackend.from_pretrained(directory, num_threads=args.threads,
                                                  batch_size=batch, **kw)

        fp32 = load()
        base_texts = texts[:results["baseline_posts"]]
        configs = [("fp32, fixed length 128 (baseline)", 32, fp32,
                    lambda: fixed_length_fp32(fp32, base_texts, 32), len(base_texts)),
                   ("fp32, length-sorted batches", 32, fp32, None, None)]
        for batch in (16, 32):
            configs.append(("torch dynamic int8, sorted", batch,
                            load(batch=batch, quantize="int8"), None, None))
        configs.append(("ONNX Runtime fp32 (fused), sorted", 32, load(runtime="onnx"), None,
                        None))
        for name, directory in (("fused", model_dir), ("plain", plain_dir)):
            for batch in (16, 32):
                configs.append((f"ONNX Runtime int8 ({name}), sorted", batch,
                                load(directory, batch, runtime="onnx", quantize="int8"),
                                None, None))
        rows = measure(configs, texts, args.rounds)
        reference = fp32.predict_segmented(texts)
        for (_, _, backend, fn, _), entry in zip(configs, rows, strict=True):
            if fn is None and backend is not fp32:
                p = backend.predict_segmented(texts)
                entry["max_abs_diff_vs_fp32"] = float(np.abs(p - reference).max())
        best_i = max(range(len(rows)), key=lambda i: rows[i]["posts_per_s"])
        _, batch, best, _, _ = configs[best_i]
        e2e = ("end to end: raw text -> normalise -> segment -> " + rows[best_i]["name"], batch,
               best, lambda: best.predict_proba([normalise(p) for p in posts]), len(posts))
        rows += measure([e2e], texts, args.rounds)
        results["rows"] = rows
    finally:
        shutil.rmtree(work, ignore_errors=True)
    results["machine"] = {"cpu": cpu_name(), "cores": os.cpu_count(), "load_before": load_before,
                          "load_after": os.getloadavg(), "torch": torch.__version__,
                          "python": platform.python_version()}
    try:
        import onnxruntime

        results["machine"]["onnxruntime"] = onnxruntime.__version__
    except ImportError:
        pass
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(markdown(results))


def measure(configs: list, texts: list[str], rounds: int) -> list[dict]:
    """Run every configuration once per round, interleaved; keep each one's best round."""
    best = [float("inf")] * len(configs)
    for _, _, backend, _, _ in configs:  # warm-up: allocations, ORT graph set-up
        backend.predict_segmented(texts[:64])
    for r in range(rounds):
        for i, (name, batch, backend, fn, _) in enumerate(configs):
            start = time.perf_counter()
            if fn is None:
                backend.predict_segmented(texts)
            else:
                fn()
            best[i] = min(best[i], time.perf_counter() - start)
            if r == rounds - 1:
                rate = (configs[i][4] or len(texts)) / best[i]
                print(f"{name} (batch {batch}): {rate:.1f} posts/s", file=sys.stderr)
    return [{"name": name, "batch_size": batch, "seconds": best[i],
             "posts_per_s": (n or len(texts)) / best[i]}
            for i, (name, batch, _, _, n) in enumerate(configs)]


def tokenizer_speed(slow, fast, texts: list[str], rounds: int) -> dict:
    """Posts/s of both tokenizers over ``texts`` (best of ``rounds``; caches warm after one)."""
    out = {"posts": len(texts)}
    for name, fn in (("slow", lambda: slow(texts, truncation=True, max_length=256)),
                     ("fast", lambda: fast.encode(texts))):
        best = float("inf")
        for _ in range(rounds):
            start = time.perf_counter()
            fn()
            best = min(best, time.perf_counter() - start)
        out[f"{name}_posts_per_s"] = len(texts) / best
    return out


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def markdown(results: dict) -> str:
    base = next((r["posts_per_s"] for r in results["rows"] if "baseline" in r["name"]), None)
    lines = [f"{results['posts']} ViHSD test posts ({results['baseline_posts']} for the "
             f"baseline), {results['threads']} threads, best of {results['rounds']} rounds, "
             f"PhoBERT-base size (random weights); mean "
             f"{results['tokens_per_post']['mean']:.1f} tokens/post", "",
             "| configuration | batch | posts/s | vs baseline | max abs prob diff vs fp32 |",
             "|---|---:|---:|---:|---:|"]
    for r in results["rows"]:
        speedup = f"{r['posts_per_s'] / base:.1f}x" if base else "-"
        diff = r.get("max_abs_diff_vs_fp32")
        lines.append(f"| {r['name']} | {r['batch_size']} | {r['posts_per_s']:.1f} | {speedup} | "
                     f"{'-' if diff is None else f'{diff:.1e}'} |")
    tok = results["tokenizer"]
    lines += ["", "| tokenizer | posts/s |", "|---|---:|",
              f"| transformers PhobertTokenizer (slow) | {tok['slow_posts_per_s']:,.0f} |",
              f"| vnmod FastPhobertTokenizer | {tok['fast_posts_per_s']:,.0f} |",
              f"| (normalise + segment, for scale) | "
              f"{results['normalise_and_segment_posts_per_s']:,.0f} |"]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
