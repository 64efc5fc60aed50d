"""The four categories of the directive, their Vietnamese names and legal basis.

The data live in ``resources/taxonomy.toml``; this module only reads them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import cache
from typing import Any

from vnmod._resources import read_toml

CATEGORIES: tuple[str, ...] = ("insult", "offensive", "fake_news", "illegal_ads")


@dataclass(frozen=True)
class LegalReference:
    """One provision that makes a category unlawful, and how sure we are of the citation."""

    instrument: str
    article: str
    summary: str
    effective: str
    status: str
    verify: bool

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def __str__(self) -> str:
        flag = " [cần kiểm tra / to verify]" if self.verify else ""
        return f"{self.article}, {self.instrument} (hiệu lực {self.effective}; {self.status}){flag}"


@dataclass(frozen=True)
class Category:
    """A category of violating content."""

    key: str
    name_vi: str
    description: str
    description_vi: str
    legal_basis: tuple[LegalReference, ...]


@cache
def load_taxonomy() -> dict[str, Category]:
    """The categories by key, in ``CATEGORIES`` order.

    >>> load_taxonomy()["insult"].name_vi
    'Xúc phạm danh dự, nhân phẩm'
    """
    data = read_toml("taxonomy.toml")
    instruments = data["instrument"]
    out: dict[str, Category] = {}
    for cat in data["category"]:
        refs = []
        for ref in cat["legal_basis"]:
            inst = instruments[ref["instrument"]]
            refs.append(LegalReference(inst["title"], ref["article"], ref["summary"],
                                       inst["effective"], inst["status"], bool(ref["verify"])))
        out[cat["key"]] = Category(cat["key"], cat["name_vi"], cat["description"],
                                   cat["description_vi"], tuple(refs))
    if tuple(out) != CATEGORIES:
        raise RuntimeError(f"taxonomy.toml lists {tuple(out)}, expected {CATEGORIES}")
    return out


def directive() -> str:
    """The directive vnmod's categories come from."""
    return read_toml("taxonomy.toml")["directive"]
