"""Count pairs of adjacent Vietnamese syllables in the public corpora's training splits.

    python data/diacritics/build_bigrams.py  # writes src/vnmod/resources/syllable_bigrams.tsv
    python data/diacritics/build_bigrams.py --totals  # only the totals, from the pairs file

The pairs go to ``syllable_bigrams.tsv`` (sorted, so the model finds the pairs after a syllable
by binary search) and each syllable's totals to ``syllable_bigram_totals.tsv`` (read whole at
load: see vnmod/text/diacritics.py).

The counts let the normaliser put the diacritics back on a post typed without them ('may la
thang ngu' -> 'mày là thằng ngu', see vnmod/text/diacritics.py). Only aggregate counts of
pairs seen at least MIN_COUNT times are written, from posts written with diacritics (at least
half their syllables carry one): no post, no sentence. Corpora are read in place from
$VNMOD_DATA_DIR (default ../shared/data); the test splits are never read.
"""

from __future__ import annotations

import argparse
import re
import sys
import unicodedata
from collections import Counter
from itertools import pairwise
from pathlib import Path

from vnmod._resources import read_tsv
from vnmod.data import load_corpus
from vnmod.text.diacritics import bigram_totals
from vnmod.text.syllables import is_syllable
from vnmod.text.vietnamese import has_diacritics

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "syllables"))
from build_counts import CORPORA  # the same corpora as the syllable counts

MIN_COUNT = 3
RESOURCES = Path(__file__).resolve().parents[2] / "src" / "vnmod" / "resources"
OUT = RESOURCES / "syllable_bigrams.tsv"
TOTALS = RESOURCES / "syllable_bigram_totals.tsv"
# A run of words with only spaces between them: punctuation and line breaks end a run.
_RUN = re.compile(r"[^\W\d_]+(?: [^\W\d_]+)*")


def pairs(text: str) -> list[tuple[str, str]]:
    """Adjacent syllable pairs of an accented post (none for a post mostly without marks)."""
    text = unicodedata.normalize("NFC", text).lower()
    words = re.findall(r"[^\W\d_]+", text)
    syllables = [w for w in words if is_syllable(w)]
    if not syllables or sum(map(has_diacritics, syllables)) < len(syllables) / 2:
        return []
    out = []
    for run in _RUN.findall(" ".join(text.split())):
        ws = run.split(" ")
        out.extend((a, b) for a, b in pairwise(ws) if is_syllable(a) and is_syllable(b))
    return out


def write_totals() -> None:
    """Write each syllable's totals from the pairs file (see ``bigram_totals``)."""
    rows = bigram_totals(read_tsv("syllable_bigrams.tsv"))
    header = ("# Per syllable of syllable_bigrams.tsv: pair count as the second syllable, as the "
              "first; built by data/diacritics/build_bigrams.py.\n")
    TOTALS.write_text(header + "".join(f"{w}\t{n}\t{m}\n" for w, n, m in rows),
                      encoding="utf-8")
    print(f"wrote {len(rows)} syllables to {TOTALS}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--totals", action="store_true",
                    help="only rewrite the totals from the shipped pairs (no corpora read)")
    if ap.parse_args(argv).totals:
        read_tsv.cache_clear()
        write_totals()
        return 0
    counts: Counter[tuple[str, str]] = Counter()
    for name in CORPORA:
        frame = load_corpus(name, split="train")
        for text in frame["text"]:
            counts.update(pairs(str(text)))
        print(f"{name}: {len(frame)} posts, {len(counts)} pairs so far", file=sys.stderr)
    rows = sorted((a, b, c) for (a, b), c in counts.items() if c >= MIN_COUNT)
    header = ("# Adjacent syllable pair counts over the accented posts of the training splits of "
              + ", ".join(CORPORA) + f" (>= {MIN_COUNT}); built by "
              "data/diacritics/build_bigrams.py.\n")
    OUT.write_text(header + "".join(f"{a}\t{b}\t{c}\n" for a, b, c in rows), encoding="utf-8")
    print(f"wrote {len(rows)} pairs to {OUT}", file=sys.stderr)
    read_tsv.cache_clear()
    write_totals()
    return 0


if __name__ == "__main__":
    sys.exit(main())
