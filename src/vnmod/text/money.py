"""The value in đồng of a price as written ('185k', '1tr2', '1.400.000đ', '2 triệu', '$30').

The units and their worth are ``normalize.toml``'s ``[mask.money_units]``, the same table the
normaliser masks prices with, so every span masked as ``<money>`` can be read back here.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from vnmod._resources import read_toml

_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_HIDDEN = re.compile(r"(\d+x+)(.*)$")  # digits hidden as 'x' ('giá 7xx', '1xxk')


@lru_cache(maxsize=1)
def money_units() -> dict[str, float]:
    """Unit -> worth in đồng, longest units first (so 'triệu' wins over 'tr')."""
    table = read_toml("normalize.toml")["mask"]["money_units"]
    bad = {u: v for u, v in table.items() if not isinstance(v, (int, float)) or v <= 0}
    if bad:
        raise ValueError(f"normalize.toml [mask.money_units]: {bad} are not positive worths")
    return {u: float(table[u]) for u in sorted(table, key=len, reverse=True)}


@lru_cache(maxsize=1)
def price_signs() -> str:
    """Emoji that mark the number after them as a price ('💰500'), one character each."""
    signs = read_toml("normalize.toml")["mask"]["price_signs"]
    bad = [c for c in signs if len(c) != 1]
    if bad:
        raise ValueError(f"normalize.toml [mask] price_signs: {bad} are not single characters")
    return "".join(signs)


def _number(digits: str) -> float:
    """'1.400.000' -> 1400000, '1,5' -> 1.5, '350' -> 350: a separator followed by exactly
    three digits groups thousands, any other marks decimals."""
    groups = re.split(r"[.,]", digits)
    if len(groups) > 1 and all(len(g) == 3 for g in groups[1:]):
        return float("".join(groups))
    if len(groups) == 2:
        return float(f"{groups[0]}.{groups[1]}")
    return float(groups[0])


def money_value(written: str) -> float | None:
    """The value in đồng of one written price, or ``None`` where it is not one.

    A number alone is read as đồng; digits after the unit are its fraction ('2tr5' = 2.5
    million, '1k2' = 1,200); digits hidden as 'x' are read as 0 and, without a unit, as
    thousands ('7xx' = 700,000, '1xxx' = 1,000,000); a number under 10,000 after a price sign
    and without a unit, as thousands too ('💰500' = 500,000).
    """
    text = unicodedata.normalize("NFC", written).strip().lower()
    if text[:1] and text[0] in price_signs():
        value = money_value(text[1:])
        return value * 1e3 if value is not None and value < 1e4 else value
    hidden = _HIDDEN.match(text)
    if hidden:  # '7xx' = 700-odd thousand: the least it can be
        digits, rest = hidden.group(1).replace("x", "0"), hidden.group(2).strip()
        return money_value(digits + (rest or "k"))
    dollar = text.startswith("$")
    text = text.lstrip("$").strip()
    m = _NUMBER.match(text)
    if m is None:
        return None
    value = _number(m.group(0))
    rest = text[m.end():].strip()
    if dollar:
        return value * money_units()["$"] if not rest else None
    if not rest:
        return value
    for unit, worth in money_units().items():
        if rest.startswith(unit):
            tail = rest[len(unit):].strip()
            if tail and not tail.isdigit():
                return None
            fraction = float(f"0.{tail}") if tail else 0.0
            return (value + fraction) * worth
    return None
