"""Read rule lexicons (TOML files, one per category) into :class:`Rule` objects."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vnmod._resources import list_dir, load_toml_file, read_toml
from vnmod.rules import checked_patterns
from vnmod.taxonomy import CATEGORIES

ASCII_MODES = ("auto", "always", "unaccented", "never")
#: ``{{name}}`` in a pattern, or a whole ``terms`` / ``unless_*`` entry, stands for the named
#: list of a lexicon's ``[lists]`` table (one brand list shared by several rules).
_LIST_REF = re.compile(r"\{\{(\w+)\}\}")
_WORD_LISTS = ("terms", "unless_prev", "unless_next")
KINDS = ("term", "pattern")
_REQUIRED = ("id", "kind", "weight")


@dataclass(frozen=True)
class Rule:
    """One lexicon entry: whole-word terms or a regex, with a weight for its category."""

    id: str
    category: str
    kind: str
    weight: float
    terms: tuple[str, ...] = ()
    pattern: str | None = None
    ascii: str = "auto"
    unless_next: tuple[str, ...] = ()
    unless_prev: tuple[str, ...] = ()
    cue: bool = False
    floor: float = 0.0
    #: Where set, the rule counts only in a post that names a price at or under this many
    #: đồng (a luxury brand at a fraction of its price), and the price is evidence too.
    max_price: float | None = None
    #: Ids of rules of the same category that this (counter-)rule switches off in a post
    #: where it hits: a licensed lender named makes the loan-offer rules say nothing.
    cancels: tuple[str, ...] = ()
    note: str = ""


@dataclass(frozen=True)
class Lexicon:
    """All rules, with each category's logit bias."""

    rules: tuple[Rule, ...]
    bias: dict[str, float]
    #: Per category, the floor of a hit reached only through a teencode or abbreviation
    #: expansion (``vl`` -> ``vãi lồn``): such forms count, with a lower score.
    abbreviated_floor: dict[str, float] = field(default_factory=dict)
    #: Per category, the fewest letters a post needs to be scored for it at all (a post of
    #: punctuation, emoji or two words is not news).
    min_letters: dict[str, int] = field(default_factory=dict)


def _named(lists: dict[str, tuple[str, ...]], name: str, where: str) -> tuple[str, ...]:
    if name not in lists:
        raise ValueError(f"{where}: no list {name!r} in any lexicon's [lists] table "
                         f"(known: {sorted(lists)})")
    return lists[name]


def _expand(raw: dict[str, Any], lists: dict[str, tuple[str, ...]], where: str) -> dict[str, Any]:
    """``raw`` with its ``{{name}}`` references replaced by the named lists' items: in a
    word list, the entry by the items; in a pattern, by an alternation of them (longest
    first, each escaped)."""
    out = dict(raw)
    where = f"{where}: rule {raw.get('id', '?')!r}"
    for key in _WORD_LISTS:
        if key in raw:
            items: list[str] = []
            for item in raw[key]:
                ref = _LIST_REF.fullmatch(item) if isinstance(item, str) else None
                items.extend(_named(lists, ref.group(1), where) if ref else (item,))
            out[key] = items
    if isinstance(raw.get("pattern"), str):
        out["pattern"] = _LIST_REF.sub(
            lambda m: "(?:" + "|".join(re.escape(t) for t in sorted(
                _named(lists, m.group(1), where), key=lambda t: (-len(t), t))) + ")",
            raw["pattern"])
    return out


def _named_lists(docs: list[tuple[dict[str, Any], str]]) -> dict[str, tuple[str, ...]]:
    lists: dict[str, tuple[str, ...]] = {}
    for doc, where in docs:
        for name, items in doc.get("lists", {}).items():
            if name in lists:
                raise ValueError(f"{where}: list {name!r} is defined twice; names are shared "
                                 "by every lexicon file")
            if not isinstance(items, list) or not items \
                    or not all(isinstance(t, str) and t.strip() for t in items):
                raise ValueError(f"{where}: list {name!r} must be a non-empty list of strings")
            lists[name] = tuple(items)
    return lists


def term_entries(docs: list[tuple[dict[str, Any], str]]) -> list[str]:
    """Every entry of the term rules of lexicon ``docs`` (parsed TOML, where it was read),
    named lists expanded."""
    lists = _named_lists(docs)
    out: list[str] = []
    for doc, where in docs:
        for rule in doc.get("rule", []):
            if "terms" in rule:
                out.extend(_expand({"id": rule.get("id"), "terms": rule["terms"]}, lists,
                                   where)["terms"])
    return out


def _rule_from_dict(raw: dict[str, Any], category: str, where: str) -> Rule:
    missing = [k for k in _REQUIRED if k not in raw]
    if missing:
        raise ValueError(f"{where}: rule {raw.get('id', '?')!r} lacks {missing}; every rule "
                         f"needs {list(_REQUIRED)} and `terms` or `pattern`")
    if raw["kind"] not in KINDS:
        raise ValueError(f"{where}: rule {raw['id']!r} has kind {raw['kind']!r}; "
                         f"expected one of {KINDS}")
    mode = raw.get("ascii", "auto")
    if mode not in ASCII_MODES:
        raise ValueError(f"{where}: rule {raw['id']!r} has ascii={mode!r}; "
                         f"expected one of {ASCII_MODES}")
    if raw["kind"] == "term" and not raw.get("terms"):
        raise ValueError(f"{where}: term rule {raw['id']!r} has no `terms`")
    if raw["kind"] == "pattern":
        if not raw.get("pattern"):
            raise ValueError(f"{where}: pattern rule {raw['id']!r} has no `pattern`")
        try:
            re.compile(raw["pattern"])
        except re.error as exc:
            raise ValueError(f"{where}: rule {raw['id']!r} pattern does not compile: {exc}") \
                from exc
        checked_patterns.check(raw["pattern"], where=f"{where}: rule {raw['id']!r}",
                               ascii_variant=mode != "never")
    return Rule(
        id=raw["id"],
        category=category,
        kind=raw["kind"],
        weight=float(raw["weight"]),
        terms=tuple(raw.get("terms", ())),
        pattern=raw.get("pattern"),
        ascii=mode,
        unless_next=tuple(raw.get("unless_next", ())),
        unless_prev=tuple(raw.get("unless_prev", ())),
        cue=bool(raw.get("cue", False)),
        floor=_floor(raw.get("floor", 0.0), f"{where}: rule {raw['id']!r}"),
        max_price=_max_price(raw.get("max_price"), f"{where}: rule {raw['id']!r}"),
        cancels=tuple(raw.get("cancels", ())),
        note=raw.get("note", ""),
    )


def _max_price(value: Any, where: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise ValueError(f"{where}: max_price = {value!r}; expected a positive amount in đồng")
    return float(value)


def _floor(value: Any, where: str) -> float:
    try:
        floor = float(value)
    except (TypeError, ValueError):
        floor = -1.0
    if not 0.0 <= floor < 1.0:
        raise ValueError(f"{where}: floor = {value!r}; expected a score in [0, 1)")
    return floor


def _parse(doc: dict[str, Any], where: str,
           lists: dict[str, tuple[str, ...]]) -> tuple[str, float, list[Rule]]:
    category = doc.get("category")
    if category not in CATEGORIES:
        raise ValueError(f"{where}: category = {category!r}; expected one of {CATEGORIES}")
    rules = [_rule_from_dict(_expand(r, lists, where), category, where)
             for r in doc.get("rule", [])]
    return category, float(doc.get("bias", -4.0)), rules


def lexicon_files(directory: str | Path) -> list[Path]:
    """The lexicon files (``*.toml``) in ``directory``, sorted by name."""
    return sorted(Path(directory).glob("*.toml"))


def load_lexicon(directory: str | Path | None = None) -> Lexicon:
    """Load every ``*.toml`` lexicon in ``directory`` (default: the shipped lexicons)."""
    docs: list[tuple[dict[str, Any], str]] = []
    if directory is None:
        for name in list_dir("lexicons"):
            if name.endswith(".toml"):
                docs.append((read_toml(f"lexicons/{name}"), f"vnmod/resources/lexicons/{name}"))
    else:
        paths = lexicon_files(directory)
        if not paths:
            raise FileNotFoundError(f"no *.toml lexicon files in {directory}")
        for path in paths:
            docs.append((load_toml_file(path), str(path)))
    rules: list[Rule] = []
    bias: dict[str, float] = {c: -4.0 for c in CATEGORIES}
    abbreviated: dict[str, float] = {}
    min_letters: dict[str, int] = {}
    lists = _named_lists(docs)
    for doc, where in docs:
        category, cat_bias, parsed = _parse(doc, where, lists)
        bias[category] = cat_bias
        if "abbreviated_floor" in doc:
            abbreviated[category] = _floor(doc["abbreviated_floor"], where)
        if "min_letters" in doc:
            min_letters[category] = int(doc["min_letters"])
        rules.extend(parsed)
    by_id: dict[str, Rule] = {}
    for rule in rules:
        if rule.id in by_id:
            raise ValueError(f"rule id {rule.id!r} is used twice; ids must be unique")
        by_id[rule.id] = rule
    for rule in rules:
        for target in rule.cancels:
            other = by_id.get(target)
            if other is None or other.category != rule.category or other is rule:
                raise ValueError(f"rule {rule.id!r} cancels {target!r}, which is not another "
                                 f"rule of category {rule.category!r}")
    return Lexicon(tuple(rules), bias, abbreviated, min_letters)
