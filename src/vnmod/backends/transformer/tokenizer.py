"""The tokenizer of an encoder directory: PhoBERT's fastBPE files or a ``tokenizer.json``.

A directory with ``vocab.txt`` and ``bpe.codes`` (PhoBERT) gets
:class:`~vnmod.backends.transformer.phobert_tokenizer.FastPhobertTokenizer`; one with a
Hugging Face ``tokenizers`` ``tokenizer.json`` (BERT WordPiece, XLM-R SentencePiece...) gets
:class:`JsonTokenizer`. Both encode texts to id arrays (special tokens added, truncated to
``max_length``) and pad batches.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from vnmod.backends.transformer.checkpoint import require
from vnmod.backends.transformer.phobert_tokenizer import (
    MERGES_FILE,
    VOCAB_FILE,
    FastPhobertTokenizer,
    pad_sequences,
)

JSON_FILE = "tokenizer.json"
PAD_TOKENS = ("[PAD]", "<pad>")


class Tokenizer(Protocol):
    """What the backend and the training loop need of a tokenizer."""

    def encode(self, texts: Sequence[str]) -> list[np.ndarray]: ...

    def pad(self, sequences: Sequence[np.ndarray]) -> dict[str, np.ndarray]: ...


class JsonTokenizer:
    """A ``tokenizers`` tokenizer from ``tokenizer.json``; its post-processor adds the special
    tokens (``[CLS] ... [SEP]`` for BERT)."""

    def __init__(self, tokenizer: Any, max_length: int) -> None:
        self._tok = tokenizer
        self.max_length = int(max_length)
        self._tok.no_padding()
        self._tok.enable_truncation(max_length=self.max_length)
        pad = next((t for t in PAD_TOKENS if tokenizer.token_to_id(t) is not None), None)
        if pad is None:
            raise ValueError(f"no padding token ({', '.join(PAD_TOKENS)}) in the vocabulary")
        self.pad_token_id = int(tokenizer.token_to_id(pad))

    @classmethod
    def from_file(cls, path: str | Path, max_length: int) -> JsonTokenizer:
        require("tokenizers")
        import tokenizers as tk

        return cls(tk.Tokenizer.from_file(str(path)), max_length)

    def encode(self, texts: Sequence[str]) -> list[np.ndarray]:
        """Token ids of each text, special tokens added, truncated, no padding."""
        return [np.asarray(e.ids, dtype=np.int64) for e in self._tok.encode_batch(list(texts))]

    def pad(self, sequences: Sequence[np.ndarray]) -> dict[str, np.ndarray]:
        """Pad to the longest sequence: ``input_ids`` and ``attention_mask``."""
        return pad_sequences(sequences, self.pad_token_id)


def load_tokenizer(directory: Path, max_length: int) -> Tokenizer:
    """The tokenizer of ``directory``: PhoBERT's files when present, else ``tokenizer.json``.

    Raises
    ------
    FileNotFoundError
        Neither is there.
    """
    if (directory / VOCAB_FILE).is_file() and (directory / MERGES_FILE).is_file():
        return FastPhobertTokenizer.from_directory(directory, max_length)
    if (directory / JSON_FILE).is_file():
        return JsonTokenizer.from_file(directory / JSON_FILE, max_length)
    raise FileNotFoundError(f"{directory} has no tokenizer: neither {VOCAB_FILE} + "
                            f"{MERGES_FILE} (PhoBERT) nor {JSON_FILE}")
