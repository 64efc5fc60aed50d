"""Rule families as views of their own: what the rules backend gives the stack, how a model
keeps its family names, and a model trained with them."""

from __future__ import annotations

import numpy as np
import pytest

import vnmod
from vnmod.backends.rules import FAMILY_LOGIT, RulesBackend
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
    assert loan[0, K] == cue[0, K] == families.family_proba  # the loan offer and its phone
    assert gambling[0, K] == 0.5                        # logit 0: no weight in a stack
    assert (loan[1] == 0.5).all() and (cue[1] == 0.5).all()
    other = [k for k in range(len(CATEGORIES)) if k != K]
    assert (loan[:, other] == 0.5).all()
    assert logit(np.array([families.family_proba]))[0] == pytest.approx(FAMILY_LOGIT, abs=1e-6)


def test_family_views_are_named_for_categories_only():
    with pytest.raises(ValueError, match="family_views names \\['ads'\\]"):
        RulesBackend(family_views=["ads"])


@pytest.mark.parametrize("bad", [0, -1.0, float("nan"), "0.3", 50, True])
def test_a_family_logit_must_be_a_modest_positive_number(bad):
    with pytest.raises(ValueError, match="family_logit must be a number in \\(0, 20\\)"):
        RulesBackend(family_views=["illegal_ads"], family_logit=bad)


def test_a_saved_model_keeps_its_family_names_whatever_the_lexicon_holds(tmp_path):
    # A model saved with two families (one of them unknown to today's lexicon) loads with
    # exactly those views and their logit, so the stack fitted on them is found again.
    backend = RulesBackend(family_views={"illegal_ads": ["loan", "retired"]}, family_logit=1.0)
    clf = Classifier([(backend, 1.0)])
    again = vnmod.load(clf.save(tmp_path / "m"))
    rules = again.components[0][0]
    assert rules.view_names == ["rules", "rules.illegal_ads.loan", "rules.illegal_ads.retired"]
    views = rules.analyse([normalise(LOAN)]).views
    assert logit(views["rules.illegal_ads.loan"][:, K])[0] == pytest.approx(1.0, abs=1e-6)
    assert views["rules.illegal_ads.retired"][0, K] == 0.5
