"""The four categories of the directive, their Vietnamese names and dated legal basis.

The data live in ``resources/taxonomy.toml`` (checked on load); this module only reads them.
Every citation says when it applies (``in_force_from``, ``in_force_until``);
:func:`legal_basis` gives the citations in force on a post's date.

>>> [r.article for r in legal_basis("fake_news", "2026-06-30")][:2]
['Điều 16 khoản 5', 'Điều 101 khoản 1 điểm a, điểm d']
>>> [r.article for r in legal_basis("fake_news", "2026-07-01")][:2]
['Điều 7 khoản 1 điểm d', 'Điều 95 khoản 1 điểm a']
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache
from typing import Any

from vnmod._resources import read_toml

CATEGORIES: tuple[str, ...] = ("insult", "offensive", "fake_news", "illegal_ads")

_CITATION_KEYS = {"instrument", "article", "summary", "in_force_from", "in_force_until",
                  "verify", "verify_note"}
_INSTRUMENT_KEYS = {"number", "title", "in_force_from", "in_force_until", "note", "read_in"}


class TaxonomyError(ValueError):
    """``taxonomy.toml`` is malformed: a citation without dates, an unknown instrument..."""


def as_date(value: dt.date | str | None) -> dt.date:
    """A calendar day from a ``date``, a ``datetime`` (its own date), an ISO string
    (``"2026-07-01"``, or a full ISO timestamp), or None (today in Vietnam).

    >>> as_date("2026-07-01")
    datetime.date(2026, 7, 1)
    """
    if value is None:
        from vnmod.dates import today

        return today()  # in Vietnam, where the laws take effect
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str):
        raise TypeError(f"expected a date, a datetime or an ISO date string (YYYY-MM-DD), "
                        f"got {type(value).__name__} {value!r}")
    text = value.strip()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        pass
    try:
        return dt.datetime.fromisoformat(text).date()
    except ValueError:
        raise ValueError(f"not a valid date: {value!r} (expected YYYY-MM-DD, e.g. "
                         f"2026-07-01)") from None


def _vn_date(day: dt.date) -> str:
    return day.strftime("%d/%m/%Y")


@dataclass(frozen=True)
class LegalReference:
    """One provision that makes a category unlawful, when it applies, and how sure we are.

    ``instrument`` is the instrument's number and full title; ``in_force_until`` is None
    while the provision is in force (both dates are days included). ``verify`` marks a
    citation to check against the official text before quoting it (why: ``verify_note``).
    """

    instrument_key: str
    number: str
    instrument: str
    article: str
    summary: str
    in_force_from: dt.date
    in_force_until: dt.date | None
    verify: bool
    verify_note: str | None
    source: str | None

    def in_force_on(self, day: dt.date | str | None = None) -> bool:
        """Whether the provision applies on ``day`` (see :func:`as_date`; None: today)."""
        d = as_date(day)
        return self.in_force_from <= d and (self.in_force_until is None
                                            or d <= self.in_force_until)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: dates as ISO strings, ``in_force_until`` None while in force."""
        return {
            "instrument_key": self.instrument_key,
            "number": self.number,
            "instrument": self.instrument,
            "article": self.article,
            "summary": self.summary,
            "in_force_from": self.in_force_from.isoformat(),
            "in_force_until": self.in_force_until.isoformat() if self.in_force_until else None,
            "verify": self.verify,
            "verify_note": self.verify_note,
            "source": self.source,
        }

    @property
    def period_vi(self) -> str:
        """When it applies, in Vietnamese: 'hiệu lực từ 01/07/2026 (đến hết 30/06/2026)'."""
        text = f"hiệu lực từ {_vn_date(self.in_force_from)}"
        if self.in_force_until is not None:
            text += f" đến hết {_vn_date(self.in_force_until)}"
        return text

    def __str__(self) -> str:
        flag = " [cần kiểm tra]" if self.verify else ""
        return f"{self.article}, {self.instrument} ({self.period_vi}){flag}"


@dataclass(frozen=True)
class Category:
    """A category of violating content. ``legal_basis`` holds every citation, current and
    past; :func:`legal_basis` picks those in force on a date."""

    key: str
    name_vi: str
    description: str
    description_vi: str
    legal_basis: tuple[LegalReference, ...]

    def legal_basis_on(self, day: dt.date | str | None = None) -> tuple[LegalReference, ...]:
        """The citations in force on ``day`` (None: today)."""
        d = as_date(day)
        return tuple(r for r in self.legal_basis if r.in_force_on(d))


def _toml_date(value: Any, where: str, name: str) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise TaxonomyError(f"{where}: {name} must be a date (YYYY-MM-DD), got {value!r}")


def _period(raw: dict[str, Any], where: str) -> tuple[dt.date, dt.date | None]:
    if "in_force_from" not in raw:
        raise TaxonomyError(f"{where}: in_force_from is missing")
    start = _toml_date(raw["in_force_from"], where, "in_force_from")
    end = raw.get("in_force_until")
    end = None if end in (None, "") else _toml_date(end, where, "in_force_until")
    if end is not None and end < start:
        raise TaxonomyError(f"{where}: in_force_from {start} is after in_force_until {end}")
    return start, end


def _text(raw: dict[str, Any], key: str, where: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value.strip():
        raise TaxonomyError(f"{where}: {key} must be a non-empty string, got {value!r}")
    return value


def parse_taxonomy(data: dict[str, Any], source: str = "taxonomy.toml") -> dict[str, Category]:
    """Check the parsed TOML and build the categories, in ``CATEGORIES`` order.

    Raises :class:`TaxonomyError` naming the category, citation and field at fault.
    """
    instruments = data.get("instrument")
    if not isinstance(instruments, dict) or not instruments:
        raise TaxonomyError(f"{source}: no [instrument.*] tables")
    periods: dict[str, tuple[dt.date, dt.date | None]] = {}
    for key, inst in instruments.items():
        where = f"{source}: instrument {key!r}"
        if unknown := set(inst) - _INSTRUMENT_KEYS:
            raise TaxonomyError(f"{where}: unknown keys {sorted(unknown)}")
        _text(inst, "title", where)
        _text(inst, "number", where)
        periods[key] = _period(inst, where)

    out: dict[str, Category] = {}
    for cat in data.get("category", []):
        key = cat.get("key")
        where_cat = f"{source}: category {key!r}"
        refs = []
        for i, ref in enumerate(cat.get("legal_basis") or []):
            where = f"{where_cat}, legal_basis[{i}] ({ref.get('article', '?')})"
            if unknown := set(ref) - _CITATION_KEYS:
                raise TaxonomyError(f"{where}: unknown keys {sorted(unknown)}")
            inst_key = ref.get("instrument")
            if inst_key not in instruments:
                raise TaxonomyError(f"{where}: unknown instrument {inst_key!r}; known: "
                                    f"{sorted(instruments)}")
            start, end = _period(ref, where)
            i_start, i_end = periods[inst_key]
            if start < i_start or (i_end is not None and (end is None or end > i_end)):
                raise TaxonomyError(f"{where}: in force {start}..{end or 'now'} outside its "
                                    f"instrument's {i_start}..{i_end or 'now'}")
            if not isinstance(ref.get("verify"), bool):
                raise TaxonomyError(f"{where}: verify must be true or false")
            note = ref.get("verify_note")
            if ref["verify"]:
                note = _text(ref, "verify_note", where + " (verify = true)")
            inst = instruments[inst_key]
            refs.append(LegalReference(
                inst_key, inst["number"], inst["title"], _text(ref, "article", where),
                _text(ref, "summary", where), start, end, ref["verify"], note or None,
                inst.get("read_in")))
        if not refs:
            raise TaxonomyError(f"{where_cat}: no legal_basis")
        out[key] = Category(key, _text(cat, "name_vi", where_cat),
                            _text(cat, "description", where_cat),
                            _text(cat, "description_vi", where_cat), tuple(refs))
    if tuple(out) != CATEGORIES:
        raise TaxonomyError(f"{source} lists {tuple(out)}, expected {CATEGORIES}")
    return out


@cache
def load_taxonomy() -> dict[str, Category]:
    """The categories by key, in ``CATEGORIES`` order (checked on load).

    >>> load_taxonomy()["insult"].name_vi
    'Xúc phạm danh dự, nhân phẩm'
    """
    return parse_taxonomy(read_toml("taxonomy.toml"))


def legal_basis(category: str | Category,
                as_of: dt.date | str | None = None) -> tuple[LegalReference, ...]:
    """The citations for ``category`` in force on ``as_of``: the post's date as a ``date``,
    ``datetime`` or ISO string (``"2026-07-01"``); None means today.

    Raises ValueError for an unknown category or a date that cannot be read.

    >>> [r.number for r in legal_basis("insult", "2026-07-01")][:2]
    ['116/2025/QH15', '116/2025/QH15']
    """
    day = as_date(as_of)
    key = category.key if isinstance(category, Category) else category
    taxonomy = load_taxonomy()
    if key not in taxonomy:
        raise ValueError(f"unknown category {key!r}; categories are {list(CATEGORIES)}")
    return taxonomy[key].legal_basis_on(day)


def directive() -> str:
    """The directive vnmod's categories come from."""
    return read_toml("taxonomy.toml")["directive"]
