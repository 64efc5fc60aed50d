"""The contract every backend follows, and the registry of component types.

A backend subclasses :class:`Backend`, implements ``predict_proba``, ``save`` and ``load``,
and is registered under the component ``type`` that model manifests name::

    @register("mine")
    class MyBackend(Backend):
        def predict_proba(self, docs): ...
        def save(self, directory): ...
        @classmethod
        def load(cls, directory, config): ...

Everything else has a default: :meth:`Backend.views` (one view, the backend's name),
:meth:`Backend.analyse` (those views, no evidence, no bounds) and :meth:`Backend.explain`
(no evidence). The classifier calls the same methods on every component.

Types are looked up in the registry; a built-in type not yet imported is imported from
:data:`BUILTIN_MODULES` on first use (so ``import vnmod`` stays fast and optional
dependencies stay optional), then from the ``vnmod.backends`` entry points of installed
packages. A manifest never names an import path.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, ClassVar, NamedTuple, TypeVar

import numpy as np

from vnmod.prediction import Evidence
from vnmod.text.normalize import Normalised

#: Where each built-in component type is registered (imported on first use).
BUILTIN_MODULES: dict[str, str] = {
    "rules": "vnmod.backends.rules",
    "linear": "vnmod.backends.linear",
    "phobert": "vnmod.backends.transformer",
    "transformer": "vnmod.backends.transformer",
}
#: Built-in types every loaded classifier has (they register with ``default=True``).
BUILTIN_DEFAULTS = ("rules",)
ENTRY_POINT_GROUP = "vnmod.backends"
_REGISTRY: dict[str, type[Backend]] = {}
_DEFAULTS: list[str] = []


class NotFittedError(RuntimeError):
    """Raised when a learning backend is used before ``fit``."""


class BackendUnavailable(RuntimeError):
    """A backend cannot be used here (missing optional dependency, missing or corrupt files).

    The classifier catches this one exception to fall back to the remaining components.
    """


class UnknownComponentType(KeyError):
    """No backend is registered under a component type."""


class Analysis(NamedTuple):
    """What one backend says about a batch of posts."""

    views: dict[str, np.ndarray]  #: {view name: (n, len(CATEGORIES)) probabilities}
    evidence: list[list[Evidence]]  #: per post, located evidence
    bounds: np.ndarray | None  #: (n, len(CATEGORIES), 2) floor and ceiling, or None


class Backend:
    """A scorer over normalised posts.

    ``predict_proba`` returns an ``(n, 4)`` float array, columns in ``vnmod.CATEGORIES`` order;
    a column the backend knows nothing about holds ``nan`` (the classifier then ignores it).
    ``save(directory)`` writes data-only files into ``directory`` and returns the JSON-able
    config the manifest stores; ``load(directory, config)`` is its inverse. ``load`` may
    trust the files: :func:`vnmod.modeldir.verify_model` has checked every checksum.
    """

    #: The component type (set by :func:`register`); also the name of its view and folder.
    name: ClassVar[str] = ""

    @property
    def view_names(self) -> list[str]:
        """Names of the probability views :meth:`views` returns."""
        return [self.name]

    def predict_proba(self, docs: Sequence[Normalised]) -> np.ndarray:
        raise NotImplementedError

    def views(self, docs: Sequence[Normalised]) -> dict[str, np.ndarray]:
        """``{view name: (n, 4)}``; by default the one view ``{name: predict_proba(docs)}``."""
        return {self.name: self.predict_proba(docs)}

    def analyse(self, docs: Sequence[Normalised]) -> Analysis:
        """The views, each post's evidence and the bounds on the final scores; by default
        :meth:`views` with no evidence and no bounds."""
        return Analysis(self.views(docs), [[] for _ in docs], None)

    def explain(self, docs: Sequence[Normalised], categories: Sequence[Sequence[str]]
                ) -> list[list[Evidence]]:
        """Evidence for each post's flagged ``categories``; by default none."""
        return [[] for _ in docs]

    def save(self, directory: Path) -> dict[str, Any]:
        raise NotImplementedError

    @classmethod
    def load(cls, directory: Path, config: dict[str, Any]) -> Backend:
        raise NotImplementedError


B = TypeVar("B", bound=type[Backend])


def register(name: str, *, default: bool = False) -> Callable[[B], B]:
    """Class decorator: register a backend as component type ``name`` (and set its
    ``name``). ``default=True``: every loaded classifier has one (built with no arguments
    when the manifest lists none), as the rules."""

    def decorate(cls: B) -> B:
        cls.name = name
        _REGISTRY[name] = cls
        if default and name not in _DEFAULTS:
            _DEFAULTS.append(name)
        return cls

    return decorate


def component_class(kind: str) -> type[Backend]:
    """The backend class registered as component type ``kind``.

    Raises
    ------
    UnknownComponentType
        Nothing registers ``kind``.
    """
    if kind not in _REGISTRY and kind in BUILTIN_MODULES:
        importlib.import_module(BUILTIN_MODULES[kind])
    if kind not in _REGISTRY:
        from importlib.metadata import entry_points

        for point in entry_points(group=ENTRY_POINT_GROUP, name=kind):
            point.load()
    if kind not in _REGISTRY:
        raise UnknownComponentType(kind)
    return _REGISTRY[kind]


def known_types() -> list[str]:
    """Every component type registered or built in."""
    return sorted({*_REGISTRY, *BUILTIN_MODULES})


def default_types() -> list[str]:
    """The component types every loaded classifier has (the rules)."""
    for kind in BUILTIN_DEFAULTS:
        component_class(kind)  # imported, so registered
    return list(_DEFAULTS)
