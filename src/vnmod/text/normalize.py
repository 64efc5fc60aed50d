"""Normalise social-media Vietnamese, keeping a map back to the user's own characters.

Every step rewrites the text through :class:`_Buffer`, which carries, for each character of
the current text, the span of original characters it came from. Whatever a later component
finds in the normalised text can therefore be reported in the original.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left, bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from itertools import accumulate
from typing import Any

import regex

from vnmod._resources import list_dir, read_toml, read_tsv
from vnmod.text import confusables, diacritics
from vnmod.text.money import money_units, price_signs
from vnmod.text.syllables import (
    VOWELS,
    Split,
    has_tone_in_place,
    is_syllable,
    split_run,
    syllable_cost,
)
from vnmod.text.typing_methods import Decoded, decode_telex, decode_vni
from vnmod.text.vietnamese import has_diacritics, split_tone, strip_diacritics, with_tone

PLACEHOLDERS = ("<url>", "<email>", "<phone>", "<money>")
#: Words decoded through two Telex keys or more that show a post is typed in Telex throughout.
TELEX_POST_EVIDENCE = 2
#: One reading of letters wins over another that is also valid when it is this much commoner
#: (in -log frequency: about 150 times): a word valid as typed is read decoded from Telex, an
#: amount is cut from the word glued after it ('200kăn' -> '200k ăn', not 'kem' -> 'k em').
COMMONER = 5.0

_LETTER = r"[^\W\d_]"
_LETTER_RUN = re.compile(r"[^\W\d_]+")
_COMBINING = "[\u0300-\u036f\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]"


@dataclass(frozen=True)
class Normalised:
    """A normalised post and the way back to its original characters.

    Attributes
    ----------
    original : str
        The text as the user gave it.
    text : str
        NFC, lowercase, one tone-mark placement, repeats squeezed, obfuscation undone,
        teencode expanded, links/e-mails/phones/money masked as ``<url>`` ``<email>``
        ``<phone>`` ``<money>``.
    starts, ends : tuple of int
        ``original[starts[i]:ends[i]]`` is where ``text[i]`` came from.
    unaccented : bool
        The post was written without diacritics (so diacritic-less lexicon forms may match).
    obfuscated : tuple of (int, int)
        Spans of ``text`` produced by undoing leetspeak or separators.
    """

    original: str
    text: str
    starts: tuple[int, ...] = field(repr=False)
    ends: tuple[int, ...] = field(repr=False)
    unaccented: bool = False
    obfuscated: tuple[tuple[int, int], ...] = ()

    def to_original(self, start: int, end: int, *, marks: bool = True) -> tuple[int, int]:
        """Map a span ``[start, end)`` of :attr:`text` to a span of :attr:`original`. The
        invisible marks right after its last character (a variation selector, a keycap mark)
        belong to that character and end the span, unless ``marks`` is False."""
        if not 0 <= start < end <= len(self.text):
            raise ValueError(f"span ({start}, {end}) is outside the normalised text "
                             f"of length {len(self.text)}")
        s, e = self.starts[start], self.ends[end - 1]
        if marks:  # the marks were deleted; the original still holds them after the letter
            n = len(self.original)
            while e < n and _IGNORABLE.match(self.original, e, e + 1) is not None:
                e += 1
        return s, e

    @cached_property
    def ascii(self) -> str:
        """:attr:`text` without diacritics, same length, same offsets."""
        return strip_diacritics(self.text)

    def is_obfuscated(self, start: int, end: int) -> bool:
        """True if ``[start, end)`` overlaps a span that was de-obfuscated."""
        # The spans are sorted and disjoint: the last one starting before ``end`` decides.
        k = bisect_left(self.obfuscated, (end, -1))
        return k > 0 and self.obfuscated[k - 1][1] > start


def _kept_positions(old: str, new: str) -> list[int] | None:
    """Where each character of ``new`` stands in ``old`` when ``new`` is ``old`` rewritten
    letter for letter (same length) or with characters deleted; None otherwise."""
    if len(new) == len(old):
        return list(range(len(new)))
    if len(new) > len(old):
        return None
    kept, i = [], 0
    for ch in new:
        while i < len(old) and old[i] != ch:
            i += 1
        if i == len(old):
            return None
        kept.append(i)
        i += 1
    return kept


class _Buffer:
    """Text plus per-character original spans, rewritten by regex substitutions."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = list(range(len(text)))
        self.ends = list(range(1, len(text) + 1))
        self.marked: list[tuple[int, int]] = []  # original spans that were de-obfuscated

    def sub(self, pattern: re.Pattern[str], repl: Callable[[re.Match[str]], str | None],
            *, mark: bool = False) -> bool:
        """Replace each match by ``repl(match)`` (``None`` keeps it), updating the spans; True
        if the text changed."""
        text, starts, ends = self.text, self.starts, self.ends
        out: list[str] = []
        new_starts: list[int] = []
        new_ends: list[int] = []
        marked: list[tuple[int, int]] = []
        pos = 0
        changed = False
        for m in pattern.finditer(text):
            new = repl(m)
            if new is None:
                continue
            a, b = m.span()
            if a == b or new == text[a:b]:
                continue
            changed = True
            out.append(text[pos:a])
            new_starts.extend(starts[pos:a])
            new_ends.extend(ends[pos:a])
            kept = _kept_positions(m.group(0), new)
            if kept is not None:  # same length, or characters deleted: each keeps its own span
                new_starts.extend(starts[a + k] for k in kept)
                new_ends.extend(ends[a + k] for k in kept)
            else:
                new_starts.extend([starts[a]] * len(new))
                new_ends.extend([ends[b - 1]] * len(new))
            out.append(new)
            if mark:  # original coordinates; a deletion marks the letters around it
                marked.append((starts[a - 1] if a and not new else starts[a],
                               ends[b] if b < len(text) and not new else ends[b - 1]))
            pos = b
        if not changed:
            return False
        out.append(text[pos:])
        new_starts.extend(starts[pos:])
        new_ends.extend(ends[pos:])
        self.text = "".join(out)
        self.starts, self.ends = new_starts, new_ends
        self.marked.extend(marked)
        return True

    def rewrite_in_place(self, text: str) -> None:
        """Replace the text by one of the same length rewritten letter for letter: every
        character keeps its span (no per-match bookkeeping, as :meth:`sub` would do)."""
        if len(text) != len(self.text):
            raise ValueError("rewrite_in_place needs a text of the same length")
        self.text = text

    def insert_spaces(self, cuts: list[int], *, mark: bool = False) -> None:
        """Put a space before each index in ``cuts`` (sorted); it maps to the next character."""
        if not cuts:
            return
        text, starts, ends = self.text, self.starts, self.ends
        out: list[str] = []
        new_starts: list[int] = []
        new_ends: list[int] = []
        pos = 0
        for cut in cuts:
            out.append(text[pos:cut] + " ")
            new_starts.extend([*starts[pos:cut], starts[cut]])
            new_ends.extend([*ends[pos:cut], ends[cut]])
            if mark:
                self.marked.append((starts[cut - 1], ends[cut]))
            pos = cut
        out.append(text[pos:])
        new_starts.extend(starts[pos:])
        new_ends.extend(ends[pos:])
        self.text = "".join(out)
        self.starts, self.ends = new_starts, new_ends

    def freeze(self, original: str, unaccented: bool) -> Normalised:
        # Marks are original spans, so later rewrites cannot shift them; map them onto the
        # final text here. A character is marked when some mark starting at or before its
        # start ends at or after its end: one sort and a running maximum, O(n log m).
        final: list[tuple[int, int]] = []
        if self.marked:
            marks = sorted(self.marked)
            mark_starts = [a for a, _ in marks]
            reach = list(accumulate((b for _, b in marks), max))
            for i, (s, e) in enumerate(zip(self.starts, self.ends, strict=True)):
                k = bisect_right(mark_starts, s)
                if k and reach[k - 1] >= e:
                    if final and final[-1][1] == i:
                        final[-1] = (final[-1][0], i + 1)
                    else:
                        final.append((i, i + 1))
        return Normalised(original, self.text, tuple(self.starts), tuple(self.ends),
                          unaccented, tuple(final))


def _lexicon_words() -> frozenset[str]:
    """Words of three letters or more in the shipped lexicons' terms that are no syllable."""
    from vnmod.rules.lexicon import term_entries  # the rules import this module

    docs = [(read_toml(f"lexicons/{name}"), f"vnmod/resources/lexicons/{name}")
            for name in list_dir("lexicons")]
    words: set[str] = set()
    for term in term_entries(docs):
        words.update(w for w in _LETTER_RUN.findall(term.lower())
                     if len(w) >= 3 and not is_syllable(w))
    return frozenset(words)


def _glued(words: list[str]) -> frozenset[str]:
    """``normalize.toml``'s ``glued``: abbreviations that no syllable spells."""
    bad = [w for w in words if is_syllable(w)]
    if bad:
        raise ValueError(f"normalize.toml glued: {bad} are syllables, not abbreviations")
    return frozenset(words)


@lru_cache(maxsize=1)
def _settings() -> dict:
    conf = read_toml("normalize.toml")
    tlds = "|".join(sorted(set(conf["mask"]["tlds"]), key=len, reverse=True))
    units = list(money_units())  # longest first
    spaced = "|".join(re.escape(u) for u in units if u != "k")
    units_re = "|".join(re.escape(u) for u in units)
    signs = "".join(re.escape(c) for c in price_signs())
    teencode = {row[0].strip().lower(): row[1].strip() for row in read_tsv("teencode.tsv")
                if len(row) >= 2 and row[0].strip()}
    multi = sorted((k for k in teencode if " " in k), key=len, reverse=True)
    leet = {k: v for k, v in conf["leet"].items() if k != "keep"}
    # Words that may come out of Telex/VNI decoding or a cut besides syllables ('đm').
    abbreviations = frozenset(k for k in teencode if " " not in k and len(k) >= 2)
    # Borrowed words kept whole when a run is cut ('admin', not 'a' + 'dm' + 'in').
    loanwords = frozenset(row[0] for row in read_tsv("loanwords.tsv")) | set(conf["unglued"])
    lexicon_words = _lexicon_words()
    vowelled = frozenset(w for w in abbreviations if set(strip_diacritics(w)) & VOWELS) \
        | lexicon_words | loanwords
    glued = _glued(conf["glued"])
    return {
        "nfkc": re.compile("[" + "".join(f"{chr(a)}-{chr(b)}" for a, b in conf["nfkc_ranges"])
                           + "]"),
        "url": re.compile(
            r"(?:https?://|www\.)[^\s<>\"']+"
            rf"|(?<![\w@.])[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*\.(?:{tlds})\b(?:/[^\s<>\"']*)?"
        ),
        "email": re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+"),
        "phone": re.compile(
            r"(?<![\w+])(?:\+84|84|0)[ .-]?[1-9x*](?:[ .-]?[0-9x*]){7,9}(?![\w*])"
            r"|(?<!\w)1[89]00[ .-]?\d{3,4}(?:[ .-]?\d{1,4})?(?!\w)"
        ),
        # Unaccented letters glued to an amount with its unit ('gia500k', 'nhanh1-5tr'): three
        # letters or more, then digits and a money unit ('iphone15', 'top1', 'f1' stay whole).
        "letters_then_money": re.compile(
            rf"(?<![^\W\d_])[a-z]{{3,}}(?=\d+(?:[.,]\d+)*(?:\s?-\s?\d+)?(?:{units_re})"
            r"(?![^\W\d_])|\d+\s?-\s?<money>)"
        ),
        # An amount glued to the word after it ('200kăn', '900ktrong', '5trrồi'): digits and a
        # money unit, then letters (the caller checks that they make words).
        "money_then_letters": re.compile(
            rf"(?<![\w.,])\d+(?:[.,]\d+)*(?:{units_re})(?=[^\W\d_]{{2,}})"),
        "money": re.compile(
            r"(?<![\w.,])\$ ?\d+(?:[.,]\d+)*(?!\w)"
            rf"|(?<![\w.,])\d+(?:[.,]\d+)*(?:k\d*|\s?(?:{spaced})\d*)(?!\w)"
            # Hidden digits: 'giá 7xx' (seven hundred-odd thousand), '1xxk', '2xxx'.
            rf"|(?<![\w.,])\d{{1,3}}x{{2,3}}(?:k|\s?(?:{spaced}))?(?!\w)"
            # A number after a price sign, no unit: '💰500' (read as thousands below 10,000).
            rf"|[{signs}] ?\d+(?:[.,]\d+)*(?![\w.,]\d|\w|\s?(?:{spaced})(?!\w))"
        ),
        "leet_chars": "".join(leet),
        # A token where a leet character follows a letter (only there can one be replaced).
        "leet_token": re.compile(rf"(?<!\S)\S*{_LETTER}[" + re.escape("".join(leet)) + r"]\S*"),
        "leet_after_letter": re.compile(rf"[{re.escape(''.join(leet))}]"
                                        rf"(?<={_LETTER}[{re.escape(''.join(leet))}])"),
        "leet": str.maketrans(leet),
        "leet_keep": frozenset(conf["leet"]["keep"]),
        "masked": conf["masked"],
        # A letter, one to three stars, one or two letters ('l*n', 'b**i'): [masked]'s keys.
        "masked_word": re.compile(
            rf"(?<![\w*])({_LETTER})\*{{1,3}}((?:{_LETTER}){{1,2}})(?![\w*])"),
        "teencode": teencode,
        "known": abbreviations,
        # Abbreviations and the lexicons' words ('zalo', 'forex'), for cutting runs; those
        # without vowels ('cc', 'vl') are left out where a cut finds them stray.
        "vocabulary": abbreviations | lexicon_words | loanwords,
        "vowelled": vowelled,
        "glued": glued,
        "glued_known": vowelled | glued,
        "spaced_pairs": frozenset(conf["spaced_pairs"]),
        # 'm' (mày) as a clothing size: after a size word or a smaller size ('size M', 'S M'),
        # or before a larger size ('M, L, XL'), where it is not 'mày'.
        "size_before": re.compile(r"(?:\b(?:" + "|".join(map(re.escape, conf["size_words"]))
                                  + r")|(?<![^\W\d_])x?s)[ :,./\-]{0,3}$"),
        "size_after": re.compile(r"^[ ,./\-]{1,3}(?:x{0,3}l|\dxl)(?![^\W\d_])"),  # ', l', ' xl'
        "typing_keep": frozenset(conf["typing"]["keep"]),
        "respell_onsets": conf["respell"]["onsets"],
        "respell_codas": conf["respell"]["codas"],
        "respell_in_context": conf["respell"]["codas_in_context"],
        **_respell_patterns(conf["respell"]),
        "squeeze_keep": frozenset(conf["squeeze"]["keep"]),
        "coda_spellings": frozenset(conf["coda_spellings"]),
        "teencode_multi": re.compile(r"(?<!\w)(?:" + "|".join(re.escape(k) for k in multi)
                                     + r")(?!\w)") if multi else None,
    }


def _respell_patterns(conf: dict) -> dict[str, re.Pattern[str]]:
    """Patterns of words that start or end with a clipped onset or coda of ``normalize.toml``
    [respell] where no syllable's onset or coda does ('qên' but not 'quên', 'thằg' but not
    'thằng', from ``syllables.toml``): ``respell`` the whole word, ``respell_spot`` a quick
    test that a text may hold one (each alternative starts with its letters, so the text is
    scanned for them in C)."""
    shape = read_toml("syllables.toml")
    vowels = "".join(VOWELS)
    codas = {r.lstrip(vowels) for r in shape["rhymes"]} - {""}
    heads, tails, spots = [], [], []
    for key in conf["onsets"]:  # 'q', unless the onset is 'qu'
        longer = "|".join(re.escape(o[len(key):]) for o in sorted(shape["onsets"])
                          if o.startswith(key) and o != key)
        guard = f"(?!{longer})" if longer else ""
        k = re.escape(key)
        heads.append(k + guard)
        spots.append(rf"{k}(?<![\w<]{k}){guard}[^\W\d_]")
    for key in conf["codas"]:  # 'g', unless the coda is 'ng'
        k = re.escape(key)
        guard = "".join(f"(?<!{re.escape(c[:-len(key)])}{k})" for c in sorted(codas)
                        if c.endswith(key) and c != key)
        tails.append(k + guard)
        spots.append(rf"{k}(?<=[^\W\d_]{k}){guard}(?![\w>])")
    letter = r"[^\W\d_]"
    for key in conf["codas_in_context"]:  # 'k' (no Vietnamese coda): within three letters of
        k = re.escape(key)                 # a letter with a mark, or 'ok', 'link' would be seen
        tails.append(k)
        marked = "|".join(rf"(?<=[^\x00-\x7f]{letter * n}{k})" for n in range(3))
        spots.append(rf"{k}(?![\w>])(?:{marked})")
    head, tail = "|".join(heads), "|".join(tails)
    return {
        "respell": re.compile(rf"(?<![\w<])(?:(?:{head})[^\W\d_]+|[^\W\d_]+(?:{tail}))(?![\w>])"),
        "respell_spot": re.compile("|".join(spots)),
    }


_SEPARATOR = r"[.\-_*·'~|/+]"  # what people put between letters: 'l.o.n', 'đ-ụ'

_WS = re.compile(r"\s{2,}|[^\S ]")  # what is not already one plain space
# Underscores joining words ('#đau_dạ_dày', '#giảm_4kg_sau_1_hộp'): hashtags are read as the
# words they join. After links and e-mails are masked, so their underscores stay theirs.
_UNDERSCORE = re.compile(r"(?<=[^\W_])_+(?=[^\W_])")
_EDGE_SPACE = re.compile(r"^ | $")
_LETTER_RE = re.compile(_LETTER)
_SEPARATOR_RE = re.compile(_SEPARATOR)
_CLUSTER = re.compile(rf"(?s).{_COMBINING}{{1,8}}")  # NFC sorts marks: keep each run short
# Letters one by one between separators ('l.o.n', 'đ-ụ'); with spaces removed too, the last
# letter of a word meets the first of the next ('b.á.ns.ú.n.g', 'c.áđ.ộ'), and digits may
# follow ('s.ĩ2tuần'): see _separated for when pairs of letters are taken.
_SEPARATED = re.compile(rf"(?<![\w.*'])(?:{_LETTER}){{1,2}}(?:{_SEPARATOR}+(?:{_LETTER}){{1,2}})"
                        rf"{{1,20}}(?![^\W\d]|\*)")
# Separated letters glued to the words around them when spaces are removed too
# ('aimêc.áđ.ộmàngại'): letters, then short units between separators, then letters.
_SEPARATED_IN_RUN = re.compile(rf"(?<![\w.*']){_LETTER}+(?:{_SEPARATOR}{_LETTER}{{1,2}}){{1,20}}"
                               rf"{_SEPARATOR}{_LETTER}+(?![^\W\d]|\*)")
# Whether a text holds a letter, separators and a letter ('l.o'): found from the separator,
# which few characters are (a pattern that starts with a character set or a literal is
# scanned for it in C; one that starts with a lookaround or a letter is tried everywhere).
_LETTER_SEPARATOR_LETTER = re.compile(rf"{_SEPARATOR}(?<={_LETTER}{_SEPARATOR}){_SEPARATOR}*"
                                      rf"{_LETTER}")
# Letters spaced out: three or more ('v c l', 't h ằ n g'), or two that make a known
# abbreviation ('đ m'); a run may span several words ('t h ằ n g n g u', cut again later).
_SPACED = re.compile(rf"(?<!\w){_LETTER}(?: {_LETTER}){{1,40}}(?!\w)")
_TWO_SPACED = re.compile(rf" (?<=(?<!\w){_LETTER} ){_LETTER}(?!\w)")  # from the space
_REPEAT = re.compile(rf"({_LETTER})\1{{2,}}")
# A toned vowel and then the same vowel again without the tone: 'quáa', 'đii'.
# (Written to start with one character set, which is scanned for in C.)
_TRAILING_VOWEL = re.compile(r"[àáảãạèéẻẽẹìíỉĩịòóỏõọùúủũụỳýỷỹỵ](?:(?<=[àáảãạ])a+|(?<=[èéẻẽẹ])e+"
                             r"|(?<=[ìíỉĩị])i+|(?<=[òóỏõọ])o+|(?<=[ùúủũụ])u+|(?<=[ỳýỷỹỵ])y+)"
                             r"(?!\w)")
_OLD_TONE = re.compile(r"([ou])(?<!q[ou])([àáảãạèéẻẽẹỳýỷỹỵ])(?!\w)")  # no 'q' before it
_WORD = re.compile(r"(?<![\w<])[^\W_]+(?![\w>])")
_DIGIT = re.compile(r"\d")
_DOUBLED = re.compile(r"([^\W_])\1")
_DOUBLED_END = re.compile(r"(?<![\w<])[^\W_]+([^\W_])\1(?![\w>])")  # a _WORD ending in 'xx'


# Characters deleted before anything else: every default-ignorable code point (zero-width
# joiners, soft hyphens, variation selectors, U+2063, U+034F...) and every format character.
# ... and the keycap mark (U+20E3): sellers write prices and phone numbers in keycap digits
# ("0️⃣9️⃣8️⃣" is 0, U+FE0F, U+20E3, ...), which then read as the digits they show.
_IGNORABLE = regex.compile(r"[\p{Default_Ignorable_Code_Point}\p{Cf}\u20e3]+")
# A symbol or emoji between two letters ('đ😀ụ'), or a line break inside a word ('thằ\nng').
_SYMBOLS_IN_WORD = regex.compile(r"(?<=\p{L})[\p{So}\p{Sk}]+(?=\p{L})")
_BREAK_IN_WORD = regex.compile(r"(?<=\p{L})[\n\r\v\f\x85\u2028\u2029]+(?=\p{L})")
LOOK_AROUND = 40  # letters looked at on each side of a break inside a word


def _is_word(word: str, vocabulary: frozenset[str]) -> bool:
    """A syllable or a word of ``vocabulary`` (abbreviations, the lexicons' words)."""
    return is_syllable(word) or word in vocabulary


def _letters_around(text: str, start: int, end: int) -> tuple[str, str, int]:
    """The letters just before ``start`` and just after ``end`` (at most LOOK_AROUND each), and
    where the letters before begin."""
    a = start
    while a > 0 and start - a < LOOK_AROUND and text[a - 1].isalpha():
        a -= 1
    b = end
    while b < len(text) and b - end < LOOK_AROUND and text[b].isalpha():
        b += 1
    return text[a:start], text[end:b], a


_ASCII_WORD = re.compile(r"(?<![\w<])[a-z0-9]+(?![\w>])")
# A run of letters between non-letters (digits included: 'phạttù2năm'); longer runs are no text.
_RUN = re.compile(r"(?<![^\W\d_<])[^\W\d_]{4,400}(?![^\W\d_>])")
# 'u' typed where 'ư' belongs before 'ơ' ('nguời', 'đuợc', 'thuơng'): the horn left off.
_HORNLESS = re.compile(r"(?<![^\W\d_<])[^\W\d_]*u[ơớờởỡợ][^\W\d_]*(?![^\W\d_>])")
_U_BEFORE_O_HORN = re.compile(r"u(?=[ơớờởỡợ])")  # also the cue that a post may need _horn
MIN_ASCII_RUN = 8  # an unaccented run is cut from this length, only into known pieces
LONG_ASCII_RUN = 12  # ... from this one, with a few letters that fit no piece


def _nfc(buf: _Buffer, s: dict) -> None:
    buf.sub(_IGNORABLE, lambda m: "", mark=True)
    buf.sub(s["nfkc"], lambda m: unicodedata.normalize("NFKC", m.group(0)))
    if not confusables.letters().isdisjoint(buf.text):
        table = confusables.fold_table()
        buf.sub(confusables.pattern(), lambda m: table[m.group(0)], mark=True)
    if not unicodedata.is_normalized("NFC", buf.text):
        buf.sub(_CLUSTER, lambda m: unicodedata.normalize("NFC", m.group(0)))


def _unbreak(buf: _Buffer, s: dict) -> None:
    """Delete symbols inside words, and line breaks inside words.

    A line break between letters that are not both words is deleted when they join into one
    syllable or known word ('thằ\nng'), or when it is followed by a small letter ('s\nhare');
    two words are joined only into a known word ('za\nlo') or a syllable whose tone mark sits
    where it belongs ('lừ\na'). 'chào\nmọi', 'có\nanh', 'cho\nanh', 'nhé\nsize' and
    '100k\nship' keep it.
    """
    buf.sub(_SYMBOLS_IN_WORD, lambda m: "", mark=True)
    words = s["vocabulary"]

    def word(w: str) -> bool:
        return _is_word(w, words)

    def join(m: regex.Match[str]) -> str | None:
        a, b, at = _letters_around(m.string, m.start(), m.end())
        a, lower_b = a.lower(), b.lower()
        if word(a) and word(lower_b):  # two words: joined only into a known word, a syllable
            joined = a + lower_b           # with its tone in place ('lừ\na', not 'có\nanh'), or
            if joined in words or has_tone_in_place(joined):  # a syllable likelier whole than
                return ""                                     # cut ('ng\nay', 'khô\nng')
            whole = is_syllable(joined) and split_run(joined, words).pieces == (joined,)
            return "" if whole else None
        if word(a + lower_b):
            return ""
        after_digit = at > 0 and m.string[at - 1].isdigit()
        return "" if b[:1].islower() and not after_digit else None

    buf.sub(_BREAK_IN_WORD, join, mark=True)


_AS_TYPED, _UNSEEN = object(), object()
_TYPED: dict[str, object] = {}  # word -> how _typing reads it (words recur from post to post)
TYPED_MEMO_SIZE = 100_000


def _typed(word: str, s: dict) -> object:
    """How :func:`_typing` reads an ASCII word: None (a teencode abbreviation, or nothing to
    decode), ``_AS_TYPED`` (kept or a syllable: decoded only in context) or its
    :class:`Decoded` reading; remembered."""
    if word in s["teencode"]:
        how: object = None
    elif word in s["typing_keep"] or word in s["leet_keep"] or is_syllable(word):
        how = _AS_TYPED
    elif not word.isalpha():
        how = decode_vni(word, s["known"])
    else:
        how = decode_telex(word, s["known"])
    if len(_TYPED) >= TYPED_MEMO_SIZE:
        _TYPED.clear()
    _TYPED[word] = how
    return how


def _typing(buf: _Buffer, s: dict) -> None:
    """Decode words typed in raw Telex or VNI that are not Vietnamese as typed.

    A Telex word decoded through a tone key alone ('bus' -> 'bú') is decoded only in a post
    where another word shows a key only Telex uses ('dd', 'aa', 'w', 'f'...).
    """
    known = s["known"]
    found: dict[str, Decoded] = {}
    as_typed: list[str] = []  # English-looking or already a syllable: decoded only in context
    for word in set(_ASCII_WORD.findall(buf.text)):
        how = _TYPED.get(word, _UNSEEN)
        if how is _UNSEEN:
            how = _typed(word, s)
        if how is _AS_TYPED:
            as_typed.append(word)
        elif how is not None:
            found[word] = how  # type: ignore[assignment]
    if not found:
        return
    strong = any(d.strong for d in found.values())
    if sum(d.strong for d in found.values()) >= TELEX_POST_EVIDENCE:
        # A post typed in Telex throughout: 'khoong', 'cos', 'teen' are không, có, tên where
        # the decoded syllable is far more common than the word as typed.
        for word in as_typed:
            decoded = decode_telex(word, known) if word.isalpha() else None
            if decoded is not None and \
                    syllable_cost(decoded.text) + COMMONER < syllable_cost(word):
                found[word] = Decoded(decoded.text, True)

    def decode(m: re.Match[str]) -> str | None:
        d = found.get(m.group(0))
        return d.text if d is not None and (d.strong or strong) else None

    buf.sub(_ASCII_WORD, decode, mark=True)


def _stray_abbreviation(pieces: tuple[str, ...], vocabulary: frozenset[str]) -> bool:
    """An abbreviation without vowels ('cc', 'vl') cut out of a run where its letters may as
    well belong to the syllables beside it, or next to letters that fit
    nothing: an acronym ('PCC1'), not 'đmthằngngu' or 'đẹpvlaưi'.

    Vietnamese syllables never end in 'v', 'đ', 'd', 'l' or 'k' nor begin 'vl', so most
    profanity abbreviations cannot be a chance meeting of two syllables."""
    for i, piece in enumerate(pieces):
        if piece not in vocabulary or any(c in VOWELS for c in piece):
            continue
        before, after = pieces[i - 1] if i else "", pieces[i + 1] if i + 1 < len(pieces) else ""
        # its first letter may end the syllable before, or its last letter begin the one
        # after, and the letters left make a word ('họcc' + 'c', not 'bột' + 'k', 'vl' + 'a')
        if (before and is_syllable(before + piece[0]) and _is_word(piece[1:], vocabulary)) or (
                after and is_syllable(piece[-1] + after) and _is_word(piece[:-1], vocabulary)):
            return True
        if any(n and not _is_word(n, vocabulary) for n in (before, after)):
            return True
    return False


def _glued_abbreviation(word: str, s: dict) -> Split | None:
    """An unaccented run ('hayvcl', 'saivl', 'dmthangnay', 'lhzalo') that is syllables and
    known words with an abbreviation of ``normalize.toml``'s ``glued`` at one end, which no
    syllable beside it can take ('trending' keeps its 'ng'; 'redmi' its 'dm')."""
    split = split_run(word, s["glued_known"])
    pieces = split.pieces
    if split.unknown or len(pieces) < 2 or not {pieces[0], pieces[-1]} & s["glued"] \
            or set(pieces[1:-1]) & s["glued"]:
        return None
    return None if _stray_abbreviation(pieces, s["vocabulary"]) else split


def _horn(buf: _Buffer, s: dict) -> None:
    """'nguời' -> 'người', 'thuơng' -> 'thương': a word that is no syllable, with 'u' where
    'ư' belongs before 'ơ', gets its horn back where that makes a syllable (letter for letter),
    instead of being cut into pieces ('ngu ời') by :func:`_split_runs`."""
    vocabulary = s["vocabulary"]

    def repair(m: re.Match[str]) -> str | None:
        word = m.group(0)
        if _is_word(word, vocabulary):  # 'thuở', 'huơ' are words as written
            return None
        fixed = _U_BEFORE_O_HORN.sub("ư", word)
        return fixed if is_syllable(fixed) else None

    buf.sub(_HORNLESS, repair)


def _split_runs(buf: _Buffer, s: dict) -> None:
    """'thằngngunày' -> 'thằng ngu này': a run of letters that is no word, cut into syllables.

    A run without diacritics is cut only when it is long and every piece is a syllable or a
    known word ('facebook' stays); one with diacritics may keep up to a third of its letters in
    pieces that fit nothing.
    """
    vocabulary = s["vocabulary"]
    cuts: list[int] = []
    for m in _RUN.finditer(buf.text):
        word = m.group(0)
        if _is_word(word, vocabulary):
            continue
        accented = has_diacritics(word)
        glued = None if accented else _glued_abbreviation(word, s)
        if glued is not None:
            split = glued
        elif not accented and len(word) < MIN_ASCII_RUN:
            continue
        else:
            # Unaccented, no abbreviation without vowels but the glued ones is cut out
            # ('trending' is no 'ng'; 'thuetkbanktheothang' has a 'tk').
            split = split_run(word, vocabulary if accented else s["glued_known"])
            if _stray_abbreviation(split.pieces, vocabulary):  # cut again without them
                split = split_run(word, s["vowelled"])
        # Letters that fit no piece: a third in an accented run; in a long unaccented one
        # ('bantknganhangvcb'), a fifth (a brand or bank code), none in a shorter one.
        allowed = (len(word) // 3 if accented
                   else len(word) // 5 if len(word) >= LONG_ASCII_RUN else 0)
        if len(split.pieces) < 2 or split.unknown > allowed or (
                accented and len(split.pieces) == 2 and split.pieces[1] in s["coda_spellings"]):
            continue
        at = m.start()
        for piece in split.pieces[:-1]:
            at += len(piece)
            cuts.append(at)
    buf.insert_spaces(cuts, mark=True)


def _lower(buf: _Buffer) -> None:
    lowered = buf.text.lower()
    if len(lowered) == len(buf.text):
        buf.text = lowered
    else:  # a few letters lowercase to two characters (e.g. 'İ')
        buf.sub(_LETTER_RE, lambda m: m.group(0).lower())


def _always(text: str) -> Callable[[re.Match[str]], str | None]:
    """A replacement that puts ``text`` for every match."""
    return lambda m: text


def _mask(buf: _Buffer, s: dict) -> None:
    text = buf.text
    # What each pattern cannot match without (a dot or colon for a link, '@' for an email, a
    # digit for a phone number or an amount): most posts skip most scans.
    digit = _DIGIT.search(text) is not None
    needed = {"url": "." in text or ":" in text, "email": "@" in text,
              "phone": digit, "money": digit}
    for placeholder in PLACEHOLDERS:
        name = placeholder[1:-1]
        if needed[name]:
            buf.sub(s[name], _always(placeholder))


# Glued text ('dieunay.Sharengay', 'giá800k', 'tù2năm'): a space after punctuation between
# letters, and between digits and a word with diacritics ('1tr8', 'iphone15', 'đ1t' stay).
_PUNCT_GLUE = re.compile(r"[,;!?.](?<=[^\W_][,;!?.]|>[,;!?.])(?=[^\W\d_])")
_LETTERS_THEN_DIGIT = re.compile(r"(?<![^\W\d_])[^\W\d_]{2,}(?=\d)")
_DIGIT_THEN_LETTERS = re.compile(r"(?<=\d)[^\W\d_]{2,}")
# A comma between a word and digits ('hàng,300k'; '1,300' stays).
_COMMA_THEN_DIGIT = re.compile(r"(?<=[^\W\d_]|>)[,;](?=\d)")
# A phone number glued to the word before it ('lhzalo0933222111', 'sdt0386xxx2xx').
_LETTERS_THEN_PHONE = re.compile(r"(?<=[^\W\d_])(?=(?:\+84|84|0)[ .-]?[1-9x*](?:[ .-]?[0-9x*]){7,9}"
                                 r"(?![\w*]))")


def _money_then_words(text: str, s: dict) -> dict[int, int]:
    """Amounts glued to the words after them: where the letters begin -> where to cut.

    '200kăn' is cut after the unit ('200k ăn') when the letters after it make words much
    likelier than all the letters do ('kăn'); '5đêm', '1tramnam', '5kem' and '10km' stay."""
    found = {}
    for m in s["money_then_letters"].finditer(text):
        first = _LETTER_RE.search(text, m.start())
        run = _LETTER_RUN.match(text, first.start()) if first is not None else None
        if run is None:  # cannot be: the pattern ends in a letter
            continue
        digits_end, letters = run.start(), run.group(0)
        rest = letters[m.end() - digits_end:]
        if letters in s["known"]:
            continue
        whole, after = split_run(letters, s["vocabulary"]), split_run(rest, s["vocabulary"])
        if not after.unknown and after.cost + COMMONER < whole.cost:
            found[digits_end] = m.end()
    return found


def _respace_digits(buf: _Buffer, s: dict) -> None:
    """'giá800k' -> 'giá 800k' (then masked as money), 'zalo0933222111' -> 'zalo 0933222111'
    (a phone number), 'hàng,300k' -> 'hàng, 300k', before leetspeak reads '1' as 'i'."""
    text = buf.text
    if _DIGIT.search(text) is None:  # every pattern below needs a digit
        return
    cuts = {m.end() for m in _LETTERS_THEN_DIGIT.finditer(text)
            if (has_diacritics(m.group(0)) or s["letters_then_money"].match(text, m.start()))
            and m.group(0) not in s["known"]}
    after_money = _money_then_words(text, s)
    cuts.update(after_money.values())
    cuts.update(m.start() for m in _DIGIT_THEN_LETTERS.finditer(text)
                if m.start() not in after_money
                and has_diacritics(m.group(0)) and m.group(0) not in s["known"])
    cuts.update(m.start() for m in _LETTERS_THEN_PHONE.finditer(text))
    cuts.update(m.end() for m in _COMMA_THEN_DIGIT.finditer(text))
    if cuts:
        buf.insert_spaces(sorted(cuts))
        _mask(buf, s)


def _respace_punctuation(buf: _Buffer) -> None:
    """'dieunay.Sharengay' -> 'dieunay. Sharengay', after 'đ.m' and 'h.à.n.g' were joined."""
    buf.insert_spaces([m.end() for m in _PUNCT_GLUE.finditer(buf.text)])


def _tone(m: re.Match[str]) -> str:
    """'hoà' -> 'hòa', 'thuý' -> 'thúy': the tone goes on the first vowel of an open oa/oe/uy.

    'quý' is left alone (the regex skips 'u' after 'q', where 'qu' is one consonant).
    """
    first, second = m.group(1), m.group(2)
    plain, tone = split_tone(second)
    if (first, plain) not in {("o", "a"), ("o", "e"), ("u", "y")}:
        return m.group(0)
    return with_tone(first, tone) + plain


def _units(m: re.Match[str], vocabulary: frozenset[str]
           ) -> tuple[list[str], str, Split, set[int], list[int]]:
    """A run of letters between separators: its units, the letters joined, their cut into
    words, where that cut falls and where each unit ends (in the joined letters)."""
    units = [u for u in _SEPARATOR_RE.split(m.group(0)) if u]
    joined = "".join(units)
    split = split_run(joined, vocabulary)
    return (units, joined, split, set(accumulate(len(p) for p in split.pieces)),
            list(accumulate(len(u) for u in units)))


def _separated(m: re.Match[str], vocabulary: frozenset[str]) -> str | None:
    """Join a run of separated letters (see :data:`_SEPARATED`), or leave it.

    A pair of letters is taken inside a run of at least three single ones, at most one pair
    for three singles ('b.á.ns.ú.n.g'); in a shorter run ('c.áđ.ộ', 'n.ổh.ũ') only where the
    joined letters cut into words fall apart between the two letters of every pair."""
    units, joined, split, cuts, ends = _units(m, vocabulary)
    sizes = [len(u) for u in units]
    singles, pairs = sizes.count(1), len(sizes) - sizes.count(1)
    if not pairs or (singles >= 3 and 3 * pairs <= singles):
        return joined
    # A short run: every pair must fall apart where the words are cut.
    if singles < pairs or split.unknown or not all(
            end - 1 in cuts for end, size in zip(ends, sizes, strict=True) if size == 2):
        return None
    return joined


def _separated_in_run(m: re.Match[str], vocabulary: frozenset[str]) -> str | None:
    """Join the letters of :data:`_SEPARATED_IN_RUN` where they cut into words as a glued run
    is cut (see _split_runs) and the separators fall inside those words, or between two single
    letters: 'aimêc.áđ.ộmàngại' -> 'aimêcáđộmàngại' (later 'ai mê cá độ mà ngại'), while
    'ừ.ok.đi' and 'đi.về.nhà' keep their dots."""
    units, joined, split, cuts, ends = _units(m, vocabulary)
    if split.unknown > (len(joined) // 3 if has_diacritics(joined) else 0):
        return None
    for i in range(len(units) - 1):
        if ends[i] in cuts and (len(units[i]) > 1 or len(units[i + 1]) > 1):
            return None
    return joined


def _deobfuscate(buf: _Buffer, s: dict) -> None:
    if "*" in buf.text:  # 'l*n' -> 'lồn' (normalize.toml [masked]), before separators are joined
        masked = s["masked"]
        buf.sub(s["masked_word"], lambda m: masked.get(f"{m.group(1)}*{m.group(2)}"), mark=True)
    if _LETTER_SEPARATOR_LETTER.search(buf.text):  # what both patterns need
        buf.sub(_SEPARATED, lambda m: _separated(m, s["vocabulary"]), mark=True)
        buf.sub(_SEPARATED_IN_RUN, lambda m: _separated_in_run(m, s["vocabulary"]), mark=True)
    def unspace(m: re.Match[str]) -> str | None:
        """Join spaced-out letters, cut again where the words were ('mnguvl' -> 'm ngu vl')."""
        joined = m.group(0).replace(" ", "")
        if len(joined) <= 2:
            return joined if joined in s["spaced_pairs"] else None
        if _is_word(joined, s["vocabulary"]):
            return joined
        split = split_run(joined, s["vocabulary"])
        return " ".join(split.pieces) if split.unknown * 3 <= len(joined) else joined

    if _TWO_SPACED.search(buf.text):  # what _SPACED needs
        buf.sub(_SPACED, unspace, mark=True)
    chars, table, keep = s["leet_chars"], s["leet"], s["leet_keep"]

    def leet(m: re.Match[str]) -> str | None:
        tok = m.group(0)
        if tok in keep or tok.startswith("<"):  # the regex saw to it that tok holds a leet char
            return None
        out = list(tok)
        for i, c in enumerate(tok):
            if c not in chars:
                continue
            left = i > 0 and tok[i - 1].isalpha()
            right = i + 1 < len(tok) and tok[i + 1].isalpha()
            short_tail = left and i == len(tok) - 1 and len(tok) <= 3
            if (left and right) or short_tail:
                out[i] = c.translate(table)
        return "".join(out)

    if s["leet_after_letter"].search(buf.text):  # what leet_token needs
        buf.sub(s["leet_token"], leet, mark=True)


def _squeeze(buf: _Buffer, s: dict) -> None:
    keep = s["squeeze_keep"]

    def squeeze(m: re.Match[str]) -> str | None:
        for word in keep:  # the repeat lies inside a word to keep ('thumuacccd')
            at = m.string.find(word, max(0, m.end() - len(word)), m.start() + len(word))
            if at != -1 and at <= m.start() and m.end() <= at + len(word):
                return None
        return m.group(1)

    doubled = _DOUBLED.search(buf.text) is not None  # what _REPEAT and _DOUBLED_END need
    if doubled:
        buf.sub(_REPEAT, squeeze)
    # 'quáa' -> 'quá', but 'cứu' stays: only the tone mark may differ ('ứ' is 'ư', not 'u').
    buf.sub(_TRAILING_VOWEL, lambda m: m.group(0)[0])
    # 'lồnn', 'đẹpp' -> 'lồn', 'đẹp': no Vietnamese word ends in a doubled letter; words
    # without diacritics ('pass', 'boss') are left alone.
    if doubled:
        buf.sub(_DOUBLED_END,
                lambda m: m.group(0)[:-1] if has_diacritics(m.group(0)) else None)


def _teencode(buf: _Buffer, s: dict, words: list[str]) -> None:
    """Expand abbreviations, with their diacritics ('tk' -> 'tài khoản'; in a post written
    without them the other words' marks are put back next: 'bán tài khoản ngân hàng').
    ``words``: the words of ``buf.text`` (``_WORD``)."""
    table = s["teencode"]
    if s["teencode_multi"] is not None and buf.sub(s["teencode_multi"],
                                                   lambda m: table[m.group(0)]):
        words = _WORD.findall(buf.text)
    if not table.keys().isdisjoint(words):
        def expand(m: re.Match[str]) -> str | None:
            word = m.group(0)
            out = table.get(word)
            return None if out is None or (word == "m" and _a_size(m, s)) else out

        buf.sub(_WORD, expand)


def _respell(buf: _Buffer, s: dict) -> None:
    """Clipped spellings in words typed with marks read as the syllable they stand for
    ('thằg' -> 'thằng', 'qên' -> 'quên'; ``normalize.toml`` [respell]): a word with a mark that
    is no syllable, rewritten at its onset and/or coda to the likeliest form the corpora
    spell, after the word before it."""
    onsets, codas, in_context = s["respell_onsets"], s["respell_codas"], s["respell_in_context"]

    def respell(m: re.Match[str]) -> str | None:
        word = m.group(0)
        if word.isascii() or is_syllable(word) or not has_diacritics(word):
            return None
        heads = [word] + [new + word[len(old):] for old, news in onsets.items()
                          if word.startswith(old) for new in news]
        forms = [head[:-len(old)] + new for head in heads for old, news in codas.items()
                 if head.endswith(old) for new in news]
        forms += heads[1:]
        before = _WORD.findall(m.string[max(0, m.start() - 24):m.start()])
        prev = before[-1] if before else None
        return diacritics.likeliest(forms, prev) or diacritics.likeliest(
            [word[:-len(old)] + new for old, news in in_context.items() if word.endswith(old)
             for new in news], prev, seen=True)

    buf.sub(s["respell"], respell)


def _a_size(m: re.Match[str], s: dict) -> bool:
    """True where the word ``m`` ('m', else 'mày') is a clothing size: after a size word or a
    smaller size, or before a larger one ('size m', 's m', 'm, l, xl')."""
    text = m.string
    return bool(s["size_before"].search(text, max(0, m.start() - 8), m.start())
                or s["size_after"].match(text[m.end():m.end() + 8]))


def _restore_diacritics(buf: _Buffer) -> None:
    """Marks put back on a post typed without them (:mod:`vnmod.text.diacritics`), letter for
    letter; words with only a space between them are one context."""
    text = buf.text
    restored: list[str] = []
    run: list[str] = []
    spans: list[tuple[int, int]] = []
    end = -2
    for m in _WORD.finditer(text):
        start = m.start()
        if run and not (start == end + 1 and text[end] == " "):
            restored.extend(diacritics.restore(run))
            run = []
        run.append(m.group(0))
        end = m.end()
        spans.append((start, end))
    restored.extend(diacritics.restore(run))
    pieces: list[str] = []
    pos = 0
    for (start, end), word in zip(spans, restored, strict=True):
        pieces += (text[pos:start], word)
        pos = end
    pieces.append(text[pos:])
    buf.rewrite_in_place("".join(pieces))


def _is_unaccented(words: list[str]) -> bool:
    """True if under a tenth of the ``words`` that are not numbers have diacritics."""
    words = [w for w in words if not w.isdigit()]
    accented = 0
    for w in words:  # stops at the first tenth (an ASCII word has none)
        if not w.isascii() and has_diacritics(w):
            accented += 1
            if 10 * accented >= len(words):
                return False
    return bool(words)


def normalise(text: str | Any) -> Normalised:
    """Normalise one post (a str; ``Any`` in the signature so that the compiled module lets
    other types through to the clear error below instead of refusing them tersely).

    >>> n = normalise("Thuý ơi, ĐM thằng l0n nàyyyy, ib 0776234XXX")
    >>> n.text
    'thúy ơi, đụ má thằng lon này, inbox <phone>'
    >>> s, e = n.to_original(n.text.index("<phone>"), n.text.index("<phone>") + 7)
    >>> n.original[s:e]
    '0776234XXX'
    """
    if not isinstance(text, str):
        raise TypeError(f"normalise expects a str, got {type(text).__name__}; "
                        "use vnmod.load().predict for None/NaN handling")
    s = _settings()
    buf = _Buffer(text)
    _nfc(buf, s)
    _unbreak(buf, s)
    _lower(buf)
    # Every whitespace character but the space is unprintable: most posts skip the scan.
    if "  " in buf.text or not buf.text.replace(" ", "").isprintable():
        buf.sub(_WS, lambda m: " ")
    _mask(buf, s)
    if "_" in buf.text and buf.sub(_UNDERSCORE, lambda m: " "):
        _mask(buf, s)  # '#giá_150k' -> '#giá 150k' -> '#giá <money>'
    _respace_digits(buf, s)
    _typing(buf, s)
    _deobfuscate(buf, s)
    _respace_punctuation(buf)
    _squeeze(buf, s)
    if _U_BEFORE_O_HORN.search(buf.text):
        _horn(buf, s)
    _split_runs(buf, s)
    buf.sub(_OLD_TONE, _tone)
    words = _WORD.findall(buf.text)
    unaccented = _is_unaccented(words)
    _teencode(buf, s, words)
    if s["respell_spot"].search(buf.text):
        _respell(buf, s)
    if unaccented:
        _restore_diacritics(buf)
        buf.sub(_OLD_TONE, _tone)  # the corpora's counts hold both placements ('hoá')
    # Leading/trailing whitespace carries nothing.
    if buf.text[:1] == " " or buf.text[-1:] == " ":
        buf.sub(_EDGE_SPACE, lambda m: "")
    return buf.freeze(text, unaccented)
