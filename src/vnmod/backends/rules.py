"""The rule engine as a backend: scores plus the evidence behind them."""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from vnmod.backends.base import Analysis, Backend, register
from vnmod.rules import RuleEngine, load_lexicon
from vnmod.rules.lexicon import lexicon_files
from vnmod.taxonomy import CATEGORIES
from vnmod.text.normalize import Normalised

BUILTIN = "builtin"


@register("rules", default=True)
class RulesBackend(Backend):
    """Lexicon rules; always available, and the source of located evidence.

    Parameters
    ----------
    lexicon_dir : str or Path, optional
        A folder of lexicon ``*.toml`` files; the shipped lexicons when omitted.
    """

    def __init__(self, *, lexicon_dir: str | Path | None = None) -> None:
        self.lexicon_dir = lexicon_dir
        self.engine = RuleEngine(load_lexicon(lexicon_dir))

    def analyse(self, docs: Sequence[Normalised]) -> Analysis:
        """The view ``{"rules": (n, len(CATEGORIES))}``, each post's evidence, and the bounds
        ``(n, len(CATEGORIES), 2)`` the rules set on the final scores: the floor
        (:meth:`RuleEngine.floors`) and the ceiling (:meth:`RuleEngine.ceilings`: too few
        letters, or a counter-rule that explains the post's words away)."""
        engine = self.engine
        raw, floors, ceilings, evidence = [], [], [], []
        for doc in docs:
            scores, counted = engine.score(engine.hits(doc))
            raw.append(scores)
            ceilings.append(engine.ceilings(doc, counted))
            floors.append(engine.floors(doc, counted, scores))
            evidence.append(engine.evidence(doc, counted))
        shape = (len(docs), len(CATEGORIES))
        cap = np.array(ceilings).reshape(shape)  # once for every post, not per post
        bounds = np.stack([np.minimum(np.array(floors).reshape(shape), cap), cap], axis=-1)
        scores = np.minimum(np.array(raw).reshape(shape), cap)
        return Analysis({self.name: scores}, evidence, bounds)

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
        if self.lexicon_dir is None:
            return {"lexicons": BUILTIN}
        directory.mkdir(parents=True, exist_ok=True)
        for path in lexicon_files(self.lexicon_dir):
            shutil.copy2(path, directory / path.name)
        return {"lexicons": "."}

    @classmethod
    def load(cls, directory: Path, config: dict[str, Any]) -> RulesBackend:
        lexicons = config.get("lexicons", BUILTIN)
        return cls() if lexicons == BUILTIN else cls(lexicon_dir=directory)
