"""The contract every backend follows."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from vnmod.text.normalize import Normalised


class NotFittedError(RuntimeError):
    """Raised when a learning backend is used before ``fit``."""


@runtime_checkable
class Backend(Protocol):
    """A scorer over normalised posts.

    ``predict_proba`` returns an ``(n, 4)`` float array, columns in ``vnmod.CATEGORIES`` order;
    a column the backend knows nothing about holds ``nan`` (the classifier then ignores it).
    ``save(directory)`` writes data-only files into ``directory`` and returns the JSON-able
    config the manifest stores; ``load(directory, config)`` is its inverse.
    """

    name: str

    def predict_proba(self, docs: Sequence[Normalised]) -> np.ndarray: ...

    def save(self, directory: Path) -> dict[str, Any]: ...

    @classmethod
    def load(cls, directory: Path, config: dict[str, Any]) -> Backend: ...


class BackendUnavailable(RuntimeError):
    """A backend cannot be used here (missing optional dependency, missing or corrupt files).

    The classifier catches this one exception to fall back to the remaining components.
    """
