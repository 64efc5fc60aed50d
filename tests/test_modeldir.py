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


def _saved_with(tmp_path, edit):
    """A rules-only model directory whose manifest ``edit(manifest)`` has changed."""
    Classifier([(RulesBackend(), 1.0)]).save(tmp_path / "m")
    path = tmp_path / "m" / MANIFEST_NAME
    manifest = json.loads(path.read_text(encoding="utf-8"))
    edit(manifest)
    path.write_text(json.dumps(manifest), encoding="utf-8")
    return tmp_path / "m"


def test_unknown_component_type_is_refused(tmp_path):
    model = _saved_with(tmp_path, lambda m: m["components"][0].update(type="os.system"))
    with pytest.raises(ModelDirError, match="unknown component type"):
        vnmod.load(model)


def test_component_path_outside_the_directory_is_refused(tmp_path):
    model = _saved_with(tmp_path, lambda m: m["components"][0].update(path="../../etc"))
    with pytest.raises(ModelDirError, match="outside the model directory"):
        vnmod.load(model)


def test_missing_model_names_what_was_tried(tmp_path):
    with pytest.raises(ModelDirError, match="no model 'nope'"):
        vnmod.load("nope")
    with pytest.raises(ModelDirError, match=r"has no vnmod\.json"):
        vnmod.load(tmp_path)


def test_newer_version_warns(tmp_path):
    model = _saved_with(tmp_path, lambda m: m.update(vnmod_version="99.0.0"))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        vnmod.load(model)
    assert any("newer" in str(w.message) for w in caught)


def test_newer_format_is_refused(tmp_path):
    model = _saved_with(tmp_path, lambda m: m.update(format_version=2))
    with pytest.raises(ModelDirError, match="format_version"):
        vnmod.load(model)


def test_changed_linear_weights_refuse_or_fall_back_when_allowed(tmp_path):
    import numpy as np

    from vnmod.backends.linear import LinearBackend
    from vnmod.text.normalize import normalise

    docs = [normalise(t) for t in ("làm bằng giả lh zalo", "trời đẹp quá", "vay nóng cccd",
                                   "đi du lịch vui")]
    linear = LinearBackend(min_df=1).fit(docs, np.array([[0, 0, 0, 1], [0, 0, 0, 0],
                                                         [0, 0, 0, 1], [0, 0, 0, 0]]))
    Classifier([(linear, 1.0), (RulesBackend(), 1.0)]).save(tmp_path / "m")
    with open(tmp_path / "m" / "linear" / "weights.npz", "ab") as fh:
        fh.write(b"tampered")
    with pytest.raises(ModelDirError, match=r"linear/weights\.npz changed"):
        vnmod.load(tmp_path / "m")
    with pytest.warns(RuntimeWarning, match=r"linear/weights\.npz changed"):
        clf = vnmod.load(tmp_path / "m", allow_degraded=True)
    assert clf.component_names == ["rules"]
    assert clf.predict("trời đẹp quá").status == "ok; degraded model: linear changed"
