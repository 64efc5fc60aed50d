"""Count how often each Vietnamese syllable occurs in the public corpora's training splits.

    python data/syllables/build_counts.py  # writes src/vnmod/resources/syllable_counts.tsv

The counts rank the ways a run of letters can be cut into syllables ('nhanhang' is 'nhận
hàng' more often than 'nha nhang'; see vnmod/text/syllables.py). Only aggregate counts of
syllables seen at least MIN_COUNT times are written: no post, no sentence. Corpora are read in
place from $VNMOD_DATA_DIR (default ../shared/data).
"""

from __future__ import annotations

import re
import sys
import unicodedata
from collections import Counter
from pathlib import Path

from vnmod.data import load_corpus
from vnmod.text.syllables import is_syllable

CORPORA = ["vihsd", "vlsp2019", "reintel", "vifn_v2", "vifn_v3", "uit_vsfc", "vihos",
           "vispam", "vi_smishing"]
MIN_COUNT = 3
OUT = Path(__file__).resolve().parents[2] / "src" / "vnmod" / "resources" / "syllable_counts.tsv"
_WORD = re.compile(r"[^\W\d_]+")


def main() -> int:
    counts: Counter[str] = Counter()
    for name in CORPORA:
        frame = load_corpus(name, split="train")
        for text in frame["text"]:
            for word in _WORD.findall(unicodedata.normalize("NFC", str(text)).lower()):
                if is_syllable(word):
                    counts[word] += 1
        print(f"{name}: {len(frame)} posts, {len(counts)} syllables so far", file=sys.stderr)
    rows = sorted((w, c) for w, c in counts.items() if c >= MIN_COUNT)
    header = ("# Syllable counts over the training splits of " + ", ".join(CORPORA)
              + f" (>= {MIN_COUNT}); built by data/syllables/build_counts.py.\n")
    OUT.write_text(header + "".join(f"{w}\t{c}\n" for w, c in rows), encoding="utf-8")
    print(f"wrote {len(rows)} syllables to {OUT}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
