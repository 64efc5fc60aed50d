"""Text handling: normalisation with an offset map, and word segmentation."""

from vnmod.text.normalize import Normalised, normalise

__all__ = ["Normalised", "normalise"]
