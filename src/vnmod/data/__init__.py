"""Corpus loaders: public corpora, the project's labelled data, and users' own files.

Everything returns one frame shape: ``text`` (str); ``insult``, ``offensive``, ``fake_news``,
``illegal_ads`` (int 0/1); ``source``; ``split`` (train/dev/test); optionally ``group``; then
source-specific extras. Needs the ``data`` extra (``pip install vnmod[data]``); pandas is imported
only when a function is called.

Public corpora are read in place from ``$VNMOD_DATA_DIR`` (default ``../shared/data``).
"""

from vnmod.data._common import (
    CATEGORIES,
    DATA_ENV,
    LABELLED_ENV,
    label_matrix,
    resolve_data_dir,
    split_for_group,
    text_key,
)
from vnmod.data.corpora import CORPORA, CorpusSpec, load_corpus
from vnmod.data.dedup import near_copies_between_splits, near_duplicates
from vnmod.data.hf import from_dataset, to_dataset
from vnmod.data.labels import LABEL_NAMES, parse_labels
from vnmod.data.training import DEFAULT_SOURCES, load_training_frame
from vnmod.data.userfiles import load_labelled

__all__ = [
    "CATEGORIES",
    "CORPORA",
    "DATA_ENV",
    "DEFAULT_SOURCES",
    "LABELLED_ENV",
    "LABEL_NAMES",
    "CorpusSpec",
    "from_dataset",
    "label_matrix",
    "load_corpus",
    "load_labelled",
    "load_training_frame",
    "near_copies_between_splits",
    "near_duplicates",
    "parse_labels",
    "resolve_data_dir",
    "split_for_group",
    "text_key",
    "to_dataset",
]
