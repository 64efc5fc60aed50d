"""What a written Vietnamese syllable looks like, and where a run of letters splits into them.

The onsets and rhymes are data (``resources/syllables.toml``). A word is a syllable when it is
an onset (or none) plus a rhyme, with at most one tone mark. This tells raw Telex/VNI typing
('luwaf') and run-together words ('thằngngunày') apart from words as people write them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

from vnmod._resources import read_toml, read_tsv
from vnmod.text.vietnamese import has_diacritics, split_tone, strip_diacritics, with_tone

VOWELS = frozenset("aăâeêioôơuưy")
_MARKED_VOWELS = frozenset("ăâêôơư")
MAX_SYLLABLE = 7  # 'nghiêng'


@lru_cache(maxsize=1)
def _shapes() -> frozenset[str]:
    """Every onset + rhyme without a tone mark (a few thousand strings)."""
    conf = read_toml("syllables.toml")
    # Written without diacritics ('nuoc' for 'nước'), a rhyme loses its marks too.
    rhymes = set(conf["rhymes"]) | {strip_diacritics(r) for r in conf["rhymes"]}
    return frozenset(onset + rhyme for onset in ["", *conf["onsets"]] for rhyme in rhymes)


def _tone_tables() -> tuple[dict[int, str], dict[str, str]]:
    """Lowercase letters with a tone mark -> the letter without it, and -> the mark."""
    plain: dict[int, str] = {}
    marks: dict[str, str] = {}
    for code in range(0x00C0, 0x1EFA):
        ch = chr(code)
        if ch.islower():
            base, mark = split_tone(ch)
            if mark and len(base) == 1:
                plain[code], marks[ch] = base, mark
    return plain, marks


_UNTONE, _MARK_OF = _tone_tables()


def untoned(word: str) -> tuple[str, str] | None:
    """``word`` without its tone mark, and the mark; None if it carries two marks."""
    toned = [ch for ch in word if ch in _MARK_OF]
    if len(toned) > 1:
        return None
    return word.translate(_UNTONE), (_MARK_OF[toned[0]] if toned else "")


@lru_cache(maxsize=65536)
def is_syllable(word: str) -> bool:
    """True if the lowercase ``word`` can be one written Vietnamese syllable.

    >>> is_syllable("nghiêng"), is_syllable("thằng"), is_syllable("luwaf"), is_syllable("đm")
    (True, True, False, False)
    """
    if not word or len(word) > MAX_SYLLABLE:
        return False
    parts = untoned(word)
    return parts is not None and parts[0] in _shapes()


def place_tone(plain: str, tone: str) -> str:
    """Put ``tone`` on the vowel that carries it in ``plain`` (the old placement: 'hòa').

    >>> place_tone("đuong".replace("uo", "ươ"), "\u0300"), place_tone("hoa", "\u0300")
    ('đường', 'hòa')
    """
    if not tone:
        return plain
    start = 2 if plain[:2] in {"gi", "qu"} and any(c in VOWELS for c in plain[2:]) else 0
    i = start
    while i < len(plain) and plain[i] not in VOWELS:
        i += 1
    j = i
    while j < len(plain) and plain[j] in VOWELS:
        j += 1
    if i == j:
        return plain
    run = range(i, j)
    marked = [k for k in run if plain[k] in _MARKED_VOWELS]
    if marked:
        k = marked[-1]
    elif j < len(plain):  # a final consonant: the last vowel
        k = j - 1
    elif j - i == 3:
        k = i + 1
    else:
        k = i
    return plain[:k] + with_tone(plain[k], tone) + plain[k + 1:]


@lru_cache(maxsize=1)
def _costs() -> tuple[dict[str, float], dict[str, float], float]:
    """-log frequency of each syllable (as written, and summed over its accented forms)."""
    counts = {row[0]: int(row[1]) for row in read_tsv("syllable_counts.tsv")}
    loose: dict[str, int] = {}
    for word, n in counts.items():
        key = strip_diacritics(word)
        loose[key] = loose.get(key, 0) + n
    total = sum(counts.values())
    exact_cost = {w: -math.log(n / total) for w, n in counts.items()}
    loose_cost = {w: -math.log(n / total) for w, n in loose.items()}
    return exact_cost, loose_cost, -math.log(1 / total) + 2.0  # an unseen syllable


def syllable_cost(word: str) -> float:
    """-log frequency of ``word`` as written among the corpora's syllables (higher: rarer;
    a word never seen costs more than any seen one)."""
    exact, _, unseen = _costs()
    return exact.get(word, unseen)


KNOWN_COST = 9.0  # a known word (lexicon term, abbreviation): about a rare syllable
UNKNOWN_COST = 25.0  # per letter that is no part of a syllable or known word


@dataclass(frozen=True)
class Split:
    pieces: tuple[str, ...]
    unknown: int  # letters left outside any syllable or known word
    cost: float = 0.0  # sum of the pieces' -log frequencies (lower: likelier)


@lru_cache(maxsize=8192)
def has_tone_in_place(word: str) -> bool:
    """True if ``word`` is a syllable with a tone mark on the vowel that carries it, in the old
    placement ('hòa') or the new ('hoà'); 'cóanh' (from 'có' + 'anh') is not."""
    if not is_syllable(word):
        return False
    plain, tone = untoned(word) or ("", "")
    if not tone:
        return False
    if place_tone(plain, tone) == word:
        return True
    for pair in ("oa", "oe", "uy"):  # the new placement: on the second vowel of an open pair
        if plain.endswith(pair):
            return plain[:-1] + with_tone(plain[-1], tone) == word
    return False


@lru_cache(maxsize=8192)
def split_run(word: str, known: frozenset[str] | tuple[str, ...] = (),
              max_piece: int = 12) -> Split:
    """Cut a run of letters into the likeliest syllables and known words.

    Likeliest: the lowest sum of -log frequencies (``resources/syllable_counts.tsv``); letters
    that fit nothing are kept together as one piece each run and counted in ``unknown``.

    >>> split_run("thằngngunày").pieces, split_run("nhanhangtrongngay").pieces
    (('thằng', 'ngu', 'này'), ('nhan', 'hang', 'trong', 'ngay'))
    """
    exact, loose, unseen = _costs()
    n = len(word)
    cost = [math.inf] * (n + 1)
    back: list[tuple[int, bool]] = [(0, False)] * (n + 1)  # (start, unknown letter)
    cost[0] = 0.0
    for end in range(1, n + 1):
        if cost[end - 1] + UNKNOWN_COST < cost[end]:
            cost[end], back[end] = cost[end - 1] + UNKNOWN_COST, (end - 1, True)
        for start in range(max(0, end - max_piece), end):
            if cost[start] == math.inf:
                continue
            piece = word[start:end]
            if piece in known:
                c = KNOWN_COST
            elif end - start <= MAX_SYLLABLE and is_syllable(piece):
                table = exact if has_diacritics(piece) else loose
                c = table.get(piece, unseen)
            else:
                continue
            if cost[start] + c < cost[end]:
                cost[end], back[end] = cost[start] + c, (start, False)
    pieces: list[str] = []
    unknown, end, pending = 0, n, ""
    while end:
        start, is_unknown = back[end]
        if is_unknown:
            pending = word[start] + pending
            unknown += 1
        else:
            if pending:
                pieces.append(pending)
                pending = ""
            pieces.append(word[start:end])
        end = start
    if pending:
        pieces.append(pending)
    return Split(tuple(pieces[::-1]), unknown, cost[n])
