"""Word segmentation the way PhoBERT was pre-trained on (``Bộ_Y_tế``), via underthesea."""

from __future__ import annotations

from collections.abc import Iterable


def segment(texts: Iterable[str]) -> list[str]:
    """Join the syllables of each multi-syllable word with ``_``.

    >>> segment(["Bộ Y tế xác nhận"])
    ['Bộ Y_tế xác_nhận']
    """
    from underthesea import word_tokenize

    out = []
    for text in texts:
        out.append(word_tokenize(text, format="text") if text and text.strip() else "")
    return out
