"""The result types: :class:`Evidence` (why) and :class:`Prediction` (what)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

CLEAN = "clean"


@dataclass(frozen=True)
class Evidence:
    """One reason for a flag, located in the user's original text.

    ``text == original[start:end]`` always holds: offsets index the text the user passed in,
    not the normalised form the rules matched on.
    """

    start: int
    end: int
    text: str
    category: str
    rule: str
    weight: float
    source: str = "rules"

    def to_dict(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end, "text": self.text,
                "category": self.category, "rule": self.rule, "weight": self.weight,
                "source": self.source}


@dataclass
class Prediction:
    """Categories found in one post, with scores, evidence and legal basis.

    ``status`` is ``"ok"`` for a scored post and otherwise says why the post was not scored
    normally (``"empty"``, ``"missing"``, ``"truncated"``, ``"invalid: ..."``); such posts get
    no labels but are never dropped. A model loaded with ``allow_degraded=True`` that runs
    on less than was saved adds what it lacks to every status
    (``"ok; degraded model: linear missing"``). Every label in ``labels`` has at least one item of
    ``evidence`` with a positive weight: a score past its threshold that nothing in the text
    supports is not a flag.
    """

    text: str | None
    labels: list[str]
    scores: dict[str, float]
    evidence: list[Evidence] = field(default_factory=list)
    status: str = "ok"
    components: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        """The highest-scoring flagged category, or ``"clean"``."""
        if not self.labels:
            return CLEAN
        return max(self.labels, key=lambda c: self.scores.get(c, 0.0))

    @property
    def reason(self) -> str:
        """One line saying why: each flagged category's strongest evidence spans and their
        rules (:func:`vnmod.reasons.short_reason`); ``""`` when nothing is flagged."""
        from vnmod.reasons import short_reason

        return short_reason(self)

    @property
    def legal_basis(self) -> dict[str, list[dict[str, Any]]]:
        """Legal references for each flagged category (from the taxonomy)."""
        from vnmod.taxonomy import load_taxonomy

        taxonomy = load_taxonomy()
        return {c: [ref.to_dict() for ref in taxonomy[c].legal_basis] for c in self.labels}

    def to_dict(self, *, legal_basis: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {
            "text": self.text,
            "label": self.label,
            "labels": list(self.labels),
            "scores": {k: round(float(v), 4) for k, v in self.scores.items()},
            "evidence": [e.to_dict() for e in self.evidence],
            "status": self.status,
            "components": list(self.components),
        }
        if legal_basis:
            out["legal_basis"] = self.legal_basis
        return out
