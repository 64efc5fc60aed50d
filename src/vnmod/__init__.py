"""vnmod: explainable moderation of Vietnamese social-media posts.

>>> import vnmod
>>> vnmod.CATEGORIES
('insult', 'offensive', 'fake_news', 'illegal_ads')
>>> p = vnmod.classify("Nhận làm bằng đại học giả, bao công chứng, lh zalo 0912xxx888")
>>> p.label
'illegal_ads'
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from functools import lru_cache

from vnmod.classifier import Classifier
from vnmod.prediction import Evidence, Prediction
from vnmod.taxonomy import CATEGORIES
from vnmod.text.normalize import normalise

__version__ = "0.1.0"

__all__ = ["CATEGORIES", "Classifier", "Evidence", "Prediction", "classify", "load",
           "normalise"]


def load(name_or_path: str | os.PathLike | None = None, *,
         allow_degraded: bool = False) -> Classifier:
    """Load a model: the shipped default when called without arguments, else a model
    directory (or the name of a shipped model). Works offline.

    A model whose files differ from its manifest, or with a part that cannot load here, is
    refused (:class:`vnmod.modeldir.ModelDirError`) unless ``allow_degraded=True``: then it
    runs on the parts that verify, and every prediction's status says so."""
    return Classifier.load(name_or_path, allow_degraded=allow_degraded)


@lru_cache(maxsize=4)
def _cached(name: str | None) -> Classifier:
    return load(name)


def classify(texts: str | Iterable[str], model: str | None = None
             ) -> Prediction | list[Prediction]:
    """Classify with a cached model: one :class:`Prediction` for a str, else a list."""
    return _cached(model).predict(texts)
