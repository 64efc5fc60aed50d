"""Build PhoBERT-architecture checkpoints locally: a fastBPE vocabulary and random weights.

For tests, benchmarks and from-scratch experiments; nothing here downloads anything. The
result has the layout of ``vinai/phobert-base`` (``config.json``, ``model.safetensors``,
``vocab.txt``, ``bpe.codes``), so ``PhobertTokenizer``, ``AutoModel*.from_pretrained`` and
:func:`vnmod.backends.transformer.train.train_phobert` load it like the real checkpoint.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from vnmod.backends.transformer.checkpoint import quiet_progress, require
from vnmod.backends.transformer.phobert_tokenizer import (
    BOS_ID,
    EOS_ID,
    MERGES_FILE,
    PAD_ID,
    SUFFIX,
    VOCAB_FILE,
    _piece,
    read_vocab,
)
from vnmod.taxonomy import CATEGORIES


def learn_fastbpe(
    segmented_texts: Sequence[str],
    directory: str | Path,
    *,
    vocab_size: int = 1000,
    min_count: int = 1,
) -> tuple[Path, Path]:
    """Learn ``bpe.codes`` + ``vocab.txt`` in PhoBERT's (fastBPE / fairseq) formats.

    Merges are learnt with ``tokenizers``' BPE trainer (end-of-word suffix ``</w>``) and
    written one per line as ``left right count``; ``vocab.txt`` lists the pieces of the
    encoded texts (``@@`` marks a non-final piece) with their counts, most frequent first,
    dropping pieces seen fewer than ``min_count`` times, as ``fairseq-preprocess
    --thresholdsrc`` would. With ``min_count > 1`` some merge results are missing from the
    vocabulary, as in real PhoBERT files, which exercises the ``<unk>`` paths.
    """
    require("tokenizers")
    import tokenizers as tk

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    tok = tk.Tokenizer(tk.models.BPE(end_of_word_suffix=SUFFIX))
    tok.pre_tokenizer = tk.pre_tokenizers.WhitespaceSplit()
    trainer = tk.trainers.BpeTrainer(
        vocab_size=vocab_size, min_frequency=2, end_of_word_suffix=SUFFIX, show_progress=False
    )
    tok.train_from_iterator(list(segmented_texts), trainer)
    merges = json.loads(tok.to_str())["model"]["merges"]
    merges = [m.split(" ") if isinstance(m, str) else m for m in merges]
    with open(directory / MERGES_FILE, "w", encoding="utf-8") as out:
        for rank, (a, b) in enumerate(merges):
            out.write(f"{a} {b} {len(merges) - rank}\n")
    counts: Counter[str] = Counter()
    for encoding in tok.encode_batch(list(segmented_texts)):
        for symbol in encoding.tokens:
            counts[_piece(symbol)] += 1
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    with open(directory / VOCAB_FILE, "w", encoding="utf-8") as out:
        for piece, count in ranked:
            if count >= min_count:
                out.write(f"{piece} {count}\n")
    return directory / VOCAB_FILE, directory / MERGES_FILE


def phobert_config(
    vocab_size: int,
    *,
    layers: int = 12,
    hidden: int = 768,
    heads: int = 12,
    intermediate: int | None = None,
    max_length: int = 256,
    classifier: bool = True,
) -> Any:
    """A ``RobertaConfig`` shaped like PhoBERT (``max_position_embeddings = max_length + 2``)."""
    require("torch", "transformers")
    from transformers import RobertaConfig

    extra: dict[str, Any] = {}
    if classifier:
        extra = {
            "num_labels": len(CATEGORIES),
            "problem_type": "multi_label_classification",
            "id2label": dict(enumerate(CATEGORIES)),
            "label2id": {c: i for i, c in enumerate(CATEGORIES)},
        }
    return RobertaConfig(
        vocab_size=vocab_size,
        hidden_size=hidden,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        intermediate_size=intermediate or 4 * hidden,
        max_position_embeddings=max_length + 2,  # PhoBERT: 258 positions, 256 tokens
        type_vocab_size=1,
        layer_norm_eps=1e-5,
        pad_token_id=PAD_ID,
        bos_token_id=BOS_ID,
        eos_token_id=EOS_ID,
        tokenizer_class="PhobertTokenizer",
        **extra,
    )


def random_phobert(
    directory: str | Path,
    *,
    vocab_file: str | Path,
    merges_file: str | Path,
    layers: int = 12,
    hidden: int = 768,
    heads: int = 12,
    intermediate: int | None = None,
    vocab_size: int | None = None,
    max_length: int = 256,
    masked_lm: bool = True,
    seed: int = 0,
) -> Path:
    """Save a randomly initialised PhoBERT-architecture checkpoint with its tokenizer files.

    ``masked_lm=True`` saves a ``RobertaForMaskedLM`` like ``vinai/phobert-base`` (a base to
    fine-tune); ``False`` saves a ``RobertaForSequenceClassification`` over the four
    categories. ``vocab_size`` defaults to ``vocab.txt`` + specials + ``<mask>``.
    """
    require("torch", "transformers")
    import torch
    from transformers import PhobertTokenizer, RobertaForMaskedLM, RobertaForSequenceClassification

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    size = vocab_size or len(read_vocab(vocab_file)) + 1
    config = phobert_config(size, layers=layers, hidden=hidden, heads=heads,
                            intermediate=intermediate, max_length=max_length,
                            classifier=not masked_lm)
    torch.manual_seed(seed)
    model_cls = RobertaForMaskedLM if masked_lm else RobertaForSequenceClassification
    model = model_cls(config)
    with quiet_progress():
        model.save_pretrained(directory)
    PhobertTokenizer(str(vocab_file), str(merges_file)).save_pretrained(directory)
    return directory
