"""vnmod: explainable moderation of Vietnamese social-media posts.

>>> import vnmod
>>> vnmod.CATEGORIES
('insult', 'offensive', 'fake_news', 'illegal_ads')
>>> p = vnmod.classify("Nhận làm bằng đại học giả, bao công chứng, lh zalo 0912xxx888")
>>> p.label
'illegal_ads'

Many posts at once (several times faster than one call per post, e.g. ``.apply``):
``clf = vnmod.load(); clf.predict(df["text"])`` (a list of predictions) or
``clf.predict_frame(df, text_column="text")`` (a DataFrame of labels, scores, reasons).
A scikit-learn estimator that trains: :class:`vnmod.sklearn.VnmodClassifier`.

The legal basis in force on a post's date (laws change: Luật An ninh mạng 116/2025/QH15 and
Nghị định 174/2026/NĐ-CP from 2026-07-01): ``vnmod.legal_basis("fake_news", "2026-06-30")``,
a tuple of :class:`vnmod.taxonomy.LegalReference` (today's when the date is omitted).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from functools import lru_cache

from vnmod import _compiled

_compiled.prefer_changed_sources()  # before any compiled module is imported

from vnmod.classifier import Classifier  # noqa: E402
from vnmod.prediction import Evidence, Prediction  # noqa: E402
from vnmod.taxonomy import CATEGORIES, legal_basis  # noqa: E402
from vnmod.text.normalize import normalise  # noqa: E402

__version__ = "0.1.0"

__all__ = ["CATEGORIES", "Classifier", "Evidence", "Prediction", "classify", "legal_basis",
           "load", "normalise"]


def load(name_or_path: str | os.PathLike | None = None, *,
         allow_degraded: bool = False) -> Classifier:
    """Load a model: the shipped default when called without arguments, else a model
    directory (a str or path) or the name of a shipped model. Works offline. Load once and
    reuse the :class:`Classifier`; give it many posts per call (``predict(list)``,
    ``predict_frame(df, text_column=...)``).

    A model whose files differ from its manifest, or with a part that cannot load here, is
    refused (:class:`vnmod.modeldir.ModelDirError`) unless ``allow_degraded=True``: then it
    runs on the parts that verify, and every prediction's status says so."""
    return Classifier.load(name_or_path, allow_degraded=allow_degraded)


@lru_cache(maxsize=4)
def _cached(name: str | None) -> Classifier:
    return load(name)


def classify(texts: str | Iterable[str], model: str | None = None, *,
             text_column: str | None = None) -> Prediction | list[Prediction]:
    """Classify with a cached model: one :class:`Prediction` for a str, else a list.

    Pass all your posts in one call, not one post per call: ``vnmod.classify(df["text"])``
    (or ``vnmod.load().predict_frame(df, text_column="text")`` for a DataFrame of labels,
    scores and reasons) is several times faster than ``df["text"].apply(vnmod.classify)``.
    ``texts`` and ``text_column`` are as for :meth:`Classifier.predict`.
    """
    return _cached(model).predict(texts, text_column=text_column)
