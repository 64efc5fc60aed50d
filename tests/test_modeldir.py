import json
import warnings

import pytest

import vnmod
from vnmod.backends.rules import RulesBackend
from vnmod.classifier import Classifier
from vnmod.modeldir import MANIFEST_NAME, ModelDirError


def test_default_model_loads_offline():
    clf = vnmod.load()
    assert "rules" in clf.component_names
    assert set(clf.thresholds) == set(vnmod.CATEGORIES)


def test_save_and_reload_round_trip(tmp_path):
    clf = Classifier([(RulesBackend(), 1.0)], thresholds={"insult": 0.7})
    clf.save(tmp_path / "m", card="# test model\n")
    manifest = json.loads((tmp_path / "m" / MANIFEST_NAME).read_text(encoding="utf-8"))
    assert manifest["format_version"] == 1
    assert manifest["labels"] == list(vnmod.CATEGORIES)
    assert manifest["components"][0]["type"] == "rules"
    again = vnmod.load(tmp_path / "m")
    assert again.thresholds["insult"] == 0.7
    text = "Nhận làm bằng đại học giả, lh 0912xxx888"
    assert again.predict(text).scores == clf.predict(text).scores


def test_unknown_component_type_is_refused(tmp_path):
    clf = Classifier([(RulesBackend(), 1.0)])
    clf.save(tmp_path / "m")
    path = tmp_path / "m" / MANIFEST_NAME
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest["components"][0]["type"] = "os.system"
    path.write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(ModelDirError, match="unknown component type"):
        vnmod.load(tmp_path / "m")


def test_component_path_outside_the_directory_is_refused(tmp_path):
    clf = Classifier([(RulesBackend(), 1.0)])
    clf.save(tmp_path / "m")
    path = tmp_path / "m" / MANIFEST_NAME
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest["components"][0]["path"] = "../../etc"
    path.write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(ModelDirError, match="outside the model directory"):
        vnmod.load(tmp_path / "m")


def test_missing_model_names_what_was_tried(tmp_path):
    with pytest.raises(ModelDirError, match="no model 'nope'"):
        vnmod.load("nope")
    with pytest.raises(ModelDirError, match=r"has no vnmod\.json"):
        vnmod.load(tmp_path)


def test_newer_format_is_refused_and_newer_version_warns(tmp_path):
    clf = Classifier([(RulesBackend(), 1.0)])
    clf.save(tmp_path / "m")
    path = tmp_path / "m" / MANIFEST_NAME
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest["vnmod_version"] = "99.0.0"
    path.write_text(json.dumps(manifest), encoding="utf-8")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        vnmod.load(tmp_path / "m")
    assert any("newer" in str(w.message) for w in caught)
    manifest["format_version"] = 2
    path.write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(ModelDirError, match="format_version"):
        vnmod.load(tmp_path / "m")
