"""Count words of Latin letters that are no Vietnamese syllable in the corpora's training splits.

    python data/loanwords/build_loanwords.py  # writes src/vnmod/resources/loanwords.tsv

The normaliser cuts runs of letters written without spaces into syllables ('thằngngunày'); words
posters borrow ('admin', 'facebook', 'online', 'inbox') are kept whole instead of being read as
syllables and abbreviations ('a' + 'dm' + 'in'). Only words of four letters or more seen at least
MIN_COUNT times are written, with their counts: no post, no sentence. Vietnamese typed without
spaces or marks ('tranchauden', 'vailon': syllables whose every pair is a known pair of
syllables_bigrams.tsv) is left out: it is to be cut, not kept; so is a word that begins or ends
with a profanity abbreviation of normalize.toml's ``glued`` ('vlon'). Corpora are read in place
from $VNMOD_DATA_DIR (default ../shared/data); the test splits are never read.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from collections import Counter
from itertools import pairwise
from pathlib import Path

from vnmod._resources import read_toml, read_tsv
from vnmod.data import load_corpus
from vnmod.text.syllables import is_syllable, split_run
from vnmod.text.vietnamese import strip_diacritics

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "syllables"))
from build_counts import CORPORA  # the same corpora as the syllable counts

MIN_COUNT = 10
OUT = Path(__file__).resolve().parents[2] / "src" / "vnmod" / "resources" / "loanwords.tsv"
_WORD = re.compile(r"(?<!\w)[a-z]{4,20}(?!\w)")


def glued_vietnamese(word: str, pairs: frozenset[tuple[str, str]]) -> bool:
    """``word`` cuts into syllables whose every neighbouring pair is a known pair."""
    split = split_run(word)
    pieces = split.pieces
    return (not split.unknown and len(pieces) >= 2
            and all(pair in pairs for pair in pairwise(pieces)))


def main() -> int:
    pairs = frozenset((strip_diacritics(a), strip_diacritics(b))
                      for a, b, _ in read_tsv("syllable_bigrams.tsv"))
    counts: Counter[str] = Counter()
    for name in CORPORA:
        frame = load_corpus(name, split="train")
        for text in frame["text"]:
            text = unicodedata.normalize("NFC", str(text)).lower()
            counts.update(w for w in _WORD.findall(text) if not is_syllable(w))
        print(f"{name}: {len(frame)} posts, {len(counts)} words so far", file=sys.stderr)
    glued = tuple(read_toml("normalize.toml")["glued"])
    rows = sorted((w, c) for w, c in counts.items()
                  if c >= MIN_COUNT and not glued_vietnamese(w, pairs)
                  and not w.startswith(glued) and not w.endswith(glued))
    header = ("# Words of 4+ Latin letters that are no Vietnamese syllable, with their counts over "
              "the training splits of " + ", ".join(CORPORA) + f" (>= {MIN_COUNT}); built by "
              "data/loanwords/build_loanwords.py.\n")
    OUT.write_text(header + "".join(f"{w}\t{c}\n" for w, c in rows), encoding="utf-8")
    print(f"wrote {len(rows)} words to {OUT}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
