"""The result types: :class:`Evidence` (why) and :class:`Prediction` (what)."""

from __future__ import annotations

import hashlib
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
    #: The model that made it: ``name@`` and the first 12 hex digits of the SHA-256 of its
    #: manifest (which lists every file's checksum), e.g. ``vnmod-base@3f2a9c01b7de``.
    model: str | None = None

    @property
    def text_sha256(self) -> str | None:
        """SHA-256 (hex) of the exact text scored, as UTF-8: ties a flag to its text."""
        return text_sha256(self.text)

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
        """Legal references in force today for each flagged category (from the taxonomy);
        :meth:`legal_basis_on` gives those of another day, such as the post's own."""
        return self.legal_basis_on(None)

    def legal_basis_on(self, day: Any = None) -> dict[str, list[dict[str, Any]]]:
        """Legal references in force on ``day`` (a date or ISO string; None: today) for each
        flagged category."""
        from vnmod.taxonomy import legal_basis

        return {c: [ref.to_dict() for ref in legal_basis(c, day)] for c in self.labels}

    def to_dict(self, *, legal_basis: bool = True, as_of: Any = None) -> dict[str, Any]:
        """A JSON-ready dict; ``legal_basis`` adds the references in force on ``as_of``
        (None: today)."""
        out: dict[str, Any] = {
            "text": self.text,
            "text_sha256": self.text_sha256,
            "model": self.model,
            "label": self.label,
            "labels": list(self.labels),
            "scores": {k: round(float(v), 4) for k, v in self.scores.items()},
            "evidence": [e.to_dict() for e in self.evidence],
            "status": self.status,
            "components": list(self.components),
        }
        if legal_basis:
            out["legal_basis"] = self.legal_basis_on(as_of)
        return out


def text_sha256(text: str | None) -> str | None:
    """SHA-256 (hex) of ``text`` as UTF-8 (lone surrogates escaped); None for no text."""
    if not isinstance(text, str):
        return None
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
