"""Decode words typed in raw Telex ('luwaf ddaor') or VNI ('lu7a2 d9a3o') without an IME.

Keys are data (``[typing]`` in ``resources/normalize.toml``). A word is decoded only when the
result is a Vietnamese syllable (or one of the caller's known words); the caller decides
whether the word needed decoding (it is not Vietnamese as typed).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from functools import lru_cache

from vnmod._resources import read_toml
from vnmod.text.syllables import VOWELS, is_syllable, place_tone

MAX_WORD = 12


@dataclass(frozen=True)
class Decoded:
    text: str
    strong: bool  # decoded through two keys or more, or through 'dd': rarely an English word


@lru_cache(maxsize=1)
def _keys() -> dict:
    return read_toml("normalize.toml")["typing"]


def _valid(plain: str, known: Collection[str]) -> bool:
    return is_syllable(plain) or plain in known


def decode_telex(word: str, known: Collection[str] = ()) -> Decoded | None:
    """Decode one lowercase ASCII word typed in Telex; None if it is not Telex.

    >>> decode_telex("luwaf").text, decode_telex("nguwowif").text, decode_telex("ddaor").text
    ('lừa', 'người', 'đảo')
    """
    if not (word.isascii() and word.isalpha()) or len(word) > MAX_WORD:
        return None
    keys = _keys()["telex"]
    pairs, tones, strong_starts = keys["pairs"], keys["tones"], tuple(keys["strong"])
    out: list[str] = []
    tone, used, i = "", 0, 0  # used: how many Telex keys the word holds
    while i < len(word):
        c = word[i]
        if c in tones and any(ch in VOWELS for ch in out):
            if tone:
                return None
            tone, used, i = tones[c], used + 1, i + 1
            continue
        pair = word[i:i + 2]
        if pair in pairs and pair[1] != "w":
            out.append(pairs[pair])
            used, i = used + 1, i + 2
            continue
        if c == "w":
            if out and out[-1] == "o" and len(out) > 1 and out[-2] in "uư":
                out[-2:] = list(pairs["uow"])
            elif out and out[-1] + "w" in pairs:
                out[-1] = pairs[out[-1] + "w"]
            else:
                out.append(keys["lone_w"])
            used, i = used + 1, i + 1
            continue
        out.append(c)
        i += 1
    plain = "".join(out)
    if not used or not _valid(plain, known):
        return None
    return Decoded(place_tone(plain, tone), used >= 2 or word.startswith(strong_starts))


def decode_vni(word: str, known: Collection[str] = ()) -> Decoded | None:
    """Decode one lowercase ASCII word typed in VNI; None if it is not VNI.

    >>> decode_vni("lu7a2").text, decode_vni("d9a3o").text, decode_vni("l0n")
    ('lừa', 'đảo', None)
    """
    if not (word.isascii() and word.isalnum()) or len(word) > MAX_WORD or word.isdigit():
        return None
    keys = _keys()["vni"]
    marks, tones = keys["marks"], keys["tones"]
    out: list[str] = []
    tone, strong = "", False
    for c in word:
        if not c.isdigit():
            out.append(c)
            continue
        if c in tones:
            if tone or not any(ch in VOWELS for ch in out):
                return None
            tone = tones[c]
            continue
        targets = [k for k in marks if k[1] == c]
        for k in range(len(out) - 1, -1, -1):  # the last letter this digit can mark
            if out[k] + c in targets:
                out[k] = marks[out[k] + c]
                if c == "7" and out[k] == "ơ" and k and out[k - 1] == "u":
                    out[k - 1] = "ư"  # 'uo7' is 'ươ'
                break
        else:
            return None
        strong = True
    plain = "".join(out)
    if not _valid(plain, known):
        return None
    return Decoded(place_tone(plain, tone), strong)
