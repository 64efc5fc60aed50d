"""The rule engine as a backend: scores plus the evidence behind them."""

from __future__ import annotations

import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from vnmod.backends.base import Analysis, Backend, register
from vnmod.combine import sigmoid
from vnmod.rules import RuleEngine, load_lexicon
from vnmod.rules.engine import Hit
from vnmod.rules.lexicon import lexicon_files
from vnmod.taxonomy import CATEGORIES
from vnmod.text.normalize import Normalised

BUILTIN = "builtin"
#: The default logit of a rule-family view where the family hit (see RulesBackend). Small, so
#: that a stack's regularisation keeps each family's weight modest: a family fires on few posts.
FAMILY_LOGIT = 0.3


@register("rules", default=True)
class RulesBackend(Backend):
    """Lexicon rules; always available, and the source of located evidence.

    Parameters
    ----------
    lexicon_dir : str or Path, optional
        A folder of lexicon ``*.toml`` files; the shipped lexicons when omitted.
    family_views : sequence of str or mapping of str to list of str, optional
        Categories whose rule families (the second part of a rule id: ``cue`` in
        ``illegal_ads.cue.contact``) each become a view of their own, named
        ``rules.<category>.<family>``: logit ``family_logit`` in the category's column of a
        post where the family's counted rules add up to more than 0, logit 0 (a probability of
        0.5) everywhere else, so that a stack can learn what each family is worth on real posts
        (that a contact beside an item means a sale; that slang fires on ordinary talk). A
        mapping names the families of each category exactly (a saved model's, so its view
        names do not change when the lexicon gains a family).
    family_logit : float, default :data:`FAMILY_LOGIT`
        The logit of a family view where its family hit (saved with the model).
    """

    def __init__(self, *, lexicon_dir: str | Path | None = None,
                 family_views: Sequence[str] | Mapping[str, Sequence[str]] = (),
                 family_logit: float = FAMILY_LOGIT) -> None:
        if isinstance(family_logit, bool) or not (isinstance(family_logit, int | float)
                                                  and 0 < family_logit < 20):
            raise ValueError(f"family_logit must be a number in (0, 20), not {family_logit!r}")
        self.lexicon_dir = lexicon_dir
        self.family_logit = float(family_logit)
        self.family_proba = float(sigmoid(np.float64(self.family_logit)))
        self.engine = RuleEngine(load_lexicon(lexicon_dir))
        if not isinstance(family_views, Mapping):
            family_views = {cat: self._families(cat) for cat in family_views}
        wrong = sorted(set(family_views) - set(CATEGORIES))
        if wrong:
            raise ValueError(f"family_views names {wrong}; categories are {list(CATEGORIES)}")
        self.family_views = {cat: list(fams) for cat, fams in family_views.items()}
        # rule id -> (category, column of its family among the category's family views)
        self._family_of = {rule.id: (rule.category, fams.index(_family(rule)))
                           for rule in self.engine.lexicon.rules
                           if _family(rule) in (fams := self.family_views.get(rule.category, []))}

    def _families(self, category: str) -> list[str]:
        """The families of ``category``'s rules that can add to its score."""
        return sorted({_family(rule) for rule in self.engine.lexicon.rules
                       if rule.category == category and rule.weight > 0})

    @property
    def view_names(self) -> list[str]:
        return [self.name] + [f"{self.name}.{cat}.{fam}"
                              for cat, fams in self.family_views.items() for fam in fams]

    def analyse(self, docs: Sequence[Normalised]) -> Analysis:
        """The view ``{"rules": (n, len(CATEGORIES))}`` (with one view per rule family of
        ``family_views``' categories), each post's evidence, and the bounds
        ``(n, len(CATEGORIES), 2)`` the rules set on the final scores: the floor
        (:meth:`RuleEngine.floors`) and the ceiling (:meth:`RuleEngine.ceilings`: too few
        letters, or a counter-rule that explains the post's words away)."""
        engine = self.engine
        raw, floors, ceilings, evidence = [], [], [], []
        hit = {cat: np.zeros((len(docs), len(fams)), dtype=bool)
               for cat, fams in self.family_views.items()}
        for i, doc in enumerate(docs):
            scores, counted = engine.score(engine.hits(doc))
            raw.append(scores)
            ceilings.append(engine.ceilings(doc, counted))
            floors.append(engine.floors(doc, counted, scores))
            evidence.append(engine.evidence(doc, counted))
            if self.family_views:
                for cat, j in self._family_hits(counted):
                    hit[cat][i, j] = True
        shape = (len(docs), len(CATEGORIES))
        cap = np.array(ceilings).reshape(shape)  # once for every post, not per post
        bounds = np.stack([np.minimum(np.array(floors).reshape(shape), cap), cap], axis=-1)
        scores = np.minimum(np.array(raw).reshape(shape), cap)
        views = {self.name: scores}
        for cat, fams in self.family_views.items():
            k = CATEGORIES.index(cat)
            for j, fam in enumerate(fams):
                view = np.full(shape, 0.5)
                view[hit[cat][:, j], k] = self.family_proba
                views[f"{self.name}.{cat}.{fam}"] = view
        return Analysis(views, evidence, bounds)

    def _family_hits(self, counted: Sequence[Hit]) -> list[tuple[str, int]]:
        """(category, family column) of each family view whose counted rules add up to more
        than 0 (each rule once, as the score counts it)."""
        totals: dict[tuple[str, int], float] = {}
        for rule in {h.rule.id: h.rule for h in counted}.values():
            key = self._family_of.get(rule.id)
            if key is not None:
                totals[key] = totals.get(key, 0.0) + rule.weight
        return [key for key, total in totals.items() if total > 0]

    @property
    def least_floor(self) -> dict[str, float]:
        """Per category, the lowest floor any rule can set: a threshold above it would let a
        floored post go unflagged, so training caps the thresholds there."""
        out: dict[str, float] = {}
        lex = self.engine.lexicon
        for rule in lex.rules:
            if rule.floor > 0:
                floor = min(rule.floor, lex.abbreviated_floor.get(rule.category, rule.floor))
                out[rule.category] = min(out.get(rule.category, 1.0), floor)
        return out

    def predict_proba(self, docs: Sequence[Normalised]) -> np.ndarray:
        return self.analyse(docs).views[self.name]

    def save(self, directory: Path) -> dict[str, Any]:
        extra = {"family_views": self.family_views, "family_logit": self.family_logit} \
            if self.family_views else {}
        if self.lexicon_dir is None:
            return {"lexicons": BUILTIN, **extra}
        directory.mkdir(parents=True, exist_ok=True)
        for path in lexicon_files(self.lexicon_dir):
            shutil.copy2(path, directory / path.name)
        return {"lexicons": ".", **extra}

    @classmethod
    def load(cls, directory: Path, config: dict[str, Any]) -> RulesBackend:
        lexicons = config.get("lexicons", BUILTIN)
        options = {"family_views": config.get("family_views", {}),
                   "family_logit": config.get("family_logit", FAMILY_LOGIT)}
        return cls(**options) if lexicons == BUILTIN else cls(lexicon_dir=directory, **options)


def _family(rule: Any) -> str:
    """A rule's family: the second part of its id (``cue`` in ``illegal_ads.cue.contact``)."""
    return rule.id.split(".")[1]
