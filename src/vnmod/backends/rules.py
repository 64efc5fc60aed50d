"""The rule engine as a backend: scores plus the evidence behind them."""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from vnmod.prediction import Evidence
from vnmod.rules import RuleEngine, load_lexicon
from vnmod.rules.lexicon import lexicon_files
from vnmod.taxonomy import CATEGORIES
from vnmod.text.normalize import Normalised

BUILTIN = "builtin"


class RulesBackend:
    """Lexicon rules; always available, and the source of located evidence.

    Parameters
    ----------
    lexicon_dir : str or Path, optional
        A folder of lexicon ``*.toml`` files; the shipped lexicons when omitted.
    """

    name = "rules"

    def __init__(self, *, lexicon_dir: str | Path | None = None) -> None:
        self.lexicon_dir = lexicon_dir
        self.engine = RuleEngine(load_lexicon(lexicon_dir))

    def analyse(self, docs: Sequence[Normalised]) -> tuple[np.ndarray, list[list[Evidence]]]:
        """Scores ``(n, len(CATEGORIES))`` and each post's evidence."""
        scores = np.empty((len(docs), len(CATEGORIES)))
        evidence = []
        for i, doc in enumerate(docs):
            scores[i], counted = self.engine.score(self.engine.hits(doc))
            evidence.append(self.engine.evidence(doc, counted))
        return scores, evidence

    def predict_proba(self, docs: Sequence[Normalised]) -> np.ndarray:
        return self.analyse(docs)[0]

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
