"""A fast PhoBERT tokenizer: PhoBERT's fastBPE files as a ``tokenizers`` BPE with the same ids.

``transformers`` only ships the pure-Python ``PhobertTokenizer``. This module converts its two
files, ``vocab.txt`` (fairseq dictionary, ``@@`` marks a piece that continues the word) and
``bpe.codes`` (fastBPE merges, ``</w>`` marks the end of a word), into a Rust ``tokenizers``
BPE whose ids are identical to ``PhobertTokenizer``'s:

* ids ``<s>``=0, ``<pad>``=1, ``</s>``=2, ``<unk>``=3, then ``vocab.txt`` order, then ``<mask>``;
* a piece ``x@@`` of ``vocab.txt`` is the symbol ``x`` of the BPE, a final piece ``x`` is
  ``x</w>``;
* ``PhobertTokenizer`` applies every merge of ``bpe.codes`` even when the result is not in
  ``vocab.txt`` (it then maps the piece to ``<unk>``), while ``tokenizers`` needs every merge
  result in its vocabulary. Such symbols get internal ids past the PhoBERT vocabulary and
  :attr:`FastPhobertTokenizer.id_map` maps them back (to ``<unk>`` in practice), so the ids the
  model sees are PhoBERT's;
* words are split the way ``PhobertTokenizer`` splits them (``re.findall(r"\\S+\\n?")``, Python's
  own definition of white space), special tokens written in the text are kept whole, and the
  RoBERTa template ``<s> ... </s>`` is added after truncation to ``max_length``.

PhoBERT expects word-segmented input (``Bộ Y_tế xác_nhận``): :func:`segment_for_phobert`
segments with underthesea and keeps vnmod's placeholders (``<url>`` ...) whole.
"""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Iterable, Sequence
from itertools import chain
from pathlib import Path
from typing import Any

import numpy as np

from vnmod.backends.transformer.checkpoint import require
from vnmod.modeldir import sha256

VOCAB_FILE = "vocab.txt"
MERGES_FILE = "bpe.codes"
FAST_FILE = "vnmod_tokenizer.json"
FORMAT = "vnmod-phobert-tokenizer/1"
BOS, PAD, EOS, UNK, MASK = "<s>", "<pad>", "</s>", "<unk>", "<mask>"
BOS_ID, PAD_ID, EOS_ID, UNK_ID = 0, 1, 2, 3
SUFFIX = "</w>"
PLACEHOLDERS = ("<url>", "<email>", "<phone>", "<money>")
SEGMENTATION = {
    "tool": "underthesea.word_tokenize",
    "function": "vnmod.backends.transformer.phobert_tokenizer.segment_for_phobert",
    "joiner": "_",
    "placeholders_kept": list(PLACEHOLDERS),
}

# Python's str.isspace() characters: PhobertTokenizer splits words with re's \S, which differs
# from Unicode White_Space (the Rust regex's \s) on U+001C..U+001F. Tested against isspace().
PY_WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
    "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)


class UnsegmentedInputWarning(UserWarning):
    """Text given to the PhoBERT tokenizer looks like it was not word-segmented."""


def read_vocab(vocab_file: str | Path) -> dict[str, int]:
    """Read ``vocab.txt`` exactly as ``PhobertTokenizer`` does (token to id)."""
    encoder = {BOS: BOS_ID, PAD: PAD_ID, EOS: EOS_ID, UNK: UNK_ID}
    with open(vocab_file, encoding="utf-8") as handle:
        for number, raw in enumerate(handle.readlines(), 1):
            line = raw.strip()
            idx = line.rfind(" ")
            if idx == -1:
                raise ValueError(f"{vocab_file}:{number}: expected '<token> <count>'")
            encoder[line[:idx]] = len(encoder)
    return encoder


def read_merges(merges_file: str | Path) -> list[tuple[str, str]]:
    """Read ``bpe.codes`` exactly as ``PhobertTokenizer`` does; pairs in rank order."""
    with open(merges_file, encoding="utf-8") as handle:
        lines = handle.read().split("\n")[:-1]
    ranks: dict[tuple[str, ...], int] = {}
    for rank, line in enumerate(lines):
        ranks[tuple(line.split()[:-1])] = rank
    pairs = [(pair, rank) for pair, rank in ranks.items() if len(pair) == 2]
    pairs.sort(key=lambda item: item[1])
    return [(a, b) for (a, b), _ in pairs]


def _symbol(piece: str) -> str:
    """PhoBERT vocabulary entry -> BPE symbol (``ab@@`` -> ``ab``; ``ab`` -> ``ab</w>``)."""
    if piece.endswith("@@") and len(piece) > 2:
        return piece[:-2]
    return piece + SUFFIX


def _piece(symbol: str) -> str:
    """BPE symbol -> the string PhobertTokenizer looks up in its vocabulary."""
    return symbol[: -len(SUFFIX)] if symbol.endswith(SUFFIX) else symbol + "@@"


def build_tokenizer(
    vocab_file: str | Path, merges_file: str | Path, max_length: int = 256
) -> tuple[Any, np.ndarray]:
    """Convert PhoBERT's files into a ``tokenizers.Tokenizer`` and its id map.

    Returns
    -------
    tokenizer : tokenizers.Tokenizer
        BPE with PhoBERT's pre-tokenisation, template and truncation (no padding).
    id_map : numpy.ndarray of int64
        ``id_map[i]`` is the PhoBERT id of the tokenizer's internal id ``i``.
    """
    require("tokenizers")
    import tokenizers as tk

    encoder = read_vocab(vocab_file)
    merges = read_merges(merges_file)
    specials = {BOS: BOS_ID, PAD: PAD_ID, EOS: EOS_ID, UNK: UNK_ID}
    mask_id = encoder.get(MASK, len(encoder))
    specials[MASK] = mask_id
    # internal id = PhoBERT id wherever possible; anything else (merge results missing from
    # vocab.txt, duplicate vocab lines) gets a fresh id past the vocabulary and an id_map entry
    vocab: dict[str, int] = dict(specials)
    used = set(specials.values())
    pending: list[str] = []
    for piece, idx in encoder.items():
        if piece in specials:
            continue
        symbol = _symbol(piece)
        if symbol in vocab:
            continue
        if idx in used:
            pending.append(symbol)
        else:
            vocab[symbol] = idx
            used.add(idx)
    pending += [s for a, b in merges for s in (a, b, a + b)]
    base = max(used) + 1
    id_map = list(range(base))
    for symbol, idx in vocab.items():
        if symbol not in specials:
            id_map[idx] = encoder.get(_piece(symbol), UNK_ID)
    for symbol in pending:
        if symbol not in vocab:
            vocab[symbol] = len(id_map)
            id_map.append(encoder.get(_piece(symbol), UNK_ID))

    model = tk.models.BPE(
        vocab=vocab, merges=merges, unk_token=UNK, end_of_word_suffix=SUFFIX, fuse_unk=False
    )
    tok = tk.Tokenizer(model)
    word = f"[^{re.escape(PY_WHITESPACE)}]+\n?"
    tok.pre_tokenizer = tk.pre_tokenizers.Split(
        tk.Regex(word), behavior="removed", invert=True
    )
    tok.add_special_tokens([tk.AddedToken(t, special=True, normalized=False) for t in specials])
    tok.post_processor = tk.processors.TemplateProcessing(
        single=f"{BOS} $A {EOS}",
        pair=f"{BOS} $A {EOS} {EOS} $B {EOS}",
        special_tokens=[(BOS, BOS_ID), (EOS, EOS_ID)],
    )
    tok.decoder = tk.decoders.BPEDecoder(suffix=SUFFIX)
    tok.enable_truncation(max_length=max_length)
    return tok, np.asarray(id_map, dtype=np.int64)


def looks_unsegmented(texts: Sequence[str], min_words: int = 6, sample: int = 200) -> bool:
    """Heuristic: most texts of at least ``min_words`` words contain no ``_`` at all.

    Segmented Vietnamese almost always joins some syllables (``xác_nhận``); raw text never
    does. Only the first ``sample`` texts are looked at.
    """
    long = [t for t in texts[:sample] if len(t.split()) >= min_words]
    if len(long) < 3:
        return False
    plain = sum("_" not in t for t in long)
    return plain / len(long) > 0.9


class FastPhobertTokenizer:
    """PhoBERT's BPE in Rust, ids identical to ``transformers.PhobertTokenizer``.

    Parameters
    ----------
    tokenizer : tokenizers.Tokenizer
        From :func:`build_tokenizer`.
    id_map : numpy.ndarray
        Internal id -> PhoBERT id.
    max_length : int
        Longest encoding, ``<s>`` and ``</s>`` included (PhoBERT: 256, not 258).
    """

    pad_token_id = PAD_ID

    def __init__(self, tokenizer: Any, id_map: np.ndarray, max_length: int = 256) -> None:
        self._tok = tokenizer
        self.id_map = np.asarray(id_map, dtype=np.int64)
        self._identity = bool((self.id_map == np.arange(len(self.id_map))).all())
        self.max_length = int(max_length)
        self._tok.enable_truncation(max_length=self.max_length)
        self._warned = False

    @classmethod
    def from_files(
        cls, vocab_file: str | Path, merges_file: str | Path, max_length: int = 256
    ) -> FastPhobertTokenizer:
        """Build from ``vocab.txt`` and ``bpe.codes`` (about a second for PhoBERT's 64k)."""
        tok, id_map = build_tokenizer(vocab_file, merges_file, max_length)
        return cls(tok, id_map, max_length)

    @classmethod
    def from_directory(cls, directory: str | Path, max_length: int = 256) -> FastPhobertTokenizer:
        """Load ``vnmod_tokenizer.json`` if it matches the directory's files, else build."""
        directory = Path(directory)
        vocab, merges = directory / VOCAB_FILE, directory / MERGES_FILE
        for path in (vocab, merges):
            if not path.is_file():
                raise FileNotFoundError(f"{path} is missing (PhoBERT tokenizer files)")
        saved = directory / FAST_FILE
        if saved.is_file():
            try:
                data = json.loads(saved.read_text(encoding="utf-8"))
                if data.get("format") == FORMAT and data.get("source") == {
                    VOCAB_FILE: sha256(vocab),
                    MERGES_FILE: sha256(merges),
                }:
                    require("tokenizers")
                    import tokenizers as tk

                    tok = tk.Tokenizer.from_str(json.dumps(data["tokenizer"]))
                    return cls(tok, np.asarray(data["id_map"], dtype=np.int64), max_length)
            except Exception as exc:  # a damaged cache file is rebuilt, never fatal
                warnings.warn(f"{saved} unreadable ({exc}); rebuilding it", stacklevel=2)
        return cls.from_files(vocab, merges, max_length)

    def save(self, directory: str | Path) -> str:
        """Write ``vnmod_tokenizer.json`` beside ``vocab.txt``/``bpe.codes``; returns its name."""
        directory = Path(directory)
        data = {
            "format": FORMAT,
            "source": {
                VOCAB_FILE: sha256(directory / VOCAB_FILE),
                MERGES_FILE: sha256(directory / MERGES_FILE),
            },
            "id_map": self.id_map.tolist(),
            "tokenizer": json.loads(self._tok.to_str()),
        }
        (directory / FAST_FILE).write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        return FAST_FILE

    @property
    def vocab_size(self) -> int:
        """Number of distinct PhoBERT ids this tokenizer can emit, plus one."""
        return int(self.id_map.max()) + 1

    def check_segmented(self, texts: Sequence[str]) -> None:
        """Warn once if ``texts`` look unsegmented (PhoBERT needs ``Bộ Y_tế`` style input)."""
        if not self._warned and looks_unsegmented(texts):
            self._warned = True
            warnings.warn(
                "PhoBERT input looks unsegmented (no '_' joins in multi-word texts); segment "
                "it first with vnmod.backends.transformer.phobert_tokenizer.segment_for_phobert",
                UnsegmentedInputWarning,
                stacklevel=3,
            )

    def encode(self, texts: Sequence[str], *, check: bool = True) -> list[np.ndarray]:
        """Token ids of each text, ``<s> ... </s>``, truncated to ``max_length``, no padding."""
        texts = list(texts)
        if check:
            self.check_segmented(texts)
        batch = getattr(self._tok, "encode_batch_fast", self._tok.encode_batch)  # no offsets
        ids = [e.ids for e in batch(texts)]
        lengths = np.fromiter(map(len, ids), dtype=np.int64, count=len(ids))
        flat = np.fromiter(chain.from_iterable(ids), dtype=np.int64, count=int(lengths.sum()))
        if not self._identity:
            flat = self.id_map[flat]
        return np.split(flat, np.cumsum(lengths)[:-1]) if ids else []

    @staticmethod
    def pad(sequences: Sequence[np.ndarray]) -> dict[str, np.ndarray]:
        """Pad to the longest sequence: ``input_ids`` (pad id 1) and ``attention_mask``."""
        return pad_sequences(sequences, PAD_ID)

    def __call__(self, texts: Sequence[str], *, check: bool = True) -> dict[str, np.ndarray]:
        """Encode and pad ``texts`` as one batch (numpy arrays)."""
        return self.pad(self.encode(texts, check=check))


def pad_sequences(sequences: Sequence[np.ndarray], pad_id: int) -> dict[str, np.ndarray]:
    """Pad to the longest sequence with ``pad_id``: ``input_ids`` and ``attention_mask``."""
    width = max((len(s) for s in sequences), default=0)
    ids = np.full((len(sequences), width), pad_id, dtype=np.int64)
    mask = np.zeros((len(sequences), width), dtype=np.int64)
    for row, seq in enumerate(sequences):
        ids[row, : len(seq)] = seq
        mask[row, : len(seq)] = 1
    return {"input_ids": ids, "attention_mask": mask}


def segment_for_phobert(texts: Iterable[str]) -> list[str]:
    """Word-segment normalised texts for PhoBERT, keeping ``<url>`` and friends whole.

    underthesea would split ``<url>`` into ``<_url >``; the placeholders are swapped for
    letters-only stand-ins before segmenting and restored after.
    """
    from vnmod.text.segment import segment

    stand_in = {p: f"xx{p[1:-1]}xx" for p in PLACEHOLDERS}
    back = {v: k for k, v in stand_in.items()}
    protect = re.compile("|".join(re.escape(p) for p in PLACEHOLDERS))
    restore = re.compile(r"\b(" + "|".join(back) + r")\b")
    masked = [protect.sub(lambda m: f" {stand_in[m.group(0)]} ", t) for t in texts]
    return [restore.sub(lambda m: back[m.group(1)], s) for s in segment(masked)]


def segmentation_settings() -> dict[str, Any]:
    """What :func:`segment_for_phobert` does, for the saved metadata."""
    try:
        from importlib.metadata import version

        tool_version = version("underthesea")
    except Exception:  # pragma: no cover - metadata missing
        tool_version = None
    return {**SEGMENTATION, "underthesea_version": tool_version}
