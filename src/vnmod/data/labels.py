"""Parse label cells (category keys or Vietnamese names) into sets of category keys."""

from __future__ import annotations

import contextlib
import json
import re
import unicodedata
from collections.abc import Iterable
from typing import Any

from vnmod.data._common import CATEGORIES

#: Accepted spellings per category (matched case- and diacritic-insensitively).
LABEL_NAMES: dict[str, tuple[str, ...]] = {
    "insult": ("insult", "xúc phạm danh dự, nhân phẩm", "xúc phạm"),
    "offensive": ("offensive", "ngôn ngữ phản cảm", "phản cảm"),
    "fake_news": ("fake_news", "fake news", "tin giả"),
    "illegal_ads": (
        "illegal_ads",
        "illegal ads",
        "quảng cáo, kinh doanh dịch vụ trái phép",
        "quảng cáo trái phép",
    ),
}
#: Spellings that mean "no category".
CLEAN_NAMES: tuple[str, ...] = ("clean", "sạch", "none")
_SEPARATORS = re.compile(r"[;,|]")


def fold(text: str) -> str:
    """Lowercase, strip diacritics (``đ`` -> ``d``), fold ``_``/``-``/whitespace to one space."""
    text = unicodedata.normalize("NFD", str(text).lower().replace("đ", "d"))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = re.sub(r"[\s_\-]+", " ", text)
    return re.sub(r" ?([;,|]) ?", r"\1", text).strip()


# Longest names first so "xúc phạm danh dự, nhân phẩm" wins over "xúc phạm"; names that
# contain a separator are replaced by their key before the cell is split.
_ALIASES: list[tuple[str, str]] = sorted(
    ((fold(name), cat) for cat, names in LABEL_NAMES.items() for name in names),
    key=lambda item: -len(item[0]),
)
_LOOKUP: dict[str, str | None] = {alias: cat for alias, cat in _ALIASES}
_LOOKUP.update({fold(name): None for name in CLEAN_NAMES})


def valid_label_names() -> str:
    """A one-line description of every accepted label spelling, for error messages."""
    parts = [f"{cat} ({' / '.join(LABEL_NAMES[cat][1:])})" for cat in CATEGORIES]
    return "; ".join(parts) + "; or clean / sạch / empty for none"


def _original(item: Any, folded: str) -> str:
    """The user's spelling of the folded name ``folded`` inside ``item``."""
    for part in _SEPARATORS.split(str(item)):
        if fold(part) == folded:
            return part.strip()
    return folded


def parse_labels(value: Any) -> set[str]:
    """Category keys named by one label cell.

    ``value`` may be empty/None (clean), a list of names, a JSON list in a string, or a string
    of names separated by ``;``, ``,`` or ``|``. Names are category keys or the Vietnamese names
    in :data:`LABEL_NAMES`, case- and diacritic-insensitive.

    Raises
    ------
    ValueError
        For an unknown name; the message lists the valid names.
    """
    if value is None or (isinstance(value, float) and value != value):  # None or NaN
        return set()
    if isinstance(value, str):
        stripped = value.strip()
        if stripped.startswith("["):
            with contextlib.suppress(json.JSONDecodeError):
                value = json.loads(stripped)
    items: Iterable[Any] = value if isinstance(value, (list, tuple, set)) else [value]
    found: set[str] = set()
    for item in items:
        cell = fold(item)
        for alias, cat in _ALIASES:
            if _SEPARATORS.search(alias):
                cell = cell.replace(alias, cat)
        for part in _SEPARATORS.split(cell):
            name = fold(part)
            if not name:
                continue
            if name not in _LOOKUP:
                raise ValueError(
                    f"Unknown label {_original(item, name)!r}. Valid names: "
                    f"{valid_label_names()}. Separate several labels with ';', ',' or '|'."
                )
            cat = _LOOKUP[name]
            if cat is not None:
                found.add(cat)
    return found
