"""The backend contract: a backend defined here, registered by name, saves and loads inside a
Classifier like the built-in ones; importing vnmod imports no backend it does not need."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import vnmod
from vnmod.backends.base import Analysis, Backend, component_class, register
from vnmod.backends.rules import RulesBackend
from vnmod.classifier import Classifier
from vnmod.modeldir import ModelDirError, read_manifest
from vnmod.taxonomy import CATEGORIES

POSTS = ["Hàng xách tay giá rẻ, inbox ngay", "Chúc mọi người cuối tuần vui vẻ", "đồ ngu"]


@register("test_exclamation")
class ExclamationBackend(Backend):
    """Scores each category by how shouty a post is, scaled by a saved ``weight``."""

    def __init__(self, weight: float = 1.0) -> None:
        self.weight = weight

    def predict_proba(self, docs) -> np.ndarray:
        shout = np.array([min(1.0, self.weight * (d.text.count("!") + 1) / 10) for d in docs])
        return np.repeat(shout[:, None], len(CATEGORIES), axis=1)

    def save(self, directory: Path) -> dict[str, Any]:
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "weight.json").write_text(json.dumps(self.weight), encoding="utf-8")
        return {"file": "weight.json"}

    @classmethod
    def load(cls, directory: Path, config: dict[str, Any]) -> ExclamationBackend:
        return cls(json.loads((directory / config["file"]).read_text(encoding="utf-8")))


def test_a_registered_backend_saves_and_loads(tmp_path):
    clf = Classifier([(ExclamationBackend(2.0), 1.0), (RulesBackend(), 1.0)])
    root = clf.save(tmp_path / "model")
    manifest = read_manifest(root)
    assert [c["type"] for c in manifest["components"]] == ["test_exclamation", "rules"]
    assert "test_exclamation/weight.json" in manifest["files"]  # checksummed like the rest

    again = vnmod.load(root)
    assert again.component_names == ["test_exclamation", "rules"]
    assert next(b for b, _ in again.components if b.name == "test_exclamation").weight == 2.0
    np.testing.assert_array_equal(again.predict_proba(POSTS), clf.predict_proba(POSTS))
    assert [p.labels for p in again.predict(POSTS)] == [p.labels for p in clf.predict(POSTS)]


def test_defaults_of_the_contract():
    backend = ExclamationBackend()
    docs = [vnmod.normalise(t) for t in POSTS]
    found = backend.analyse(docs)
    assert isinstance(found, Analysis) and found.bounds is None
    assert list(found.views) == backend.view_names == ["test_exclamation"]
    np.testing.assert_array_equal(found.views["test_exclamation"], backend.predict_proba(docs))
    assert found.evidence == [[], [], []]
    assert backend.explain(docs, [["insult"], [], []]) == [[], [], []]


def test_the_rules_are_always_there(tmp_path):
    root = Classifier([(ExclamationBackend(), 1.0)]).save(tmp_path / "model")
    assert vnmod.load(root).component_names == ["test_exclamation", "rules"]


def test_unknown_type_names_the_known_ones(tmp_path):
    root = Classifier([(RulesBackend(), 1.0)]).save(tmp_path / "model")
    manifest = json.loads((root / "vnmod.json").read_text(encoding="utf-8"))
    manifest["components"][0]["type"] = "no_such_backend"
    (root / "vnmod.json").write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(ModelDirError, match=r"unknown component type 'no_such_backend'.*linear"):
        vnmod.load(root)


def test_builtin_types_resolve_lazily():
    assert component_class("phobert").name == "phobert"
    assert component_class("transformer").name == "transformer"
    assert issubclass(component_class("phobert"), component_class("transformer"))


def _modules_after(code: str) -> set[str]:
    out = subprocess.run([sys.executable, "-c", f"{code}\nimport sys\nprint(*sys.modules)"],
                         capture_output=True, text=True, check=True)
    return set(out.stdout.split())


def test_import_vnmod_imports_no_backend():
    loaded = _modules_after("import vnmod")
    assert not {"vnmod.backends.linear", "vnmod.backends.transformer", "torch",
                "transformers", "sklearn"} & loaded


def test_serving_path_imports_neither_training_nor_export():
    loaded = _modules_after("import vnmod.backends.transformer")
    assert "vnmod.backends.transformer.backend" in loaded
    assert not {"vnmod.backends.transformer.train", "vnmod.backends.transformer.export",
                "vnmod.backends.transformer.phobert_build", "torch", "transformers"} & loaded
