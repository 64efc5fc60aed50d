"""One backend for BERT/RoBERTa-family encoders (PhoBERT, multilingual-e5 BERT...).

Serving: :mod:`.backend` (the backend), :mod:`.engines` (torch / ONNX Runtime),
:mod:`.tokenizer` (PhoBERT's fastBPE via :mod:`.phobert_tokenizer`, or ``tokenizer.json``),
:mod:`.checkpoint` (metadata, optional dependencies). Beside them, never imported when
serving: :mod:`.train` (fine-tuning), :mod:`.export` (ONNX), :mod:`.phobert_build` (tiny
local checkpoints). Importing this package needs neither torch nor transformers.
"""

from vnmod.backends.transformer.backend import PhobertBackend, TransformerBackend

__all__ = ["PhobertBackend", "TransformerBackend"]
