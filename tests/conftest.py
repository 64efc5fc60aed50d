"""Shared fixtures: offline settings and one classifier per session."""

from __future__ import annotations

import os

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
