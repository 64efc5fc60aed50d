"""Evasion benchmark: how much of what a model detects survives the tricks posters use.

    python bench/adversarial.py [--model models/vnmod-base] [--limit 3000]

Posts: the project's labelled posts (data/examples/posts.csv and the written posts of
data/labelled/) and, when the public corpora are present, the policy-labelled real posts of
the test split (data/policy/, read in place from $VNMOD_DATA_DIR).

Each evasion rewrites every post the way a poster dodging a filter would. Word-level tricks hit
the words a plain prediction cites as evidence (an attacker disguises the words that get a post
caught); in a post without evidence they hit two words picked at random (fixed seed), so clean
posts are disguised too. Post-level tricks (Telex or VNI typing, spaces or diacritics removed)
rewrite the whole post.

For each evasion: plain recall (labelled (post, category) pairs detected in the plain text),
evaded recall (the same on the rewritten text), kept = evaded / plain, and the share of clean
posts (no label) flagged for anything, plain and evaded. Prints a Markdown table and writes
bench/results/adversarial.json.

``--cost`` instead times the scoring of 100,000-character posts built to be slow.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import unicodedata
from collections.abc import Callable
from pathlib import Path

import numpy as np

import vnmod
from vnmod import CATEGORIES
from vnmod.text.vietnamese import split_tone, strip_diacritics

ROOT = Path(__file__).resolve().parents[1]
OUT = Path(__file__).parent / "results" / "adversarial.json"
SEED = 20261201

_WORD = re.compile(r"[^\W\d_]+")
_TONES_TELEX = {"\u0301": "s", "\u0300": "f", "\u0309": "r", "\u0303": "x", "\u0323": "j"}
_TONES_VNI = {"\u0301": "1", "\u0300": "2", "\u0309": "3", "\u0303": "4", "\u0323": "5"}
_LETTERS_TELEX = {"â": "aa", "ê": "ee", "ô": "oo", "ă": "aw", "ơ": "ow", "ư": "uw", "đ": "dd"}
_LETTERS_VNI = {"â": "a6", "ê": "e6", "ô": "o6", "ă": "a8", "ơ": "o7", "ư": "u7", "đ": "d9"}
INVISIBLE = ["\u2063", "\u034f", "\u00ad", "\u200b", "\u2060", "\u200c"]
EMOJI = ["😀", "🔥", "💯", "👉", "❤", "🌸", "😂"]
# Look-alikes from Cyrillic and Greek (what people paste to dodge filters).
HOMOGLYPHS = {"a": "аα", "c": "с", "e": "е", "i": "іι", "o": "оο", "p": "рρ", "x": "хχ",
              "y": "у", "n": "ո", "u": "υ", "v": "ν", "h": "һ", "k": "κ", "m": "м", "t": "т"}


def _typed(word: str, letters: dict[str, str], tones: dict[str, str]) -> str:
    out, tone = [], ""
    for ch in word:
        upper = ch.isupper()
        base, mark = split_tone(ch.lower())
        tone = tones.get(mark, tone)
        keys = letters.get(base, base)
        out.append(keys.upper() if upper else keys)
    return "".join(out) + tone


def telex(text: str, rng: random.Random, spans: list[tuple[int, int]]) -> str:
    return _WORD.sub(lambda m: _typed(m.group(0), _LETTERS_TELEX, _TONES_TELEX), text)


def vni(text: str, rng: random.Random, spans: list[tuple[int, int]]) -> str:
    return _WORD.sub(lambda m: _typed(m.group(0), _LETTERS_VNI, _TONES_VNI), text)


def no_spaces(text: str, rng: random.Random, spans: list[tuple[int, int]]) -> str:
    return re.sub(r"[ \t]+", "", text)


def no_diacritics(text: str, rng: random.Random, spans: list[tuple[int, int]]) -> str:
    return strip_diacritics(unicodedata.normalize("NFC", text))


def _targets(text: str, rng: random.Random, spans: list[tuple[int, int]]) -> list[re.Match]:
    words = [m for m in _WORD.finditer(text) if len(m.group(0)) >= 2]
    if spans:
        return [m for m in words if any(a < m.end() and m.start() < b for a, b in spans)]
    return rng.sample(words, min(2, len(words)))


def _per_word(change: Callable[[str, random.Random], str]):
    def evade(text: str, rng: random.Random, spans: list[tuple[int, int]]) -> str:
        out, pos = [], 0
        for m in sorted(_targets(text, rng, spans), key=lambda m: m.start()):
            out += [text[pos:m.start()], change(m.group(0), rng)]
            pos = m.end()
        return "".join(out) + text[pos:]
    return evade


def _between(word: str, rng: random.Random, pick: Callable[[], str]) -> str:
    i = rng.randrange(1, len(word))
    return word[:i] + pick() + word[i:]


EVASIONS: dict[str, Callable[[str, random.Random, list[tuple[int, int]]], str]] = {
    "Telex typing ('luwaf ddaor')": telex,
    "VNI typing ('lu7a2 d9a3o')": vni,
    "spaces removed": no_spaces,
    "invisible characters in words": _per_word(
        lambda w, r: "".join(c + r.choice(INVISIBLE) for c in w[:-1]) + w[-1]),
    "Greek/Cyrillic look-alikes": _per_word(
        lambda w, r: "".join(r.choice(HOMOGLYPHS[c]) if c in HOMOGLYPHS else c for c in w)),
    "emoji inside words": _per_word(lambda w, r: _between(w, r, lambda: r.choice(EMOJI))),
    "newline inside words": _per_word(lambda w, r: _between(w, r, lambda: "\n")),
    "diacritics removed": no_diacritics,
    "letters spaced out ('v c l')": _per_word(lambda w, r: " ".join(w)),
}


def project_posts() -> tuple[list[str], np.ndarray]:
    """The demo posts and the project's written posts, with their labels."""
    import csv

    texts, rows = [], []
    with (ROOT / "data" / "examples" / "posts.csv").open(encoding="utf-8") as fh:
        for rec in csv.DictReader(fh):
            texts.append(rec["text"])
            rows.append([c in rec["expected"].split(";") for c in CATEGORIES])
    for path in sorted((ROOT / "data" / "labelled").rglob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            rec = json.loads(line)
            texts.append(rec["text"])
            rows.append([c in rec["labels"] for c in CATEGORIES])
    return texts, np.array(rows, dtype=bool)


def real_posts() -> tuple[list[str], np.ndarray] | None:
    """The policy test split, or None without the corpora."""
    from vnmod.data import label_matrix, load_corpus
    from vnmod.data.policy import without_held_out

    try:
        frame = load_corpus("policy", split="test")
    except (FileNotFoundError, OSError, ValueError) as exc:
        print(f"real posts skipped: {exc}", file=sys.stderr)
        return None
    frame = without_held_out(frame)  # the held-out pools: reported by bench/quality.py
    return frame["text"].tolist(), label_matrix(frame) == 1


def _flags(clf: vnmod.Classifier, texts: list[str]) -> tuple[np.ndarray, list]:
    preds = clf.predict(texts)
    flags = np.array([[c in p.labels for c in CATEGORIES] for p in preds], dtype=bool)
    return flags, preds


def measure(clf: vnmod.Classifier, texts: list[str], truth: np.ndarray) -> list[dict]:
    plain, preds = _flags(clf, texts)
    spans = [[(e.start, e.end) for e in p.evidence] for p in preds]
    clean = ~truth.any(axis=1)
    plain_recall = (plain & truth).sum() / max(truth.sum(), 1)
    plain_fp = plain[clean].any(axis=1).mean() if clean.any() else float("nan")
    rows = []
    for name, evade in EVASIONS.items():
        rng = random.Random(SEED)
        evaded_texts = [evade(t, rng, s) for t, s in zip(texts, spans, strict=True)]
        evaded, _ = _flags(clf, evaded_texts)
        recall = (evaded & truth).sum() / max(truth.sum(), 1)
        fp = evaded[clean].any(axis=1).mean() if clean.any() else float("nan")
        rows.append({"evasion": name, "positives": int(truth.sum()),
                     "plain_recall": round(float(plain_recall), 3),
                     "evaded_recall": round(float(recall), 3),
                     "kept": round(float(recall / plain_recall), 3) if plain_recall else None,
                     "clean": int(clean.sum()),
                     "clean_flagged_plain": round(float(plain_fp), 3),
                     "clean_flagged_evaded": round(float(fp), 3)})
    return rows


# Posts of 100,000 characters (vnmod's maximum) built to be slow: many rule hits, many
# rewrites, one endless word, breaks and symbols everywhere.
LONG_POSTS = {
    "'l0n ' repeated": "l0n " * 25_000,
    "'đ.m ' repeated": "đ.m " * 25_000,
    "'v c l ' repeated": "v c l " * 16_667,
    "'thằngngunày ' repeated": "thằngngunày " * 8_334,
    "one 100,000-letter word": "a" * 100_000,
    "'a' and a line break": "a\n" * 50_000,
    "'a' and an emoji": "a😀" * 50_000,
    "'a1' repeated": "a1" * 50_000,
    "digits": "1" * 100_000,
    "'thi vl ' repeated (counter-rules)": "thi vl " * 14_286,
    "'đụ l0n ' repeated (accented and disguised)": "đụ l0n " * 14_286,
    "'né“' repeated (open quotes)": "né“" * 33_334,
    "one letter and 99,999 combining marks": "a" + "\u0301\u0323" * 50_000,
    "300-letter runs of syllables": ",".join(["thằngngunàykhôngbiếtngười" * 12] * 330),
    "'gucci 1k ' repeated (a priced brand: each hit finds its nearest price)": "gucci 1k " * 11_112,
}


def cost(clf: vnmod.Classifier) -> list[dict]:
    """Seconds to score each long post (best of two)."""
    import time

    rows = []
    for name, text in LONG_POSTS.items():
        best = float("inf")
        for _ in range(2):
            start = time.perf_counter()
            clf.predict(text[:100_000])
            best = min(best, time.perf_counter() - start)
        rows.append({"post": name, "chars": len(text[:100_000]), "seconds": round(best, 3)})
    return rows


def _table(title: str, rows: list[dict]) -> str:
    lines = [f"**{title}** ({rows[0]['positives']} labelled (post, category) pairs, "
             f"{rows[0]['clean']} clean posts)", "",
             "| evasion | plain recall | evaded recall | kept | clean flagged, plain -> evaded |",
             "|---|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['evasion']} | {r['plain_recall']:.3f} | {r['evaded_recall']:.3f} "
                     f"| {r['kept']:.1%} | {r['clean_flagged_plain']:.1%} -> "
                     f"{r['clean_flagged_evaded']:.1%} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=None)
    ap.add_argument("--limit", type=int, default=0, help="at most this many posts per set")
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--cost", action="store_true",
                    help="time 100,000-character posts built to be slow, and stop")
    args = ap.parse_args(argv)
    clf = vnmod.load(args.model)
    if args.cost:
        rows = cost(clf)
        print("| post (100,000 characters) | seconds |\n|---|---:|")
        print("\n".join(f"| {r['post']} | {r['seconds']:.2f} |" for r in rows))
        return 0
    sets = {"project posts": project_posts()}
    real = real_posts()
    if real is not None:
        sets["real posts (policy test split)"] = real
    results = {}
    for title, (texts, truth) in sets.items():
        if args.limit and len(texts) > args.limit:
            keep = np.random.default_rng(SEED).choice(len(texts), args.limit, replace=False)
            keep.sort()
            texts, truth = [texts[i] for i in keep], truth[keep]
        results[title] = measure(clf, texts, truth)
        print(_table(title, results[title]) + "\n")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n",
                        encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
