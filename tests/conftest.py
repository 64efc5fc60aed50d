"""Shared fixtures: offline settings and one classifier per session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


@pytest.fixture(scope="session")
def clf():
    import vnmod

    return vnmod.load()


@pytest.fixture(scope="session")
def rules_clf():
    """The shipped rules alone, so rule tests do not depend on a trained model."""
    from vnmod.backends.rules import RulesBackend
    from vnmod.classifier import Classifier

    return Classifier([(RulesBackend(), 1.0)])


def corpora_dir() -> Path | None:
    """The public corpora folder, or None where it is missing or empty (a fresh clone)."""
    from vnmod.data import resolve_data_dir

    try:
        found = resolve_data_dir()
    except FileNotFoundError:
        return None
    return found if (found / "vihsd").is_dir() else None


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The public corpora; tests that ask for it skip where they are absent."""
    found = corpora_dir()
    if found is None:
        pytest.skip("public corpora not found (set VNMOD_DATA_DIR to ../shared/data)")
    return found
