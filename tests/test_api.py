import math

import numpy as np
import pytest

import vnmod
from vnmod import CATEGORIES


def test_public_surface():
    assert vnmod.CATEGORIES == ("insult", "offensive", "fake_news", "illegal_ads")
    assert set(vnmod.__all__) >= {"CATEGORIES", "load", "classify", "Prediction", "Evidence"}


def test_str_gives_one_prediction_list_gives_list(clf):
    p = clf.predict("Nhận làm bằng đại học giả, lh 0912xxx888")
    assert isinstance(p, vnmod.Prediction)
    assert p.label == "illegal_ads" and "illegal_ads" in p.labels
    ps = clf.predict(["xin chào", "chúc ngủ ngon"])
    assert isinstance(ps, list) and len(ps) == 2
    assert all(q.label == "clean" for q in ps)


def test_predict_proba_is_n_by_4_in_category_order(clf):
    texts = ["Nhận làm bằng đại học giả, lh 0912xxx888", "xin chào"]
    proba = clf.predict_proba(texts)
    assert proba.shape == (2, 4)
    assert proba[0, CATEGORIES.index("illegal_ads")] > proba[1, CATEGORIES.index("illegal_ads")]
    assert clf.predict_proba("xin chào").shape == (1, 4)


def test_pandas_series_tuple_and_missing_values(clf):
    pd = pytest.importorskip("pandas")
    series = pd.Series(["xin chào", None, float("nan"), "", "  "], index=[10, 11, 12, 13, 14])
    preds = clf.predict(series)
    assert [p.status for p in preds] == ["ok", "missing", "missing", "empty", "empty"]
    assert all(p.label == "clean" and p.labels == [] for p in preds)
    assert len(clf.predict(("a", "b"))) == 2
    assert clf.predict(np.array(["xin chào"]))[0].status == "ok"
    assert clf.predict([pd.NA])[0].status == "missing"


def test_non_text_items_are_marked_not_crashing(clf):
    p = clf.predict([123])[0]
    assert p.status.startswith("invalid") and p.label == "clean"


@pytest.mark.parametrize("bad", [b"bytes", {"a": 1}, 42])
def test_wrong_container_is_a_helpful_type_error(clf, bad):
    with pytest.raises(TypeError, match="iterable of str"):
        clf.predict(bad)


def test_thresholds_are_settable_and_validated(clf):
    import copy

    c = copy.copy(clf)
    c._thresholds = dict(clf.thresholds)
    text = "Nhận làm bằng đại học giả, lh 0912xxx888"
    score = c.predict(text).scores["illegal_ads"]
    c.thresholds = {"illegal_ads": min(1.0, score + 0.01)}
    assert "illegal_ads" not in c.predict(text).labels
    with pytest.raises(ValueError, match="valid keys"):
        c.thresholds = {"spam": 0.5}
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        c.thresholds = {"insult": 2}


def test_evidence_spans_index_the_original_text(clf):
    texts = ["ĐM   thằng l0n này, ib 0776234XXX mua hàng đá",
             "Nhận LÀM BẰNG ĐẠI HỌC giả 100%, Zalo: 09xx.xxx.xxx",
             "may la thang oc cho"]
    for text, p in zip(texts, clf.predict(texts), strict=True):
        assert p.evidence
        for e in p.evidence:
            assert text[e.start:e.end] == e.text


def test_to_dict_is_json_ready_with_legal_basis(clf):
    import json

    p = clf.predict("Nhận làm bằng đại học giả, lh 0912xxx888")
    d = p.to_dict()
    json.dumps(d, ensure_ascii=False)
    assert d["label"] == "illegal_ads"
    assert d["legal_basis"]["illegal_ads"]
    assert all(not math.isnan(v) for v in d["scores"].values())


def test_classify_shortcut():
    assert vnmod.classify("xin chào").label == "clean"


def test_repeated_posts_are_scored_once_and_come_back_as_separate_predictions(clf):
    posts = ["Đm thằng ngu", None, "Đm thằng ngu", "Hôm nay trời đẹp", "", "Đm thằng ngu"]
    preds = clf.predict(posts)
    alone = [clf.predict([p])[0] for p in posts]
    assert [p.to_dict() for p in preds] == [p.to_dict() for p in alone]
    assert preds[0] is not preds[2] and preds[0].evidence is not preds[2].evidence
    preds[0].labels.append("changed")  # a caller editing one result leaves the others alone
    assert preds[2].labels == alone[2].labels
    assert np.array_equal(clf.predict_proba(posts),
                          np.vstack([clf.predict_proba([p]) for p in posts]))
