"""Rule families as views of their own: what the rules backend gives the stack, how a model
keeps its family names, and a model trained with them."""

from __future__ import annotations

import numpy as np
import pytest

import vnmod
from vnmod.backends.rules import FAMILY_PROBA, RulesBackend
from vnmod.classifier import Classifier
from vnmod.combine import logit
from vnmod.taxonomy import CATEGORIES
from vnmod.text.normalize import normalise

K = CATEGORIES.index("illegal_ads")
LOAN = "Cho vay tư nhân, giải ngân trong ngày, chỉ cần CMT + hộ khẩu photo, gọi 0905123456"
CLEAN = "Chúc cả nhà cuối tuần vui vẻ"


def test_a_family_view_marks_the_posts_its_rules_scored_and_nothing_else():
    plain, families = RulesBackend(), RulesBackend(family_views=["illegal_ads"])
    docs = [normalise(LOAN), normalise(CLEAN)]
    views = families.analyse(docs).views
    assert views.keys() == set(families.view_names)
    assert {"rules.illegal_ads.loan", "rules.illegal_ads.cue", "rules.illegal_ads.gambling"} \
        <= set(views)
    assert "rules.illegal_ads.counter" not in views  # a family that only lowers a score
    np.testing.assert_array_equal(views["rules"], plain.analyse(docs).views["rules"])
    loan, cue, gambling = (views[f"rules.illegal_ads.{f}"] for f in ("loan", "cue", "gambling"))
    assert loan[0, K] == cue[0, K] == FAMILY_PROBA     # the loan offer and its phone number
    assert gambling[0, K] == 0.5                        # logit 0: no weight in a stack
    assert (loan[1] == 0.5).all() and (cue[1] == 0.5).all()
    other = [k for k in range(len(CATEGORIES)) if k != K]
    assert (loan[:, other] == 0.5).all()
    assert logit(np.array([FAMILY_PROBA]))[0] == pytest.approx(0.3, abs=1e-6)


def test_family_views_are_named_for_categories_only():
    with pytest.raises(ValueError, match="family_views names \\['ads'\\]"):
        RulesBackend(family_views=["ads"])


def test_a_saved_model_keeps_its_family_names_whatever_the_lexicon_holds(tmp_path):
    # A model saved with two families (one of them unknown to today's lexicon) loads with
    # exactly those views, so the stack fitted on them is found again.
    backend = RulesBackend(family_views={"illegal_ads": ["loan", "retired"]})
    clf = Classifier([(backend, 1.0)])
    again = vnmod.load(clf.save(tmp_path / "m"))
    rules = again.components[0][0]
    assert rules.view_names == ["rules", "rules.illegal_ads.loan", "rules.illegal_ads.retired"]
    views = rules.analyse([normalise(LOAN)]).views
    assert views["rules.illegal_ads.loan"][0, K] == FAMILY_PROBA
    assert views["rules.illegal_ads.retired"][0, K] == 0.5
