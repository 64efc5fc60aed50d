"""The API people expect (issue #10 items 4 and 5): DataFrames in, DataFrames out, a
scikit-learn estimator, a readable repr, type errors that say what is expected, CLI help
in plain text with defaults, and a classify output with every label and the reason."""

from __future__ import annotations

import io
import itertools
import re

import numpy as np
import pytest

import vnmod
from vnmod.backends.rules import RulesBackend
from vnmod.classifier import Classifier
from vnmod.cli import build_parser, main

pd = pytest.importorskip("pandas")

INSULT_OFFENSIVE = "ĐM thằng ngu này"
ADS = "Nhận làm bằng đại học giả, lh 0912xxx888"
CLEAN = "hôm nay trời đẹp quá"


# -- DataFrames and other inputs ---------------------------------------------------------
def test_predict_takes_a_dataframe_column(clf):
    df = pd.DataFrame({"id": [1, 2, 3], "body": [INSULT_OFFENSIVE, ADS, CLEAN]})
    preds = clf.predict(df, text_column="body")
    assert isinstance(preds, list) and len(preds) == 3
    assert [p.text for p in preds] == df["body"].tolist()
    assert preds[1].label == "illegal_ads" and preds[2].label == "clean"
    assert clf.predict_proba(df, text_column="body").shape == (3, 4)


def test_a_dataframe_with_one_obvious_text_column_needs_no_text_column(clf):
    with_text = pd.DataFrame({"id": [1, 2], "text": [ADS, CLEAN]})
    only = pd.DataFrame({"posts": [ADS, CLEAN]})
    for df in (with_text, only):
        assert [p.label for p in clf.predict(df)] == ["illegal_ads", "clean"]


def test_a_dataframe_without_a_text_column_raises_saying_what_is_expected(clf):
    df = pd.DataFrame({"a": [ADS], "b": [CLEAN]})
    with pytest.raises((TypeError, ValueError), match="text_column") as err:
        clf.predict(df)
    assert "['a', 'b']" in str(err.value) and "DataFrame" in str(err.value)
    with pytest.raises(ValueError, match="not a column"):
        clf.predict(df, text_column="text")
    with pytest.raises(TypeError, match="text_column"):
        clf.predict([ADS], text_column="text")


def test_every_kind_of_sequence_gives_the_same_predictions(clf):
    texts = [INSULT_OFFENSIVE, ADS, CLEAN]
    want = [p.labels for p in clf.predict(texts)]
    inputs = [tuple(texts), (t for t in texts), np.array(texts), pd.Series(texts),
              pd.DataFrame({"text": texts})]
    for x in inputs:
        assert [p.labels for p in clf.predict(x)] == want, type(x).__name__


def test_predict_frame_has_scores_labels_reason_and_keeps_the_index(clf):
    df = pd.DataFrame({"text": [INSULT_OFFENSIVE, CLEAN, None]}, index=[10, 20, 30])
    out = clf.predict_frame(df, text_column="text")
    assert list(out.index) == [10, 20, 30]
    for cat in vnmod.CATEGORIES:
        assert f"score_{cat}" in out.columns
    assert {"labels", "label", "reason", "status"} <= set(out.columns)
    assert set(out.loc[10, "labels"]) == {"insult", "offensive"}
    assert out.loc[20, "labels"] == [] and out.loc[20, "label"] == "clean"
    assert out.loc[30, "status"] == "missing" and out.loc[30, "reason"] == ""
    reason = out.loc[10, "reason"]
    assert '"ĐM" (offensive.profanity.' in reason and '"thằng ngu" (insult.' in reason
    series_out = clf.predict_frame(pd.Series([ADS, CLEAN], index=["a", "b"]))
    assert list(series_out.index) == ["a", "b"]
    assert list(clf.predict_frame([ADS]).index) == [0]


def test_reason_is_one_reusable_function(clf):
    from vnmod.reasons import short_reason

    p = clf.predict(INSULT_OFFENSIVE)
    assert p.reason == short_reason(p)
    assert p.reason.count(";") == len(p.labels) - 1
    assert short_reason(clf.predict(CLEAN)) == ""


def test_classes_are_the_categories_in_column_order(clf):
    assert clf.classes_ == vnmod.CATEGORIES


# -- repr and type errors ----------------------------------------------------------------
def test_repr_says_what_the_model_is(clf):
    text = repr(clf)
    assert "object at 0x" not in text
    assert "vnmod-base" in text and str(clf.path) in text
    assert "linear" in text and "rules" in text and "insult: " in text


def test_wrong_types_say_what_came_in_and_what_is_expected():
    with pytest.raises(TypeError, match=r"got int 123") as err:
        vnmod.load(123)
    assert "model directory" in str(err.value)
    c = Classifier([(RulesBackend(), 1.0)])
    with pytest.raises(TypeError, match=r"mapping of category.*got float 0\.5"):
        c.thresholds = 0.5
    with pytest.raises(ValueError, match=r"'bogus'.*valid keys"):
        c.thresholds = {"bogus": 0.3}
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        c.thresholds = {"insult": 1.5}
    with pytest.raises(TypeError, match="number"):
        c.thresholds = {"insult": "high"}
    with pytest.raises(ValueError):  # nothing is changed by a partly bad mapping
        c.thresholds = {"insult": 0.7, "offensive": -1}
    assert c.thresholds["insult"] == 0.5


# -- scikit-learn ------------------------------------------------------------------------
def _toy() -> tuple[list[str], list[list[str]]]:
    names = ["Nam", "Hùng", "Lan", "Tú", "Minh"]
    things = ["cái điện thoại", "bài hát", "con mèo", "bữa cơm"]
    texts, labels = [], []
    for n, t in itertools.islice(itertools.product(names, things), 15):
        texts += [f"thằng {n} ngu như bò, nói về {t} mà cũng sai", f"đm {t} này chán vl",
                  f"bán {t} giá rẻ, liên hệ zalo 0912xxx888 gặp {n}",
                  f"hôm nay {n} kể về {t}, vui lắm"]
        labels += [["insult"], ["offensive"], ["illegal_ads"], []]
    return texts, labels


def test_sklearn_estimator_fits_predicts_and_saves(tmp_path):
    from vnmod.sklearn import VnmodClassifier, label_matrix

    texts, labels = _toy()
    est = VnmodClassifier(C=2.0).fit(texts, labels)
    assert list(est.classes_) == list(vnmod.CATEGORIES)
    new = ["thằng Bình ngu như bò", "bán xe giá rẻ liên hệ zalo 0987xxx123", "trời đẹp"]
    pred = est.predict(new)
    assert pred.shape == (3, 4) and set(np.unique(pred)) <= {0, 1}
    assert pred[0, 0] == 1 and pred[1, 3] == 1 and pred[2].sum() == 0
    assert est.predict_proba(new).shape == (3, 4)
    assert (est.predict(pd.Series(new)) == pred).all()
    assert (VnmodClassifier(C=2.0).fit(np.array(texts), label_matrix(labels)).predict(new)
            == pred).all()
    loaded = vnmod.load(est.save(tmp_path / "m"))
    assert [p.labels for p in loaded.predict(new)] == [p.labels
                                                        for p in est.model_.predict(new)]


def test_sklearn_clone_pipeline_and_cross_val_score():
    from sklearn.base import clone
    from sklearn.metrics import f1_score, make_scorer
    from sklearn.model_selection import cross_val_score
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import FunctionTransformer

    from vnmod.sklearn import VnmodClassifier, label_matrix

    texts, labels = _toy()
    y = label_matrix(labels)
    est = VnmodClassifier(C=2.0, min_df=1)
    copy = clone(est)
    assert copy.get_params() == est.get_params() and copy.get_params()["C"] == 2.0
    assert copy.set_params(C=3.0).C == 3.0 and est.C == 2.0
    pipe = Pipeline([("lower", FunctionTransformer(lambda xs: [x.lower() for x in xs])),
                     ("vnmod", est)])
    scores = cross_val_score(pipe, texts, y, cv=3,
                             scoring=make_scorer(f1_score, average="micro"))
    assert scores.shape == (3,) and scores.min() > 0.8


def test_sklearn_errors_say_what_is_expected():
    from vnmod.sklearn import VnmodClassifier, label_matrix

    texts, labels = _toy()
    with pytest.raises(ValueError, match="unknown category 'spam'"):
        label_matrix([["spam"]])
    with pytest.raises(ValueError, match=r"shape \(2, 3\).*\(n, 4\)"):
        label_matrix(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="60 posts"):
        VnmodClassifier().fit(texts, labels[:10])
    with pytest.raises(TypeError, match="expected the text"):
        VnmodClassifier().fit([*texts[:-1], None], labels)


# -- command line ------------------------------------------------------------------------
def _help(capsys, *argv: str) -> str:
    with pytest.raises(SystemExit):
        main([*argv, "--help"])
    return capsys.readouterr().out


def test_help_is_plain_text_with_defaults_and_examples(capsys):
    top = _help(capsys)
    assert "``" not in top and "classify" in top
    commands = build_parser()._subparsers._group_actions[0].choices
    for name in commands:
        assert "``" not in _help(capsys, name), name
    classify = _help(capsys, "classify")
    assert "examples:" in classify and "vnmod classify" in classify
    assert "(default: " in classify
    assert re.search(r"text\s+posts to classify", classify)


def test_classify_prints_all_labels_scores_and_the_reason(capsys):
    assert main(["classify", INSULT_OFFENSIVE]) == 0
    lines = capsys.readouterr().out.splitlines()
    labels, scores, text = lines[0].split("\t")
    assert set(labels.split(",")) == {"insult", "offensive"} and text == INSULT_OFFENSIVE
    assert all(f"{c}=" in scores for c in vnmod.CATEGORIES)
    reason = next(line for line in lines if line.strip().startswith("reason:"))
    assert '"thằng ngu" (insult.' in reason and '"ĐM" (offensive.' in reason


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_classify_says_it_reads_stdin_when_stdin_is_a_terminal(monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", _Terminal(ADS + "\n"))
    assert main(["classify", "--no-evidence"]) == 0
    captured = capsys.readouterr()
    assert "reading posts from stdin" in captured.err and "Ctrl-D" in captured.err
    assert captured.out.startswith("illegal_ads\t")
    monkeypatch.setattr("sys.stdin", io.StringIO(ADS + "\n"))  # a pipe: no hint
    assert main(["classify"]) == 0
    assert capsys.readouterr().err == ""
