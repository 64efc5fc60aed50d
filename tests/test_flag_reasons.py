"""No flag without a reason a person can read (issue #9, item 6).

A flagged category needs at least one evidence item a person can read (a lexicon rule that
matched, or a word n-gram of real words); near-empty, punctuation-only and digits-only posts
are never news or insults; a number followed by a unit is a measurement, not profanity; a
counter-rule that explains away a category caps it, against the learned views too.
"""

from __future__ import annotations

import numpy as np
import pytest

from vnmod.backends.base import Backend
from vnmod.backends.rules import RulesBackend
from vnmod.classifier import Classifier
from vnmod.prediction import Evidence
from vnmod.reasons import readable
from vnmod.taxonomy import CATEGORIES
from vnmod.text.normalize import normalise

NEAR_EMPTY = [".", "...", "!!!", "???", "123 456", "😀😀", "3/", "🐷1", "1", "ok!", "a",
              "0905 123 456", "!!! 111 ???"]


def _readable_reasons(pred) -> dict[str, list[Evidence]]:
    return {c: [e for e in pred.evidence if e.category == c and readable(e, pred.text)]
            for c in pred.labels}


# -- every flag has a readable reason --------------------------------------------------------

@pytest.mark.parametrize("text", NEAR_EMPTY)
def test_near_empty_posts_are_not_news_or_insults(clf, text):
    pred = clf.predict(text)
    assert pred.scores["fake_news"] == 0.0
    assert pred.scores["insult"] == 0.0
    assert "fake_news" not in pred.labels and "insult" not in pred.labels


@pytest.mark.parametrize("text", NEAR_EMPTY)
def test_near_empty_posts_are_not_flagged_on_digit_or_symbol_ngrams(clf, text):
    pred = clf.predict(text)
    assert pred.labels == [], [(e.rule, e.text) for e in pred.evidence]


@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
def test_empty_posts_are_not_scored(clf, text):
    pred = clf.predict(text)
    assert pred.status == "empty" and pred.labels == []
    assert set(pred.scores.values()) == {0.0}


def test_cli_classify_dot_is_clean(capsys):
    import json

    from vnmod.cli import main

    assert main(["classify", "--json", "."]) in (0, None)
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert out["labels"] == [] and out["scores"]["fake_news"] == 0.0


class _Loud(Backend):
    """A learned component that is sure of every category and explains with whatever n-gram
    it finds first: a digit, a symbol, a unit, a placeholder, or a real word."""

    name = "loud"

    def __init__(self, term_for: dict[str, str]) -> None:
        self.term_for = term_for

    def predict_proba(self, docs):
        return np.full((len(docs), len(CATEGORIES)), 0.97)

    def explain(self, docs, categories):
        out = []
        for doc, cats in zip(docs, categories, strict=True):
            items = []
            for cat in cats:
                term = self.term_for[doc.original]
                s = doc.original.find(term)
                if s >= 0:
                    items.append(Evidence(s, s + len(term), term, cat, f"linear:{term}", 1.0,
                                          source="linear"))
            out.append(items)
        return out


@pytest.mark.parametrize(("text", "term"), [
    ("...", "."),
    ("3/ 3/", "3"),
    ("rộng 120 cm", "cm"),
    ("gọi 0905123456 nhé", "0905123456"),
    ("ừ k", "k"),
])
def test_a_learned_flag_whose_only_reason_is_unreadable_is_withdrawn(text, term):
    clf = Classifier([(_Loud({text: term}), 1.0)])
    pred = clf.predict(text)
    assert max(pred.scores.values()) > 0.9
    assert pred.labels == [], [(e.rule, e.text) for e in pred.evidence]


def test_a_learned_flag_with_a_real_word_keeps_its_reason():
    text = "thằng kia lừa đảo"
    pred = Classifier([(_Loud({text: "lừa đảo"}), 1.0)]).predict(text)
    assert pred.labels == list(CATEGORIES)
    assert all(_readable_reasons(pred).values())


@pytest.mark.parametrize(("evidence", "original", "ok"), [
    (Evidence(0, 3, "lồn", "offensive", "offensive.profanity.lon", 5.0), "lồn", True),
    (Evidence(0, 1, "🖕", "offensive", "offensive.sexual.gesture", 3.0), "🖕", True),  # a rule
    (Evidence(0, 3, "lồn", "offensive", "offensive.counter.x", -2.0), "lồn", False),  # counter
    (Evidence(0, 3, "lồn", "offensive", "linear:lồn", 0.4, "linear"), "lồn", True),
    (Evidence(0, 2, "Đm", "offensive", "linear:đụ má", 0.4, "linear"), "Đm ơi", True),
    (Evidence(4, 6, "cm", "offensive", "linear:cm", 1.0, "linear"), "120 cm", False),
    (Evidence(0, 2, "cm", "offensive", "linear:cm", 1.0, "linear"), "cm thằng kia", True),
    (Evidence(0, 6, "120 cm", "offensive", "linear:120 cm", 1.0, "linear"), "120 cm", False),
    (Evidence(0, 1, "3", "insult", "linear:3", 1.0, "linear"), "3/", False),
    (Evidence(0, 1, ".", "insult", "linear:.", 1.0, "linear"), ".", False),
    (Evidence(1, 2, "k", "insult", "linear:không", 1.0, "linear"), "ừk", False),  # one letter
    (Evidence(0, 10, "0905123456", "illegal_ads", "linear:<phone>", 1.0, "linear"),
     "0905123456", False),
    (Evidence(0, 3, "abc", "insult", "linear:abc", 1.0, "linear"), "xyz", False),  # wrong slice
    (Evidence(2, 9, "lừa đảo", "illegal_ads", "linear:lừa đảo", 0.0, "linear"), "1 lừa đảo",
     False),  # no weight
])
def test_readable_criterion(evidence, original, ok):
    assert readable(evidence, original) is ok


def test_every_flag_on_the_demo_posts_has_a_readable_reason(clf):
    import csv
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "data" / "examples" / "posts.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        texts = [r["text"] for r in csv.DictReader(fh)]
    for pred in clf.predict(texts):
        assert all(_readable_reasons(pred).values()), (pred.text, pred.labels)


# -- units are measurements -------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "Bàn làm việc rộng 120 cm, sâu 60 cm",
    "Xe Honda 110 cc chạy êm, đi 2 km hết có 50 ml xăng",
    "Tủ cao 180cm, rộng 80 cm, nặng 45 kg",
    "Màn hình 27 inch, dày 5 mm, đế 300 g",
])
def test_a_number_and_a_unit_is_a_measurement_not_profanity(clf, text):
    pred = clf.predict(text)
    assert "offensive" not in pred.labels, [(e.rule, e.text) for e in pred.evidence]
    assert pred.scores["offensive"] < 0.05
    assert not [e for e in pred.evidence if e.category == "offensive" and e.source != "rules"]


@pytest.mark.parametrize("text", ["đm 120 cm", "cm thằng chó kia", "cc con mẹ mày, 110 cc cái gì"])
def test_profanity_next_to_a_measurement_is_still_offensive(clf, text):
    assert "offensive" in clf.predict(text).labels


# -- a counter-rule that fired caps the category ------------------------------------------------

@pytest.mark.parametrize(("text", "category"), [
    ("Con bò nhà bác Ba vừa đẻ con bê", "insult"),
    ("Con chó nhà mình bị ốm mấy hôm nay, thương quá", "insult"),
    ("Mai thi vl rồi mà chưa học chữ nào", "offensive"),  # vl = vật lý
    ("check dm giúp shop nhé", "offensive"),              # dm = direct message
])
def test_a_counter_rule_caps_the_score_against_the_linear_view(clf, text, category):
    pred = clf.predict(text)
    k = CATEGORIES.index(category)
    assert any(e.category == category and e.weight < 0 for e in pred.evidence)
    assert category not in pred.labels, [(e.rule, e.text) for e in pred.evidence]
    assert pred.scores[category] < min(clf.thresholds[category], 0.05)
    _, _, bounds = RulesBackend().analyse([normalise(text)])
    assert bounds[0, k, 1] < 0.05


@pytest.mark.parametrize(("text", "category"), [
    ("Con bò nhà bác Ba vừa đẻ con bê, còn thằng con bác thì ngu như bò", "insult"),
    ("Thằng đối tượng đó đúng là đồ súc vật", "insult"),
    ("Mai thi vl rồi, đm cái đề khó vãi lồn", "offensive"),
])
def test_a_counter_rule_does_not_cap_what_it_does_not_explain(clf, text, category):
    assert category in clf.predict(text).labels


def test_the_counter_cap_is_in_the_rules_bounds_not_the_thresholds():
    engine = RulesBackend().engine
    doc = normalise("Con bò nhà bác Ba vừa đẻ con bê")
    hits = engine.score(engine.hits(doc))[1]
    k = CATEGORIES.index("insult")
    assert engine.ceilings(doc)[k] == 1.0            # letters alone cap nothing here
    assert engine.ceilings(doc, hits)[k] < 0.05      # the counter-rule does


def test_evidence_comes_only_from_views_that_weigh_in_the_category(clf):
    """The shipped fake_news stack weighs the news view and the rules, not the shared linear
    view: no fake-news reason is drawn from the shared view's n-grams."""
    stack = clf._stack
    k = CATEGORIES.index("fake_news")
    weights = dict(zip(stack["components"], stack["coef"][k], strict=True))
    assert weights["linear"] == 0 and weights["linear_news"] > 0
    pred = clf.predict("Khẩn cấp! Ngày mai cắt điện toàn quốc 3 ngày, chia sẻ ngay cho người thân")
    assert "fake_news" in pred.labels
    sources = {e.source for e in pred.evidence if e.category == "fake_news"}
    assert "linear" not in sources and "linear_news" in sources


# -- a flag resting on learned n-grams alone needs a higher score ----------------------------

class _Seller(Backend):
    """Scores illegal_ads ``score`` for every post, explains it with the word 'bán', and, in a
    post holding 'ma túy', reports a rule hit as the rules backend would."""

    name = "seller"

    def __init__(self, score: float) -> None:
        self.score = score

    def analyse(self, docs):
        from vnmod.backends.base import Analysis

        p = np.full((len(docs), len(CATEGORIES)), np.nan)
        p[:, CATEGORIES.index("illegal_ads")] = self.score
        evidence = []
        for doc in docs:
            s = doc.original.find("ma túy")
            evidence.append([] if s < 0 else [Evidence(s, s + 6, "ma túy", "illegal_ads",
                                                       "illegal_ads.drugs.x", 4.0)])
        return Analysis({self.name: p}, evidence, None)

    def explain(self, docs, categories):
        return [[Evidence(0, 3, "bán", c, "linear:bán", 0.5, source="linear") for c in cats]
                for doc, cats in zip(docs, categories, strict=True)]


@pytest.mark.parametrize(("score", "text", "flagged"), [
    (0.6, "bán hàng online", False),     # over the threshold, under the learned-only one
    (0.8, "bán hàng online", True),      # over both
    (0.6, "bán ma túy đá", True),        # a rule backs it: the threshold alone
    (0.2, "bán ma túy đá", False),       # a rule hit does not lower the threshold
])
def test_a_flag_no_rule_backs_needs_the_learned_only_threshold(score, text, flagged):
    clf = Classifier([(_Seller(score), 1.0)], thresholds={"illegal_ads": 0.3})
    clf.learned_only_thresholds = {"illegal_ads": 0.7}
    assert ("illegal_ads" in clf.predict(text).labels) is flagged
    clf.learned_only_thresholds = {}
    assert ("illegal_ads" in clf.predict(text).labels) is (score >= 0.3)


def test_learned_only_threshold_chosen_on_dev_trades_unbacked_false_alarms():
    from vnmod.combine import best_learned_only

    k = CATEGORIES.index("illegal_ads")
    n = 40
    p = np.full((n, len(CATEGORIES)), np.nan)
    y = np.full((n, len(CATEGORIES)), np.nan)
    backed = np.zeros((n, len(CATEGORIES)), bool)
    # 10 backed ads at 0.4, 10 unbacked ads at 0.9, 10 unbacked legal posts at 0.5, 10 clean.
    p[:, k] = [0.4] * 10 + [0.9] * 10 + [0.5] * 10 + [0.1] * 10
    y[:, k] = [1] * 20 + [0] * 20
    backed[:10, k] = True
    got = best_learned_only(p, y, backed, {"illegal_ads": 0.3}, ["illegal_ads"])
    assert 0.5 < got["illegal_ads"] <= 0.9
    # Where the unbacked posts over the threshold are all ads, nothing more is asked.
    y[20:30, k] = 1
    got = best_learned_only(p, y, backed, {"illegal_ads": 0.3}, ["illegal_ads"])
    assert got["illegal_ads"] == 0.3
