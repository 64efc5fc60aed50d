"""Where the PhoBERT backend used to live; it is now :mod:`vnmod.backends.transformer`."""

from vnmod.backends.transformer.backend import PhobertBackend, TransformerBackend

__all__ = ["PhobertBackend", "TransformerBackend"]
