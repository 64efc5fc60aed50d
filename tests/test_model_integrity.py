"""Models fail closed: a model directory loads exactly as saved, or not at all, unless the
caller opts in to a degraded model (issue #9, item 5)."""

from __future__ import annotations

import json
import shutil
import time
import warnings

import numpy as np
import pytest

import vnmod
from vnmod import modeldir
from vnmod.backends.base import BackendUnavailable
from vnmod.backends.linear import LinearBackend
from vnmod.backends.rules import RulesBackend
from vnmod.classifier import Classifier
from vnmod.cli import main
from vnmod.modeldir import MANIFEST_NAME, ModelDirError
from vnmod.text.normalize import normalise

LEXICON = """category = "illegal_ads"
bias = -4.0

[[rule]]
id = "illegal_ads.test.fake_degree"
kind = "term"
terms = ["bằng giả"]
weight = 5.0
"""
#: The tester's pattern: a 47-character post took 7.6 s.
EVIL = "(?:\\w+\\s?)+$"
EVIL_LEXICON = f"""category = "insult"

[[rule]]
id = "insult.test.evil"
kind = "pattern"
pattern = '{EVIL}'
weight = 3.0
"""
TEXT = "làm bằng giả lh zalo"


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """A linear + rules model with its own lexicon (a ``rules/`` folder) and a model card."""
    lexicons = tmp_path_factory.mktemp("lexicons")
    (lexicons / "illegal_ads.toml").write_text(LEXICON, encoding="utf-8")
    docs = [normalise(t) for t in (TEXT, "trời đẹp quá", "vay nóng cccd", "đi du lịch vui")]
    linear = LinearBackend(min_df=1).fit(docs, np.array([[0, 0, 0, 1], [0, 0, 0, 0],
                                                         [0, 0, 0, 1], [0, 0, 0, 0]]))
    clf = Classifier([(linear, 1.0), (RulesBackend(lexicon_dir=lexicons), 1.0)])
    return clf.save(tmp_path_factory.mktemp("models") / "m", card="# test model\n")


@pytest.fixture()
def model(saved, tmp_path):
    """A fresh copy of the saved model to damage."""
    return shutil.copytree(saved, tmp_path / "m")


def _manifest(model):
    return json.loads((model / MANIFEST_NAME).read_text(encoding="utf-8"))


def _edit_manifest(model, edit):
    manifest = _manifest(model)
    edit(manifest)
    (model / MANIFEST_NAME).write_text(json.dumps(manifest), encoding="utf-8")


def _flip_byte(path):
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


def test_saved_model_loads_cleanly(model):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        clf = vnmod.load(model)
    assert clf.component_names == ["linear", "rules"]
    assert clf.degraded == []
    assert clf.predict(TEXT).status == "ok"
    assert modeldir.verify_model(model, _manifest(model)) == {}


def test_shipped_model_verifies():
    root = modeldir.resolve("vnmod-base")
    assert modeldir.verify_model(root, modeldir.read_manifest(root)) == {}


def test_shipped_model_card_is_its_recipes_card():
    """Training copies the recipe's card into the model; an edit of one alone is a stale card."""
    root = modeldir.resolve("vnmod-base")
    recipe = root.parent / "recipes" / "vnmod-base.toml"
    if not recipe.is_file():
        pytest.skip("the shipped model was installed without its recipes folder")
    card = recipe.parent / "vnmod-base.card.md"
    assert (root / "README.md").read_text(encoding="utf-8") == card.read_text(encoding="utf-8")


@pytest.mark.parametrize("name", ["linear/weights.npz", "linear/vocab_word.json",
                                  "linear/vocab_char.json", "rules/illegal_ads.toml"])
@pytest.mark.parametrize("damage", ["flip", "truncate", "delete"])
def test_damaged_file_is_refused(model, name, damage):
    path = model / name
    if damage == "flip":
        _flip_byte(path)
    elif damage == "truncate":
        path.write_bytes(path.read_bytes()[:len(path.read_bytes()) // 2])
    else:
        path.unlink()
    why = "missing" if damage == "delete" else "changed"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # refused, not warned about
        with pytest.raises(ModelDirError, match=f"{name} {why}"):
            vnmod.load(model)


def test_deleted_component_folder_is_refused(model):
    shutil.rmtree(model / "linear")
    with pytest.raises(ModelDirError, match=r"linear/weights\.npz missing"):
        vnmod.load(model)


def test_entry_removed_from_the_files_table_is_refused(model):
    _edit_manifest(model, lambda m: m["files"].pop("linear/weights.npz"))
    with pytest.raises(ModelDirError, match=r"linear/weights\.npz not listed"):
        vnmod.load(model)


@pytest.mark.parametrize("edit, match", [
    (lambda m: m.pop("files"), "no `files` table"),
    (lambda m: m.update(files=[]), "must map each file"),
    (lambda m: m["files"].update({"linear/weights.npz": "abc"}), "expected a SHA-256"),
    (lambda m: m["files"].update({"../outside": "0" * 64}), "not a relative path"),
])
def test_missing_or_malformed_files_table_is_refused(model, edit, match):
    _edit_manifest(model, edit)
    with pytest.raises(ModelDirError, match=match):
        vnmod.load(model)
    with pytest.raises(ModelDirError, match=match):  # no opt-in makes it checkable
        vnmod.load(model, allow_degraded=True)


def test_unlisted_rules_file_is_refused(model):
    (model / "rules" / "evil.toml").write_text(EVIL_LEXICON, encoding="utf-8")
    start = time.perf_counter()
    with pytest.raises(ModelDirError, match=r"rules/evil\.toml not listed"):
        vnmod.load(model)
    assert time.perf_counter() - start < 5


def test_extra_file_in_a_component_folder_is_refused(model):
    (model / "linear" / "notes.txt").write_text("x", encoding="utf-8")
    with pytest.raises(ModelDirError, match=r"linear/notes\.txt not listed"):
        vnmod.load(model)


def test_changed_card_and_stray_files(saved, tmp_path):
    model = shutil.copytree(saved, tmp_path / "card")
    (model / "README.md").write_text("# another card\n", encoding="utf-8")
    with pytest.raises(ModelDirError, match=r"README\.md changed"):
        vnmod.load(model)
    model = shutil.copytree(saved, tmp_path / "stray")
    (model / "notes.txt").write_text("x", encoding="utf-8")
    with pytest.raises(ModelDirError, match=r"notes\.txt not listed"):
        vnmod.load(model)
    model = shutil.copytree(saved, tmp_path / "clutter")
    (model / ".DS_Store").write_bytes(b"\0\0\0\1Bud1")
    (model / "linear" / ".DS_Store").write_bytes(b"\0\0\0\1Bud1")
    assert vnmod.load(model).degraded == []  # operating-system clutter is ignored


def test_listed_rules_file_with_a_catastrophic_pattern_is_refused(model):
    (model / "rules" / "evil.toml").write_text(EVIL_LEXICON, encoding="utf-8")
    manifest = _manifest(model)
    modeldir.write_manifest(model, {k: v for k, v in manifest.items() if k != "files"})
    assert "rules/evil.toml" in _manifest(model)["files"]
    start = time.perf_counter()
    with pytest.raises(ValueError, match=r"evil\.toml: rule 'insult\.test\.evil': pattern "
                                         r"'\(\?:\\w\+\\s\?\)\+\$' can backtrack"):
        vnmod.load(model, allow_degraded=True)  # a bad model, not a degraded one
    assert time.perf_counter() - start < 5


def test_allow_degraded_loads_what_verifies_and_says_so(model):
    _flip_byte(model / "linear" / "weights.npz")
    with pytest.warns(RuntimeWarning, match=r"linear/weights\.npz changed"):
        clf = vnmod.load(model, allow_degraded=True)
    assert clf.component_names == ["rules"]
    assert clf.degraded == ["linear changed"]
    ok, empty = clf.predict([TEXT, ""])
    assert ok.status == "ok; degraded model: linear changed"
    assert ok.components == ["rules"]
    assert ok.labels == ["illegal_ads"]  # the model's own rules still flag
    assert empty.status == "empty; degraded model: linear changed"
    assert empty.labels == [] and empty.components == []


def test_allow_degraded_names_a_missing_component_and_stray_files(model):
    shutil.rmtree(model / "linear")
    (model / "notes.txt").write_text("x", encoding="utf-8")
    with pytest.warns(RuntimeWarning):
        clf = vnmod.load(model, allow_degraded=True)
    assert clf.degraded == ["linear missing", "notes.txt not listed"]
    assert clf.predict(TEXT).status == ("ok; degraded model: linear missing, "
                                        "notes.txt not listed")


def test_component_that_cannot_load_here_needs_the_opt_in(model, monkeypatch):
    def unavailable(directory, config):
        raise BackendUnavailable("scikit-learn is not installed")

    monkeypatch.setattr(LinearBackend, "load", unavailable)
    with pytest.raises(ModelDirError, match=r"component 'linear' .* cannot load here"):
        vnmod.load(model)
    with pytest.warns(RuntimeWarning, match="scikit-learn is not installed"):
        clf = vnmod.load(model, allow_degraded=True)
    assert clf.degraded == ["linear unavailable"]


def test_each_file_is_hashed_once_per_load(model, monkeypatch):
    hashed = []
    real = modeldir.sha256
    monkeypatch.setattr(modeldir, "sha256", lambda path: hashed.append(path.name) or real(path))
    vnmod.load(model)
    # Every listed file once, and the manifest once (its hash names the model: model_id).
    assert sorted(hashed) == sorted([*(p.rsplit("/", 1)[-1] for p in _manifest(model)["files"]),
                                     "vnmod.json"])


def test_cli_refuses_a_damaged_model_in_one_line(model, capsys):
    _flip_byte(model / "linear" / "weights.npz")
    assert main(["classify", "--model", str(model), TEXT]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert err.startswith("vnmod classify: error: ")
    assert "linear/weights.npz changed" in err and "--allow-degraded" in err


def test_cli_allow_degraded(model, capsys):
    _flip_byte(model / "linear" / "weights.npz")
    with pytest.warns(RuntimeWarning):
        code = main(["classify", "--json", "--model", str(model), "--allow-degraded", TEXT])
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    assert out["status"] == "ok; degraded model: linear changed"


@pytest.mark.parametrize("command", ["classify", "score", "evaluate"])
def test_every_model_command_takes_allow_degraded(command):
    from vnmod.cli import build_parser

    extra = {"classify": [], "score": ["in.csv", "-o", "out.csv"],
             "evaluate": ["--data", "x.csv"]}[command]
    args = build_parser().parse_args([command, *extra, "--allow-degraded"])
    assert args.allow_degraded is True
